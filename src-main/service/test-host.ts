import { join } from 'node:path';
import type { Host } from './host.js';

/**
 * Test support: a host without dialogs, whose projects go into `root` and whose import sources
 * are plain paths, as the desktop app's are after main has checked them.
 */
export function testHost(root: string): Host {
  return {
    kind: 'web',
    userDataDir: join(root, 'home'),
    chooseNewProjectPath: async (name) => join(root, `${name}.brink`),
    chooseProjectToOpen: async () => null,
    resolveSource: async (source) => (source.kind === 'paths' ? source.paths : []),
  };
}
