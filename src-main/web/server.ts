import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { eventNames } from '../../src-preload/contract.js';
import { messageOf, toWireError } from '../errors.js';
import type { BrinkService } from '../service/service.js';
import { readKeptFile } from '../service/kept-file.js';
import { attachmentHeader, inlineHeader, type Downloads } from './downloads.js';
import type { FileViews } from './file-views.js';
import { RequestGuard } from './request-guard.js';
import { staticFile } from './static-files.js';

export interface WebServerOptions {
  service: BrinkService;
  rendererDir: string;
  stagingDir: string;
  /** Exports waiting for the browser (the web host's saveFile); without it there is no /download route. */
  downloads?: Downloads;
  /** Kept files opened for reading (the web host's openFile); without it there is no /view route. */
  views?: FileViews;
  port: number;
  /** Fixed only by tests; otherwise random per launch. */
  token?: string;
  /** The largest uploaded file; smaller only in tests. */
  maxUploadBytes?: number;
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MAX_UPLOAD_BYTES = 2 ** 31 - 1;
/** A contract call's JSON; file.save's base64 payload is the largest. */
const MAX_MESSAGE_BYTES = 16 << 20;

/** `brink serve`: the renderer and the contract over HTTP + WebSocket on loopback only. */
export async function startWebServer(options: WebServerOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('hex');
  const log = options.log ?? (() => {});
  const maxUploadBytes = options.maxUploadBytes ?? MAX_UPLOAD_BYTES;
  let port = 0;
  const guard = new RequestGuard(token, () => port);

  const http = createServer((req, res) => {
    handleHttp(req, res).catch((error) => {
      log(`http error: ${messageOf(error)}`);
      if (!res.headersSent) send(res, 500, 'internal error');
    });
  });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // DNS rebinding: a page on another name that resolves to 127.0.0.1 must not reach us.
    if (!guard.hostOk(req)) return send(res, 421, 'wrong host');
    if (!guard.originOk(req, false)) return send(res, 403, 'forbidden');
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (req.method === 'POST' && url.pathname === '/upload') return upload(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed');
    if (url.pathname.startsWith('/download/')) return download(req, res, url);
    if (url.pathname.startsWith('/view/')) return view(req, res, url);
    if (!guard.pageTokenOk(req, url)) return send(res, 403, 'open the address that `brink serve` printed, with its token');
    const file = await staticFile(options.rendererDir, url.pathname);
    if (!file) return send(res, 404, 'not found');
    res.writeHead(200, {
      'set-cookie': guard.setCookieHeader(),
      'content-type': file.type,
      'content-security-policy': contentSecurityPolicy(port),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  }

  async function upload(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!guard.originOk(req, true) || !guard.tokenOk(header(req, 'x-brink-token'))) return send(res, 403, 'forbidden');
    const uploadId = header(req, 'x-brink-upload') ?? '';
    const relative = safeRelativePath(decodeURIComponentSafe(header(req, 'x-brink-path') ?? ''));
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(uploadId) || !relative) return send(res, 400, 'bad upload');
    const tooLarge = `file too large: the limit is ${maxUploadBytes} bytes`;
    if (Number(req.headers['content-length'] ?? 0) > maxUploadBytes) return send(res, 413, tooLarge);
    const target = join(options.stagingDir, uploadId, ...relative);
    await mkdir(dirname(target), { recursive: true });
    try {
      // 'wx': a second upload of the same path, or a link planted there, is refused rather than followed.
      await pipeline(req, byteLimit(maxUploadBytes), createWriteStream(target, { flags: 'wx' }));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') await rm(target, { force: true });
      if (error instanceof UploadTooLarge) return send(res, 413, tooLarge);
      if (code === 'EEXIST') return send(res, 409, 'that file was already uploaded');
      throw error;
    }
    send(res, 200, 'ok');
  }

  /** An export, fetched once by the page that asked for it (a link click sends no Origin, so the token and the ticket decide). */
  async function download(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!guard.tokenOk(url.searchParams.get('token'))) return send(res, 403, 'forbidden');
    if (req.method !== 'GET') return send(res, 405, 'method not allowed');
    const file = options.downloads?.take(url.pathname.slice('/download/'.length)) ?? null;
    if (!file) return send(res, 404, 'this download has expired or was already fetched; export the file again');
    try {
      const { size } = await stat(file.path);
      res.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': size,
        'content-disposition': attachmentHeader(file.name),
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-store',
      });
      await pipeline(createReadStream(file.path), res);
    } finally {
      await options.downloads?.remove(file);
    }
  }

  /**
   * A kept file shown inline in a tab opened by the page (which sends no Origin, so the token and the
   * ticket decide), as often as the viewer fetches it while the ticket lives, and only as long as its
   * bytes still hash as recorded.
   */
  async function view(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!guard.tokenOk(url.searchParams.get('token'))) return send(res, 403, 'forbidden');
    if (req.method !== 'GET') return send(res, 405, 'method not allowed');
    const [ticket, name] = splitOnce(url.pathname.slice('/view/'.length), '/');
    const file = options.views?.get(ticket, decodeURIComponentSafe(name)) ?? null;
    if (!file) return send(res, 404, 'this view has expired; open the report again from Brink');
    const reading = await readKeptFile(file.path, file.sha256);
    if (reading.state === 'missing') return send(res, 404, `${file.name} has been moved or deleted since it was opened; re-export it from Brink`);
    if (reading.state === 'changed') return send(res, 409, `${file.name} has changed since it was opened and is no longer the recorded file; re-export it from Brink`);
    res.writeHead(200, {
      'content-type': file.mediaType,
      'content-length': reading.bytes.length,
      'content-disposition': inlineHeader(file.name),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    res.end(reading.bytes);
  }

  // Every message arrives on a socket whose upgrade carried the token: a socket without it never opens.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    if (!guard.hostOk(req) || !guard.originOk(req, true) || url.pathname !== '/api' || !guard.tokenOk(url.searchParams.get('token'))) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => connect(ws));
  });

  function connect(ws: WebSocket): void {
    const unsubscribe = eventNames.map((event) =>
      options.service.events.on(event, (payload) => ws.send(JSON.stringify({ type: 'event', event, payload }))),
    );
    ws.on('close', () => unsubscribe.forEach((off) => off()));
    ws.on('message', (data) => {
      let message: { id?: unknown; method?: unknown; args?: unknown };
      try {
        message = JSON.parse(String(data));
      } catch {
        return;
      }
      const id = message.id;
      if (typeof id !== 'number') return;
      options.service
        .call(message.method, message.args)
        .then((result) => ws.send(JSON.stringify({ type: 'result', id, result })))
        .catch((error: unknown) => ws.send(JSON.stringify({ type: 'error', id, error: toWireError(error, message.method, log) })));
    });
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, '127.0.0.1', () => resolve());
  });
  port = (http.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      // A request still in flight (a client that stopped half-way) would hold the server open until
      // Node's headers timeout, and a stopped `brink serve` with it: every connection ends now.
      http.closeAllConnections();
      await closed;
    },
  };
}

export function contentSecurityPolicy(port: number): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

class UploadTooLarge extends Error {}

/** Counts a body as it streams: a chunked upload declares no length to check beforehand. */
function byteLimit(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      done(seen > max ? new UploadTooLarge() : null, seen > max ? undefined : chunk);
    },
  });
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, ''] : [text.slice(0, at), text.slice(at + separator.length)];
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return '';
  }
}

/** Splits an uploaded file's relative path, refusing anything that could leave the staging folder. */
export function safeRelativePath(path: string): string[] | null {
  const parts = path.split('/');
  if (parts.length === 0 || parts.length > 16) return null;
  for (const part of parts) {
    if (!part || part === '.' || part === '..' || /[\\:\0]/.test(part) || part.length > 255) return null;
  }
  return parts;
}
