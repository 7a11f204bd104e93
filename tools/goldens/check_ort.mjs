#!/usr/bin/env node
// Runs every golden model.onnx in onnxruntime-node (CPU) on its x.npy and compares the
// logits with logits.npy (PyTorch float32), at the golden batch of 4 and at batch 1 and 7
// (dynamic batch axis). Forward only: gradients are Brink's business, checked by its tests.
//
//   node tools/goldens/check_ort.mjs [--tol 1e-4]
//
// Exit status 1 if any model's relative logit error (max-abs diff / max-abs reference)
// exceeds the tolerance.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const goldens = join(root, 'src-main', 'engine', 'autodiff', 'goldens');
const tolArg = process.argv.indexOf('--tol');
const tol = tolArg > 0 ? Number(process.argv[tolArg + 1]) : 1e-4;

/** Minimal .npy reader: little-endian float32, C order. */
function readNpy(path) {
  const buf = readFileSync(path);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const offset = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, offset);
  if (!header.includes("'descr': '<f4'") || header.includes("'fortran_order': True")) {
    throw new Error(`${path}: only little-endian float32 C-order arrays are supported (${header})`);
  }
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + buf.length));
  return { shape, data };
}

function relErr(a, ref) {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return { diff, rel: diff / scale };
}

/** Rows `rows` of a [B, ...] array, as a new [rows.length, ...] array. */
function takeRows(arr, rows) {
  const per = arr.data.length / arr.shape[0];
  const out = new Float32Array(rows.length * per);
  rows.forEach((r, i) => out.set(arr.data.subarray(r * per, (r + 1) * per), i * per));
  return { shape: [rows.length, ...arr.shape.slice(1)], data: out };
}

let failed = false;
for (const name of readdirSync(goldens).sort()) {
  const dir = join(goldens, name);
  if (!statSync(dir).isDirectory()) continue;
  const x = readNpy(join(dir, 'x.npy'));
  const logits = readNpy(join(dir, 'logits.npy'));
  const session = await ort.InferenceSession.create(join(dir, 'model.onnx'), { intraOpNumThreads: 1 });
  const results = [];
  for (const rows of [[0, 1, 2, 3], [2], [3, 1, 0, 2, 2, 1, 3]]) {
    const xb = takeRows(x, rows);
    const ref = takeRows(logits, rows);
    const out = await session.run({ input: new ort.Tensor('float32', xb.data, xb.shape) });
    const got = out.logits;
    if (got.dims.join() !== ref.shape.join()) throw new Error(`${name}: logits shape ${got.dims} != ${ref.shape}`);
    results.push({ batch: rows.length, ...relErr(got.data, ref.data) });
  }
  const worst = Math.max(...results.map((r) => r.rel));
  if (!(worst <= tol)) failed = true;
  console.log(
    `${name.padEnd(14)} ${worst <= tol ? 'ok  ' : 'FAIL'} ` +
      results.map((r) => `b${r.batch}: rel ${r.rel.toExponential(2)} (abs ${r.diff.toExponential(2)})`).join(', '),
  );
  await session.release();
}
process.exit(failed ? 1 : 0);
