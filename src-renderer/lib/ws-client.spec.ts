import { describe, expect, it } from 'vitest';
import { base64url, createWebSocketClient, type ClientEnvironment, type SocketLike } from './ws-client';

class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  sent: { id: number; method: string; args: unknown }[] = [];
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({} as Event);
  }
  close(): void {
    this.readyState = 3;
    this.onclose?.({} as CloseEvent);
  }
  receive(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) } as MessageEvent);
  }
}

function setup(overrides: Partial<ClientEnvironment> = {}) {
  const sockets: FakeSocket[] = [];
  const timers: (() => void)[] = [];
  const uploads: { url: string; headers: Record<string, string>; body: unknown }[] = [];
  const env: ClientEnvironment = {
    host: '127.0.0.1:4799',
    token: 'secret',
    openSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    fetch: async (url, init) => {
      uploads.push({ url, headers: init.headers as Record<string, string>, body: init.body });
      return new Response('ok');
    },
    randomBytes: (n) => new Uint8Array(n).fill(251),
    setTimeout: (callback) => timers.push(callback),
    ...overrides,
  };
  return { client: createWebSocketClient(env), sockets, timers, uploads };
}

describe('createWebSocketClient', () => {
  it('connects to /api with the token and sends calls queued before the socket opened', async () => {
    const { client, sockets } = setup();
    const result = client.invoke('model.list', {});
    expect(sockets[0].url).toBe('ws://127.0.0.1:4799/api?token=secret');
    expect(sockets[0].sent).toEqual([]);
    sockets[0].open();
    expect(sockets[0].sent).toEqual([{ type: 'call', id: 1, method: 'model.list', args: {} }]);
    sockets[0].receive({ type: 'result', id: 1, result: [] });
    await expect(result).resolves.toEqual([]);
  });

  it('rejects with the server error message', async () => {
    const { client, sockets } = setup();
    sockets[0].open();
    const result = client.invoke('project.openDialog', {});
    sockets[0].receive({ type: 'error', id: 1, error: { kind: 'user', message: 'the browser host cannot browse files' } });
    await expect(result).rejects.toThrow('the browser host cannot browse files');
  });

  it('delivers events to listeners until they unsubscribe', () => {
    const { client, sockets } = setup();
    sockets[0].open();
    const seen: unknown[] = [];
    const off = client.on('project.changed', (info) => seen.push(info));
    sockets[0].receive({ type: 'event', event: 'project.changed', payload: null });
    off();
    sockets[0].receive({ type: 'event', event: 'project.changed', payload: null });
    expect(seen).toEqual([null]);
  });

  it('rejects calls in flight when the connection drops, and reconnects', async () => {
    const { client, sockets, timers } = setup();
    sockets[0].open();
    const lost = client.invoke('model.list', {});
    sockets[0].close();
    await expect(lost).rejects.toThrow(/connection to Brink was lost/);
    expect(timers).toHaveLength(1);
    const queued = client.invoke('dataset.list', {});
    timers[0]();
    sockets[1].open();
    expect(sockets[1].sent.map((call) => call.method)).toEqual(['dataset.list']);
    sockets[1].receive({ type: 'result', id: 2, result: [] });
    await expect(queued).resolves.toEqual([]);
  });

  it('says when the server cannot be reached at all', async () => {
    const { client, sockets } = setup();
    const call = client.invoke('app.info', {});
    sockets[0].close();
    await expect(call).rejects.toThrow(/cannot reach Brink at 127\.0\.0\.1:4799/);
  });

  it('refuses to work without the launch token', async () => {
    const { client, sockets } = setup({ token: null });
    expect(sockets).toHaveLength(0);
    await expect(client.invoke('app.info', {})).rejects.toThrow(/address printed by `brink serve`/);
  });

  it('uploads each file with its relative path and returns the upload id', async () => {
    const { client, uploads } = setup();
    const file = new File(['x'], '7.png');
    Object.defineProperty(file, 'webkitRelativePath', { value: 'cats & dogs/dog/7.png' });
    const source = await client.stageFiles([file, new File(['y'], 'labels.txt')]);
    expect(source).toEqual({ kind: 'upload', uploadId: '-_v7-_v7-_v7-_v7' });
    expect(uploads.map((u) => decodeURIComponent(u.headers['x-brink-path']))).toEqual(['cats & dogs/dog/7.png', 'labels.txt']);
    expect(uploads[0]).toMatchObject({ url: '/upload', headers: { 'x-brink-token': 'secret', 'x-brink-upload': '-_v7-_v7-_v7-_v7' } });
  });

  it('names the file when an upload is refused', async () => {
    const { client } = setup({ fetch: async () => new Response('file too large', { status: 413 }) });
    await expect(client.stageFiles([new File(['x'], 'big.npz')])).rejects.toThrow('could not upload big.npz: file too large');
  });
});

describe('base64url', () => {
  it('gives 16 URL-safe characters for 12 bytes', () => {
    const id = base64url(Uint8Array.from({ length: 12 }, (_, i) => i * 21));
    expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });
});
