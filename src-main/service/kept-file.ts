import { readFile } from 'node:fs/promises';
import { sha256 as sha256Of } from '../sha256.js';

/** What a kept file's path holds now: the recorded bytes, nothing, or other bytes (with their SHA-256). */
export type KeptFileReading = { state: 'intact'; bytes: Buffer } | { state: 'missing' } | { state: 'changed'; sha256: string };

/**
 * Reads a file the project keeps, whole, and checks it against its recorded SHA-256, so that what
 * is shown is exactly the bytes checked (a report is a few megabytes).
 */
export async function readKeptFile(path: string, sha256: string): Promise<KeptFileReading> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return { state: 'missing' };
    throw error;
  }
  const found = sha256Of(bytes);
  return found === sha256 ? { state: 'intact', bytes } : { state: 'changed', sha256: found };
}
