import type { AppInfo, ProjectInfo, RecentProject } from '../../src-preload/contract';
import { api } from '../lib/api';
import { datasets } from './datasets.svelte';
import { handleError } from './handle-error';
import { importer } from './importer.svelte';
import { models } from './models.svelte';
import { navigation } from './navigation.svelte';
import { reports } from './reports.svelte';
import { runs } from './runs.svelte';
import { pseudoMargins } from './pseudo-margins.svelte';
import { series } from './series.svelte';

/** The app and its open project: what the start screen and the project shell are drawn from. */
class Session {
  info = $state.raw<AppInfo | null>(null);
  project = $state.raw<ProjectInfo | null>(null);
  recent = $state.raw<RecentProject[]>([]);
  /** False until the first answer from the host, so that the start screen does not flash. */
  ready = $state(false);
  /** A project is being created or opened. */
  opening = $state(false);

  async start(): Promise<void> {
    api.on('project.changed', (info) => this.#show(info));
    models.connect();
    datasets.connect();
    runs.connect();
    pseudoMargins.connect();
    reports.connect();
    series.connect();
    try {
      const [info, project] = await Promise.all([api.invoke('app.info', {}), api.invoke('project.current', {})]);
      this.info = info;
      this.#show(project);
    } catch (error) {
      handleError(error, 'Could not reach Brink');
    } finally {
      this.ready = true;
    }
    if (!this.project) await this.refreshRecent();
  }

  async refreshRecent(): Promise<void> {
    try {
      this.recent = await api.invoke('project.recent', {});
    } catch (error) {
      handleError(error, 'Could not list recent projects');
    }
  }

  create(name: string): Promise<boolean> {
    return this.#open(() => api.invoke('project.create', { name }), 'Could not create the project');
  }

  openDialog(): Promise<boolean> {
    return this.#open(() => api.invoke('project.openDialog', {}), 'Could not open a project');
  }

  openSample(): Promise<boolean> {
    return this.#open(() => api.invoke('project.openSample', {}), 'Could not open the sample project');
  }

  openRecent(path: string): Promise<boolean> {
    return this.#open(() => api.invoke('project.openRecent', { path }), 'Could not open the project');
  }

  async rename(name: string): Promise<void> {
    try {
      this.#show(await api.invoke('project.rename', { name }));
    } catch (error) {
      handleError(error, 'Could not rename the project');
    }
  }

  async close(): Promise<void> {
    try {
      await api.invoke('project.close', {});
      this.#show(null);
    } catch (error) {
      handleError(error, 'Could not close the project');
    }
  }

  /** Resolves to whether a project is now open (false when the user cancelled a dialog or it failed). */
  async #open(request: () => Promise<ProjectInfo | null>, failure: string): Promise<boolean> {
    if (this.opening) return false;
    this.opening = true;
    try {
      const project = await request();
      if (project) this.#show(project);
      return project !== null;
    } catch (error) {
      handleError(error, failure);
      return false;
    } finally {
      this.opening = false;
    }
  }

  /** Applies a project from a call's result or a project.changed event; a different project starts afresh. */
  #show(project: ProjectInfo | null): void {
    const switched = project?.path !== this.project?.path;
    // The first project shown keeps the page in the address (a reload); another project starts afresh.
    const another = switched && (this.project !== null || project === null);
    this.project = project;
    if (!switched) return;
    if (another) navigation.reset();
    models.reset();
    datasets.reset();
    runs.reset();
    importer.reset();
    if (project) {
      void models.refresh();
      void datasets.refresh();
      void runs.refresh();
    } else {
      void this.refreshRecent();
    }
  }
}

export const session = new Session();
