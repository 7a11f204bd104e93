import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (or unpacked app) root, for code run from source under plain Node. */
export const appRoot = fileURLToPath(new URL('..', import.meta.url));

export const samplesDir = join(appRoot, 'resources', 'samples');
export const rendererDir = join(appRoot, 'out', 'renderer');

export const appVersion: string = (JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { version: string }).version;

/** BRINK_HOME wins (tests and CI use it to stay out of the user's real settings). */
export function defaultUserDataDir(): string {
  if (process.env.BRINK_HOME) return process.env.BRINK_HOME;
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'brink');
}
