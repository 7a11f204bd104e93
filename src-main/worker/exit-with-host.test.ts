import { fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'brink-exit-with-host-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A forked process busy for a minute (a timer keeps it alive, as a job's work does) after loading `imports`. */
function busyChild(imports: string) {
  const script = join(dir, `busy-${Math.random().toString(36).slice(2)}.mts`);
  writeFileSync(script, `${imports}\nsetTimeout(() => {}, 60_000);\nprocess.send!('ready');\n`);
  const child = fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = new Promise<void>((resolve) => child.once('message', () => resolve()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, exited };
}

const within = <T>(ms: number, promise: Promise<T>) =>
  Promise.race([promise, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), ms))]);

describe('a worker whose host is gone', () => {
  it('leaves when its IPC channel closes, busy or not', { timeout: 30_000 }, async () => {
    const worker = busyChild(`import '${fileURLToPath(new URL('./exit-with-host.ts', import.meta.url))}';`);
    await worker.ready;
    worker.child.disconnect(); // what the kernel does to the channel when the host dies
    expect(await within(5000, worker.exited)).toBe(0);
  });

  it('would otherwise work on (the control: the same busy process without it)', { timeout: 30_000 }, async () => {
    const control = busyChild('');
    await control.ready;
    control.child.disconnect();
    expect(await within(1500, control.exited)).toBe('still running');
    control.child.kill('SIGKILL');
  });
});
