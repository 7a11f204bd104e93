import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DatasetDetail, ImportSource, ModelDetail, ProjectInfo } from '../../src-preload/contract.js';
import { idxFile, npyFile, putImage, ramp } from '../engine/data/test-fixtures.js';
import { classifierGraph, encode, model, node, valueInfo } from '../engine/onnx/fixtures/models.js';
import { samplesDir } from '../paths.js';
import { nodeSpawner } from '../jobs/node-spawner.js';
import { BrinkService } from './service.js';
import { testHost } from './test-host.js';

const paths = (...p: string[]): ImportSource => ({ kind: 'paths', paths: p });

describe('BrinkService', () => {
  let root: string;
  let service: BrinkService;
  const call = <T>(method: string, args: unknown = {}) => service.call(method, args) as Promise<T>;

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'brink-service-'));
    service = new BrinkService({ host: testHost(root), samplesDir, version: '0.0.0-test', spawner: nodeSpawner() });
    await call('project.create', { name: 'Audit' });
  });

  const modelBytes = () => encode(model(classifierGraph()));
  const file = (name: string, bytes: Uint8Array | string) => {
    const path = join(root, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, bytes);
    return path;
  };
  const counts = async () => {
    const info = await call<ProjectInfo>('project.current');
    return [info.modelCount, info.datasetCount];
  };

  it('imports a model with its details and keeps the bytes in the project', async () => {
    const m = await call<ModelDetail>('model.import', { source: paths(file('net.onnx', modelBytes())) });
    expect(m).toMatchObject({ name: 'net', fileName: 'net.onnx', classCount: 10, preprocessing: { valueRange: [0, 1], mean: [0], std: [1] } });
    expect(m.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.opHistogram).toMatchObject({ Conv: 1, Gemm: 1 });
    const updated = await call<ModelDetail>('model.update', { id: m.id, preprocessing: { valueRange: [0, 1], mean: [0.5], std: [0.2] } });
    expect(updated.preprocessing.std).toEqual([0.2]);
    await expect(call('model.update', { id: m.id, preprocessing: { valueRange: [0, 1], mean: [0.5, 0.5], std: [0.2] } })).rejects.toThrow(/mean has 2 values but std has 1/);
    await expect(call('model.update', { id: m.id, preprocessing: { valueRange: [0, 1], mean: [0.5], std: [0] } })).rejects.toThrow(/positive/);
  });

  it('records at import which ops have no gradient rule, so the model is marked not differentiable', async () => {
    const graph = {
      name: 'g',
      node: [node('Mystery', ['input'], ['logits'], [], 'com.example')],
      input: [valueInfo('input', ['batch', 1, 28, 28])],
      output: [valueInfo('logits', ['batch', 10])],
    };
    const bytes = encode(model(graph, { opsetImport: [{ domain: '', version: 13 }, { domain: 'com.example', version: 1 }] }));
    const m = await call<ModelDetail>('model.import', { source: paths(file('mystery.onnx', bytes)) });
    expect(m.analysis).toMatchObject({ differentiable: false, unsupported: [{ op: 'com.example::Mystery', nodes: ['Mystery_logits'] }], head: null });
    expect(m.analysis?.headReason).toBeTruthy();
  });

  it('sets labels from a file and refuses a label count that does not match the classes', async () => {
    const m = await call<ModelDetail>('model.import', { source: paths(file('net.onnx', modelBytes())) });
    const ten = Array.from({ length: 10 }, (_, i) => `class ${i}`).join('\n');
    expect((await call<ModelDetail>('model.setLabels', { id: m.id, source: paths(file('labels.txt', ten)) })).labels).toHaveLength(10);
    await expect(call('model.setLabels', { id: m.id, source: paths(file('three.txt', 'a\nb\nc\n')) })).rejects.toThrow(
      'three.txt: 3 labels, but the model has 10 classes',
    );
  });

  it('imports an IDX pair given as two loose files, with class counts and thumbnails', async () => {
    const images = file('imgs-images-idx3-ubyte', idxFile([6, 4, 4], ramp(96)));
    const labels = file('imgs-labels-idx1-ubyte', idxFile([6], Uint8Array.from([0, 1, 1, 2, 2, 2])));
    const d = await call<DatasetDetail>('dataset.import', { source: paths(images, labels) });
    expect(d).toMatchObject({ name: 'imgs', format: 'idx', count: 6, shape: [1, 4, 4], dtype: 'uint8', classCounts: [1, 2, 3] });
    const thumbs = await call<{ index: number; label: number; src: string }[]>('dataset.thumbnails', { id: d.id, offset: 4, count: 10 });
    expect(thumbs.map((t) => [t.index, t.label])).toEqual([
      [4, 2],
      [5, 2],
    ]);
    expect(thumbs[0].src).toMatch(/^data:image\/png;base64,/);
  });

  it('imports the good images of a folder, says how many were skipped, and names them', async () => {
    const grey = new Uint8Array(8 * 8).fill(128);
    await putImage(join(root, 'pets', 'cat', 'a.png'), 'png', [8, 8, 1], grey);
    await putImage(join(root, 'pets', 'dog', 'b.jpg'), 'jpeg', [8, 8, 1], grey);
    file('pets/dog/broken.jpg', new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]));
    const d = await call<DatasetDetail>('dataset.import', { source: paths(join(root, 'pets')) });
    expect(d.count).toBe(2);
    expect(d.classNames).toEqual(['cat', 'dog']);
    expect(d.skipped).toHaveLength(1);
    expect(d.skipped[0].file).toBe(join('pets', 'dog', 'broken.jpg'));
  });

  const badInputs: [string, () => ImportSource, 'model' | 'dataset', RegExp][] = [
    ['a truncated .onnx', () => paths(file('cut.onnx', modelBytes().subarray(0, 200))), 'model', /cut\.onnx: truncated or corrupt/],
    ['random bytes named .onnx', () => paths(file('random.onnx', Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24))), 'model', /random\.onnx/],
    ['a PNG named .onnx', () => paths(file('picture.onnx', Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'))), 'model', /picture\.onnx: this is a PNG image/],
    ['an empty .onnx', () => paths(file('empty.onnx', new Uint8Array())), 'model', /empty\.onnx: empty file/],
    ['an IDX with a wrong magic number', () => paths(file('bad-images-idx3-ubyte', Uint8Array.from([0, 0, 9, 3, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0]))), 'dataset', /bad-images-idx3-ubyte/],
    ['an IDX with a truncated body', () => {
      file('t-labels-idx1-ubyte', idxFile([10], new Uint8Array(10)));
      return paths(file('t-images-idx3-ubyte', idxFile([10, 4, 4], new Uint8Array(100))));
    }, 'dataset', /t-images-idx3-ubyte: .*truncated/],
    ['an .npz without x', () => paths(file('only-y.npz', zipSync({ 'y.npy': npyFile('|u1', [2], new Uint8Array(2)) }))), 'dataset', /only-y\.npz: expected arrays x and y/],
    ['x and y of different lengths', () => paths(file('mismatch.npz', zipSync({ 'x.npy': npyFile('|u1', [3, 2, 2], new Uint8Array(12)), 'y.npy': npyFile('|u1', [2], new Uint8Array(2)) }))), 'dataset', /mismatch\.npz.*3 images.*2 labels/],
    ['a folder with no images', () => {
      file('empty-classes/cat/readme.txt', 'no pictures here');
      return paths(join(root, 'empty-classes'));
    }, 'dataset', /no PNG or JPEG images/],
  ];

  for (const [what, source, kind, message] of badInputs) {
    it(`refuses ${what} with a one-line message and changes nothing`, async () => {
      const before = await counts();
      const error = await call(`${kind}.import`, { source: source() }).then(
        () => null,
        (e: Error) => e,
      );
      expect(error?.message).toMatch(message);
      expect(error?.message).not.toContain('\n');
      expect(await counts()).toEqual(before);
    });
  }

  it('validates every call against the contract before running it', async () => {
    await expect(call('model.get', { id: '../../etc/passwd' })).rejects.toThrow(/model\.get: id: not a Brink id/);
    await expect(call('project.delete', {})).rejects.toThrow(/unknown call/);
    await expect(call('dataset.thumbnails', { id: 'd-0123456789ab', offset: 0, count: 100000 })).rejects.toThrow(/count/);
    await expect(call('project.rename', { name: '   ' })).rejects.toThrow(/cannot be empty/);
  });

  it('opens only projects from its own recent list', async () => {
    await expect(call('project.openRecent', { path: '/etc/passwd' })).rejects.toThrow(/not in the recent list/);
    await call('project.close');
    const [recent] = await call<{ path: string }[]>('project.recent');
    expect((await call<ProjectInfo>('project.openRecent', { path: recent.path })).name).toBe('Audit');
  });

  it('renames the project and reports the change', async () => {
    const seen: (string | undefined)[] = [];
    service.events.on('project.changed', (info) => seen.push(info?.name));
    await call('project.rename', { name: 'Audit 2026' });
    expect(seen).toEqual(['Audit 2026']);
    expect((await call<{ name: string }[]>('project.recent'))[0].name).toBe('Audit 2026');
  });

  it('builds and opens the sample project with two models and 1000 images', async () => {
    const info = await call<ProjectInfo>('project.openSample');
    expect(info).toMatchObject({ name: 'Fashion-MNIST sample', modelCount: 2, datasetCount: 1 });
    const [dataset] = await call<DatasetDetail[]>('dataset.list');
    expect(dataset.count).toBe(1000);
    const models = await call<ModelDetail[]>('model.list');
    const detail = await call<ModelDetail>('model.get', { id: models[0].id });
    expect(detail.labels).toHaveLength(10);
    expect(detail.preprocessing.std[0]).toBeCloseTo(0.353, 3);
    expect(detail.analysis).toEqual({
      differentiable: true,
      unsupported: [],
      head: { classes: 10, features: 64, featuresTensor: expect.any(String), nodes: [expect.any(String)] },
      headReason: null,
      zeroGradientOps: [],
    });
  }, 60_000);
});
