import { ProjectStore } from '../store/project-store.js';
import { upgradeReadings } from './model-reading.js';

/** Opens a project; models imported by an older Brink get the reading and analysis that newer code expects. */
export function openProjectFile(path: string): ProjectStore {
  const store = ProjectStore.open(path);
  if (!store.readOnly) upgradeReadings(store);
  return store;
}
