import type { BrinkApi, CallName, EventName, Events, ImportSource, WireError } from '../../src-preload/contract';

/** What the client needs from the page; tests pass fakes. */
export interface ClientEnvironment {
  /** e.g. '127.0.0.1:4799' */
  host: string;
  /** The launch token from the page's address (`?token=...`), or null when it is missing. */
  token: string | null;
  openSocket(url: string): SocketLike;
  fetch(url: string, init: RequestInit): Promise<Response>;
  randomBytes(length: number): Uint8Array;
  setTimeout(callback: () => void, ms: number): unknown;
}

/** The part of the browser's WebSocket the client uses. */
export interface SocketLike {
  readyState: number;
  onopen: ((event: Event) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  send(data: string): void;
}

type ServerMessage =
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: WireError }
  | { type: 'event'; event: EventName; payload: unknown };

interface PendingCall {
  resolve(result: unknown): void;
  reject(error: Error): void;
  /** The serialised call, kept until it has been sent. */
  frame: string;
  sent: boolean;
}

const OPEN = 1;
const FIRST_RETRY_MS = 250;
const LAST_RETRY_MS = 5_000;
const PARALLEL_UPLOADS = 4;

/** The browser's half of `brink serve`: contract calls and events over /api, files over POST /upload. */
export function createWebSocketClient(env: ClientEnvironment = browserEnvironment()): BrinkApi {
  const pending = new Map<number, PendingCall>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  let nextId = 1;
  let socket: SocketLike | null = null;
  let everOpened = false;
  let retryMs = FIRST_RETRY_MS;

  function connect(): void {
    const ws = env.openSocket(`ws://${env.host}/api?token=${encodeURIComponent(env.token ?? '')}`);
    socket = ws;
    let opened = false;
    ws.onopen = () => {
      opened = everOpened = true;
      retryMs = FIRST_RETRY_MS;
      for (const call of pending.values()) send(call);
    };
    ws.onmessage = (event) => receive(String(event.data));
    ws.onclose = () => {
      socket = null;
      const reason = opened
        ? 'the connection to Brink was lost; reconnecting, please try again'
        : `cannot reach Brink at ${env.host}; is \`brink serve\` still running?`;
      // Only calls that were sent are lost; queued calls wait for the next connection unless Brink was never reachable.
      for (const [id, call] of pending) {
        if (call.sent || !everOpened) {
          pending.delete(id);
          call.reject(new Error(reason));
        }
      }
      env.setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
    };
  }

  function send(call: PendingCall): void {
    if (call.sent || socket?.readyState !== OPEN) return;
    socket.send(call.frame);
    call.sent = true;
  }

  function receive(data: string): void {
    let message: ServerMessage;
    try {
      message = JSON.parse(data) as ServerMessage;
    } catch {
      return;
    }
    if (message.type === 'event') {
      for (const listener of listeners.get(message.event) ?? []) listener(message.payload);
      return;
    }
    const call = pending.get(message.id);
    if (!call) return;
    pending.delete(message.id);
    if (message.type === 'result') call.resolve(message.result);
    else call.reject(new Error(message.error?.message ?? 'Brink reported an error without a message'));
  }

  async function upload(uploadId: string, file: File): Promise<void> {
    const path = file.webkitRelativePath || file.name;
    let response: Response;
    try {
      response = await env.fetch('/upload', {
        method: 'POST',
        headers: {
          'x-brink-token': env.token ?? '',
          'x-brink-upload': uploadId,
          'x-brink-path': encodeURIComponent(path),
        },
        body: file,
      });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(`could not upload ${path}: Brink did not answer (${detail})`, { cause: error });
    }
    if (!response.ok) {
      const detail = (await response.text().catch(() => '')).trim() || `HTTP ${response.status}`;
      throw new Error(`could not upload ${path}: ${detail}`);
    }
  }

  if (env.token) connect();

  return {
    invoke(method, args) {
      if (!env.token) {
        return Promise.reject(new Error('this page was opened without its access token: use the address printed by `brink serve`'));
      }
      return new Promise((resolve, reject) => {
        const id = nextId++;
        const call: PendingCall = {
          resolve: resolve as (result: unknown) => void,
          reject,
          frame: JSON.stringify({ type: 'call', id, method: method satisfies CallName, args }),
          sent: false,
        };
        pending.set(id, call);
        send(call);
      });
    },

    on<E extends EventName>(event: E, listener: (payload: Events[E]) => void) {
      const set = listeners.get(event) ?? new Set();
      const wrapped = (payload: unknown) => listener(payload as Events[E]);
      set.add(wrapped);
      listeners.set(event, set);
      return () => set.delete(wrapped);
    },

    async stageFiles(files: File[]): Promise<ImportSource> {
      if (files.length === 0) throw new Error('no files were given');
      const uploadId = base64url(env.randomBytes(12));
      const queue = [...files];
      const worker = async () => {
        for (let file = queue.shift(); file; file = queue.shift()) await upload(uploadId, file);
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL_UPLOADS, files.length) }, worker));
      return { kind: 'upload', uploadId };
    },
  };
}

function browserEnvironment(): ClientEnvironment {
  return {
    host: location.host,
    token: new URLSearchParams(location.search).get('token'),
    openSocket: (url) => new WebSocket(url),
    fetch: (url, init) => fetch(url, init),
    randomBytes: (length) => crypto.getRandomValues(new Uint8Array(length)),
    setTimeout: (callback, ms) => setTimeout(callback, ms),
  };
}

/** 12 random bytes become 16 characters of [A-Za-z0-9_-], the shape the server accepts. */
export function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replace(/=+$/, '');
}
