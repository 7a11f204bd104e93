import { describe, expect, it, vi } from 'vitest';
import type { SavedFile } from '../../src-preload/contract';
import { base64, fetchPrepared, saveFile, type SaveEnvironment } from './save-file';

function fakeEnvironment(desktop: boolean, answer: SavedFile | null = { kind: 'saved', path: '/home/a/x.csv' }) {
  const clicks: { url: string; name: string }[] = [];
  const invoke = vi.fn(async () => answer);
  const env: SaveEnvironment = {
    desktop,
    invoke: invoke as unknown as SaveEnvironment['invoke'],
    token: 'tok en',
    clickDownload: (url, name) => clicks.push({ url, name }),
    createObjectUrl: () => 'blob:1',
    revokeObjectUrl: () => undefined,
  };
  return { env, clicks, invoke };
}

describe('saving what the page made', () => {
  it('hands the bytes to the desktop app, which asks where and writes them', async () => {
    const { env, clicks, invoke } = fakeEnvironment(true);
    const saved = await saveFile('table.csv', 'a,b\r\n1,2\r\n', 'text/csv', env);
    expect(saved).toEqual({ kind: 'saved', path: '/home/a/x.csv' });
    expect(invoke).toHaveBeenCalledWith('file.save', { name: 'table.csv', data: btoa('a,b\r\n1,2\r\n') });
    expect(clicks).toEqual([]);
  });

  it('passes on a cancelled dialog as null', async () => {
    const { env } = fakeEnvironment(true, null);
    expect(await saveFile('chart.png', new Blob([new Uint8Array([1, 2])]), 'image/png', env)).toBeNull();
  });

  it('downloads in the browser, without a round trip to the host', async () => {
    const { env, clicks, invoke } = fakeEnvironment(false);
    expect(await saveFile('chart.svg', '<svg/>', 'image/svg+xml', env)).toEqual({ kind: 'download', url: 'blob:1', name: 'chart.svg' });
    expect(clicks).toEqual([{ url: 'blob:1', name: 'chart.svg' }]);
    expect(invoke).not.toHaveBeenCalled();
  });

  it('fetches a file the web host prepared with the launch token, and nothing for a file already saved', () => {
    const { env, clicks } = fakeEnvironment(false);
    fetchPrepared({ kind: 'download', url: '/download/abc', name: 'run-results.csv' }, env);
    fetchPrepared({ kind: 'saved', path: '/x.csv' }, env);
    fetchPrepared(null, env);
    expect(clicks).toEqual([{ url: '/download/abc?token=tok%20en', name: 'run-results.csv' }]);
    expect(() => fetchPrepared({ kind: 'download', url: 'https://elsewhere.example/x', name: 'x.csv' }, env)).toThrow(/unexpected address/);
  });

  it('turns any bytes into base64, large ones included', async () => {
    const bytes = Uint8Array.from({ length: 100_000 }, (_, k) => (k * 7) % 256);
    const decoded = atob(await base64(new Blob([bytes])));
    expect(Uint8Array.from(decoded, (c) => c.charCodeAt(0))).toEqual(bytes);
  });
});
