import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { nodeSpawner } from '../jobs/node-spawner.js';
import { BrinkService } from '../service/service.js';
import { samplesDir } from '../paths.js';
import type { Host } from '../service/host.js';
import { attachmentHeader, Downloads, inlineHeader } from './downloads.js';
import { FileViews } from './file-views.js';
import { safeRelativePath, startWebServer, type RunningServer } from './server.js';
import { webHost } from './web-host.js';

function http(port: number, path: string, init: { method?: string; headers?: Record<string, string>; body?: Buffer } = {}) {
  return new Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

function socket(server: RunningServer, options: { origin?: string | null; token?: string; host?: string } = {}) {
  const origin = options.origin === null ? undefined : (options.origin ?? `http://127.0.0.1:${server.port}`);
  const headers = options.host ? { host: options.host } : undefined;
  return new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${options.token ?? server.token}`, { origin, headers });
}

function opened(ws: WebSocket): Promise<boolean> {
  return new Promise((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('error', () => resolve(false));
  });
}

function rpc(ws: WebSocket, id: number, method: string, args: unknown = {}) {
  return new Promise<{ result?: unknown; error?: { message: string } }>((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(String(data)) as { type: string; id?: number; result?: unknown; error?: { message: string } };
      if (message.id === id) {
        ws.off('message', onMessage);
        resolve(message);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'call', id, method, args }));
  });
}

describe('brink serve', () => {
  let server: RunningServer;
  let root: string;
  let service: BrinkService;
  let downloadsDir: string;
  let host: Host;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'brink-web-'));
    const rendererDir = join(root, 'renderer');
    mkdirSync(rendererDir);
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Brink</title>');
    writeFileSync(join(root, 'secret.txt'), 'do not serve me');
    symlinkSync(join(root, 'secret.txt'), join(rendererDir, 'link.txt'));
    const stagingDir = join(root, 'staging');
    downloadsDir = join(root, 'downloads');
    const downloads = new Downloads(downloadsDir);
    const views = new FileViews();
    host = webHost({ userDataDir: join(root, 'home'), projectsDir: join(root, 'projects'), stagingDir, downloads, views });
    service = new BrinkService({
      host,
      samplesDir,
      version: 'test',
      spawner: nodeSpawner(),
    });
    server = await startWebServer({ service, rendererDir, stagingDir, downloads, views, port: 0, maxUploadBytes: 1024 });
  });
  afterEach(async () => {
    await server.close();
    service.dispose();
  });

  it('closes at once although a client is half-way through a request (a stopped serve must exit)', async () => {
    const socket = connect(server.port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // Headers begun, never finished: the request stays in flight until Node's headers timeout (a minute).
    socket.write(`GET /?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(2000);
    socket.destroy();
  });

  it('listens on loopback with a long random token in the URL', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/);
  });

  it('listens on the loopback address only', async () => {
    const outward = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && !a.internal && a.family === 'IPv4')
      .map((a) => a!.address);
    for (const address of outward) {
      const reached = await new Promise<boolean>((resolve) => {
        const req = request({ host: address, port: server.port, path: '/' }, () => resolve(true));
        req.on('error', () => resolve(false));
        req.end();
      });
      expect(reached, address).toBe(false);
    }
  });

  it('serves the renderer with a strict CSP, and nothing outside it', async () => {
    const page = await http(server.port, `/?token=${server.token}`, { headers: { host: `127.0.0.1:${server.port}` } });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const cookie = `brink-token-${server.port}=${server.token}`;
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%2e%2e%2fsecret.txt', '/%252e%252e/secret.txt', '/..%5csecret.txt', '/%00', '/link.txt']) {
      expect((await http(server.port, path, { headers: { host: `127.0.0.1:${server.port}`, cookie } })).status, path).toBe(404);
    }
  });

  it('serves the page only with the launch token, then by the cookie its first response sets', async () => {
    const host = { host: `127.0.0.1:${server.port}` };
    expect((await http(server.port, '/', { headers: host })).status).toBe(403);
    expect((await http(server.port, '/index.html?token=wrong', { headers: host })).status).toBe(403);
    const first = await http(server.port, `/?token=${server.token}`, { headers: host });
    expect(first.status).toBe(200);
    const setCookie = String(first.headers['set-cookie']);
    expect(setCookie).toContain(`brink-token-${server.port}=${server.token}`);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = `other=1; brink-token-${server.port}=${server.token}`;
    expect((await http(server.port, '/index.html', { headers: { ...host, cookie } })).status).toBe(200);
    expect((await http(server.port, '/index.html', { headers: { ...host, cookie: `brink-token-${server.port}=${'f'.repeat(48)}` } })).status).toBe(403);
    // Another server on this host gets its own cookie name: a token set for it does not open this one.
    expect((await http(server.port, '/index.html', { headers: { ...host, cookie: `brink-token-1=${server.token}` } })).status).toBe(403);
  });

  it('refuses requests whose Host is not this loopback address and port (DNS rebinding)', async () => {
    const path = `/?token=${server.token}`;
    for (const host of [`evil.example:${server.port}`, `127.0.0.1:${server.port + 1}`, '127.0.0.1', `127.0.0.1.evil.example:${server.port}`]) {
      expect((await http(server.port, path, { headers: { host } })).status, host).toBe(421);
    }
    expect((await http(server.port, path, { headers: { host: `localhost:${server.port}` } })).status).toBe(200);
    expect(await opened(socket(server, { host: `evil.example:${server.port}` }))).toBe(false);
  });

  it('refuses any request from a foreign Origin, even with the token', async () => {
    const headers = { host: `127.0.0.1:${server.port}`, origin: 'http://evil.example' };
    expect((await http(server.port, `/?token=${server.token}`, { headers })).status).toBe(403);
    expect((await http(server.port, `/download/x?token=${server.token}`, { headers })).status).toBe(403);
    expect((await http(server.port, `/?token=${server.token}`, { headers: { ...headers, origin: `http://127.0.0.1:${server.port + 1}` } })).status).toBe(403);
    expect((await http(server.port, `/?token=${server.token}`, { headers: { ...headers, origin: `http://localhost:${server.port}` } })).status).toBe(200);
  });

  it('refuses WebSocket connections with a wrong token or a foreign or missing Origin', async () => {
    expect(await opened(socket(server, { token: 'f'.repeat(48) }))).toBe(false);
    expect(await opened(socket(server, { token: '' }))).toBe(false);
    expect(await opened(socket(server, { origin: 'http://evil.example' }))).toBe(false);
    expect(await opened(socket(server, { origin: null }))).toBe(false);
    const ws = socket(server);
    expect(await opened(ws)).toBe(true);
    ws.close();
  });

  it('carries calls, contract errors and events over the socket', async () => {
    const ws = socket(server);
    await opened(ws);
    const events: string[] = [];
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; event?: string };
      if (message.type === 'event') events.push(message.event!);
    });
    expect((await rpc(ws, 1, 'app.info')).result).toMatchObject({ host: 'web', version: 'test' });
    expect((await rpc(ws, 2, 'model.get', { id: 'nope' })).error?.message).toMatch(/not a Brink id/);
    expect((await rpc(ws, 3, 'project.create', { name: 'Over the wire' })).result).toMatchObject({ name: 'Over the wire' });
    expect(events).toContain('project.changed');
    ws.close();
  });

  it('accepts uploads only with the token and a same-origin request, and never outside the staging folder', async () => {
    const headers = (extra: Record<string, string>) => ({
      host: `127.0.0.1:${server.port}`,
      origin: `http://127.0.0.1:${server.port}`,
      'x-brink-token': server.token,
      'x-brink-upload': 'abcdefgh12345678',
      'x-brink-path': 'data/x.npy',
      ...extra,
    });
    const body = Buffer.from('hello');
    expect((await http(server.port, '/upload', { method: 'POST', headers: headers({}), body })).status).toBe(200);
    expect((await http(server.port, '/upload', { method: 'POST', headers: headers({ 'x-brink-token': 'wrong' }), body })).status).toBe(403);
    expect((await http(server.port, '/upload', { method: 'POST', headers: headers({ origin: 'http://evil.example' }), body })).status).toBe(403);
    expect((await http(server.port, '/upload', { method: 'POST', headers: headers({ 'x-brink-path': '..%2F..%2Fescape.txt' }), body })).status).toBe(400);
    expect((await http(server.port, '/upload', { method: 'POST', headers: headers({ 'x-brink-upload': '../../x1234567' }), body })).status).toBe(400);
    const { origin: _origin, ...withoutOrigin } = headers({});
    expect((await http(server.port, '/upload', { method: 'POST', headers: withoutOrigin, body })).status).toBe(403);
    // The same path twice is refused rather than overwritten.
    expect((await http(server.port, '/upload', { method: 'POST', headers: headers({}), body })).status).toBe(409);
  });

  it('refuses an upload over the size limit, declared or streamed, and keeps none of it', async () => {
    const headers = {
      host: `127.0.0.1:${server.port}`,
      origin: `http://127.0.0.1:${server.port}`,
      'x-brink-token': server.token,
      'x-brink-upload': 'bigbigbig1234567',
    };
    const declared = await http(server.port, '/upload', { method: 'POST', headers: { ...headers, 'x-brink-path': 'a.bin' }, body: Buffer.alloc(2048) });
    expect(declared.status).toBe(413);
    expect(declared.body).toMatch(/limit is 1024 bytes/);
    // Chunked: no length to check up front, so the server counts as the bytes come.
    const streamed = await new Promise<number | string>((resolve) => {
      const req = request({ host: '127.0.0.1', port: server.port, path: '/upload', method: 'POST', headers: { ...headers, 'x-brink-path': 'b.bin', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      for (let i = 0; i < 8; i++) req.write(Buffer.alloc(512));
      req.end();
    });
    expect([413, 'ECONNRESET', 'EPIPE']).toContain(streamed);
    await vi.waitFor(() => expect(existsSync(join(root, 'staging', 'bigbigbig1234567', 'b.bin'))).toBe(false));
    expect(existsSync(join(root, 'staging', 'bigbigbig1234567', 'a.bin'))).toBe(false);
  });

  it('offers a saved file as a one-time download that needs the token, then deletes it', async () => {
    const ws = socket(server);
    await opened(ws);
    const bytes = Buffer.from('index,label\r\n0,1\r\n');
    const saved = (await rpc(ws, 1, 'file.save', { name: 'robust accuracy é.csv', data: bytes.toString('base64') })).result as { kind: string; url: string; name: string };
    ws.close();
    expect(saved).toMatchObject({ kind: 'download', name: 'robust accuracy é.csv' });
    expect(saved.url).toMatch(/^\/download\/[A-Za-z0-9_-]{24}$/);
    const host = { host: `127.0.0.1:${server.port}` };
    expect((await http(server.port, saved.url, { headers: host })).status).toBe(403);
    expect((await http(server.port, saved.url, { headers: { ...host, cookie: `brink-token-${server.port}=${server.token}` } })).status).toBe(403);
    expect((await http(server.port, `${saved.url}?token=${'f'.repeat(48)}`, { headers: host })).status).toBe(403);
    const first = await http(server.port, `${saved.url}?token=${server.token}`, { headers: host });
    expect(first.status).toBe(200);
    expect(first.body).toBe(bytes.toString());
    expect(first.headers['content-disposition']).toBe(attachmentHeader('robust accuracy é.csv'));
    expect(first.headers['content-disposition']).toContain("filename*=UTF-8''robust%20accuracy%20%C3%A9.csv");
    const again = await http(server.port, `${saved.url}?token=${server.token}`, { headers: host });
    expect(again.status).toBe(404);
    expect(again.body).toMatch(/export the file again/);
    // The file goes once it has been sent.
    await vi.waitFor(() => expect(existsSync(downloadsDir) ? readdirSync(downloadsDir) : []).toEqual([]));
  });

  /** A kept report-like file and the view the web host opens on it. */
  async function keptView(name: string) {
    const bytes = '%PDF-1.7\n% a kept report\n%%EOF\n';
    const path = join(root, 'kept.pdf');
    writeFileSync(path, bytes);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const opened = await host.openFile({ path, name, mediaType: 'application/pdf', sha256 });
    if (opened.kind !== 'view') throw new Error(`the web host opened ${opened.kind}`);
    return { bytes, path, url: opened.url };
  }

  it('shows a kept file inline with the token, as often as the viewer fetches it, without copying it', async () => {
    const { bytes, url } = await keptView('audit é.pdf');
    expect(url).toMatch(/^\/view\/[A-Za-z0-9_-]{24}\/audit%20%C3%A9\.pdf$/);
    const host = { host: `127.0.0.1:${server.port}` };
    expect((await http(server.port, url, { headers: host })).status).toBe(403);
    expect((await http(server.port, url, { headers: { ...host, cookie: `brink-token-${server.port}=${server.token}` } })).status).toBe(403);
    expect((await http(server.port, `${url}?token=${'f'.repeat(48)}`, { headers: host })).status).toBe(403);
    expect((await http(server.port, `${url}?token=${server.token}`, { headers: { ...host, origin: 'http://evil.example' } })).status).toBe(403);
    expect((await http(server.port, `${url}?token=${server.token}`, { headers: { host: `evil.example:${server.port}` } })).status).toBe(421);
    for (const method of ['HEAD', 'POST', 'PUT']) expect((await http(server.port, `${url}?token=${server.token}`, { method, headers: host })).status, method).toBe(405);
    // Chromium's PDF viewer fetches the file again to save it: the ticket is not spent by a fetch.
    for (let fetch = 0; fetch < 3; fetch++) {
      const shown = await http(server.port, `${url}?token=${server.token}`, { headers: host });
      expect(shown.status).toBe(200);
      expect(shown.body).toBe(bytes);
      expect(shown.headers['content-type']).toBe('application/pdf');
      expect(shown.headers['content-disposition']).toBe(inlineHeader('audit é.pdf'));
      expect(shown.headers['content-disposition']).toMatch(/^inline; filename="audit _\.pdf"; filename\*=UTF-8''audit%20%C3%A9\.pdf$/);
      expect(shown.headers['x-content-type-options']).toBe('nosniff');
      expect(shown.headers['cache-control']).toBe('no-store');
    }
    expect(existsSync(downloadsDir) ? readdirSync(downloadsDir) : []).toEqual([]);
    const ticket = url.split('/')[2];
    for (const other of [`/view/${'A'.repeat(24)}/audit%20%C3%A9.pdf`, `/view/${ticket}`, `/view/${ticket}/`, `/view/${ticket}/other.pdf`, `/view/${ticket}/%E0%A4%A`]) {
      expect((await http(server.port, `${other}?token=${server.token}`, { headers: host })).status, other).toBe(404);
    }
  });

  it('forgets a view once its lifetime has passed', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    let url: string;
    try {
      ({ url } = await keptView('audit.pdf'));
      vi.advanceTimersByTime(30 * 60_000);
    } finally {
      vi.useRealTimers();
    }
    const expired = await http(server.port, `${url}?token=${server.token}`, { headers: { host: `127.0.0.1:${server.port}` } });
    expect(expired.status).toBe(404);
    expect(expired.body).toMatch(/expired; open the report again/);
  });

  it('refuses a viewed file once it has been deleted, moved or changed, saying so', async () => {
    const { path, url } = await keptView('audit.pdf');
    const address = `${url}?token=${server.token}`;
    const host = { host: `127.0.0.1:${server.port}` };
    writeFileSync(path, '%PDF-1.7\n% another document\n%%EOF\n');
    const changed = await http(server.port, address, { headers: host });
    expect(changed.status).toBe(409);
    expect(changed.body).toMatch(/^audit\.pdf has changed since it was opened and is no longer the recorded file; re-export it/);
    rmSync(path);
    const gone = await http(server.port, address, { headers: host });
    expect(gone.status).toBe(404);
    expect(gone.body).toMatch(/^audit\.pdf has been moved or deleted since it was opened; re-export it/);
  });

  it('refuses file names with folders or without an extension', async () => {
    const ws = socket(server);
    await opened(ws);
    for (const name of ['../x.csv', 'a/b.csv', 'noextension', '.hidden', 'tab\there.csv']) {
      expect((await rpc(ws, 1, 'file.save', { name, data: '' })).error?.message).toMatch(/^file\.save: name: /);
    }
    ws.close();
  });

  it('splits upload paths safely', () => {
    expect(safeRelativePath('mnist/train/a.png')).toEqual(['mnist', 'train', 'a.png']);
    for (const bad of ['', '../x', 'a/../../x', '/abs', 'a//b', 'c:\\x', 'a\\b', 'a/./b']) expect(safeRelativePath(bad)).toBeNull();
  });
});
