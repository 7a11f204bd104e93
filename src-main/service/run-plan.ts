// The memory plan a run would start with, for the run form before the run starts: the same
// probe and arithmetic the worker runs (worker/job-plan), on the model as the run would read it.
import type { RunConfig, RunPlan } from '../../src-preload/contract.js';
import type { MemoryProbe } from '../engine/attacks/memory-plan.js';
import { readModel } from '../engine/onnx/codec.js';
import { graphReading, prepareGraph } from '../engine/onnx/reading.js';
import { detectLinearHead } from '../engine/onnx/surgery.js';
import { probeMemory } from '../engine/runtime/gradient-session.js';
import type { ProjectStore } from '../store/project-store.js';
import { jobPlan } from '../worker/job-plan.js';
import { readGpuMemory, type GpuMemoryReading } from '../worker/gpu-memory.js';
import type { Device, Provider } from '../engine/runtime/index.js';
import { missingCudaLibrary } from '../engine/runtime/reasons.js';
import { subsetIndices } from '../jobs/subset.js';
import { withRunBatch } from './run-batch.js';
import { storedExternalData } from '../worker/stored-external-data.js';

/** Probes per project file, model and sample shape: the form asks again on every change. */
const probes = new Map<string, Promise<{ probe: MemoryProbe; classes: number | null }>>();

/** Null for a run without attacks (it computes forward margins only, in the run's batches). */
export async function previewPlan(store: ProjectStore, config: RunConfig): Promise<RunPlan | null> {
  if (!config.attack) return null;
  const model = store.models.get(config.modelId);
  const dataset = store.datasets.get(config.datasetId);
  const key = `${store.path}\n${config.modelId}\n${dataset.shape.join('x')}`;
  let probed = probes.get(key);
  if (!probed) {
    probed = probeStored(store, config.modelId, dataset.shape);
    probes.set(key, probed);
    probed.catch(() => probes.delete(key));
  }
  const { probe, classes } = await probed;
  const count = model.classCount ?? classes;
  if (!count) return null;
  const samples = subsetIndices(config.subset, dataset.count).length;
  // Read here without blocking; the plan's arithmetic then takes it as given.
  const gpu = config.device === 'cpu' ? null : await readGpuMemory();
  const reading = () => gpu ?? { unreadable: 'not asked: the run is on the CPU' };
  return jobPlan(probe, {
    settings: config.attack,
    classes: count,
    batchSize: withRunBatch(config, samples).batchSize,
    memoryGb: config.memoryGb,
    previous: null,
    provider: expectedProvider(config.device, missingCudaLibrary, reading),
    gpu: reading,
  });
}

/**
 * The provider the job will most likely get, for the budget shown before it starts (the job plans
 * again on the one it gets): 'auto' reaches CUDA when onnxruntime has its CUDA provider and the
 * driver reports a GPU; WebGPU finds no adapter where that fails, so 'auto' then plans for the CPU.
 */
export function expectedProvider(device: Device, cudaMissing: () => string | null, gpu: () => GpuMemoryReading): Provider {
  if (device !== 'auto') return device;
  return cudaMissing() === null && 'gpu' in gpu() ? 'cuda' : 'cpu';
}

async function probeStored(store: ProjectStore, modelId: string, sampleShape: number[]): Promise<{ probe: MemoryProbe; classes: number | null }> {
  const model = store.models.get(modelId);
  const parsed = readModel(store.models.bytes(modelId), model.fileName);
  const externalData = storedExternalData(store, modelId, parsed, model.fileName);
  try {
    const p = model.preprocessing;
    const graph = prepareGraph(parsed, graphReading(model.reading), { range: p.valueRange, mean: p.mean, std: p.std });
    const classes = detectLinearHead(graph).head?.classes ?? null;
    return { probe: await probeMemory(graph, { sampleShape, externalData: externalData ?? undefined }), classes };
  } finally {
    externalData?.remove();
  }
}
