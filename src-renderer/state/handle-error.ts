import { toasts } from './toasts.svelte';

/** The one place errors end: logged for the developer, shown as a toast for the user. */
export function handleError(error: unknown, message?: string): void {
  console.error(message ?? 'Brink:', error);
  toasts.error(errorMessage(error), message);
}

/** The readable line of an error, whatever was thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return firstLine(error.message);
  if (typeof error === 'string' && error) return firstLine(error);
  return 'something went wrong; see the developer console for details';
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}
