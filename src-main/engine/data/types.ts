import type { Stats } from 'node:fs';
import type { ImageFit } from '../../../src-preload/contract.js';

/** The label of every sample of an unlabeled dataset: no class index can be negative. */
export const UNLABELED = -1;

export type DatasetFormat = 'idx' | 'cifar10' | 'cifar100' | 'npy' | 'npz' | 'image-folder';

export interface DatasetSamples {
  format: DatasetFormat;
  count: number;
  /** Per-sample C, H, W. */
  shape: [number, number, number];
  /** uint8 where the source is uint8 (pixels 0..255); float32 otherwise (values as stored, expected in [0,1]). */
  dtype: 'uint8' | 'float32';
  /** count*C*H*W values, NCHW order. */
  data: Uint8Array | Float32Array;
  /** count labels, >= 0; every one UNLABELED when the source has none (`labeled` false). */
  labels: Int32Array;
  /** False for images without labels (a flat image folder, x without y): for screening and margins from the prediction. */
  labeled: boolean;
  /** image-folder: the sorted sub-folder names; CIFAR: the names from the meta file beside the batches, else null. */
  classNames: string[] | null;
  /** The files actually read (absolute paths). */
  sourceFiles: string[];
  /** Files passed over (corrupt image etc.). */
  skipped: { file: string; reason: string }[];
}

export interface ReadOptions {
  /** Keep the first N samples; undefined keeps all. */
  limit?: number;
  /** Image folders: how images become one size; undefined is strict. Other formats ignore it. */
  fit?: ImageFit;
  /** Image folders: aborting it stops reading between batches of files (decoding thousands of photos takes a while). */
  signal?: AbortSignal;
}

export interface FolderEntry {
  name: string;
  isDirectory: boolean;
}

/** What a reader may look at to decide whether a path is its format, gathered once by the dispatcher. */
export interface Probe {
  /** Absolute path. */
  path: string;
  /** Base name, the way error messages name the file. */
  name: string;
  stat: Stats;
  /** Folder entries sorted by name; empty for a file. */
  entries: FolderEntry[];
  /** The first bytes of a file as stored (not decompressed); empty for a folder. */
  head: Uint8Array;
}

/** One dataset format, Netron-style: a cheap guess from the probe, then a full read that fails with a DatasetFormatError. */
export interface DatasetReader {
  match(probe: Probe): boolean;
  open(probe: Probe, options: ReadOptions): Promise<DatasetSamples>;
}
