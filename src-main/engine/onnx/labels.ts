import { oneLine } from './errors.js';

/** A class-names file that cannot be used, with a one-line message naming the file and the problem. */
export class LabelsFormatError extends Error {
  override name = 'LabelsFormatError';

  constructor(problem: string, fileName?: string) {
    super(fileName ? `${oneLine(fileName, 200)}: ${problem}` : problem);
  }
}

export const MAX_LABELS = 100_000;

/**
 * Class names, index i naming logit i. Accepts one name per line, a JSON array of names, a JSON
 * object {"0": "cat", ...}, Keras' imagenet_class_index.json ({"0": ["n01440764", "tench"]})
 * and a Hugging Face config.json (its "id2label").
 */
export function parseLabelsFile(text: string, fileName?: string): string[] {
  const fail = (problem: string): never => {
    throw new LabelsFormatError(problem, fileName);
  };
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') fail('empty labels file');
  // A class name starting with '[' or '{' is implausible; reading broken JSON as one name per
  // line would silently give names like '["cat",'.
  const json = /^\s*[[{]/.test(body);
  const labels = json ? fromJson(body, fail) : fromLines(body, fail);
  if (labels.length === 0) fail('no labels in the file');
  if (labels.length > MAX_LABELS) fail(`more than ${MAX_LABELS} labels (${labels.length})`);
  const where = (i: number) => (json ? `class ${i}` : `line ${i + 1}`);
  const firstIndex = new Map<string, number>();
  labels.forEach((label, i) => {
    const earlier = firstIndex.get(label);
    if (earlier !== undefined) fail(`'${oneLine(label)}' appears twice (${where(earlier)} and ${where(i)}); class names must be unique`);
    firstIndex.set(label, i);
  });
  return labels;
}

type Fail = (problem: string) => never;

function fromLines(body: string, fail: Fail): string[] {
  const lines = body.split(/\r\n|\r|\n/).map((line) => line.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  if (lines.length > MAX_LABELS) fail(`more than ${MAX_LABELS} lines (${lines.length})`);
  const blank = lines.indexOf('');
  // A blank line would shift every later name to the wrong class index.
  if (blank >= 0) fail(`line ${blank + 1} is blank; write one class name per line with no gaps`);
  return lines;
}

function fromJson(body: string, fail: Fail): string[] {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    return fail(`invalid JSON (${oneLine(error instanceof Error ? error.message : String(error))})`);
  }
  if (Array.isArray(value)) return value.map((item, i) => labelText(item, `item ${i}`, fail));
  if (isObject(value) && isObject(value.id2label)) return fromIndexObject(value.id2label, fail);
  if (isObject(value)) return fromIndexObject(value, fail);
  return fail('JSON labels must be an array of names or an object {"0": "name", ...}');
}

function fromIndexObject(object: Record<string, unknown>, fail: Fail): string[] {
  const keys = Object.keys(object);
  if (keys.length > MAX_LABELS) fail(`more than ${MAX_LABELS} labels (${keys.length})`);
  const labels: string[] = new Array<string>(keys.length);
  for (const key of keys) {
    if (!/^(0|[1-9]\d*)$/.test(key)) fail(`key '${oneLine(key)}' is not a class index (0, 1, 2, ...)`);
    const index = Number(key);
    if (index >= keys.length) fail(`class indices must run from 0 to ${keys.length - 1} without gaps, but ${index} is present`);
    labels[index] = labelText(object[key], `class ${index}`, fail);
  }
  return labels;
}

function labelText(value: unknown, where: string, fail: Fail): string {
  // Keras' imagenet_class_index.json pairs each name with its WordNet id: ["n01440764", "tench"].
  const name = Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string') ? value[1] : value;
  if (typeof name !== 'string') return fail(`${where} is not a string`);
  const trimmed = name.trim();
  if (trimmed === '') fail(`${where} is an empty name`);
  return trimmed;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
