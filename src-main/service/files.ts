import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isImageName } from '../engine/data/image-folder.js';
import { UserError } from '../errors.js';

/** Node's readFile refuses files of 2 GiB and more; larger models need external data (issue 3). */
export const MAX_FILE_BYTES = 2 ** 31 - 1;

export async function requireFile(path: string): Promise<number> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new UserError(`${basename(path)}: no such file`);
  if (!info.isFile()) throw new UserError(`${basename(path)}: not a file`);
  if (info.size === 0) throw new UserError(`${basename(path)}: empty file`);
  if (info.size > MAX_FILE_BYTES) throw new UserError(`${basename(path)}: larger than 2 GiB, which Brink cannot read yet`);
  return info.size;
}

/**
 * Several loose files (an IDX images/labels pair, a .npy pair), or loose images, even one, are
 * read as one folder: copied into a private temporary folder so that neighbours the user did not
 * pick are never read.
 */
export async function withOnePath<T>(paths: string[], fn: (path: string) => Promise<T>): Promise<T> {
  if (paths.length === 1 && !isImageName(paths[0])) return fn(paths[0]);
  const names = new Set(paths.map((p) => basename(p)));
  if (names.size !== paths.length) throw new UserError('two of the chosen files have the same name; choose their folder instead');
  const dir = await mkdtemp(join(tmpdir(), 'brink-import-'));
  try {
    for (const path of paths) {
      await requireFile(path);
      await copyFile(path, join(dir, basename(path)));
    }
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
