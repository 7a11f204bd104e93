import { contextBridge, ipcRenderer, webUtils } from 'electron';
import type { BrinkApi, EventName, Events, ImportSource } from './contract';

type IpcReply = { ok: true; result: unknown } | { ok: false; error: { kind: string; message: string } };

/**
 * The only surface the page gets: the contract's calls, its events, and File -> path for
 * drops (the page itself never sees paths it could forge; main checks them again).
 */
const api: BrinkApi = {
  async invoke(method, args) {
    const reply = (await ipcRenderer.invoke('brink:call', method, args)) as IpcReply;
    if (!reply.ok) throw new Error(reply.error.message);
    return reply.result as never;
  },
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void) {
    const handler = (_: unknown, name: EventName, payload: Events[E]) => {
      if (name === event) listener(payload);
    };
    ipcRenderer.on('brink:event', handler);
    return () => {
      ipcRenderer.removeListener('brink:event', handler);
    };
  },
  async stageFiles(files: File[]): Promise<ImportSource> {
    const paths = new Set<string>();
    for (const file of files) {
      const path = webUtils.getPathForFile(file);
      if (path) paths.add(folderPickRoot(path, file.webkitRelativePath) ?? path);
    }
    if (paths.size === 0) throw new Error('these items are not files on this computer');
    return { kind: 'paths', paths: [...paths] };
  },
};

/** A folder picker yields every file in it; the import wants the folder, which is the path minus the relative part. */
function folderPickRoot(path: string, relativePath: string): string | null {
  if (!relativePath) return null;
  const rel = relativePath.split('/');
  const parts = path.split(/[\\/]/);
  if (parts.length <= rel.length) return null;
  const separator = path.includes('\\') && !path.includes('/') ? '\\' : '/';
  return parts.slice(0, parts.length - rel.length + 1).join(separator);
}

contextBridge.exposeInMainWorld('brink', api);
