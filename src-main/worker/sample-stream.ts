import type { DatasetRepo } from '../store/dataset-repo.js';

/**
 * Reads samples by ascending dataset index, holding one stored chunk at a time: memory stays
 * flat however large the dataset, and each chunk is read once per run.
 */
export class SampleStream {
  private chunk: ReturnType<DatasetRepo['chunkContaining']> | null = null;
  /** Reused across batches: the caller consumes a batch before asking for the next. */
  private x = new Float32Array(0);
  private labels = new Int32Array(0);
  readonly perSample: number;

  constructor(
    private readonly datasets: DatasetRepo,
    private readonly datasetId: string,
    shape: [number, number, number],
  ) {
    this.perSample = shape[0] * shape[1] * shape[2];
  }

  /** Pixels scaled to [0,1] as float32 NCHW, and labels, for the given indices; valid until the next call. */
  take(indices: ArrayLike<number>): { x: Float32Array; labels: Int32Array } {
    if (this.labels.length < indices.length) {
      this.x = new Float32Array(indices.length * this.perSample);
      this.labels = new Int32Array(indices.length);
    }
    const x = this.x.subarray(0, indices.length * this.perSample);
    const labels = this.labels.subarray(0, indices.length);
    for (let k = 0; k < indices.length; k++) {
      const index = indices[k];
      if (!this.chunk || index < this.chunk.firstIndex || index >= this.chunk.firstIndex + this.chunk.count) {
        this.chunk = this.datasets.chunkContaining(this.datasetId, index);
      }
      unitPixels(this.chunk.pixels, (index - this.chunk.firstIndex) * this.perSample, this.perSample, x, k * this.perSample);
      labels[k] = this.chunk.labels[index - this.chunk.firstIndex];
    }
    return { x, labels };
  }
}

/** `count` stored pixels from `at` as float32 in [0,1] (uint8 / 255; float32 as stored), written at `into`. */
export function unitPixels(source: Uint8Array | Float32Array, at: number, count: number, target: Float32Array, into: number): void {
  // Division, not multiplication by 1/255, to match torchvision's ToTensor bit for bit.
  const scale = source instanceof Uint8Array ? 255 : 1;
  for (let p = 0; p < count; p++) target[into + p] = source[at + p] / scale;
}
