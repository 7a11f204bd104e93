// Builds the Electron copy of better-sqlite3 (its only ABI-specific native module; sharp and
// onnxruntime-node use Node-API and load in both). The Node build stays where it is, so the
// CLI, `brink serve` and the tests keep working; the app picks the Electron copy at run time.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const say = (line) => console.log(`brink postinstall: ${line}`);

function electronBinaryPresent() {
  try {
    return existsSync(require('electron'));
  } catch {
    return false;
  }
}

if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD || !electronBinaryPresent()) {
  say('skipped the Electron build of better-sqlite3: no Electron binary here (ELECTRON_SKIP_BINARY_DOWNLOAD).');
  say('The CLI, `npm run serve` and the tests use the Node build; `npm start` needs a normal install.');
  process.exit(0);
}

const electronVersion = require('electron/package.json').version;
const packageDir = dirname(require.resolve('better-sqlite3/package.json'));
const release = join(packageDir, 'build', 'Release', 'better_sqlite3.node');
const electronDir = join(packageDir, 'build', 'electron');
const backup = `${release}.node-abi`;

copyFileSync(release, backup);
try {
  execFileSync(process.execPath, [require.resolve('prebuild-install/bin.js'), '--runtime', 'electron', '--target', electronVersion, '--arch', process.arch], {
    cwd: packageDir,
    stdio: 'inherit',
  });
  mkdirSync(electronDir, { recursive: true });
  renameSync(release, join(electronDir, 'better_sqlite3.node'));
  say(`built better-sqlite3 for Electron ${electronVersion}.`);
} catch (error) {
  say(`could not fetch better-sqlite3 for Electron ${electronVersion} (${error.message}); the desktop app will not open projects.`);
  process.exitCode = 0;
} finally {
  renameSync(backup, release);
}
