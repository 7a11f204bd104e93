import { protocol, session, type WebContents } from 'electron';
import { staticFile } from '../web/static-files.js';
import { schemeAndHost } from './trusted-sender.js';

export const APP_ORIGIN = 'app://brink';

export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

/** Serves the built renderer from app://brink/…; anything outside its folder is a 404. */
export function serveRenderer(rendererDir: string): void {
  protocol.handle('app', async (request) => {
    const url = new URL(request.url);
    if (url.host !== 'brink') return new Response('not found', { status: 404 });
    const file = await staticFile(rendererDir, url.pathname);
    if (!file) return new Response('not found', { status: 404 });
    return new Response(new Uint8Array(file.body), {
      headers: { 'content-type': file.type, 'content-security-policy': contentSecurityPolicy, 'x-content-type-options': 'nosniff' },
    });
  });
}

/** No navigation away, no new windows, no permissions (camera, notifications, …). */
export function lockDown(contents: WebContents, allowedOrigin: string): void {
  contents.on('will-navigate', (event, url) => {
    if (schemeAndHost(url) !== allowedOrigin) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (schemeAndHost(url) !== allowedOrigin) event.preventDefault();
  });
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/**
 * The policy on every response the session loads, not only those of app:// (which sends it
 * itself): anything else that ever reaches the window gets it too. Not in development, where
 * the dev server's hot reload needs more.
 */
export function enforceContentSecurityPolicy(): void {
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({
      // Electronegativity evaluates literal policies only; this one is contentSecurityPolicy above (docs/SECURITY.md).
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [contentSecurityPolicy] }, // eng-disable CSP_GLOBAL_CHECK
    });
  });
}

export function denyAllPermissions(): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
}
