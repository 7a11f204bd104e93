// Runs any number of samples through one session in batches of one fixed shape: the last batch
// is padded and its extra rows dropped, because cuDNN (and WebGPU's pipeline cache) re-tune for
// every new input shape, and a session must be reused rather than re-created per batch.
import ort from 'onnxruntime-node';
import type { InferenceSession, OnnxValue, Tensor } from 'onnxruntime-node';

/** A float32 array in C order; the first axis is the sample axis wherever samples are batched. */
export interface FloatArray {
  data: Float32Array;
  shape: number[];
}

/** 'repeat-last' fills padding rows with the last real sample, 'zeros' with zeros. */
export type Padding = 'repeat-last' | 'zeros';

export interface BatchRunnerOptions {
  batchSize: number;
  padding?: Padding;
}

export interface BatchRunOptions {
  /** Inputs without a sample axis (a scalar epsilon, a shared matrix), fed whole to every batch. */
  shared?: Record<string, FloatArray>;
  /** Outputs to compute; all of the model's outputs when absent. */
  fetch?: readonly string[];
  /** Checked between batches: an aborted run stops there and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after each batch with the number of real samples done so far. */
  onBatch?: (done: number, total: number) => void;
}

/** A run that cannot start or whose model broke the batching contract; one line, names the tensor. */
export class BatchRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchRunError';
  }
}

export class BatchRunner {
  readonly batchSize: number;
  readonly padding: Padding;

  constructor(
    readonly session: InferenceSession,
    options: BatchRunnerOptions,
  ) {
    if (!(Number.isSafeInteger(options.batchSize) && options.batchSize > 0)) {
      throw new BatchRunError(`batch size must be a whole number > 0, got ${options.batchSize}`);
    }
    this.batchSize = options.batchSize;
    this.padding = options.padding ?? 'repeat-last';
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /**
   * Runs every sample of `batched` (inputs that share the sample axis, e.g. x and a cotangent v)
   * and returns each fetched output with exactly as many samples as went in.
   */
  async run(batched: Record<string, FloatArray>, options: BatchRunOptions = {}): Promise<Record<string, FloatArray>> {
    const shared = options.shared ?? {};
    const fetch = options.fetch ?? this.session.outputNames;
    const total = this.checkFeeds(batched, shared, fetch);
    const b = this.batchSize;
    const rows = Object.fromEntries(Object.entries(batched).map(([name, input]) => [name, rowSize(input.shape)]));
    const sharedTensors = Object.fromEntries(Object.entries(shared).map(([name, input]) => [name, tensor(input.data, input.shape)]));
    const results: Record<string, FloatArray> = {};
    // An empty run still makes one (all-padding) batch, so that outputs know their row shapes.
    for (let start = 0; start < Math.max(total, 1); start += b) {
      options.signal?.throwIfAborted();
      const count = Math.min(b, total - start);
      const feeds: Record<string, Tensor> = { ...sharedTensors };
      for (const [name, input] of Object.entries(batched)) {
        feeds[name] = tensor(this.batchOf(input.data, rows[name], start, count), [b, ...input.shape.slice(1)]);
      }
      const outputs = await this.session.run(feeds, fetch);
      for (const name of fetch) {
        const output = floatOutput(outputs[name], name, b);
        const row = rowSize(output.shape);
        results[name] ??= { data: new Float32Array(total * row), shape: [total, ...output.shape.slice(1)] };
        results[name].data.set(output.data.subarray(0, count * row), start * row);
      }
      options.onBatch?.(start + count, total);
    }
    return results;
  }

  /** Frees the session's native memory; the runner cannot be used afterwards. */
  async release(): Promise<void> {
    await this.session.release();
  }

  /** Rows [start, start + count) as a full batch: a view when nothing is missing, else a padded copy. */
  private batchOf(data: Float32Array, row: number, start: number, count: number): Float32Array {
    if (count === this.batchSize) return data.subarray(start * row, (start + count) * row);
    const padded = new Float32Array(this.batchSize * row);
    padded.set(data.subarray(start * row, (start + count) * row));
    if (this.padding === 'repeat-last' && count > 0) {
      const last = data.subarray((start + count - 1) * row, (start + count) * row);
      for (let i = count; i < this.batchSize; i++) padded.set(last, i * row);
    }
    return padded;
  }

  /** Checks names, shapes and types before the first batch; returns the number of samples. */
  private checkFeeds(batched: Record<string, FloatArray>, shared: Record<string, FloatArray>, fetch: readonly string[]): number {
    const inputs = this.session.inputNames;
    const given = [...Object.keys(batched), ...Object.keys(shared)];
    for (const name of given) {
      if (!inputs.includes(name)) throw new BatchRunError(`the model has no input '${name}' (inputs: ${inputs.join(', ')})`);
    }
    for (const name of inputs) {
      if (!given.includes(name)) throw new BatchRunError(`input '${name}' is missing (the model needs ${inputs.join(', ')})`);
    }
    for (const name of fetch) {
      if (!this.session.outputNames.includes(name)) {
        throw new BatchRunError(`the model has no output '${name}' (outputs: ${this.session.outputNames.join(', ')})`);
      }
    }
    for (const [name, input] of [...Object.entries(batched), ...Object.entries(shared)]) {
      const size = input.shape.reduce((a, c) => a * c, 1);
      if (input.data.length !== size) {
        throw new BatchRunError(`input '${name}' has ${input.data.length} values but shape [${input.shape.join(', ')}] needs ${size}`);
      }
      const meta = this.session.inputMetadata[inputs.indexOf(name)];
      if (meta?.isTensor && meta.type !== 'float32') throw new BatchRunError(`input '${name}' is ${meta.type}; only float32 inputs can be batched`);
    }
    const counts = Object.entries(batched).map(([name, input]) => ({ name, n: input.shape[0] }));
    if (counts.length === 0) throw new BatchRunError('no batched input given: at least one input must carry the sample axis');
    for (const { name, n } of counts) {
      if (n === undefined) throw new BatchRunError(`input '${name}' is a scalar; batched inputs need a sample axis`);
      if (n !== counts[0].n) throw new BatchRunError(`inputs '${counts[0].name}' and '${name}' hold ${counts[0].n} and ${n} samples; batched inputs must agree`);
      const meta = this.session.inputMetadata[inputs.indexOf(name)];
      const fixed = meta?.isTensor ? meta.shape[0] : undefined;
      if (typeof fixed === 'number' && fixed !== this.batchSize) {
        throw new BatchRunError(`input '${name}' has a fixed batch size of ${fixed}; use batch size ${fixed} for this model`);
      }
    }
    return counts[0].n;
  }
}

/** The batch size a model's inputs fix (a number as their first dimension), or null when it is free. */
export function fixedBatchSize(session: InferenceSession): number | null {
  for (const meta of session.inputMetadata) {
    if (meta.isTensor && typeof meta.shape[0] === 'number') return meta.shape[0];
  }
  return null;
}

function rowSize(shape: readonly number[]): number {
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

function tensor(data: Float32Array, shape: number[]): Tensor {
  return new ort.Tensor('float32', data, shape);
}

function floatOutput(value: OnnxValue | undefined, name: string, batchSize: number): FloatArray {
  if (value === undefined) throw new BatchRunError(`the session returned no output '${name}'`);
  if (value.type !== 'float32' || !(value.data instanceof Float32Array)) throw new BatchRunError(`output '${name}' is ${value.type}; only float32 outputs are supported`);
  if (value.dims[0] !== batchSize) {
    throw new BatchRunError(`output '${name}' has shape [${value.dims.join(', ')}]: its first axis is not the sample axis (batch ${batchSize})`);
  }
  return { data: value.data, shape: [...value.dims] };
}
