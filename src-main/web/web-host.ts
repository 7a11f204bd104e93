import { existsSync, mkdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImportSource } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import type { Host } from '../service/host.js';
import type { Downloads } from './downloads.js';
import type { FileViews } from './file-views.js';

/**
 * The browser host has no native dialogs: new projects go into one projects folder, files
 * arrive as uploads staged in a private temporary folder, exports leave as downloads, and kept
 * files open in a browser tab.
 */
export function webHost(options: { userDataDir: string; projectsDir: string; stagingDir: string; downloads: Downloads; views: FileViews }): Host {
  return {
    kind: 'web',
    userDataDir: options.userDataDir,
    async chooseNewProjectPath(name) {
      mkdirSync(options.projectsDir, { recursive: true });
      const stem = name.replace(/[^\p{L}\p{N} ._-]+/gu, '_').replace(/^\.+/, '').slice(0, 100) || 'project';
      for (let n = 1; ; n++) {
        const path = join(options.projectsDir, n === 1 ? `${stem}.brink` : `${stem} (${n}).brink`);
        if (!existsSync(path)) return path;
      }
    },
    async chooseProjectToOpen() {
      throw new UserError('the browser host cannot browse files: open a recent project, or start `brink serve --project FILE`');
    },
    async resolveSource(source: ImportSource) {
      if (source.kind !== 'upload') throw new UserError('the browser host accepts uploaded files only');
      const dir = join(options.stagingDir, source.uploadId);
      const entries = await readdir(dir).catch(() => null);
      if (!entries || entries.length === 0) throw new UserError('that upload is empty or has expired; add the files again');
      return entries.sort().map((entry) => join(dir, entry));
    },
    saveFile: (suggestedName, write) => options.downloads.add(suggestedName, write),
    openFile: async (file) => options.views.add(file),
  };
}
