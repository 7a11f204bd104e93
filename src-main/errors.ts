import type { WireError } from '../src-preload/contract.js';

/**
 * An error whose message is meant for the user: one line saying what failed and on what.
 * Transports show its message as is; any other error is reported as an internal failure.
 */
export class UserError extends Error {
  override name = 'UserError';
}

/** Errors from engine modules and the contract are also user-facing by construction. */
const userFacingNames = new Set([
  'UserError',
  'ContractError',
  'DatasetFormatError',
  'OnnxFormatError',
  'LabelsFormatError',
  'RuntimeProviderError',
  'BatchRunError',
  'GradientError',
]);

/**
 * What the disk or the file refused, in words a user can act on: SQLite's result codes (the
 * extended ones start with the primary, SQLITE_READONLY_DBMOVED) and Node's for plain files.
 * A refused write is rolled back whole, so each says that what was saved before is kept.
 */
const storageProblems: [RegExp, string][] = [
  [/^(SQLITE_FULL|ENOSPC)/, 'the disk is full: free some space and try again (everything saved before is kept)'],
  [/^(SQLITE_READONLY|EROFS)/, 'the project is read-only (its file or folder cannot be written): open a copy to change it'],
  [/^SQLITE_BUSY/, 'the project is busy in another program; try again in a moment'],
];

export function storageProblem(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  return storageProblems.find(([pattern]) => pattern.test(code))?.[1] ?? null;
}

export function isUserFacing(error: unknown): error is Error {
  return (
    error instanceof Error &&
    (error instanceof UserError || userFacingNames.has(error.name) || userFacingNames.has(error.constructor.name) || storageProblem(error) !== null)
  );
}

export function messageOf(error: unknown): string {
  const storage = storageProblem(error);
  if (storage) return storage;
  if (isUserFacing(error)) return error.message.split('\n')[0];
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return `Internal error: ${detail}`;
}

/**
 * A failed call as the renderer receives it, over Electron's IPC and the web host's socket alike:
 * a user-facing error as it is, anything else as internal, with its stack given to `log` (the
 * renderer only ever sees the one-line message).
 */
export function toWireError(error: unknown, method: unknown, log: (line: string) => void): WireError {
  if (isUserFacing(error)) return { kind: 'user', message: messageOf(error) };
  log(`call ${String(method)} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return { kind: 'internal', message: messageOf(error) };
}
