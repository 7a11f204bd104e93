import { describe, expect, it } from 'vitest';
import { LatestRequest } from './latest-request';

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('LatestRequest', () => {
  it('gives the outcome of the newest request and drops one it superseded, whatever order they settle in', async () => {
    const latest = new LatestRequest();
    const first = deferred<string>();
    const second = deferred<string>();
    const a = latest.run(() => first.promise);
    const b = latest.run(() => second.promise);
    second.resolve('new');
    first.resolve('old');
    expect(await a).toBeNull();
    expect(await b).toEqual({ ok: true, value: 'new' });
    expect(latest.busy).toBe(false);
  });

  it('returns a failure as a value, and drops it once superseded', async () => {
    const latest = new LatestRequest();
    expect(await latest.run(() => Promise.reject(new Error('gone')))).toEqual({ ok: false, error: new Error('gone') });
    const slow = deferred<number>();
    const stale = latest.run(() => slow.promise);
    latest.cancel();
    slow.reject(new Error('late'));
    expect(await stale).toBeNull();
  });

  it('is busy while any request is in flight', async () => {
    const latest = new LatestRequest();
    const work = deferred<number>();
    const pending = latest.run(() => work.promise);
    expect(latest.busy).toBe(true);
    work.resolve(1);
    await pending;
    expect(latest.busy).toBe(false);
  });
});
