import { randomBytes } from 'node:crypto';
import type { OpenedFile } from '../../src-preload/contract.js';
import type { KeptFile } from '../service/host.js';

// Long enough to read a report and save it from the viewer, which fetches the file again.
const LIFETIME_MS = 30 * 60_000;

/**
 * Kept files of `brink serve` opened for reading (a report's PDF): the browser shows each inline
 * from /view/<ticket> (with the launch token), fetching it as often as it likes within the
 * ticket's lifetime (Chromium's PDF viewer fetches again to save), after which the ticket is
 * forgotten. A ticket is 144 random bits. Nothing is copied: the file is read in place at each fetch.
 */
export class FileViews {
  private readonly open = new Map<string, { file: KeptFile; timer: NodeJS.Timeout }>();

  constructor(private readonly lifetimeMs = LIFETIME_MS) {}

  add(file: KeptFile): OpenedFile {
    const ticket = randomBytes(18).toString('base64url');
    const timer = setTimeout(() => this.open.delete(ticket), this.lifetimeMs);
    timer.unref();
    this.open.set(ticket, { file, timer });
    return { kind: 'view', url: `/view/${ticket}`, name: file.name };
  }

  /** The file of a live ticket; it stays open for the next fetch. */
  get(ticket: string): KeptFile | null {
    return this.open.get(ticket)?.file ?? null;
  }

  close(): void {
    for (const entry of this.open.values()) clearTimeout(entry.timer);
    this.open.clear();
  }
}
