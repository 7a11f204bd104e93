import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { SavedFile } from '../../src-preload/contract.js';

/** A file waiting for the browser to fetch it. */
export interface PendingDownload {
  path: string;
  /** The name the browser saves it under. */
  name: string;
}

const LIFETIME_MS = 10 * 60_000;

/**
 * Exports of `brink serve`: the service writes each into a private folder, and the browser
 * fetches it once from /download/<ticket> (with the launch token). A ticket is 144 random bits,
 * served once, and forgotten after ten minutes if never fetched.
 */
export class Downloads {
  private readonly pending = new Map<string, PendingDownload & { timer: NodeJS.Timeout }>();

  constructor(
    private readonly dir: string,
    private readonly lifetimeMs = LIFETIME_MS,
  ) {}

  /** Has `write` fill a new file and returns where the browser fetches it. */
  async add(name: string, write: (path: string) => Promise<unknown>): Promise<SavedFile> {
    const ticket = randomBytes(18).toString('base64url');
    const folder = join(this.dir, ticket);
    await mkdir(folder, { recursive: true });
    const path = join(folder, 'file');
    try {
      await write(path);
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      throw error;
    }
    const timer = setTimeout(() => void this.drop(ticket), this.lifetimeMs);
    timer.unref();
    this.pending.set(ticket, { path, name, timer });
    return { kind: 'download', url: `/download/${ticket}`, name };
  }

  /** The file of a ticket, taken: a second request for it finds nothing. The caller drops it once sent. */
  take(ticket: string): PendingDownload | null {
    const entry = this.pending.get(ticket);
    if (!entry) return null;
    clearTimeout(entry.timer);
    this.pending.delete(ticket);
    return { path: entry.path, name: entry.name };
  }

  /** Deletes a taken file once it has been sent. */
  async remove(file: PendingDownload): Promise<void> {
    await rm(dirname(file.path), { recursive: true, force: true });
  }

  async close(): Promise<void> {
    for (const entry of this.pending.values()) clearTimeout(entry.timer);
    this.pending.clear();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async drop(ticket: string): Promise<void> {
    const file = this.take(ticket);
    if (file) await this.remove(file);
  }
}

/** Content-Disposition for a download, for a name with any characters. */
export function attachmentHeader(name: string): string {
  return dispositionHeader('attachment', name);
}

/** Content-Disposition for a file the browser shows (and saves under `name` when asked). */
export function inlineHeader(name: string): string {
  return dispositionHeader('inline', name);
}

/** An ASCII fallback and the RFC 5987 UTF-8 form of the name. */
function dispositionHeader(disposition: 'attachment' | 'inline', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
