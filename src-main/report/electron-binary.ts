/**
 * The Electron binary that prints reports for the CLI and the web host, so that they print with
 * the app's own Chromium: BRINK_ELECTRON when set, else the one the `electron` package downloaded
 * at install (absent where ELECTRON_SKIP_BINARY_DOWNLOAD was set), with the app's print script
 * from the build (out/main/print.js).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { appRoot } from '../paths.js';

export interface ElectronPrintProgram {
  binary: string;
  /** The Electron main script that prints (src-main/electron/print-main.ts, built). */
  script: string;
}

export type ElectronLookup = { found: ElectronPrintProgram } | { missing: string };

export interface ElectronLookupDeps {
  env: NodeJS.ProcessEnv;
  exists: (path: string) => boolean;
  /** The binary the `electron` package points to (its path.txt), null when the package has none. */
  packageBinary: () => string | null;
  script: string;
}

function electronPackageBinary(): string | null {
  try {
    // Under Node the electron package exports its binary's path (honouring ELECTRON_OVERRIDE_DIST_PATH), and throws when installed without it.
    const path: unknown = createRequire(import.meta.url)('electron');
    return typeof path === 'string' ? path : null;
  } catch {
    return null;
  }
}

const defaultDeps: ElectronLookupDeps = {
  env: process.env,
  exists: existsSync,
  packageBinary: electronPackageBinary,
  script: join(appRoot, 'out', 'main', 'print.js'),
};

export function findElectron(deps: Partial<ElectronLookupDeps> = {}): ElectronLookup {
  const { env, exists, packageBinary, script } = { ...defaultDeps, ...deps };
  const named = env.BRINK_ELECTRON;
  if (named && !exists(named)) throw new UserError(`BRINK_ELECTRON names ${named}, which does not exist`);
  const binary = named || packageBinary();
  if (!binary || !exists(binary)) return { missing: 'no Electron binary (the electron package was installed without it, e.g. with ELECTRON_SKIP_BINARY_DOWNLOAD)' };
  if (!exists(script)) return { missing: `the app is not built (${script} is missing: run npm run build)` };
  return { found: { binary, script } };
}
