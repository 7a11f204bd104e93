import { randomBytes } from 'node:crypto';
import type { OpenedFile } from '../../src-preload/contract.js';
import type { KeptFile } from '../service/host.js';

// Long enough to read a report and save it from the viewer, which fetches the file again.
const LIFETIME_MS = 30 * 60_000;

/**
 * Kept files of `brink serve` opened for reading (a report's PDF): the browser shows each inline
 * from /view/<ticket>/<name> (with the launch token), fetching it as often as it likes within the
 * ticket's lifetime (Chromium's PDF viewer fetches again to save), after which the ticket is
 * forgotten. A ticket is 144 random bits. Nothing is copied: the file is read in place at each fetch.
 * The address ends in the file's name because Chromium's viewer takes the name it saves under,
 * and the tab's title until the file has loaded, from the address.
 */
export class FileViews {
  private readonly open = new Map<string, { file: KeptFile; timer: NodeJS.Timeout }>();

  constructor(private readonly lifetimeMs = LIFETIME_MS) {}

  add(file: KeptFile): OpenedFile {
    const ticket = randomBytes(18).toString('base64url');
    const timer = setTimeout(() => this.open.delete(ticket), this.lifetimeMs);
    timer.unref();
    this.open.set(ticket, { file, timer });
    return { kind: 'view', url: `/view/${ticket}/${encodeURIComponent(file.name)}`, name: file.name };
  }

  /** The file of a live ticket, named as its address names it; it stays open for the next fetch. */
  get(ticket: string, name: string): KeptFile | null {
    const file = this.open.get(ticket)?.file;
    return file?.name === name ? file : null;
  }

  close(): void {
    for (const entry of this.open.values()) clearTimeout(entry.timer);
    this.open.clear();
  }
}
