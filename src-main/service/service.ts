import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CallName, CallResult, ProjectInfo, ValidArgs } from '../../src-preload/contract.js';
import { parseCall } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import { ProjectStore } from '../store/project-store.js';
import { commonSourceName, importDataset } from './dataset-import.js';
import { withOnePath } from './files.js';
import { EventHub } from './events.js';
import type { Host } from './host.js';
import { checkLabelCount, checkPreprocessing, importModel, readLabels } from './model-import.js';
import { RecentProjects } from './recent.js';
import { buildSampleProject, sampleAvailable } from './sample-project.js';
import { thumbnails } from './thumbnails.js';

type Handlers = { [K in CallName]: (args: ValidArgs<K>) => Promise<CallResult<K>> };

export interface ServiceOptions {
  host: Host;
  samplesDir: string;
  version: string;
}

/** The one implementation of the contract. Transports call `call()` with untrusted input. */
export class BrinkService {
  readonly events = new EventHub();
  private project: ProjectStore | null = null;
  private readonly recent: RecentProjects;
  private readonly handlers: Handlers;

  constructor(private readonly options: ServiceOptions) {
    this.recent = new RecentProjects(options.host.userDataDir);
    this.handlers = this.createHandlers();
  }

  /** Validates against the contract, then runs the call. */
  async call(method: unknown, args: unknown): Promise<unknown> {
    const parsed = parseCall(method, args);
    const handler = this.handlers[parsed.method] as (a: unknown) => Promise<unknown>;
    return handler(parsed.args);
  }

  openProject(path: string): ProjectInfo {
    const store = ProjectStore.open(path);
    this.setProject(store);
    return store.info();
  }

  dispose(): void {
    this.project?.close();
    this.project = null;
  }

  private requireProject(): ProjectStore {
    if (!this.project) throw new UserError('no project is open');
    return this.project;
  }

  private setProject(store: ProjectStore | null): void {
    this.project?.close();
    this.project = store;
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
        this.setProject(ProjectStore.create(path, name));
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
        this.setProject(null);
        return null;
      },

      'model.list': async () => this.requireProject().models.list(),
      'model.get': async ({ id }) => this.requireProject().models.get(id),
      'model.import': async ({ source, name }) => {
        const store = this.requireProject();
        const paths = await host.resolveSource(source);
        if (paths.length !== 1) throw new UserError(`drop one .onnx file at a time (got ${paths.length} files)`);
        const model = await importModel(store, paths[0], { name });
        this.changed('models.changed');
        return model;
      },
      'model.update': async ({ id, name, preprocessing }) => {
        const store = this.requireProject();
        const model = store.models.get(id);
        if (preprocessing) checkPreprocessing(model, preprocessing);
        store.models.update(id, { name, preprocessing });
        this.changed('models.changed');
        return store.models.get(id);
      },
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
        this.requireProject().models.remove(id);
        this.changed('models.changed');
        return null;
      },

      'dataset.list': async () => this.requireProject().datasets.list(),
      'dataset.get': async ({ id }) => this.requireProject().datasets.get(id),
      'dataset.import': async ({ source, name, limit }) => {
        const store = this.requireProject();
        const paths = await host.resolveSource(source);
        const sourceName = commonSourceName(paths);
        const dataset = await withOnePath(paths, (path) => importDataset(store, path, { name, limit, sourceName }));
        this.changed('datasets.changed');
        return dataset;
      },
      'dataset.thumbnails': async ({ id, offset, count }) => thumbnails(this.requireProject().datasets.read(id, offset, count)),
      'dataset.remove': async ({ id }) => {
        this.requireProject().datasets.remove(id);
        this.changed('datasets.changed');
        return null;
      },
    };
  }

  private changed(event: 'models.changed' | 'datasets.changed'): void {
    this.events.emit(event, null);
    this.events.emit('project.changed', this.project?.info() ?? null);
  }
}
