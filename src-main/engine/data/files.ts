import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { FolderEntry } from './types.js';

export async function readHead(path: string, length: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = new Uint8Array(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Fills `target` from `position` on, looping because one read() may return less; short only at end of file. */
export async function readFully(handle: FileHandle, target: Uint8Array, position: number): Promise<number> {
  let filled = 0;
  while (filled < target.length) {
    const { bytesRead } = await handle.read(target, filled, target.length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/** Entries sorted by code point, as Python's sorted() does, so class indices match torchvision's ImageFolder. */
export async function readFolder(path: string): Promise<FolderEntry[]> {
  const dirents = await readdir(path, { withFileTypes: true });
  const entries = await Promise.all(
    dirents.map(async (dirent): Promise<FolderEntry> => {
      // A symlink's Dirent says nothing about its target; follow it like the rest of the reader does.
      const isDirectory = dirent.isSymbolicLink()
        ? await stat(join(path, dirent.name)).then((s) => s.isDirectory(), () => false)
        : dirent.isDirectory();
      return { name: dirent.name, isDirectory };
    }),
  );
  return entries.sort((a, b) => compareNames(a.name, b.name));
}

export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Finds a file by name ignoring case (datasets come from every OS), preferring the exact spelling. */
export function findFile(entries: FolderEntry[], wanted: string): string | null {
  const files = entries.filter((entry) => !entry.isDirectory);
  const exact = files.find((entry) => entry.name === wanted);
  if (exact) return exact.name;
  const lower = wanted.toLowerCase();
  return files.find((entry) => entry.name.toLowerCase() === lower)?.name ?? null;
}

export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot).toLowerCase();
}
