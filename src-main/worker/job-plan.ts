// The memory plan of an attack job: its budget, the form its many-class attacks take, and how
// many samples and Jacobian rows one gradient call holds so the peak stays under the budget.
import { freemem } from 'node:os';
import type { AttackSettings, RunPlan } from '../../src-preload/contract.js';
import { DEEPFOOL_DEFAULTS } from '../engine/attacks/deepfool.js';
import { FREE_MEMORY_SHARE, GPU_MEMORY_SHARE, planMemory, smallerPlan, type MemoryProbe } from '../engine/attacks/memory-plan.js';
import type { Provider } from '../engine/runtime/providers.js';
import { bytesText } from '../../src-preload/run-plan.js';
import { gpuMemory, type GpuMemoryReading } from './gpu-memory.js';

/** AutoAttack's standard version: FAB-T over the top 9 classes once a model has more than 10. */
export const MANY_CLASSES = 10;
export const FAB_DEFAULT_TARGETS = 9;

/** Which FAB runs, and why, in words the run page and the CLI show. */
export function fabForm(settings: Pick<AttackSettings, 'targeted' | 'fabUntargeted'>, classes: number): NonNullable<RunPlan['fab']> {
  if (settings.fabUntargeted) {
    return { form: 'untargeted', targets: null, reason: 'untargeted, as asked: every other class at each step, its rows in chunks that fit the budget' };
  }
  if (settings.targeted !== null) {
    const k = Math.min(settings.targeted, classes - 1);
    return { form: 'targeted', targets: k, reason: `targeted over the top ${k} classes, as asked` };
  }
  if (classes > MANY_CLASSES) {
    const k = Math.min(FAB_DEFAULT_TARGETS, classes - 1);
    return {
      form: 'targeted',
      targets: k,
      reason: `targeted over the top ${k} classes: the model has ${classes} classes (more than ${MANY_CLASSES}), as AutoAttack's standard version; ask for untargeted FAB to search every class`,
    };
  }
  return { form: 'untargeted', targets: null, reason: `untargeted: the model has ${classes} classes (at most ${MANY_CLASSES})` };
}

/** Jacobian rows per sample the run's attacks need at most. */
export function rowsNeeded(settings: AttackSettings, classes: number): number {
  let rows = 1;
  if (settings.attacks.includes('fab') && fabForm(settings, classes).form === 'untargeted') rows = Math.max(rows, classes - 1);
  if (settings.attacks.includes('deepfool')) rows = Math.max(rows, Math.min(DEEPFOOL_DEFAULTS.candidates, classes) - 1);
  return rows;
}

export interface BudgetOptions {
  /** Where the job's sessions run: on a GPU the activations live in its memory, not the machine's. */
  provider?: Provider;
  /** The machine's free memory in bytes (os.freemem() when absent). */
  free?: number;
  /** The GPU's memory (asks the driver when absent). */
  gpu?: () => GpuMemoryReading;
}

/**
 * The budget in bytes: the one set on the run, or a safe share of the memory free now: the GPU's
 * on CUDA and WebGPU (where it can be read), the machine's otherwise. `note` says which and why.
 */
export function memoryBudget(memoryGb: number | null | undefined, options: BudgetOptions = {}): { bytes: number; source: RunPlan['budgetSource']; note: string | null } {
  if (memoryGb) return { bytes: memoryGb * 1e9, source: 'set', note: null };
  const free = options.free ?? freemem();
  const machine = { bytes: Math.floor(FREE_MEMORY_SHARE * free), source: 'free memory' as const };
  if (options.provider !== 'cuda' && options.provider !== 'webgpu') return { ...machine, note: null };
  const reading = (options.gpu ?? gpuMemory)();
  if ('unreadable' in reading) {
    return { ...machine, note: `the GPU's memory could not be read (${reading.unreadable}): ${Math.round(FREE_MEMORY_SHARE * 100)}% of the machine's free memory instead` };
  }
  const { gpu } = reading;
  return {
    bytes: Math.floor(GPU_MEMORY_SHARE * gpu.freeBytes),
    source: 'gpu memory',
    note: `${Math.round(GPU_MEMORY_SHARE * 100)}% of the ${bytesText(gpu.freeBytes)} free of ${bytesText(gpu.totalBytes)} on ${gpu.name} (${gpu.source})`,
  };
}

/**
 * The plan for this start of the job. After an out-of-memory exit (recorded on `previous` by the
 * supervisor) the plan is capped below the one that failed: half the batch, then fewer rows per
 * chunk; null when the one that failed was already the smallest. Later starts keep the cap.
 */
export function jobPlan(
  probe: MemoryProbe,
  options: { settings: AttackSettings; classes: number; batchSize: number; memoryGb?: number | null; previous: RunPlan | null } & BudgetOptions,
): RunPlan | null {
  const { settings, classes } = options;
  const budget = memoryBudget(options.memoryGb, options);
  const previous = options.previous;
  const oom = previous?.outOfMemory ?? null;
  const limit = !oom ? undefined : oom.pending ? smallerPlan(previous!) : { batch: previous!.batch, rowsPerChunk: previous!.rowsPerChunk };
  if (limit === null) return null;
  const plan = planMemory(probe, { budgetBytes: budget.bytes, batch: options.batchSize, rows: rowsNeeded(settings, classes), limit });
  return {
    ...plan,
    budgetSource: budget.source,
    ...(budget.note ? { budgetNote: budget.note } : {}),
    fab: settings.attacks.includes('fab') ? fabForm(settings, classes) : null,
    deepfoolCandidates: settings.attacks.includes('deepfool') ? Math.min(DEEPFOOL_DEFAULTS.candidates, classes) : null,
    outOfMemory: oom && { ...oom, pending: false },
  };
}
