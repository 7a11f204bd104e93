import type { RunProgress } from '../../src-preload/contract.js';

/** What the bar draws: a run's progress, or a training's epochs. */
export type BarProgress = Pick<RunProgress, 'stage' | 'done' | 'total' | 'samplesPerSecond' | 'etaSeconds' | 'provider'>;

/** A progress bar on stderr: redrawn in place on a terminal, one line per 10% otherwise (logs, CI). */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): { update(p: BarProgress): void; end(): void } {
  let lastDecile = -1;
  let drawn = false;
  return {
    update(p) {
      const fraction = p.total > 0 ? p.done / p.total : 1;
      const rate = p.samplesPerSecond ? `${p.samplesPerSecond.toFixed(0)} samples/s` : '';
      const eta = p.etaSeconds !== null && p.done < p.total ? `ETA ${formatSeconds(p.etaSeconds)}` : '';
      const text = `${p.stage} ${p.done}/${p.total} ${(fraction * 100).toFixed(0)}% ${rate} ${eta} ${p.provider ?? ''}`.replace(/\s+/g, ' ').trim();
      if (stream.isTTY) {
        const width = 24;
        const filled = Math.round(fraction * width);
        stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}\x1b[K`);
        drawn = true;
      } else {
        const decile = Math.floor(fraction * 10);
        if (decile !== lastDecile) {
          lastDecile = decile;
          stream.write(`${text}\n`);
        }
      }
    },
    end() {
      if (drawn) stream.write('\n');
    },
  };
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
