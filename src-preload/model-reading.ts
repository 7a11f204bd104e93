/**
 * How a model is read (ModelReading), in the same words on the model page, in `model list` and
 * in the report: where the logits are, the image layout, the batch axis.
 */
import type { Dim, ModelReading } from './contract.js';

const shapeText = (shape: Dim[] | null) => (shape ? `[${shape.join(', ')}]` : '[?]');

/** "the input of Softmax node 'N'; the file outputs probabilities", or where else the logits come from. */
export function logitsText(reading: Pick<ModelReading, 'logits' | 'softmax'>): string {
  const s = reading.softmax;
  if (!s) return 'the file’s output';
  const outputs = s.op === 'Softmax' ? 'probabilities' : 'log-probabilities';
  if (reading.logits === 'before-softmax') return `the input of ${s.op} node '${s.node}'; the file outputs ${outputs}`;
  return `the file’s output, which is the ${s.op} of the logits (${outputs}): margins are ${s.op === 'Softmax' ? 'probability' : 'log-probability'} differences`;
}

/** Where the layout comes from, and for NHWC how Brink feeds it: the model page shows this beside its choice. */
export function layoutNote(reading: Pick<ModelReading, 'layout' | 'detectedLayout'>): string {
  const source =
    reading.detectedLayout === null
      ? 'the input’s shape does not tell'
      : reading.detectedLayout === reading.layout
        ? 'detected from the input’s shape'
        : `set by hand; the input’s shape suggests ${reading.detectedLayout}`;
  return reading.layout === 'NHWC' ? `${source}; Brink feeds NCHW images through a Transpose folded into the graph` : source;
}

/** "NHWC (detected from the input’s shape; Brink feeds NCHW images through a Transpose ...)". */
export function layoutText(reading: Pick<ModelReading, 'layout' | 'detectedLayout'>): string {
  return `${reading.layout} (${layoutNote(reading)})`;
}

/** Whether the batch axis is free, was freed, or fixes every job's batch. */
export function batchText(reading: Pick<ModelReading, 'fileBatch' | 'batchFreed' | 'batchFixedBecause'>): string {
  if (reading.fileBatch === null) return 'symbolic';
  if (reading.batchFreed) return `fixed at ${reading.fileBatch} in the file; made symbolic (batches of 1 and 2 gave the same results)`;
  const why = reading.batchFixedBecause ? ` (${reading.batchFixedBecause})` : '';
  return `fixed at ${reading.fileBatch}: every job feeds the model ${reading.fileBatch} sample${reading.fileBatch === 1 ? '' : 's'} at a time${why}`;
}

/** The image input's line: its name, and the shape Brink feeds. */
export function imageInputText(reading: Pick<ModelReading, 'imageInput' | 'feedShape'>): string {
  return reading.imageInput === null ? 'not chosen' : `${reading.imageInput} ${shapeText(reading.feedShape)}`;
}
