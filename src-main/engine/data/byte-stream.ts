import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { formatError, firstLine } from './errors.js';
import { readHead } from './files.js';

export function isGzip(head: Uint8Array): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/**
 * Sequential reads from a file that may be gzipped (decided by its magic, not its name).
 * Streaming lets `limit` stop decompressing early and keeps only one chunk in memory at a time.
 */
export class ByteStream {
  private readonly chunks: AsyncIterator<Buffer>;
  private pending: Uint8Array = new Uint8Array(0);
  private ended = false;

  private constructor(
    private readonly path: string,
    private readonly streams: Readable[],
    readonly compressed: boolean,
  ) {
    this.chunks = streams[streams.length - 1][Symbol.asyncIterator]();
  }

  static async open(path: string): Promise<ByteStream> {
    const gzipped = isGzip(await readHead(path, 2));
    const file = createReadStream(path, { highWaterMark: 1 << 20 });
    if (!gzipped) return new ByteStream(path, [file], false);
    const gunzip = createGunzip({ chunkSize: 1 << 20 });
    // pipeline forwards a read error to gunzip, where the iterator sees it; the callback only silences the early-close case.
    pipeline(file, gunzip, () => {});
    return new ByteStream(path, [file, gunzip], true);
  }

  /** Fills `target`; returns how many bytes it got, fewer than asked only at the end of the data. */
  async readInto(target: Uint8Array): Promise<number> {
    let filled = 0;
    while (filled < target.length) {
      if (this.pending.length === 0 && !(await this.pull())) break;
      const take = Math.min(this.pending.length, target.length - filled);
      target.set(this.pending.subarray(0, take), filled);
      this.pending = this.pending.subarray(take);
      filled += take;
    }
    return filled;
  }

  async read(length: number): Promise<Uint8Array> {
    const buffer = new Uint8Array(length);
    return buffer.subarray(0, await this.readInto(buffer));
  }

  close(): void {
    for (const stream of this.streams) stream.destroy();
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    try {
      const next = await this.chunks.next();
      if (next.done) {
        this.ended = true;
        return false;
      }
      this.pending = next.value;
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code?.startsWith('Z_')) {
        throw formatError(this.path, `corrupt or truncated gzip data (${firstLine(error)})`, error);
      }
      throw error;
    }
  }
}
