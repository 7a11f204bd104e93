export interface Toast {
  id: number;
  kind: 'error' | 'success';
  /** One line a user can read; the toast's text is exactly this. */
  message: string;
  /** What was being attempted, shown above the message. */
  title?: string;
}

const SUCCESS_MS = 4_000;
const ERROR_MS = 12_000;
const MAX_VISIBLE = 4;

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

  #show(toast: Omit<Toast, 'id'>, lifetimeMs: number): void {
    const id = this.#nextId++;
    this.items = [...this.items, { id, ...toast }].slice(-MAX_VISIBLE);
    setTimeout(() => this.dismiss(id), lifetimeMs);
  }
}

export const toasts = new ToastStore();
