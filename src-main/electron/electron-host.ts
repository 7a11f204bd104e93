import { dialog, type BrowserWindow } from 'electron';
import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { ImportSource } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import type { Host } from '../service/host.js';

/** Native dialogs for projects; dropped or picked files arrive as paths, which are re-checked here. */
export function electronHost(options: { userDataDir: string; documentsDir: string; window: () => BrowserWindow | null }): Host {
  return {
    kind: 'electron',
    userDataDir: options.userDataDir,
    async chooseNewProjectPath(name) {
      const win = options.window();
      const dialogOptions = {
        title: 'Create Brink project',
        defaultPath: join(options.documentsDir, `${name}.brink`),
        filters: [{ name: 'Brink project', extensions: ['brink'] }],
      };
      const result = win ? await dialog.showSaveDialog(win, dialogOptions) : await dialog.showSaveDialog(dialogOptions);
      if (result.canceled || !result.filePath) return null;
      return result.filePath.endsWith('.brink') ? result.filePath : `${result.filePath}.brink`;
    },
    async chooseProjectToOpen() {
      const win = options.window();
      const dialogOptions = {
        title: 'Open Brink project',
        properties: ['openFile' as const],
        filters: [{ name: 'Brink project', extensions: ['brink'] }],
      };
      const result = win ? await dialog.showOpenDialog(win, dialogOptions) : await dialog.showOpenDialog(dialogOptions);
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    async resolveSource(source: ImportSource) {
      if (source.kind !== 'paths') throw new UserError('the desktop app imports dropped or chosen files only');
      return Promise.all(source.paths.map(checkDroppedPath));
    },
  };
}

/** The renderer is untrusted: accept only absolute paths to existing regular files or folders. */
async function checkDroppedPath(path: string): Promise<string> {
  if (!path || !isAbsolute(path)) throw new UserError('that item is not a file on this computer');
  const info = await lstat(path).catch(() => null);
  if (!info) throw new UserError(`${path}: no such file or folder`);
  const real = await realpath(path);
  const target = info.isSymbolicLink() ? await lstat(real) : info;
  if (!target.isFile() && !target.isDirectory()) throw new UserError(`${path}: not a regular file or folder`);
  return real;
}
