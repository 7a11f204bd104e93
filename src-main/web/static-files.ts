import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

/** Resolves a URL path inside `root`, or null when it would escape it or does not exist. */
export async function staticFile(root: string, urlPath: string): Promise<{ body: Buffer; type: string } | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const relative = decoded === '/' ? 'index.html' : decoded.replace(/^\/+/, '');
  if (!inside(root, normalize(join(root, relative)))) return null;
  // A link inside the folder may point out of it: what counts is where the file really is.
  const [realRoot, path] = await Promise.all([realpath(root).catch(() => null), realpath(join(root, relative)).catch(() => null)]);
  if (!realRoot || !path || !inside(realRoot, path)) return null;
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) return null;
  return { body: await readFile(path), type: types[extname(path)] ?? 'application/octet-stream' };
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}
