import type { BrinkApi, SavedFile } from '../../src-preload/contract';

/** What saving needs from the page; tests pass fakes. */
export interface SaveEnvironment {
  /** The desktop app: files go to main, which asks where to save them. */
  desktop: boolean;
  invoke: BrinkApi['invoke'];
  /** The web host's launch token, which its /download route asks for. */
  token: string | null;
  /** Hands a URL to the browser's downloads, under a file name. */
  clickDownload(url: string, name: string): void;
  createObjectUrl(blob: Blob): string;
  revokeObjectUrl(url: string): void;
}

/**
 * Saves what the page made (a chart, a table, an image): in the desktop app through main's save
 * dialog, written by main; in the browser as a download of the bytes the page already holds.
 * Resolves to where the file went, or null when the user cancelled the dialog.
 */
export async function saveFile(name: string, content: Blob | string, mime: string, env: SaveEnvironment): Promise<SavedFile | null> {
  const blob = typeof content === 'string' ? new Blob([content], { type: mime }) : content;
  if (env.desktop) return env.invoke('file.save', { name, data: await base64(blob) });
  const url = env.createObjectUrl(blob);
  env.clickDownload(url, name);
  // The download has read the blob once the click has been handled.
  setTimeout(() => env.revokeObjectUrl(url), 1000);
  return { kind: 'download', url, name };
}

/** Fetches a file the host prepared (the web host's one-time /download URL) as a download; a saved file needs nothing more. */
export function fetchPrepared(saved: SavedFile | null, env: SaveEnvironment): void {
  if (saved?.kind !== 'download') return;
  if (!saved.url.startsWith('/download/')) throw new Error('Brink offered a download at an unexpected address');
  env.clickDownload(`${saved.url}?token=${encodeURIComponent(env.token ?? '')}`, saved.name);
}

/** A Blob as base64, the way file.save carries bytes over every transport. */
export async function base64(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let text = '';
  // In slices: String.fromCharCode takes its characters as arguments, and arguments are limited.
  for (let k = 0; k < bytes.length; k += 0x8000) text += String.fromCharCode(...bytes.subarray(k, k + 0x8000));
  return btoa(text);
}

/** This page's: the preload bridge means the desktop app; the token is in the address `brink serve` printed. */
export function pageEnvironment(invoke: BrinkApi['invoke']): SaveEnvironment {
  return {
    desktop: window.brink !== undefined,
    invoke,
    token: new URLSearchParams(location.search).get('token'),
    clickDownload,
    createObjectUrl: (blob) => URL.createObjectURL(blob),
    revokeObjectUrl: (url) => URL.revokeObjectURL(url),
  };
}

/** A click on a hidden <a download>, which every browser turns into a download. */
function clickDownload(url: string, name: string): void {
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
}
