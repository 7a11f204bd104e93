import type { OpenedFile } from '../../src-preload/contract';

/** What showing an opened file needs from the page; tests pass fakes. */
export interface OpenEnvironment {
  /** The web host's launch token, which its /view route asks for. */
  token: string | null;
  /** Opens an address in a new tab that holds no handle on this page. */
  openTab(url: string): void;
}

/**
 * Shows a kept file the host opened: the desktop app's viewer already has it; the web host's
 * view address goes to a new tab with the launch token. Call it as soon as the host answers:
 * the browser lets a page open a tab only within a few seconds of the user's click.
 */
export function showOpened(opened: OpenedFile, env: OpenEnvironment): void {
  if (opened.kind !== 'view') return;
  if (!opened.url.startsWith('/view/')) throw new Error('Brink offered a view at an unexpected address');
  env.openTab(`${opened.url}?token=${encodeURIComponent(env.token ?? '')}`);
}

/** This page's: the token is in the address `brink serve` printed. */
export function pageOpenEnvironment(): OpenEnvironment {
  return {
    token: new URLSearchParams(location.search).get('token'),
    openTab: (url) => window.open(url, '_blank', 'noopener'),
  };
}
