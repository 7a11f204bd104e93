/**
 * ModelProto.metadata_props (field 14, StringStringEntryProto { key = 1; value = 2 }) and the
 * preprocessing some exporters write there. Read from the wire without decoding the graph, so
 * that a large model costs one pass over its top-level fields.
 */
import { readFields, text, Writer } from './wire.js';

const METADATA_PROPS = 14;

export interface MetadataProp {
  key: string;
  value: string;
}

export function readMetadataProps(bytes: Uint8Array): MetadataProp[] {
  const props: MetadataProp[] = [];
  for (const field of readFields(bytes)) {
    if (field.number !== METADATA_PROPS) continue;
    const entry: MetadataProp = { key: '', value: '' };
    for (const f of readFields(field.value)) {
      if (f.number === 1) entry.key = text(f.value);
      else if (f.number === 2) entry.value = text(f.value);
    }
    props.push(entry);
  }
  return props;
}

/**
 * The model's bytes with its metadata_props replaced by `props` (in that order); every other
 * top-level field is kept byte for byte. Entries the file had are dropped, not merged: a
 * preprocessing the metadata stated would be applied twice to a graph that now folds it.
 */
export function withMetadataProps(bytes: Uint8Array, props: readonly MetadataProp[]): Uint8Array {
  const w = new Writer();
  for (const field of readFields(bytes)) if (field.number !== METADATA_PROPS) w.raw(field.bytes);
  for (const p of props) w.message(METADATA_PROPS, new Writer().string(1, p.key).string(2, p.value));
  return w.finish();
}

export interface MetadataPreprocessing {
  valueRange: [number, number];
  mean: number[];
  std: number[];
  /** The metadata keys the values came from. */
  keys: string[];
}

// Spellings seen in the wild: plain and Hugging Face image processors (mean, image_mean), OpenVINO
// (mean_values, scale_values: the divisor, i.e. a std), and others' norm_/pixel_/input_ prefixes.
const MEAN_KEYS = ['mean', 'image_mean', 'norm_mean', 'normalization_mean', 'mean_values', 'pixel_mean', 'input_mean'];
const STD_KEYS = ['std', 'image_std', 'norm_std', 'normalization_std', 'std_values', 'scale_values', 'pixel_std', 'input_std'];
/** Windows ML's image metadata: the pixel range the model expects. */
const WINML_RANGE_KEY = 'image.nominalpixelrange';
const WINML_RANGES: Record<string, [number, number]> = {
  nominalrange_0_255: [0, 255],
  normalized_0_1: [0, 1],
  normalized_1_1: [-1, 1],
  nominalrange_16_235: [16, 235],
};

/**
 * The preprocessing the metadata states, or null when it states none. Means or stds above 1.5
 * are in 0-255 units (123.675 is ImageNet's red mean there), so the range becomes [0, 255].
 */
export function preprocessingFromMetadata(props: readonly MetadataProp[]): MetadataPreprocessing | null {
  const find = (keys: string[]) => props.find((p) => keys.includes(p.key.trim().toLowerCase()));
  const meanProp = find(MEAN_KEYS);
  const stdProp = find(STD_KEYS);
  const rangeProp = find([WINML_RANGE_KEY]);
  const mean = meanProp ? numbers(meanProp.value) : null;
  const std = stdProp ? numbers(stdProp.value) : null;
  const stated = rangeProp ? WINML_RANGES[rangeProp.value.trim().toLowerCase()] : undefined;
  if (!mean && !std && !stated) return null;
  if ((mean && std && mean.length !== std.length && mean.length !== 1 && std.length !== 1) || std?.some((s) => !(s > 0))) return null;
  const channels = Math.max(mean?.length ?? 1, std?.length ?? 1);
  const spread = (v: number[] | null, fallback: number) => (v ? (v.length === channels ? v : new Array<number>(channels).fill(v[0])) : new Array<number>(channels).fill(fallback));
  const byteUnits = [...(mean ?? []), ...(std ?? [])].some((v) => Math.abs(v) > 1.5);
  return {
    valueRange: stated ?? (byteUnits ? [0, 255] : [0, 1]),
    mean: spread(mean, 0),
    std: spread(std, 1),
    keys: [meanProp, stdProp, rangeProp].filter((p) => p !== undefined).map((p) => p.key),
  };
}

/** '[0.485, 0.456, 0.406]', '0.5,0.5,0.5', '127.5' -> numbers; null unless 1 to 4 finite numbers. */
function numbers(value: string): number[] | null {
  const found = value.match(/[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/gi)?.map(Number) ?? [];
  return found.length >= 1 && found.length <= 4 && found.every(Number.isFinite) ? found : null;
}
