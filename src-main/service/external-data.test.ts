import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatasetDetail, ModelDetail, RunConfig, RunDetail, RunSummary } from '../../src-preload/contract.js';
import { idxFile, ramp } from '../engine/data/test-fixtures.js';
import { classifierGraph, encode, externalize, model } from '../engine/onnx/fixtures/models.js';
import { inspectOnnx } from '../engine/onnx/inspect.js';
import type { pb } from '../engine/onnx/proto.js';
import { nodeSpawner } from '../jobs/node-spawner.js';
import type { Spawner } from '../jobs/protocol.js';
import { samplesDir } from '../paths.js';
import type { NewModel } from '../store/model-repo.js';
import { ProjectStore } from '../store/project-store.js';
import { BrinkService } from './service.js';
import { testHost } from './test-host.js';

const paths = (...p: string[]) => ({ kind: 'paths' as const, paths: p });

/** The test classifier with its conv and fc weights moved to weights.bin (conv first, then fc). */
const external = () => externalize(model(classifierGraph()), ['conv.weight', 'fc.weight']);
const CONV_BYTES = 4 * 9 * 4;
const FC_BYTES = 10 * 2704 * 4;

/** Records the pid of every worker, to check that none leaves its weights folder behind. */
function recordingSpawner(): { spawner: Spawner; pids: number[] } {
  const pids: number[] = [];
  const spawn = nodeSpawner();
  return {
    pids,
    spawner: () => {
      const worker = spawn();
      if (worker.pid) pids.push(worker.pid);
      return worker;
    },
  };
}

describe('models whose weights live in external data files', () => {
  let root: string;
  let service: BrinkService;
  const { spawner, pids } = recordingSpawner();
  const call = <T>(method: string, args: unknown = {}) => service.call(method, args) as Promise<T>;
  const file = (name: string, bytes: Uint8Array | string) => {
    const path = join(root, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, bytes);
    return path;
  };

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'brink-external-service-'));
    service = new BrinkService({ host: testHost(root), samplesDir, version: '0.0.0-test', spawner, intraOpThreads: 1 });
    await call('project.create', { name: 'Audit' });
  });
  afterEach(async () => {
    await service.dispose();
  });

  const stored = (project: string) => {
    const db = new Database(project, { readonly: true });
    const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const counts = ['models', 'model_files', 'model_external_files', 'model_external_chunks'].map(count);
    db.close();
    return counts;
  };

  it('imports the weights with the model; a copied project runs it without the weights folder, with the logits of the internal model', async () => {
    const { model: m, data } = external();
    const onnxBytes = encode(m);
    const inside = await call<ModelDetail>('model.import', { source: paths(file('inside/net.onnx', encode(model(classifierGraph())))) });
    file('outside/weights.bin', data);
    const outside = await call<ModelDetail>('model.import', { source: paths(file('outside/net.onnx', onnxBytes)) });
    expect(outside).toMatchObject({
      // Names stay unique in a project: the second net.onnx is "net (2)".
      name: 'net (2)',
      fileName: 'net.onnx',
      byteSize: onnxBytes.length + data.length,
      classCount: 10,
      inputShape: inside.inputShape,
      parameterCount: inside.parameterCount,
      opHistogram: inside.opHistogram,
      analysis: inside.analysis,
    });
    expect(outside.analysis?.head).toMatchObject({ classes: 10, features: 2704, featuresTensor: 'flat' });
    expect(stored(join(root, 'Audit.brink'))).toEqual([2, 2, 1, 1]);
    const images = file('set-images-idx3-ubyte', idxFile([12, 28, 28], ramp(12 * 784)));
    file('set-labels-idx1-ubyte', idxFile([12], Uint8Array.from({ length: 12 }, (_, i) => i % 10)));
    const dataset = await call<DatasetDetail>('dataset.import', { source: paths(images) });

    // Copy the project elsewhere and delete the model's folder and the original project.
    await call('project.close');
    const copy = join(mkdtempSync(join(tmpdir(), 'brink-external-copy-')), 'Audit copy.brink');
    copyFileSync(join(root, 'Audit.brink'), copy);
    rmSync(join(root, 'outside'), { recursive: true });
    rmSync(join(root, 'Audit.brink'));
    await service.openProject(copy);

    const audit = async (modelId: string) => {
      const config: RunConfig = { modelId, datasetId: dataset.id, subset: { mode: 'all' }, batchSize: 5, device: 'cpu', attack: null };
      const run = await call<RunSummary>('run.start', config);
      await service.jobs().waitFor(run.id);
      return call<RunDetail>('run.get', { id: run.id });
    };
    const [a, b] = [await audit(inside.id), await audit(outside.id)];
    expect(b.error).toBeNull();
    expect(b).toMatchObject({ status: 'done', doneCount: 12 });
    expect(b.results!.equidistance).not.toBeNull();
    expect(b.results).toEqual(a.results);
    await service.dispose();

    const store = ProjectStore.open(copy);
    const logits = (runId: string) => [...store.runs.allSamples(runId)].map((s) => Array.from(s.logits));
    expect(logits(b.id)).toEqual(logits(a.id));
    expect(logits(b.id).flat().some((v) => v !== 0)).toBe(true);
    store.close();
    expect(pids.length).toBeGreaterThanOrEqual(2);
    expect(readdirSync(tmpdir()).filter((n) => pids.some((pid) => n.startsWith(`brink-external-${pid}-`)))).toEqual([]);
  }, 60_000);

  it('removes the stored weights with the model', async () => {
    const { model: m, data } = external();
    file('m/weights.bin', data);
    const imported = await call<ModelDetail>('model.import', { source: paths(file('m/net.onnx', encode(m))) });
    expect(stored(join(root, 'Audit.brink'))).toEqual([1, 1, 1, 1]);
    await call('model.remove', { id: imported.id });
    expect(stored(join(root, 'Audit.brink'))).toEqual([0, 0, 0, 0]);
  });

  it('fails the run of a model whose weights files the project does not hold, saying to import it again', async () => {
    await call('project.close');
    const project = join(root, 'older.brink');
    const store = ProjectStore.create(project, 'older');
    const { model: m } = external();
    const bytes = encode(m);
    store.models.insert({ ...directModel(bytes), id: 'm-0123456789ab', fileName: 'net.onnx' });
    store.close();
    await service.openProject(project);
    const images = file('set-images-idx3-ubyte', idxFile([2, 28, 28], ramp(2 * 784)));
    file('set-labels-idx1-ubyte', idxFile([2], Uint8Array.from([0, 1])));
    const dataset = await call<DatasetDetail>('dataset.import', { source: paths(images) });
    const run = await call<RunSummary>('run.start', { modelId: 'm-0123456789ab', datasetId: dataset.id, subset: { mode: 'all' }, batchSize: 2, device: 'cpu', attack: null });
    await service.jobs().waitFor(run.id);
    const failed = await call<RunDetail>('run.get', { id: run.id });
    expect(failed.status).toBe('failed');
    expect(failed.error).toBe('net.onnx keeps its weights in external data files that this project does not hold; import the model again');
  }, 30_000);

  /** The external classifier with fc.weight at `location` (entries otherwise as exported). */
  const pointingAt = (location: string): pb.IModelProto => {
    const { model: m } = external();
    const fc = m.graph!.initializer!.find((t) => t.name === 'fc.weight')!;
    fc.externalData = fc.externalData!.map((e) => (e.key === 'location' ? { ...e, value: location } : e));
    return m;
  };

  const badModels: [string, () => string, RegExp][] = [
    ['a missing weights file', () => file('m/net.onnx', encode(external().model)), /^net\.onnx: tensor 'conv\.weight' keeps its data in 'weights\.bin', which is not in the model's folder$/],
    ["a location '../x.bin'", () => {
      file('x.bin', new Uint8Array(CONV_BYTES + FC_BYTES));
      file('m/weights.bin', external().data);
      return file('m/net.onnx', encode(pointingAt('../x.bin')));
    }, /^net\.onnx: tensor 'fc\.weight' has external data location '\.\.\/x\.bin', which leaves the model's folder \('\.\.'\)$/],
    ['an absolute location', () => {
      const secret = file('elsewhere/x.bin', new Uint8Array(CONV_BYTES + FC_BYTES));
      file('m/weights.bin', external().data);
      return file('m/net.onnx', encode(pointingAt(secret)));
    }, /^net\.onnx: tensor 'fc\.weight' has external data location '\/.*x\.bin', which is an absolute path$/],
    ['a weights file too short for its tensors', () => {
      file('m/weights.bin', external().data.subarray(0, CONV_BYTES + 100));
      return file('m/net.onnx', encode(external().model));
    }, new RegExp(`^net\\.onnx: external data file 'weights\\.bin' holds ${CONV_BYTES + 100} bytes, but tensor 'fc\\.weight' needs ${CONV_BYTES + FC_BYTES}$`)],
    ['a weights file that links out of the folder', () => {
      const target = file('elsewhere/weights.bin', external().data);
      mkdirSync(join(root, 'm'), { recursive: true });
      symlinkSync(target, join(root, 'm', 'weights.bin'));
      return file('m/net.onnx', encode(external().model));
    }, /^net\.onnx: external data file 'weights\.bin' is a link that leads outside the model's folder$/],
  ];

  for (const [what, setup, message] of badModels) {
    it(`refuses ${what} with a one-line message and stores nothing`, async () => {
      const before = stored(join(root, 'Audit.brink'));
      const error = await call('model.import', { source: paths(setup()) }).then(
        () => null,
        (e: Error) => e,
      );
      expect(error?.message).toMatch(message);
      expect(stored(join(root, 'Audit.brink'))).toEqual(before);
      expect(before).toEqual([0, 0, 0, 0]);
    });
  }

  it('stores a file in many chunks and hands it back in order, with its size and SHA-256', () => {
    const store = ProjectStore.create(join(root, 'direct.brink'), 'direct');
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) % 256);
    const pieces = { path: 'shards/a.bin', size: bytes.length, *chunks() { for (let at = 0; at < 1000; at += 64) yield bytes.subarray(at, at + 64); } };
    store.models.insert({ ...directModel(encode(external().model)), externalFiles: [pieces] });
    const [stored] = store.models.externalFiles('m-000000000001');
    expect(stored).toMatchObject({ path: 'shards/a.bin', size: 1000, sha256: createHash('sha256').update(bytes).digest('hex') });
    expect(Buffer.concat([...stored.chunks()])).toEqual(Buffer.from(bytes));
    expect([...stored.chunks()]).toHaveLength(16);
    store.close();
  });

  it('writes nothing when reading a weights file fails halfway through the import', () => {
    const store = ProjectStore.create(join(root, 'direct.brink'), 'direct');
    const failing = {
      path: 'weights.bin',
      size: 10,
      *chunks() {
        yield new Uint8Array(5);
        throw new Error('disk went away');
      },
    };
    expect(() => store.models.insert({ ...directModel(encode(external().model)), externalFiles: [failing] })).toThrow('disk went away');
    store.close();
    expect(stored(join(root, 'direct.brink'))).toEqual([0, 0, 0, 0]);
  });
});

/** A model row as the store takes it, bypassing the import (as an older Brink wrote it). */
function directModel(bytes: Uint8Array): NewModel {
  return {
    id: 'm-000000000001',
    name: 'net',
    fileName: 'net.onnx',
    sha256: '',
    info: inspectOnnx(bytes),
    preprocessing: { valueRange: [0, 1], mean: [0], std: [1] },
    labels: null,
    analysis: { differentiable: true, unsupported: [], head: null, headReason: null, zeroGradientOps: [] },
    bytes,
  };
}
