import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Host } from './host.js';

/**
 * Test support: a host without dialogs, whose projects go into `root`, whose import sources
 * are plain paths (as the desktop app's are after main has checked them), and whose saved files
 * go into `root/saved` under their suggested names, as if the user accepted the save dialog, and
 * whose opened files are only reported as opened.
 */
export function testHost(root: string): Host {
  return {
    kind: 'web',
    userDataDir: join(root, 'home'),
    chooseNewProjectPath: async (name) => join(root, `${name}.brink`),
    chooseProjectToOpen: async () => null,
    resolveSource: async (source) => (source.kind === 'paths' ? source.paths : []),
    saveFile: async (suggestedName, write) => {
      const dir = join(root, 'saved');
      mkdirSync(dir, { recursive: true });
      const path = join(dir, suggestedName);
      await write(path);
      return { kind: 'saved', path };
    },
    openFile: async (file) => ({ kind: 'opened', path: file.path }),
  };
}
