import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildGradientModel } from '../autodiff/backward.js';
import { readModel, writeModel } from '../onnx/codec.js';
import { attachExternalData, externalReferences } from '../onnx/external.js';
import { onnx } from '../onnx/proto.js';
import { mergeShapes, probeShapes, staticShapes } from '../onnx/shapes.js';
import { foldPreprocessing } from '../onnx/surgery.js';
import { classifierGraph, encode, externalize, model } from '../onnx/fixtures/models.js';
import { existingFolder, folderReader, materialiseExternalData, type ExternalDataFile } from './external-data.js';
import { createGradientSession } from './gradient-session.js';
import { createSession, externalDataOptions } from './providers.js';
import { uniform } from './test-models.js';

const file = (path: string, bytes: Uint8Array, chunk: number): ExternalDataFile => ({
  path,
  size: bytes.length,
  *chunks() {
    for (let at = 0; at < bytes.length; at += chunk) yield bytes.subarray(at, at + chunk);
  },
});

/** The test classifier's weights moved to weights.bin in a folder of its own. */
function externalClassifier(): { dir: string; bytes: Uint8Array } {
  const { model: m, data } = externalize(model(classifierGraph()), ['conv.weight', 'fc.weight']);
  const dir = mkdtempSync(join(tmpdir(), 'brink-ext-model-'));
  writeFileSync(join(dir, 'weights.bin'), data);
  return { dir, bytes: encode(m) };
}

const batch = () => new ort.Tensor('float32', uniform(2 * 784, 3), [2, 1, 28, 28]);

describe('external data folders', () => {
  it('writes stored files back chunk by chunk into a private folder, and removes it', () => {
    const a = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);
    const b = Uint8Array.from({ length: 10 }, (_, i) => 255 - i);
    const folder = materialiseExternalData([file('weights.bin', a, 64), file('shards/part-2.bin', b, 3)]);
    expect(statSync(folder.dir).mode & 0o777).toBe(0o700);
    expect(new Uint8Array(readFileSync(join(folder.dir, 'weights.bin')))).toEqual(a);
    expect(new Uint8Array(readFileSync(join(folder.dir, 'shards', 'part-2.bin')))).toEqual(b);
    expect(folder.read({ tensor: 't', location: 'shards/part-2.bin', path: 'shards/part-2.bin', offset: 2, length: 4 })).toEqual(b.subarray(2, 6));
    folder.remove();
    expect(existsSync(folder.dir)).toBe(false);
  });

  it('refuses a stored file whose chunks do not add up to its size, leaving nothing behind', () => {
    const before = new Set(tempFolders());
    const short = { ...file('weights.bin', new Uint8Array(10), 4), size: 12 };
    expect(() => materialiseExternalData([short])).toThrow("external data file 'weights.bin': the project holds 10 of its 12 bytes");
    expect(tempFolders().filter((d) => !before.has(d))).toEqual([]);
  });

  it('sweeps a folder left by a process that is gone', () => {
    const dead = unusedPid();
    const stale = join(tmpdir(), `brink-external-${dead}-stale`);
    mkdirSync(join(stale, 'sub'), { recursive: true });
    writeFileSync(join(stale, 'sub', 'weights.bin'), 'x');
    materialiseExternalData([]).remove();
    expect(existsSync(stale)).toBe(false);
  });

  it('refuses to read through a link that leads out of the folder', () => {
    const outside = mkdtempSync(join(tmpdir(), 'brink-ext-outside-'));
    writeFileSync(join(outside, 'secret.bin'), new Uint8Array(16));
    const dir = mkdtempSync(join(tmpdir(), 'brink-ext-model-'));
    symlinkSync(join(outside, 'secret.bin'), join(dir, 'weights.bin'));
    expect(() => folderReader(dir)({ tensor: 't', location: 'weights.bin', path: 'weights.bin', offset: 0, length: 4 })).toThrow(/leads outside the model's folder/);
  });
});

describe('sessions on models with external data', () => {
  it('build a gradient model whose written bytes point at the same external data as the model', async () => {
    const { dir, bytes } = externalClassifier();
    const forward = readModel(bytes);
    attachExternalData(forward, existingFolder(dir).read);
    foldPreprocessing(forward, { mean: [0.5], std: [0.25] });
    const runner = async (b: Uint8Array, feeds: Record<string, ort.Tensor>) => {
      const session = await ort.InferenceSession.create(b, externalDataOptions(existingFolder(dir)));
      try {
        return await session.run(feeds);
      } finally {
        await session.release();
      }
    };
    const shapes = mergeShapes(staticShapes(forward), await probeShapes(forward, runner, { input: batch() }));
    const built = buildGradientModel(forward, { shapes });
    expect(built.features).toBe('flat');
    const written = onnx.ModelProto.decode(writeModel(built.model));
    expect(externalReferences(written)).toEqual(externalReferences(onnx.ModelProto.decode(bytes)));
    expect(written.graph!.node!.length).toBeGreaterThan(forward.graph.nodes.length);
  });

  it('compute the same logits as the model with its weights inside', async () => {
    const { dir, bytes } = externalClassifier();
    const inside = await createSession(encode(model(classifierGraph())), { device: 'cpu' });
    const outside = await createSession(bytes, { device: 'cpu', externalData: existingFolder(dir) });
    const [a, b] = [await inside.session.run({ input: batch() }), await outside.session.run({ input: batch() })];
    expect(b.logits.data).toEqual(a.logits.data);
    await inside.session.release();
    await outside.session.release();
  });

  it('compute the same gradients as the model with its weights inside, the backward pass pointing at the same file', async () => {
    const { dir, bytes } = externalClassifier();
    const options = { sampleShape: [1, 28, 28], device: 'cpu' as const };
    const inside = await createGradientSession(readModel(encode(model(classifierGraph()))), options);
    const outside = await createGradientSession(readModel(bytes), { ...options, externalData: existingFolder(dir) });
    expect(outside.names.features).toBe(inside.names.features);
    const run = (s: typeof inside) =>
      s.session.run({ [s.names.input]: batch(), [s.names.cotangent]: new ort.Tensor('float32', uniform(20, 5), [2, 10]) });
    const [a, b] = [await run(inside), await run(outside)];
    expect(b[outside.names.gradient].data).toEqual(a[inside.names.gradient].data);
    await inside.session.release();
    await outside.session.release();
    await expect(createGradientSession(readModel(bytes), options)).rejects.toThrow(/external data files, but no folder/);
  });

  it('share one forward pass between several cotangents per sample, as the model with its weights inside does', async () => {
    const { dir, bytes } = externalClassifier();
    const options = { sampleShape: [1, 28, 28], device: 'cpu' as const, rowsPerSample: 3 };
    const inside = await createGradientSession(readModel(encode(model(classifierGraph()))), options);
    const outside = await createGradientSession(readModel(bytes), { ...options, externalData: existingFolder(dir) });
    const run = (s: typeof inside) =>
      s.session.run({ [s.names.input]: batch(), [s.names.cotangent]: new ort.Tensor('float32', uniform(60, 5), [2, 3, 10]) });
    const [a, b] = [await run(inside), await run(outside)];
    expect(b[outside.names.gradient].dims).toEqual([2, 3, 1, 28, 28]);
    expect(b[outside.names.gradient].data).toEqual(a[inside.names.gradient].data);
    await inside.session.release();
    await outside.session.release();
  });
});

function tempFolders(): string[] {
  return readdirSync(tmpdir()).filter((n) => n.startsWith('brink-external-'));
}

/** A process id no process has now. */
function unusedPid(): number {
  for (let pid = 4_000_000; ; pid--) {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return pid;
    }
  }
}
