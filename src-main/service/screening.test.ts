import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCREENING_CANCELLED, type DatasetDetail, type ImageFit, type ModelDetail, type RunConfig, type ScreeningProgress } from '../../src-preload/contract.js';
import { fitImage } from '../engine/data/image-fit.js';
import { npyFile, putImage } from '../engine/data/test-fixtures.js';
import { nodeSpawner } from '../jobs/node-spawner.js';
import type { Spawner } from '../jobs/protocol.js';
import { samplesDir } from '../paths.js';
import { ProjectStore } from '../store/project-store.js';
import type { MarginColumns } from '../store/run-repo.js';
import { BrinkService } from './service.js';
import { testHost } from './test-host.js';

describe('screening new inputs with the sample robust CNN', () => {
  let root: string;
  let service: BrinkService;
  let robust: ModelDetail;
  let dataset: DatasetDetail;
  let attackRun: string;
  /** The forward run's stored rows over the whole dataset, as the analysis reads them. */
  let forward: MarginColumns;
  const forwardLogits = (k: number) => Array.from(forward.logits.subarray(k * forward.classes, (k + 1) * forward.classes));
  /** Every job process the service starts, with how it ended. */
  const workers: { pid: number | undefined; exit: { code: number | null; signal: string | null } | null }[] = [];
  const spawnWorker = nodeSpawner();
  const spawner: Spawner = () => {
    const handle = spawnWorker();
    const worker = { pid: handle.pid, exit: null as { code: number | null; signal: string | null } | null };
    handle.onExit((code, signal) => (worker.exit = { code, signal }));
    workers.push(worker);
    return handle;
  };

  async function finish(config: RunConfig): Promise<string> {
    const run = await service.invoke('run.start', config);
    await service.jobs().waitFor(run.id);
    expect((await service.invoke('run.get', { id: run.id })).status).toBe('done');
    return run.id;
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'brink-screening-'));
    service = new BrinkService({ host: testHost(root), samplesDir, version: 'test', spawner, intraOpThreads: 1 });
    await service.invoke('project.openSample', {});
    robust = await service.invoke('model.get', { id: (await service.invoke('model.list', {})).find((m) => m.name === 'fmnist-cnn-robust')!.id });
    dataset = await service.invoke('dataset.get', { id: (await service.invoke('dataset.list', {}))[0].id });
    const base = { modelId: robust.id, datasetId: dataset.id, batchSize: 100, device: 'cpu' as const };
    attackRun = await finish({ ...base, subset: { mode: 'first', count: 150 }, attack: { attacks: ['deepfool'], norm: 'linf', epsilons: [8 / 255], iterations: 10, restarts: 1, targeted: null, seed: 0 } });
    const forwardRun = await finish({ ...base, subset: { mode: 'all' }, attack: null });
    const store = ProjectStore.open((await service.invoke('project.current', {}))!.path);
    forward = store.runs.marginColumns(forwardRun);
    store.close();
  }, 240_000);
  afterAll(async () => service?.dispose());

  it('gives a stored dataset the logits and logit margins of a forward run of the same samples, from one pass in a worker', async () => {
    const progress: ScreeningProgress[] = [];
    const off = service.events.on('screen.progress', (p) => progress.push(p));
    const result = await service.invoke('screen.run', { modelId: robust.id, inputs: { kind: 'dataset', datasetId: dataset.id }, threshold: { kind: 'typed', value: 1.5 }, device: 'cpu' });
    off();
    expect(result).toMatchObject({ modelId: robust.id, score: { kind: 'logit-margin' }, threshold: 1.5, calibration: null, classes: 10, datasetId: dataset.id, fit: null });
    expect(result.inputs).toHaveLength(1000);
    expect(Array.from(forward.positions)).toEqual(result.inputs.map((input) => input.index));
    result.inputs.forEach((input, k) => {
      expect(input.pred).toBe(forward.preds[k]);
      expect(input.logits).toEqual(forwardLogits(k));
      expect(input.score).toBe(forward.logitMargin[k]);
      expect(input.brittle).toBe(forward.logitMargin[k] <= 1.5);
    });
    expect(result.inputs[0].predName).toBe(robust.labels![result.inputs[0].pred]);
    expect(result.brittle).toBe(forward.logitMargin.filter((m) => m <= 1.5).length);
    // Before the worker's batches, the stage that takes the time is named.
    expect(progress[0]).toEqual({ done: 0, total: 0, stage: 'reading the inputs' });
    expect(progress.at(-1)).toMatchObject({ done: 1000, total: 1000 });
  }, 60_000);

  it('calibrates the threshold exactly as the run analysis calibrates its screening threshold, and says on which run', async () => {
    const analysis = await service.invoke('run.analysis', { id: attackRun });
    const stages: string[] = [];
    const off = service.events.on('screen.progress', (p) => stages.push(p.stage));
    const defaults = await service.invoke('screen.run', { modelId: robust.id, inputs: { kind: 'dataset', datasetId: dataset.id }, threshold: { kind: 'calibrated', runId: attackRun }, device: 'cpu' });
    off();
    expect(stages.slice(0, 2)).toEqual([`calibrating the threshold on run ${attackRun}`, 'reading the inputs']);
    expect(defaults.threshold).toBe(analysis.screening!.threshold);
    expect(defaults.calibration).toMatchObject({ ...analysis.screening!, runId: attackRun, norm: 'linf', samples: 150, censored: analysis.censored });
    expect(defaults.inputs.every((input) => input.brittle === input.score <= analysis.screening!.threshold)).toBe(true);

    const other = await service.invoke('run.analysis', { id: attackRun, epsilons: [4 / 255], tprTarget: 0.9 });
    const chosen = await service.invoke('screen.run', {
      modelId: robust.id,
      inputs: { kind: 'dataset', datasetId: dataset.id },
      threshold: { kind: 'calibrated', runId: attackRun, epsilon: 4 / 255, tprTarget: 0.9 },
      device: 'cpu',
    });
    expect(chosen.calibration).toMatchObject({ ...other.screening!, epsilon: 4 / 255, tprTarget: 0.9 });
    expect(chosen.threshold).toBe(other.screening!.threshold);
  }, 60_000);

  it('screens a dropped folder of images without labels, names each file, and saves the flagged ones as an unlabeled dataset once', async () => {
    const folder = join(root, 'new-images');
    const block = ProjectStore.open(join(root, 'home', 'Fashion-MNIST sample.brink'));
    const first = block.datasets.read(dataset.id, 0, 6);
    block.close();
    for (let k = 0; k < 6; k++) await putImage(join(folder, `img-${k}.png`), 'png', [28, 28, 1], first.data.subarray(k * 784, (k + 1) * 784) as Uint8Array);
    const result = await service.invoke('screen.run', { modelId: robust.id, inputs: { kind: 'files', source: { kind: 'paths', paths: [folder] } }, threshold: { kind: 'typed', value: 3 }, device: 'cpu' });
    expect(result.source).toBe('new-images');
    expect(result.inputs.map((input) => input.file)).toEqual([0, 1, 2, 3, 4, 5].map((k) => `img-${k}.png`));
    result.inputs.forEach((input, k) => expect(input.logits).toEqual(forwardLogits(k)));

    const thumbs = await service.invoke('screen.thumbnails', { id: result.id, offset: 4, count: 10 });
    expect(thumbs.map((t) => t.index)).toEqual([4, 5]);
    expect(thumbs[0].src).toMatch(/^data:image\/png;base64,/);

    const saved = await service.invoke('screen.saveDataset', { id: result.id, indices: [1, 3] });
    expect(saved).toMatchObject({ count: 2, labeled: false, classCounts: [], shape: [1, 28, 28] });
    expect((await service.invoke('screen.saveDataset', { id: result.id, indices: [1, 3] })).id).toBe(saved.id);
    const screenedAgain = await service.invoke('screen.run', { modelId: robust.id, inputs: { kind: 'dataset', datasetId: saved.id }, threshold: { kind: 'typed', value: 3 }, device: 'cpu' });
    expect(screenedAgain.inputs.map((input) => input.logits)).toEqual([result.inputs[1].logits, result.inputs[3].logits]);
  }, 60_000);

  it('screens a .npy of images alone', async () => {
    const path = join(root, 'batch.npy');
    writeFileSync(path, npyFile('<f4', [2, 1, 28, 28], new Uint8Array(new Float32Array(2 * 784).fill(0.5).buffer)));
    const result = await service.invoke('screen.run', { modelId: robust.id, inputs: { kind: 'files', source: { kind: 'paths', paths: [path] } }, threshold: { kind: 'typed', value: 0 }, device: 'cpu' });
    expect(result.inputs.map((input) => input.file)).toEqual(['batch.npy[0]', 'batch.npy[1]']);
    expect(result.inputs[0].logits).toEqual(result.inputs[1].logits);
  }, 60_000);

  it('refuses with a readable reason: unreadable images, inputs of another size, a pseudo-margin, a forward run as calibration', async () => {
    const junk = join(root, 'junk');
    mkdirSync(junk);
    writeFileSync(join(junk, 'a.png'), 'not a png');
    const files = (path: string) => ({ kind: 'files' as const, source: { kind: 'paths' as const, paths: [path] } });
    const typed = { kind: 'typed' as const, value: 1 };
    await expect(service.invoke('screen.run', { modelId: robust.id, inputs: files(junk), threshold: typed })).rejects.toThrow(/junk: none of the 1 images could be read \(first: a\.png: unreadable image/);
    const big = join(root, 'big');
    await putImage(join(big, 'b.png'), 'png', [32, 32, 1], new Uint8Array(32 * 32));
    await expect(service.invoke('screen.run', { modelId: robust.id, inputs: files(big), threshold: typed })).rejects.toThrow("cannot screen big with fmnist-cnn-robust: the model takes 28×28 images but the dataset's are 32×32");
    await expect(service.invoke('screen.run', { modelId: robust.id, inputs: { kind: 'dataset', datasetId: dataset.id }, score: { kind: 'pseudo-margin', id: 'p-0123456789ab' }, threshold: typed })).rejects.toThrow(
      'no pseudo-margin p-0123456789ab',
    );
    const forward = (await service.invoke('run.list', {})).find((r) => r.attack === null)!;
    await expect(service.invoke('screen.run', { modelId: robust.id, inputs: { kind: 'dataset', datasetId: dataset.id }, threshold: { kind: 'calibrated', runId: forward.id } })).rejects.toThrow(
      /ran no attack: it has no input margins to calibrate a threshold on/,
    );
  }, 60_000);

  it('cancels a screening mid-way: its worker ends on its own, screen.run rejects as cancelled, nothing is kept, and the next screening runs', async () => {
    // Enough inputs in small batches that the cancel surely lands mid-way.
    const count = 40_000;
    const path = join(root, 'crowd.npy');
    writeFileSync(path, npyFile('|u1', [count, 1, 28, 28], new Uint8Array(count * 784).map((_, i) => (i * 7) % 256)));
    const progress: ScreeningProgress[] = [];
    let midway!: () => void;
    const reached = new Promise<void>((resolve) => (midway = resolve));
    const off = service.events.on('screen.progress', (p) => {
      progress.push(p);
      if (p.done > 0) midway();
    });
    const before = workers.length;
    const datasetsBefore = await service.invoke('dataset.list', {});
    const screening = service.invoke('screen.run', { modelId: robust.id, inputs: { kind: 'files', source: { kind: 'paths', paths: [path] } }, threshold: { kind: 'typed', value: 1 }, batchSize: 8, device: 'cpu' });
    const outcome = screening.then(
      () => null,
      (error: Error) => error,
    );
    await Promise.race([reached, outcome.then((error) => Promise.reject(error ?? new Error('the screening ended before it could be cancelled')))]);
    await expect(service.invoke('screen.run', { modelId: robust.id, inputs: { kind: 'dataset', datasetId: dataset.id }, threshold: { kind: 'typed', value: 1 } })).rejects.toThrow(
      'a screening is already in progress; wait for it or cancel it',
    );
    const cancelledAt = performance.now();
    expect(await service.invoke('screen.cancel', {})).toBe(true);
    expect((await outcome)?.message).toBe(SCREENING_CANCELLED);
    const stoppedMs = performance.now() - cancelledAt;
    off();

    expect(workers).toHaveLength(before + 1);
    const worker = workers[before];
    // It stopped at a batch boundary and exited (the kill after the grace period leaves a signal instead).
    expect(worker.exit).toEqual({ code: 0, signal: null });
    expect(() => process.kill(worker.pid!, 0)).toThrow(/ESRCH/);
    expect(stoppedMs).toBeLessThan(5000);
    expect(progress.at(-1)!.done).toBeLessThan(count);
    expect(await service.invoke('screen.cancel', {})).toBe(false);
    expect(await service.invoke('dataset.list', {})).toEqual(datasetsBefore);

    const after = await service.invoke('screen.run', { modelId: robust.id, inputs: { kind: 'dataset', datasetId: dataset.id }, threshold: { kind: 'typed', value: 1.5 }, device: 'cpu' });
    expect(after.inputs.map((input) => input.logits)).toEqual(after.inputs.map((_, k) => forwardLogits(k)));
  }, 120_000);

  it('screens image files of another size than the model\'s input with each fit, as the fitted pixels, and refuses them without one naming both sizes', async () => {
    const folder = join(root, 'other-size');
    // Two grey images of two sizes, neither 28x28: a gradient and its checkerboard.
    const sizes: [number, number][] = [
      [40, 36],
      [31, 52],
    ];
    const images = sizes.map(([height, width], k) => ({
      height,
      width,
      channels: 1,
      data: new Uint8Array(height * width).map((_, i) => (k === 0 ? Math.floor((255 * (i % width)) / (width - 1)) : ((Math.floor(i / width) + (i % width)) % 2) * 255)),
    }));
    for (const [k, image] of images.entries()) await putImage(join(folder, `photo-${k}.png`), 'png', [image.width, image.height, 1], image.data);
    const files = { kind: 'files' as const, source: { kind: 'paths' as const, paths: [folder] } };
    const typed = { kind: 'typed' as const, value: 1 };
    // The view asks for a fit from the survey, for a folder and for loose images alike.
    const survey = { images: 2, classes: 0, commonSize: { width: 36, height: 40, count: 1 }, differing: 1, smallest: { width: 36, height: 31 }, unreadable: 0 };
    expect(await service.invoke('dataset.survey', { source: files.source })).toEqual(survey);
    const loose = [0, 1].map((k) => join(folder, `photo-${k}.png`));
    expect(await service.invoke('dataset.survey', { source: { kind: 'paths', paths: loose } })).toEqual(survey);
    expect(await service.invoke('dataset.survey', { source: { kind: 'paths', paths: [loose[1]] } })).toMatchObject({ images: 1, commonSize: { width: 52, height: 31, count: 1 }, differing: 0 });

    await expect(service.invoke('screen.run', { modelId: robust.id, inputs: files, threshold: typed })).rejects.toThrow(
      "cannot screen other-size with fmnist-cnn-robust: the model takes 28×28 images but the dataset's are 40×36; choose a fit (center crop, stretch or pad) to bring them to 28×28",
    );
    await expect(service.invoke('screen.run', { modelId: robust.id, inputs: { ...files, fit: { mode: 'stretch', size: [32, 32] } }, threshold: typed })).rejects.toThrow(
      "the model takes 28×28 images but the dataset's are 32×32; fit them to 28×28, the model's input size",
    );

    const fits: ImageFit[] = [
      { mode: 'crop', size: [28, 28], resize: 32 },
      { mode: 'stretch', size: [28, 28] },
      { mode: 'pad', size: [28, 28] },
    ];
    for (const fit of fits) {
      const result = await service.invoke('screen.run', { modelId: robust.id, inputs: { ...files, fit }, threshold: typed, device: 'cpu' });
      expect(result.inputs.map((input) => input.file)).toEqual(['photo-0.png', 'photo-1.png']);
      expect(result.skipped).toEqual([]);
      expect(result.fit).toEqual(fit);
      // The same inputs fitted here and screened as an array: the fit is applied before the forward pass, and only it.
      const fitted = images.map((image) => fitImage(image, fit));
      expect(fitted.map((image) => [image.height, image.width])).toEqual([
        [28, 28],
        [28, 28],
      ]);
      const array = join(root, `fitted-${fit.mode}.npy`);
      const pixels = new Uint8Array(2 * 784);
      fitted.forEach((image, k) => pixels.set(image.data, k * 784));
      writeFileSync(array, npyFile('|u1', [2, 1, 28, 28], pixels));
      const reference = await service.invoke('screen.run', { modelId: robust.id, inputs: { kind: 'files', source: { kind: 'paths', paths: [array] } }, threshold: typed, device: 'cpu' });
      expect(result.inputs.map((input) => input.logits), fit.mode).toEqual(reference.inputs.map((input) => input.logits));
    }
    // One image dropped alone is screened as the one-image folder it is.
    const alone = await service.invoke('screen.run', { modelId: robust.id, inputs: { kind: 'files', source: { kind: 'paths', paths: [loose[1]] }, fit: fits[1] }, threshold: typed, device: 'cpu' });
    expect(alone.inputs.map((input) => input.file)).toEqual(['photo-1.png']);
    expect(alone.source).toBe('photo-1.png');
  }, 120_000);

  it('imports a flat image folder and a lone .npy as unlabeled datasets, runs margin attacks on them from the prediction, and gives no accuracy', async () => {
    const folder = join(root, 'unlabeled-folder');
    const store = ProjectStore.open((await service.invoke('project.current', {}))!.path);
    const block = store.datasets.read(dataset.id, 100, 30);
    store.close();
    for (let k = 0; k < 30; k++) await putImage(join(folder, `u-${String(k).padStart(2, '0')}.png`), 'png', [28, 28, 1], block.data.subarray(k * 784, (k + 1) * 784) as Uint8Array);
    const imported = await service.invoke('dataset.import', { source: { kind: 'paths', paths: [folder] } });
    expect(imported).toMatchObject({ format: 'image-folder', count: 30, labeled: false, classNames: null, classCounts: [] });
    const npy = join(root, 'lone_images.npy');
    writeFileSync(npy, npyFile('|u1', [3, 28, 28], block.data.slice(0, 3 * 784) as Uint8Array));
    expect(await service.invoke('dataset.import', { source: { kind: 'paths', paths: [npy] } })).toMatchObject({ format: 'npy', count: 3, labeled: false });

    const id = (imported as DatasetDetail).id;
    const config = (attacks: ('deepfool' | 'apgd-ce')[]): RunConfig => ({
      modelId: robust.id,
      datasetId: id,
      subset: { mode: 'all' },
      batchSize: 30,
      device: 'cpu',
      attack: { attacks, norm: 'linf', epsilons: [8 / 255], iterations: 10, restarts: 1, targeted: null, seed: 0 },
    });
    expect((await service.invoke('run.check', config(['deepfool', 'apgd-ce'])))[0]).toMatch(/^apgd-ce measure robust accuracy against the labels, and unlabeled-folder is unlabeled; use FAB, DeepFool or FMN/);
    const runId = await finish(config(['deepfool']));
    const summary = (await service.invoke('run.list', {})).find((r) => r.id === runId)!;
    expect(summary).toMatchObject({ labeled: false, accuracy: null, robustAccuracy: null });
    const detail = await service.invoke('run.get', { id: runId });
    expect(detail.results).toMatchObject({ accuracy: null, robustness: [] });
    expect(detail.results!.inputMargins!.found).toBeGreaterThan(0);
    const analysis = await service.invoke('run.analysis', { id: runId });
    expect(analysis).toMatchObject({ labeled: false, accuracy: null, robustAccuracy: [], algorithm1: null, perClass: [], signedLogitMargin: null });
    expect(analysis.consistency).not.toBeNull();
    await expect(service.invoke('run.analysis', { id: runId, correctOnly: true })).rejects.toThrow(/unlabeled dataset: no sample is known to be correct/);
  }, 120_000);
});
