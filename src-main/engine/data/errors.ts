import { basename } from 'node:path';

/** A dataset that cannot be read; the message is one line naming the file and the problem. */
export class DatasetFormatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DatasetFormatError';
  }
}

export function formatError(file: string, problem: string, cause?: unknown): DatasetFormatError {
  return new DatasetFormatError(`${basename(file)}: ${problem}`, cause === undefined ? undefined : { cause });
}

/** The first line of a library error, so that multi-line decoder chatter stays out of one-line messages. */
export function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n', 1)[0].trim();
}
