import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Device } from '../../src-preload/contract.js';
import { readModel } from '../engine/onnx/codec.js';
import { hasExternalData } from '../engine/onnx/external.js';
import { foldPreprocessing } from '../engine/onnx/surgery.js';
import { BatchRunner, decodeNpyFloat32, encodeNpy } from '../engine/runtime/index.js';
import { createGradientSession } from '../engine/runtime/gradient-session.js';
import { UserError } from '../errors.js';
import { openExternalData } from '../service/external-files.js';
import { requireFile } from '../service/files.js';

export interface GradOptions {
  input: string;
  cotangent: string;
  out: string;
  mean?: number[];
  std?: number[];
  range?: number[];
  device?: Device;
  batch?: number;
}

/**
 * G = d(sum V * logits)/dX for X in [0,1] (the model's normalisation folded in), written as
 * float32 with X's shape: the vector-Jacobian product every attack is built on.
 */
export async function grad(modelPath: string, opts: GradOptions): Promise<{ shape: number[]; provider: string }> {
  await requireFile(modelPath);
  const x = decodeNpyFloat32(new Uint8Array(await readFile(opts.input)), basename(opts.input));
  const v = decodeNpyFloat32(new Uint8Array(await readFile(opts.cotangent)), basename(opts.cotangent));
  if (x.shape.length < 2) throw new UserError(`${basename(opts.input)}: expected a batch [B, ...], got shape [${x.shape.join(', ')}]`);
  if (v.shape.length !== 2 || v.shape[0] !== x.shape[0]) {
    throw new UserError(`${basename(opts.cotangent)}: expected shape [${x.shape[0]}, classes], got [${v.shape.join(', ')}]`);
  }
  const bytes = new Uint8Array(await readFile(modelPath));
  let model = readModel(bytes, basename(modelPath));
  const outShape = model.graph.outputs[0]?.shape;
  const classes = outShape?.[outShape.length - 1];
  if (typeof classes === 'number' && classes !== v.shape[1]) {
    throw new UserError(`${basename(opts.cotangent)}: ${v.shape[1]} columns, but the model has ${classes} classes`);
  }
  if ((opts.mean && !opts.std) || (opts.std && !opts.mean)) throw new UserError('give --mean and --std together');
  if (opts.std?.some((s) => !(s > 0))) throw new UserError('every --std value must be positive');
  if (opts.range && (opts.range.length !== 2 || !(opts.range[1] > opts.range[0]))) throw new UserError('--range takes two increasing numbers, e.g. 0,255');
  if (opts.mean || opts.range) {
    model = foldPreprocessing(model, { mean: opts.mean ?? [0], std: opts.std ?? [1], range: opts.range as [number, number] | undefined });
  }
  // Weights in external data files are read where they are, beside the model, after checking
  // that every location stays inside its folder.
  const externalData = hasExternalData(model) ? await openExternalData(modelPath, bytes, basename(modelPath)) : undefined;
  try {
    const session = await createGradientSession(model, { sampleShape: x.shape.slice(1), device: opts.device ?? 'auto', externalData });
    const { input, cotangent, gradient } = session.names;
    const runner = new BatchRunner(session.session, { batchSize: Math.min(opts.batch ?? 32, x.shape[0]) });
    const result = await runner.run({ [input]: x, [cotangent]: v }, { fetch: [gradient] });
    await session.session.release();
    await writeFile(opts.out, encodeNpy({ data: result[gradient].data, shape: x.shape }));
    return { shape: x.shape, provider: session.provider };
  } finally {
    externalData?.remove();
  }
}
