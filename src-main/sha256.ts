import { createHash } from 'node:crypto';

/** The hex SHA-256 that Brink records for models, reports and every file it hashes whole. */
export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}
