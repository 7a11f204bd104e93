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

export function isUserFacing(error: unknown): error is Error {
  return error instanceof Error && (error instanceof UserError || userFacingNames.has(error.name) || userFacingNames.has(error.constructor.name));
}

export function messageOf(error: unknown): string {
  if (isUserFacing(error)) return error.message.split('\n')[0];
  const detail = error instanceof Error ? error.message.split('\n')[0] : String(error);
  return `Internal error: ${detail}`;
}
