import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * better-sqlite3 is a native module, and Electron's ABI differs from Node's. The postinstall
 * step builds an Electron copy beside the Node one (tools/postinstall.mjs); under Electron we
 * load that copy so that the CLI and tests keep working with the ordinary build.
 */
function nativeBinding(): string | undefined {
  if (!process.versions.electron) return undefined;
  const packageDir = dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
  const electronBuild = join(packageDir, 'build', 'electron', 'better_sqlite3.node');
  return existsSync(electronBuild) ? electronBuild : undefined;
}

export function openSqlite(path: string, options: { mustExist: boolean; readonly?: boolean }): Database.Database {
  return new Database(path, { fileMustExist: options.mustExist, readonly: options.readonly ?? false, nativeBinding: nativeBinding() });
}

export type Sqlite = Database.Database;
