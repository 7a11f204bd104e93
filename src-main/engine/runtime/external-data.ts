/**
 * Folders that hold a model's external data files, for onnxruntime and for the weight values
 * Brink reads itself. onnxruntime resolves external locations against one folder (the model's,
 * or the one a session names), so a model stored in a project gets a private temporary folder
 * with its files written back out, chunk by chunk, for as long as its sessions run.
 */
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, readSync, realpathSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import type { ExternalDataReader, ExternalReference } from '../onnx/external.js';

export interface ExternalDataFolder {
  /** The folder the model's external data locations are relative to. */
  readonly dir: string;
  /** Reads one tensor's bytes, for values Brink needs itself (the linear head). */
  read: ExternalDataReader;
  /** Deletes the folder when Brink made it; for a model's own folder, only lets go of it. */
  remove(): void;
}

/** One external data file of a stored model, handed out in pieces so no file is held whole. */
export interface ExternalDataFile {
  /** The normalised location (external.ts checkExternalLocation). */
  path: string;
  size: number;
  chunks(): Iterable<Uint8Array>;
}

// Brink reads single tensors it needs (a head, an axes list); a larger one is a mistake to load.
const MAX_LOADED_TENSOR_BYTES = 2 ** 30;
const TEMP_PREFIX = 'brink-external-';

/** The model's own folder, as `brink grad` finds it on disk: nothing is copied. */
export function existingFolder(dir: string): ExternalDataFolder {
  return { dir, read: folderReader(dir), remove: () => {} };
}

/**
 * Writes a stored model's external files into a new private folder (mode 0700) under the
 * system's temporary directory. The folder goes with remove(), or when the process exits; one
 * left by a process that was killed is swept by the next call.
 */
export function materialiseExternalData(files: readonly ExternalDataFile[]): ExternalDataFolder {
  sweepStaleFolders();
  const dir = mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}${process.pid}-`));
  live.add(dir);
  installExitHook();
  const remove = () => {
    rmSync(dir, { recursive: true, force: true });
    live.delete(dir);
  };
  try {
    for (const file of files) writeFile(join(dir, ...file.path.split('/')), file);
  } catch (error) {
    remove();
    throw error;
  }
  return { dir, read: folderReader(dir), remove };
}

function writeFile(target: string, file: ExternalDataFile): void {
  mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
  const fd = openSync(target, 'wx', 0o600);
  let written = 0;
  try {
    for (const chunk of file.chunks()) {
      for (let at = 0; at < chunk.byteLength; ) at += writeSync(fd, chunk, at, chunk.byteLength - at);
      written += chunk.byteLength;
    }
  } finally {
    closeSync(fd);
  }
  if (written !== file.size) throw new Error(`external data file '${file.path}': the project holds ${written} of its ${file.size} bytes`);
}

/** Reads tensors from files inside `dir`, refusing links that lead out of it. */
export function folderReader(dir: string): ExternalDataReader {
  return (ref: ExternalReference) => {
    if (ref.length > MAX_LOADED_TENSOR_BYTES) throw new Error(`tensor '${ref.tensor}' is ${ref.length} bytes, too large to load for analysis`);
    const root = realpathSync(dir);
    const path = realpathSync(join(root, ...ref.path.split('/')));
    if (!path.startsWith(root + sep)) throw new Error(`external data file '${ref.path}' leads outside the model's folder`);
    const fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    try {
      const size = fstatSync(fd).size;
      if (ref.offset + ref.length > size) throw new Error(`external data file '${ref.path}' holds ${size} bytes; tensor '${ref.tensor}' needs ${ref.offset + ref.length}`);
      const out = new Uint8Array(ref.length);
      for (let at = 0; at < ref.length; ) {
        const n = readSync(fd, out, at, ref.length - at, ref.offset + at);
        if (n === 0) throw new Error(`external data file '${ref.path}' ended early`);
        at += n;
      }
      return out;
    } finally {
      closeSync(fd);
    }
  };
}

const live = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const dir of live) rmSync(dir, { recursive: true, force: true });
  });
}

/** Removes this user's folders whose process is gone (a worker killed mid-run leaves its folder). */
function sweepStaleFolders(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const pid = new RegExp(`^${TEMP_PREFIX}(\\d+)-`).exec(name)?.[1];
    if (!pid || Number(pid) === process.pid || processAlive(Number(pid))) continue;
    const path = join(tmpdir(), name);
    try {
      const info = lstatSync(path);
      if (info.isDirectory() && (process.getuid === undefined || info.uid === process.getuid())) rmSync(path, { recursive: true, force: true });
    } catch {
      // Another process swept it first, or it is not ours to remove.
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
