import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { eventNames, type WireError } from '../../src-preload/contract.js';
import { toWireError } from '../errors.js';
import type { BrinkService } from '../service/service.js';
import { isTrustedSender } from './trusted-sender.js';

export type IpcReply = { ok: true; result: unknown } | { ok: false; error: WireError };

/**
 * The whole contract over one channel, VS Code style: the service validates arguments
 * against the contract; here we only make sure the call comes from our own window and page.
 */
export function wireIpc(service: BrinkService, window: () => BrowserWindow | null, trustedOrigin: () => string): void {
  ipcMain.handle('brink:call', async (event: IpcMainInvokeEvent, method: unknown, args: unknown): Promise<IpcReply> => {
    if (!fromTrustedFrame(event, window(), trustedOrigin())) {
      return { ok: false, error: { kind: 'contract', message: 'call refused: unknown sender' } };
    }
    try {
      return { ok: true, result: await service.call(method, args) };
    } catch (error) {
      return { ok: false, error: toWireError(error, method, (line) => console.error(`brink: ${line}`)) };
    }
  });
  for (const name of eventNames) {
    service.events.on(name, (payload) => window()?.webContents.send('brink:event', name, payload));
  }
}

function fromTrustedFrame(event: IpcMainInvokeEvent, win: BrowserWindow | null, origin: string): boolean {
  const frame = event.senderFrame;
  return isTrustedSender(
    { fromAppWindow: win !== null && event.sender === win.webContents, topFrame: frame?.parent === null, frameUrl: frame?.url ?? null },
    origin,
  );
}
