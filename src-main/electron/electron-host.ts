import { dialog, shell, type BrowserWindow } from 'electron';
import { lstat, realpath, rm } from 'node:fs/promises';
import { extname, isAbsolute, join } from 'node:path';
import type { ImportSource } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import type { Host } from '../service/host.js';

/** Native dialogs for projects and exports, the system's viewer for kept files; dropped or picked files arrive as paths, which are re-checked here. */
export function electronHost(options: { userDataDir: string; documentsDir: string; downloadsDir: string; window: () => BrowserWindow | null }): Host {
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
    // Main writes the file itself: the page never names a path, it only hands over what to write.
    async saveFile(suggestedName, write) {
      const win = options.window();
      const extension = extname(suggestedName).slice(1).toLowerCase();
      const dialogOptions = {
        title: 'Save',
        defaultPath: join(options.downloadsDir, suggestedName),
        filters: [{ name: `${extension.toUpperCase()} file`, extensions: [extension] }],
      };
      const result = win ? await dialog.showSaveDialog(win, dialogOptions) : await dialog.showSaveDialog(dialogOptions);
      if (result.canceled || !result.filePath) return null;
      const path = extname(result.filePath) ? result.filePath : `${result.filePath}.${extension}`;
      try {
        await write(path);
      } catch (error) {
        // Never leave half a file where the user asked for a whole one.
        await rm(path, { force: true }).catch(() => undefined);
        throw error;
      }
      return { kind: 'saved', path };
    },
    // The service has checked the file's hash; the system's default viewer for its type reads it in place.
    async openFile(file) {
      const failure = await shell.openPath(file.path);
      if (failure) throw new UserError(`could not open ${file.path}: ${failure}`);
      return { kind: 'opened', path: file.path };
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
