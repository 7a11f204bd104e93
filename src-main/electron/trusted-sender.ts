/**
 * Scheme and host of a URL ('app://brink', 'http://localhost:5173'), or null. Not `URL.origin`:
 * Node's URL gives schemes it does not know, such as app:, the opaque origin 'null', so every
 * app:// page would compare equal to every other and none to 'app://brink'.
 */
export function schemeAndHost(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.host ? `${parsed.protocol}//${parsed.host}` : null;
  } catch {
    return null;
  }
}

/** What main knows of an IPC message's sender, read off the event (ipc.ts). */
export interface SenderFacts {
  /** The message came from the main window's own webContents. */
  fromAppWindow: boolean;
  /** The top frame of that window sent it, not an iframe in it. */
  topFrame: boolean;
  /** The sending frame's URL; null when the frame is gone. */
  frameUrl: string | null;
}

/** Electron's checklist, item 17: only the app's own page, in its own window's top frame, may call. */
export function isTrustedSender(sender: SenderFacts, trustedOrigin: string): boolean {
  return sender.fromAppWindow && sender.topFrame && sender.frameUrl !== null && schemeAndHost(sender.frameUrl) === trustedOrigin;
}
