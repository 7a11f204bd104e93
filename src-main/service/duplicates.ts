import type { DuplicateImport } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';

type Kind = DuplicateImport['duplicateOf']['kind'];

/**
 * Importing content the project already holds (same SHA-256): refused unless asked for, so that
 * one model does not turn into two that look independent. Carries the existing item, so that a
 * transport can offer it (the GUI opens it; the CLI names its id).
 */
export class DuplicateImportError extends UserError {
  constructor(
    readonly duplicate: DuplicateImport,
  ) {
    super(duplicate.message);
  }
}

/** Throws DuplicateImportError when `existing` is set and duplicates are not allowed. */
export function refuseDuplicate(kind: Kind, existing: { id: string; name: string } | null, fileName: string, allowDuplicate = false): void {
  if (!existing || allowDuplicate) return;
  const what = kind === 'model' ? 'model' : 'dataset';
  const same = kind === 'model' ? 'the same file' : 'the same samples and labels';
  throw new DuplicateImportError({
    duplicateOf: { kind, id: existing.id, name: existing.name },
    fileName,
    message: `${fileName} is already in this project as ${what} “${existing.name}” (${existing.id}, ${same} by SHA-256)`,
  });
}

/** `foo` stays `foo` unless taken; then `foo (2)`, `foo (3)`, ... (case-insensitive, as people read names). */
export function uniqueName(wanted: string, taken: Iterable<string>): string {
  const names = new Set([...taken].map((name) => name.trim().toLowerCase()));
  if (!names.has(wanted.trim().toLowerCase())) return wanted;
  // A name that already ends in "(k)" counts on from its stem: "foo (2)" -> "foo (3)".
  const stem = wanted.replace(/\s*\(\d+\)$/, '');
  for (let k = 2; ; k++) {
    const candidate = `${stem} (${k})`;
    if (!names.has(candidate.toLowerCase())) return candidate;
  }
}

/** Runs an import; a refused duplicate becomes the answer (for the GUI to offer the existing item) instead of an error. */
export async function orDuplicate<T>(work: () => Promise<T>): Promise<T | DuplicateImport> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof DuplicateImportError) return error.duplicate;
    throw error;
  }
}

/** Renaming to a name another item has is refused: names stay unique in a project. */
export function requireFreeName(name: string, others: readonly { name: string }[], noun: 'model' | 'dataset'): void {
  if (others.some((other) => other.name.trim().toLowerCase() === name.trim().toLowerCase())) {
    throw new UserError(`a ${noun} named “${name}” is already in this project; choose another name`);
  }
}
