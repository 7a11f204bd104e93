/**
 * A model file that cannot be used, with a one-line message naming the file and the problem.
 * The name is checked by `isUserFacing` (src-main/errors.ts), so transports show the message as is.
 */
export class OnnxFormatError extends Error {
  override name = 'OnnxFormatError';

  constructor(problem: string, fileName?: string) {
    super(fileName ? `${oneLine(fileName, 200)}: ${problem}` : problem);
  }
}

/**
 * Text taken from an untrusted file (names, op types, a text file's first line) goes into
 * one-line messages, so control characters are replaced and the length is capped.
 */
export function oneLine(text: string, maxLength = 80): string {
  // eslint-disable-next-line no-control-regex
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ');
  return flat.length > maxLength ? `${flat.slice(0, maxLength - 1)}…` : flat;
}
