import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The Electron binary the electron package installed; null where it was installed without it (ELECTRON_SKIP_BINARY_DOWNLOAD). */
export function electronBinary(): string | null {
  try {
    const path = createRequire(import.meta.url)('electron') as unknown as string;
    return existsSync(path) ? path : null;
  } catch {
    return null;
  }
}
