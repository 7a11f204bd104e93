import { ProjectStore } from '../store/project-store.js';
import { analyzeModel } from './model-analysis.js';

/** Opens a project; models imported by an older Brink get the analysis that newer code expects. */
export function openProjectFile(path: string): ProjectStore {
  const store = ProjectStore.open(path);
  for (const id of store.models.unanalysed()) store.models.setAnalysis(id, analyzeModel(store.models.bytes(id), store.models.get(id).fileName));
  return store;
}
