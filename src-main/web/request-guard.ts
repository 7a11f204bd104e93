import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Who may talk to `brink serve`: a request must name this server by its loopback address
 * (DNS rebinding: a foreign name that resolves to 127.0.0.1 is refused), come from no other
 * origin, and carry the launch token.
 */
export class RequestGuard {
  constructor(
    private readonly token: string,
    private readonly port: () => number,
  ) {}

  hostOk(req: IncomingMessage): boolean {
    const port = this.port();
    return [`127.0.0.1:${port}`, `localhost:${port}`].includes(req.headers.host ?? '');
  }

  /** A browser always sends Origin on uploads and WebSockets; elsewhere it may be absent, never foreign. */
  originOk(req: IncomingMessage, required: boolean): boolean {
    const origin = req.headers.origin;
    if (origin === undefined) return !required;
    const port = this.port();
    return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
  }

  tokenOk(candidate: string | null | undefined): boolean {
    if (!candidate) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  /**
   * The page's files: the address printed at launch carries the token, and its response sets it
   * as a cookie so that the page's scripts and styles (which cannot carry a query) are let in too.
   * The cookie's name holds the port because browsers share cookies across a host's ports, as
   * Jupyter's do.
   */
  get cookieName(): string {
    return `brink-token-${this.port()}`;
  }

  pageTokenOk(req: IncomingMessage, url: URL): boolean {
    return this.tokenOk(url.searchParams.get('token')) || this.tokenOk(cookie(req, this.cookieName));
  }

  setCookieHeader(): string {
    return `${this.cookieName}=${this.token}; Path=/; HttpOnly; SameSite=Strict`;
  }
}

function cookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
