export interface Toast {
  id: number;
  kind: 'error' | 'success';
  /** One line a user can read; the toast's text is exactly this. */
  message: string;
  /** What was being attempted, shown above the message. */
  title?: string;
  /** When it appeared (ms since epoch). */
  shownAt: number;
}

const SUCCESS_MS = 4_000;
const ERROR_MS = 12_000;
const MAX_VISIBLE = 4;
/** A toast this young belongs to the action that led to a new page, and stays on it. */
const FRESH_MS = 1_500;

class ToastStore {
  items = $state.raw<Toast[]>([]);
  #nextId = 1;

  success(message: string): void {
    this.#show({ kind: 'success', message }, SUCCESS_MS);
  }

  error(message: string, title?: string): void {
    this.#show({ kind: 'error', message, title }, ERROR_MS);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((toast) => toast.id !== id);
  }

  /** On a new page: toasts about earlier pages' actions go; one that the move itself brought stays. */
  clearEarlier(now = Date.now()): void {
    if (this.items.some((toast) => now - toast.shownAt >= FRESH_MS)) this.items = this.items.filter((toast) => now - toast.shownAt < FRESH_MS);
  }

  #show(toast: Omit<Toast, 'id' | 'shownAt'>, lifetimeMs: number): void {
    const id = this.#nextId++;
    this.items = [...this.items, { id, ...toast, shownAt: Date.now() }].slice(-MAX_VISIBLE);
    setTimeout(() => this.dismiss(id), lifetimeMs);
  }
}

export const toasts = new ToastStore();
