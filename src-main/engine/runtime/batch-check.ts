// Whether a model exported with a fixed batch size (torch.onnx.export without dynamic axes) runs
// at other batch sizes once its batch axis is symbolic: most graphs do, but one that writes the
// batch into a Reshape fails, or worse, mixes samples. Running it is the only sure test.
import ort from 'onnxruntime-node';
import { writeModel } from '../onnx/codec.js';
import type { OnnxModel } from '../onnx/graph.js';
import { mulberry32 } from '../random.js';
import { externalDataOptions } from './providers.js';

/** Relative agreement of a sample's outputs run alone and in a batch (float32 kernels differ by batch). */
const TOLERANCE = 1e-4;

/** onnxruntime's message without its preamble ("Non-zero status code returned while running ..."). */
function runtimeReason(error: unknown): string {
  const line = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  return /Status Message: (.*)$/.exec(line)?.[1] ?? line;
}

export type BatchCheck = { ok: true } | { ok: false; reason: string };

/**
 * Runs `model` (its batch axis already freed) on CPU at batch 1 for two samples, then at batch 2
 * on both: the axis is free when both batch sizes run and give each sample the same first output.
 */
export async function checkFreedBatch(model: OnnxModel, input: string, externalData?: { readonly dir: string }): Promise<BatchCheck> {
  const shape = model.graph.inputs.find((v) => v.name === input)?.shape?.slice(1);
  if (!shape || !shape.every((d): d is number => typeof d === 'number')) return { ok: false, reason: `the sizes of input '${input}' after the batch axis are not fixed` };
  const per = shape.reduce((a, b) => a * b, 1);
  const next = mulberry32(7);
  const x = Float32Array.from({ length: 2 * per }, () => next());
  let session: ort.InferenceSession | null = null;
  try {
    session = await ort.InferenceSession.create(writeModel(model), { logSeverityLevel: 4, intraOpNumThreads: 1, ...externalDataOptions(externalData) });
    const output = session.outputNames[0];
    const run = async (data: Float32Array, n: number) => {
      const out = (await session!.run({ [input]: new ort.Tensor('float32', data, [n, ...shape]) }, [output], { logSeverityLevel: 4 }))[output];
      if (out.dims[0] !== n || !(out.data instanceof Float32Array)) throw new Error(`at batch ${n} the output has shape [${out.dims.join(', ')}]`);
      return out.data;
    };
    const alone = [await run(x.slice(0, per), 1), await run(x.slice(per), 1)];
    const both = await run(x, 2);
    const row = both.length / 2;
    for (let i = 0; i < 2; i++) {
      for (let k = 0; k < row; k++) {
        const a = alone[i][k];
        const b = both[i * row + k];
        if (!(Math.abs(a - b) <= TOLERANCE * Math.max(1, Math.abs(a)))) return { ok: false, reason: 'at batch 2 the samples give other outputs than alone' };
      }
    }
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `it does not run at batch 2 (${runtimeReason(error)})` };
  } finally {
    await session?.release();
  }
}
