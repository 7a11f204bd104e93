import { existsSync, mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditGroupStart, CallArgs, CallName, CallResult, ProjectInfo, RunConfig, RunSummary, RunWarning, ScreeningProgress, ValidArgs } from '../../src-preload/contract.js';
import { parseCall } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import { subsetIndices } from '../jobs/subset.js';
import type { Spawner } from '../jobs/protocol.js';
import { JobSupervisor } from '../jobs/supervisor.js';
import { newId, ProjectStore } from '../store/project-store.js';
import { AnalysisCache } from './analysis-cache.js';
import { requireGroupSamples } from './audit-group.js';
import { runProblems, runWarnings } from './run-check.js';
import { previewPlan } from './run-plan.js';
import { orDuplicate, requireFreeName } from './duplicates.js';
import { probePreprocessing } from './preprocessing-probe.js';
import { PseudoMarginTrainings } from './pseudo-margin-jobs.js';
import { PseudoMarginScoresCache } from './pseudo-margin-scores-cache.js';
import { saveRunExport } from './run-export.js';
import { RunSummaries } from './run-list.js';
import { withRunBatch } from './run-batch.js';
import { runDetail } from './run-results.js';
import { runFamilies } from './run-families.js';
import { leaderboard, LeaderboardFigures } from './leaderboard.js';
import { runReliability } from './run-reliability.js';
import { Reports } from './reports.js';
import type { PdfPrinter } from '../report/print-pdf.js';
import { sampleExplorerItem } from './sample-explorer.js';
import { addSeries, checkpointFiles, runSeries, seriesAnalysis, seriesSummary } from './series.js';
import { exportScreener, screenerCalibration, type ScreenerContext } from './screener-export.js';
import { isImageName } from '../engine/data/image-folder.js';
import { surveyImageFolder } from '../engine/data/index.js';
import { commonSourceName, importDataset, sha256Of, storeSamples } from './dataset-import.js';
import { withOnePath } from './files.js';
import { EventHub } from './events.js';
import type { Host } from './host.js';
import { openProjectFile } from './open-project.js';
import { ProjectLock } from '../store/project-lock.js';
import { checkLabelCount, importModel, readLabels } from './model-import.js';
import { changeReading } from './model-reading.js';
import { checkPreprocessing } from './preprocessing-check.js';
import { RecentProjects } from './recent.js';
import { buildSampleProject, sampleAvailable } from './sample-project.js';
import { thumbnails } from './thumbnails.js';
import { KeptScreenings, screen, ScreeningInFlight, selectedSamples, type ScreenSource } from './screening.js';

type Handlers = { [K in CallName]: (args: ValidArgs<K>) => Promise<CallResult<K>> };

export interface ServiceOptions {
  host: Host;
  samplesDir: string;
  version: string;
  /** Starts job processes: utilityProcess in Electron, child_process elsewhere. */
  spawner: Spawner;
  intraOpThreads?: number;
  /** Prints reports: Electron's printToPDF in the app; absent, the Electron binary or a headless Chromium (report/choose-printer). */
  printPdf?: PdfPrinter;
}

/** The one implementation of the contract. Transports call `call()` with untrusted input. */
export class BrinkService {
  readonly events = new EventHub();
  private project: ProjectStore | null = null;
  private lock: ProjectLock | null = null;
  private supervisor: JobSupervisor | null = null;
  private readonly recent: RecentProjects;
  private readonly analyses = new AnalysisCache();
  private readonly summaries = new RunSummaries();
  private readonly screenings = new KeptScreenings();
  private readonly screening = new ScreeningInFlight();
  private readonly leaderboardFigures = new LeaderboardFigures({
    analysis: (id) => this.analyses.get(this.requireProject(), id, {}),
    families: (id) => runFamilies(this.requireProject(), id),
  });
  private readonly handlers: Handlers;
  private readonly trainings: PseudoMarginTrainings;
  private readonly pseudoMarginScores: PseudoMarginScoresCache;
  private readonly reports: Reports;

  constructor(private readonly options: ServiceOptions) {
    this.recent = new RecentProjects(options.host.userDataDir);
    this.reports = new Reports({ version: options.version, printer: options.printPdf, progress: (p) => this.events.emit('report.progress', p), log: (line) => console.warn(`brink: ${line}`) });
    this.trainings = new PseudoMarginTrainings(
      options.spawner,
      {
        progress: (progress) => this.events.emit('pseudoMargin.progress', progress),
        stored: (modelId) => this.events.emit('pseudoMargins.changed', { modelId }),
      },
      { graceMs: 5000, intraOpThreads: options.intraOpThreads },
    );
    this.pseudoMarginScores = new PseudoMarginScoresCache({ spawn: options.spawner, intraOpThreads: options.intraOpThreads });
    this.handlers = this.createHandlers();
  }

  /** Validates against the contract, then runs the call. */
  async call(method: unknown, args: unknown): Promise<unknown> {
    const parsed = parseCall(method, args);
    const handler = this.handlers[parsed.method] as (a: unknown) => Promise<unknown>;
    return handler(parsed.args);
  }

  /** `call` for in-process callers (the CLI), typed by the contract. */
  invoke<K extends CallName>(method: K, args: CallArgs<K>): Promise<CallResult<K>> {
    return this.call(method, args) as Promise<CallResult<K>>;
  }

  async openProject(path: string): Promise<ProjectInfo> {
    const store = openProjectFile(path);
    await this.setProject(store);
    return store.info();
  }

  /** Pseudo-margin trainings, for hosts that wait on one (the CLI). */
  pseudoMarginTrainings(): PseudoMarginTrainings {
    return this.trainings;
  }

  /** The open project's job supervisor, for hosts that wait on runs (the CLI). */
  jobs(): JobSupervisor {
    this.requireProject();
    return this.supervisor!;
  }

  async dispose(): Promise<void> {
    await this.setProject(null);
  }

  private requireProject(): ProjectStore {
    if (!this.project) throw new UserError('no project is open');
    return this.project;
  }

  private async setProject(store: ProjectStore | null): Promise<void> {
    // A read-only project changes nothing, so another Brink may hold it; any other is locked first.
    let lock: ProjectLock | null;
    try {
      lock = store && !store.readOnly ? ProjectLock.acquire(store.path) : null;
    } catch (error) {
      store?.close();
      throw error;
    }
    await this.trainings.shutdown();
    await this.screening.stop();
    await this.supervisor?.shutdown();
    this.project?.close();
    this.screenings.clear();
    if (this.lock && this.project?.path !== store?.path) this.lock.release();
    this.lock = lock;
    this.project = store;
    this.supervisor = null;
    if (store) {
      // This host runs the project's jobs: runs left 'running' belong to a process that is gone.
      if (!store.readOnly) store.runs.markOrphansInterrupted();
      this.supervisor = new JobSupervisor(
        store,
        this.options.spawner,
        {
          progress: (progress) => this.events.emit('run.progress', progress),
          log: (entry) => this.events.emit('run.log', entry),
          changed: () => this.events.emit('runs.changed', null),
        },
        { graceMs: 5000, intraOpThreads: this.options.intraOpThreads },
      );
      // A read-only project can run nothing: its queued runs wait until the file is writable again.
      if (!store.readOnly) this.supervisor.pump();
    }
    const info = store?.info() ?? null;
    if (info) this.recent.touch(info.path, info.name);
    this.events.emit('project.changed', info);
  }

  private createHandlers(): Handlers {
    const { host } = this.options;
    return {
      'app.info': async () => ({
        version: this.options.version,
        host: host.kind,
        sampleAvailable: sampleAvailable(this.options.samplesDir),
      }),

      'project.current': async () => this.project?.info() ?? null,
      'project.create': async ({ name }) => {
        const path = await host.chooseNewProjectPath(name);
        if (!path) return null;
        await this.setProject(ProjectStore.create(path, name));
        return this.requireProject().info();
      },
      'project.openDialog': async () => {
        const path = await host.chooseProjectToOpen();
        return path ? this.openProject(path) : null;
      },
      'project.openRecent': async ({ path }) => {
        // Only paths Brink itself recorded: the renderer cannot make the host open arbitrary files.
        if (!this.recent.has(path)) throw new UserError('that project is not in the recent list');
        return this.openProject(path);
      },
      'project.openSample': async () => {
        if (!sampleAvailable(this.options.samplesDir)) throw new UserError('the sample project is not installed');
        const target = join(host.userDataDir, 'Fashion-MNIST sample.brink');
        if (!existsSync(target)) {
          mkdirSync(host.userDataDir, { recursive: true });
          await buildSampleProject(this.options.samplesDir, target);
        }
        return this.openProject(target);
      },
      'project.recent': async () => this.recent.list(),
      'project.rename': async ({ name }) => {
        const store = this.requireProject();
        store.rename(name);
        const info = store.info();
        this.recent.touch(info.path, info.name);
        this.events.emit('project.changed', info);
        return info;
      },
      'project.close': async () => {
        await this.setProject(null);
        return null;
      },

      'model.list': async () => this.requireProject().models.list(),
      'model.get': async ({ id }) => this.requireProject().models.get(id),
      'model.import': async ({ source, name, allowDuplicate }) =>
        orDuplicate(async () => {
          const store = this.requireProject();
          const paths = await host.resolveSource(source);
          if (paths.length !== 1) throw new UserError(`drop one .onnx file at a time (got ${paths.length} files)`);
          const model = await importModel(store, paths[0], { name, allowDuplicate });
          this.changed('models.changed');
          return model;
        }),
      'model.update': async ({ id, name, preprocessing, reading }) => {
        const store = this.requireProject();
        if (name !== undefined) requireFreeName(name, store.models.list().filter((m) => m.id !== id), 'model');
        if (reading) await changeReading(store, id, reading, preprocessing);
        const model = store.models.get(id);
        if (preprocessing) checkPreprocessing(model.reading.feedShape, preprocessing);
        store.models.update(id, { name, preprocessing });
        this.changed('models.changed');
        // The model's runs now show whether they were made with other settings.
        if (preprocessing) this.events.emit('runs.changed', null);
        return store.models.get(id);
      },
      'model.probePreprocessing': async ({ id, datasetId, samples }) =>
        probePreprocessing(this.requireProject(), this.options.spawner, id, datasetId, { samples, intraOpThreads: this.options.intraOpThreads }),
      'model.setLabels': async ({ id, source }) => {
        const store = this.requireProject();
        const model = store.models.get(id);
        const paths = await host.resolveSource(source);
        if (paths.length !== 1) throw new UserError('choose one labels file');
        const labels = await readLabels(paths[0]);
        checkLabelCount(model, labels, paths[0].split(/[\\/]/).pop() ?? 'labels');
        store.models.update(id, { labels });
        this.changed('models.changed');
        return store.models.get(id);
      },
      'model.remove': async ({ id }) => {
        this.refuseWhileRunning({ modelId: id }, 'model');
        this.requireProject().models.remove(id);
        this.changed('models.changed');
        this.events.emit('runs.changed', null);
        return null;
      },
      'model.removalImpact': async ({ id }) => ({ runs: this.summaries.using(this.requireProject(), { modelId: id }) }),

      'dataset.list': async () => this.requireProject().datasets.list(),
      'dataset.get': async ({ id }) => this.requireProject().datasets.get(id),
      'dataset.import': async ({ source, name, limit, allowDuplicate, fit }) =>
        orDuplicate(async () => {
          const store = this.requireProject();
          const paths = await host.resolveSource(source);
          const sourceName = commonSourceName(paths);
          const dataset = await withOnePath(paths, (path) => importDataset(store, path, { name, limit, sourceName, allowDuplicate, fit }));
          this.changed('datasets.changed');
          return dataset;
        }),
      // Loose images, even one, are read as one flat folder (withOnePath), so they are surveyed as one; other loose files (an IDX pair, .npy files) never are an image folder.
      'dataset.survey': async ({ source }) => {
        const paths = await host.resolveSource(source);
        if (paths.every((path) => isImageName(path))) return withOnePath(paths, surveyImageFolder);
        return paths.length === 1 ? surveyImageFolder(paths[0]) : null;
      },
      'dataset.thumbnails': async ({ id, offset, count }) => thumbnails(this.requireProject().datasets.read(id, offset, count)),
      'dataset.remove': async ({ id }) => {
        this.refuseWhileRunning({ datasetId: id }, 'dataset');
        this.requireProject().datasets.remove(id);
        this.changed('datasets.changed');
        this.events.emit('runs.changed', null);
        return null;
      },
      'dataset.removalImpact': async ({ id }) => ({ runs: this.summaries.using(this.requireProject(), { datasetId: id }) }),

      'run.check': async (config) => this.checkRun(config),
      'run.warnings': async (config) => this.runWarnings(config),
      'run.plan': async (config) => previewPlan(this.requireProject(), config),
      'run.start': async ({ force, ...config }) => this.startRun(config, { force }),
      'run.startMany': async ({ modelIds, force, group, ...shared }) => this.startMany(modelIds.map((modelId) => ({ ...shared, modelId })), { force, group }),
      'run.list': async () => this.summaries.list(this.requireProject()),
      'run.get': async ({ id }) => runDetail(this.requireProject(), id),
      'run.analysis': async ({ id, ...options }) => this.analyses.get(this.requireProject(), id, options),
      'run.reliability': async ({ id }) => runReliability(this.requireProject(), id),
      'run.families': async ({ id }) => runFamilies(this.requireProject(), id),
      'run.samples': async ({ id, ...page }) => this.requireProject().runs.samples(id, page),
      'run.sample': async ({ id, position }) => sampleExplorerItem(this.requireProject(), id, position),
      'run.cancel': async ({ id }) => this.stopRun(id, 'cancelled'),
      'run.pause': async ({ id }) => this.stopRun(id, 'paused'),
      'run.resume': async ({ id }) => {
        const store = this.requireProject();
        const status = store.runs.summary(id).status;
        if (status === 'done' || status === 'running' || status === 'queued') throw new UserError(`the run is ${status}; only paused, interrupted, failed or cancelled runs resume`);
        this.jobs().resume(id);
        return this.summaries.summary(store, id);
      },
      'run.remove': async ({ id }) => {
        const store = this.requireProject();
        if (this.jobs().isActive(id)) throw new UserError('the run is in progress; cancel it first');
        store.runs.remove(id);
        this.events.emit('runs.changed', null);
        return null;
      },
      'run.update': async ({ id, name, notes }) => {
        const store = this.requireProject();
        store.runs.update(id, { name, notes });
        this.events.emit('runs.changed', null);
        return this.summaries.summary(store, id);
      },
      'run.export': async ({ id, format }) => saveRunExport(this.requireProject(), host, id, format),
      'screen.run': async ({ modelId, inputs, score, threshold, batchSize, device }) => {
        const store = this.requireProject();
        const progress = (p: ScreeningProgress) => this.events.emit('screen.progress', p);
        const { result, kept } = await this.screening.run(async (signal) => {
          const run = (source: ScreenSource) =>
            screen(store, this.options.spawner, { modelId, source, score, threshold, batchSize, device, intraOpThreads: this.options.intraOpThreads, pseudoMarginScores: this.pseudoMarginScores, progress, signal });
          if (inputs.kind === 'dataset') return run(inputs);
          const paths = await host.resolveSource(inputs.source);
          return withOnePath(paths, (path) => run({ kind: 'files', path, sourceName: commonSourceName(paths), fit: inputs.fit }));
        });
        this.screenings.add(result.id, kept);
        return result;
      },
      'screen.cancel': async () => this.screening.cancel(),
      'screen.thumbnails': async ({ id, offset, count }) => {
        const { samples } = this.screenings.get(id);
        const end = Math.min(samples.count, offset + count);
        const per = samples.shape[0] * samples.shape[1] * samples.shape[2];
        const n = Math.max(0, end - offset);
        return thumbnails({ offset, count: n, shape: samples.shape, dtype: samples.dtype, data: samples.data.subarray(offset * per, end * per), labels: samples.labels.subarray(offset, end) });
      },
      'screen.saveDataset': async ({ id, indices, name }) => {
        const store = this.requireProject();
        const kept = this.screenings.get(id);
        // Every input of a stored dataset, in order, already is that dataset.
        if (kept.datasetId && indices.length === kept.samples.count && indices.every((i, k) => i === k)) return store.datasets.get(kept.datasetId);
        const samples = selectedSamples(kept, indices);
        const sha256 = sha256Of(samples);
        const same = store.datasets.findBySha256(sha256);
        if (same) return store.datasets.get(same.id);
        const dataset = storeSamples(store, samples, { sha256, sourceName: kept.source, name: name ?? `${kept.source} (screened)`, fit: { mode: 'strict' }, skipped: [] });
        this.changed('datasets.changed');
        return dataset;
      },
      'pseudoMargin.train': async (args) => this.trainings.start(this.requireProject(), args),
      'pseudoMargin.cancel': async ({ jobId }) => {
        this.trainings.cancel(jobId);
        return null;
      },
      'pseudoMargin.list': async ({ modelId }) => {
        const store = this.requireProject();
        store.models.get(modelId);
        return store.pseudoMargins.list(modelId);
      },
      'pseudoMargin.get': async ({ id }) => this.requireProject().pseudoMargins.get(id),
      'pseudoMargin.remove': async ({ id }) => {
        const store = this.requireProject();
        const { modelId } = store.pseudoMargins.get(id);
        store.pseudoMargins.remove(id);
        this.events.emit('pseudoMargins.changed', { modelId });
        return null;
      },
      'pseudoMargin.jobs': async () => this.trainings.list(),
      'report.preview': async (settings) => this.reports.preview(this.requireProject(), settings),
      'report.export': async (settings) => this.reports.export(this.requireProject(), settings),
      'report.list': async () => this.requireProject().reports.list(),
      'report.save': async ({ id }) => this.reports.save(this.requireProject(), host, id),
      'report.open': async ({ id }) => this.reports.open(this.requireProject(), host, id),
      'report.reexport': async ({ id }) => this.reports.reexport(this.requireProject(), id),
      'report.regenerate': async ({ id }) => this.reports.regenerate(this.requireProject(), id),
      'file.save': async ({ name, data }) => host.saveFile(name, (path) => writeFile(path, Buffer.from(data, 'base64'))),
      'leaderboard.get': async () => leaderboard(this.requireProject(), this.leaderboardFigures),
      'series.list': async () => {
        const store = this.requireProject();
        return store.series.list().map((s) => seriesSummary(store, s.id));
      },
      'series.add': async ({ name, source, order, preprocessing, labels }) => {
        const store = this.requireProject();
        const files = await checkpointFiles(await host.resolveSource(source), order);
        const labelPaths = labels ? await host.resolveSource(labels) : [];
        if (labelPaths.length > 1) throw new UserError('choose one labels file');
        const series = await addSeries(store, files, { name, preprocessing, labelsPath: labelPaths[0] });
        this.changed('models.changed');
        return series;
      },
      'series.get': async ({ id, datasetId }) => {
        const store = this.requireProject();
        return seriesAnalysis(store, id, datasetId, (runId) => this.summaries.summary(store, runId));
      },
      'series.run': async ({ id, onlyMissing, force, ...config }) => {
        const store = this.requireProject();
        return runSeries(store, id, config, { onlyMissing, summaryOf: (runId) => this.summaries.summary(store, runId), start: (c) => this.startRun(c, { force }) });
      },
      'series.remove': async ({ id }) => {
        this.requireProject().series.remove(id);
        this.changed('models.changed');
        return null;
      },
      'screener.calibration': async ({ modelId, runId, score, epsilon, tprTarget }) => screenerCalibration(this.screenerContext(), modelId, runId, score, epsilon, tprTarget),
      'screener.export': async (request) => exportScreener(this.screenerContext(), host, request),
    };
  }

  private screenerContext(): ScreenerContext {
    return { store: this.requireProject(), analyses: this.analyses, summaries: this.summaries, version: this.options.version, pseudoMarginScores: this.pseudoMarginScores };
  }

  /** Problems that would stop the run; empty when it can start. */
  checkRun(config: RunConfig): string[] {
    const store = this.requireProject();
    return runProblems(store.models.get(config.modelId), store.datasets.get(config.datasetId), config);
  }

  /** What the auditor should see before the run starts but that does not stop it. */
  runWarnings(config: RunConfig): RunWarning[] {
    const store = this.requireProject();
    return runWarnings(store.models.get(config.modelId), store.datasets.get(config.datasetId), config);
  }

  /** Refuses what would stop the run, and a warning that needs confirming unless `force`. */
  startRun(config: RunConfig, options: { force?: boolean } = {}): RunSummary {
    this.refuseUnstartable(config, options.force ?? false);
    const id = this.queue(config, null);
    this.events.emit('runs.changed', null);
    this.jobs().pump();
    return this.summaries.summary(this.requireProject(), id);
  }

  /**
   * One configuration per model, checked all before any is queued, so that a group is never left
   * half made. The runs share the dataset and subset, hence the same samples in the same order.
   */
  startMany(configs: RunConfig[], options: { force?: boolean; group?: string } = {}): AuditGroupStart {
    const store = this.requireProject();
    if (options.group) requireGroupSamples(store.runs.groupSamples(options.group), configs[0], options.group);
    for (const config of configs) {
      const model = store.models.get(config.modelId).name;
      try {
        this.refuseUnstartable(config, options.force ?? false);
      } catch (error) {
        throw error instanceof UserError ? new UserError(`${model}: ${error.message}`) : error;
      }
    }
    const group = options.group ?? newId('g');
    const ids = configs.map((config) => this.queue(config, group));
    this.events.emit('runs.changed', null);
    this.jobs().pump();
    return { group, runs: ids.map((id) => this.summaries.summary(store, id)) };
  }

  private refuseUnstartable(config: RunConfig, force: boolean): void {
    const problems = this.checkRun(config);
    if (problems.length) throw new UserError(problems[0]);
    const unconfirmed = force ? undefined : this.runWarnings(config).find((warning) => warning.needsConfirmation);
    if (unconfirmed) throw new UserError(unconfirmed.message);
  }

  private queue(config: RunConfig, auditGroup: string | null): string {
    const store = this.requireProject();
    const id = newId('r');
    const count = subsetIndices(config.subset, store.datasets.get(config.datasetId).count).length;
    store.runs.create({ id, config: withRunBatch(config, count), sampleCount: count, appVersion: this.options.version, auditGroup });
    return id;
  }

  private stopRun(id: string, as: 'paused' | 'cancelled'): RunSummary {
    const store = this.requireProject();
    const status = store.runs.summary(id).status;
    if (status !== 'running' && status !== 'queued') throw new UserError(`the run is ${status}; there is nothing to ${as === 'paused' ? 'pause' : 'cancel'}`);
    this.jobs().stop(id, as);
    return this.summaries.summary(store, id);
  }

  /** Removing a model or dataset removes its runs: never the one a worker is writing. */
  private refuseWhileRunning(item: { modelId: string } | { datasetId: string }, noun: 'model' | 'dataset'): void {
    const store = this.requireProject();
    if (store.runs.listUsing(item).some((run) => this.jobs().isActive(run.id))) {
      throw new UserError(`a run of this ${noun} is in progress; pause or cancel it first`);
    }
  }

  private changed(event: 'models.changed' | 'datasets.changed'): void {
    this.events.emit(event, null);
    this.events.emit('project.changed', this.project?.info() ?? null);
  }
}
