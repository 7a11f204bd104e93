import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { marginAttacks, type MarginFamilyName, type RunExportFormat, type RunSummary, type SavedFile } from '../../src-preload/contract.js';
import { UserError } from '../errors.js';
import { ProjectStore } from '../store/project-store.js';
import type { Host } from './host.js';
import { runDetail } from './run-results.js';

/**
 * A run's exports, shared by `brink export` and the app: per-sample results as CSV or JSON (the
 * columns README.md documents) and the adversarial examples as one float32 .npy.
 */

const CSV_COLUMNS = ['index', 'label', 'pred', 'correct', 'logit_margin', 'feature_margin_linf', 'feature_margin_l2'];
const ATTACK_COLUMNS = ['input_margin', 'margin_found', 'best_attack', 'adv_linf', 'adv_l2', 'adv_l1', 'feature_distance_linf', 'feature_distance_l2'];

/**
 * Saves a run's export through the host (a save dialog in the app, a download in the browser).
 * It reads on a connection of its own, so that the app's other calls and the job supervisor keep
 * writing while a large file is written, and on one snapshot, so that a running run's count and
 * rows agree.
 */
export async function saveRunExport(store: ProjectStore, host: Host, runId: string, format: RunExportFormat): Promise<SavedFile | null> {
  const run = store.runs.summary(runId);
  if (format === 'npy' && !run.attack?.attacks.some((attack) => marginAttacks.includes(attack))) {
    throw new UserError('this run ran no minimal-norm attack (FAB, DeepFool, FMN): it stores no adversarial examples to export');
  }
  return host.saveFile(exportFileName(run, format), async (path) => {
    const reader = ProjectStore.open(store.path);
    try {
      await reader.readSnapshot(() => writeRunExport(reader, runId, path, format));
    } finally {
      reader.close();
    }
  });
}

/** Writes one export of a run to `out`; resolves to the number of samples written. */
export function writeRunExport(store: ProjectStore, runId: string, out: string, format: RunExportFormat): Promise<number> {
  return format === 'npy' ? writeAdversarials(store, runId, out) : exportRun(store, runId, out, format);
}

/** 'robust-fab-r-1a2b3c4d5e6f-results.csv': the run's name (or model and dataset), its id, what the file holds. */
export function exportFileName(run: Pick<RunSummary, 'id' | 'name' | 'modelName' | 'datasetName'>, format: RunExportFormat): string {
  const title = run.name ?? `${run.modelName} on ${run.datasetName}`;
  const slug =
    title
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'run';
  return `${slug}-${run.id}-${format === 'npy' ? 'adversarial' : 'results'}.${format}`;
}

/**
 * Per perturbation family, `margin_<family>` (the smallest strength found that changes the
 * prediction, on the family's strength scale; empty when censored) and `found_<family>`.
 */
function familyCells(store: ProjectStore, runId: string, families: readonly MarginFamilyName[]) {
  const stored = store.runs.familyMargins(runId);
  const byPosition = new Map(families.map((f) => [f, new Map((stored.get(f) ?? []).map((r) => [r.position, r]))]));
  const key = (f: MarginFamilyName) => f.replace(/-/g, '_');
  return {
    columns: families.flatMap((f) => [`margin_${key(f)}`, `found_${key(f)}`]),
    of(position: number): Record<string, number | boolean | null> {
      const out: Record<string, number | boolean | null> = {};
      for (const f of families) {
        const row = byPosition.get(f)!.get(position);
        out[`margin_${key(f)}`] = row?.strength ?? null;
        out[`found_${key(f)}`] = row ? row.strength !== null : null;
      }
      return out;
    },
  };
}

/**
 * Writes a run's per-sample results as CSV or JSON, streaming rows so that exports of large
 * runs never hold them all in memory.
 */
export async function exportRun(store: ProjectStore, runId: string, out: string, format: 'csv' | 'json' = resultsFormatOf(out)): Promise<number> {
  const detail = runDetail(store, runId);
  const file = createWriteStream(out);
  const write = async (text: string) => {
    if (!file.write(text)) await once(file, 'drain');
  };
  let count = 0;
  const number = (v: number | null) => (v === null ? '' : String(v));
  const attacks = detail.config.attack !== null && detail.config.attack !== undefined;
  const families = familyCells(store, runId, detail.config.perturbations?.families ?? []);
  // The Lipschitz estimate (an estimate, not a certificate) in the norm of the run's settings.
  const lipschitz = Boolean(detail.config.lipschitz);
  if (format === 'csv') {
    const classes = store.models.get(detail.modelId).classCount ?? 0;
    const header = [...CSV_COLUMNS, ...(attacks ? ATTACK_COLUMNS : []), ...(lipschitz ? ['lipschitz_margin'] : []), ...families.columns, ...Array.from({ length: classes }, (_, c) => `logit_${c}`)];
    await write(`${header.join(',')}\n`);
    for (const s of store.runs.allSamples(runId)) {
      const attackCells = attacks
        ? [
            number(s.marginFound ? s.inputMargin : null),
            s.marginFound === null ? '' : String(s.marginFound),
            s.bestAttack ?? '',
            number(s.advLinf),
            number(s.advL2),
            number(s.advL1),
            number(s.featureDistanceLinf),
            number(s.featureDistanceL2),
          ]
        : [];
      const familyValues = Object.values(families.of(s.position)).map((v) => (v === null ? '' : String(v)));
      await write(`${[s.index, s.label, s.pred, s.correct, s.logitMargin, number(s.featureMarginLinf), number(s.featureMarginL2), ...attackCells, ...(lipschitz ? [number(s.lipschitzMargin)] : []), ...familyValues, ...s.logits].join(',')}\n`);
      count++;
    }
  } else {
    const { results, log: _log, ...run } = detail;
    const summary = results
      ? {
          evaluated: results.evaluated,
          correct: results.correct,
          accuracy: results.accuracy,
          logit_margin: results.logitMargin,
          equidistance: results.equidistance,
          input_margins: results.inputMargins,
          attacks: results.attacks,
          robust_accuracy: results.robustness,
        }
      : null;
    await write(`{"run": ${JSON.stringify(run)},\n"summary": ${JSON.stringify(summary)},\n"samples": [`);
    for (const s of store.runs.allSamples(runId)) {
      const row = {
        index: s.index,
        label: s.label,
        pred: s.pred,
        correct: s.correct,
        logit_margin: s.logitMargin,
        feature_margin_linf: s.featureMarginLinf,
        feature_margin_l2: s.featureMarginL2,
        ...(attacks
          ? {
              input_margin: s.marginFound ? s.inputMargin : null,
              margin_found: s.marginFound,
              best_attack: s.bestAttack,
              adv_linf: s.advLinf,
              adv_l2: s.advL2,
              adv_l1: s.advL1,
              feature_distance_linf: s.featureDistanceLinf,
              feature_distance_l2: s.featureDistanceL2,
            }
          : {}),
        ...(lipschitz ? { lipschitz_margin: s.lipschitzMargin } : {}),
        ...families.of(s.position),
        logits: Array.from(s.logits),
      };
      await write(`${count ? ',' : ''}\n${JSON.stringify(row)}`);
      count++;
    }
    await write('\n]}\n');
  }
  file.end();
  await once(file, 'finish');
  return count;
}

/** `brink export --adv`: the adversarial examples to a file whose name says .npy. */
export async function exportAdversarials(store: ProjectStore, runId: string, out: string): Promise<number> {
  if (!/\.npy$/i.test(out)) throw new UserError(`${out}: adversarial examples are written as .npy`);
  return writeAdversarials(store, runId, out);
}

/**
 * The run's adversarial examples as one float32 .npy [N, C, H, W], in export order; the
 * original input where no adversarial example was found. Written row by row.
 */
async function writeAdversarials(store: ProjectStore, runId: string, out: string): Promise<number> {
  const detail = store.runs.get(runId);
  const dataset = store.datasets.get(detail.datasetId);
  const rows = detail.doneCount;
  const shape = [rows, ...dataset.shape];
  const header = npyHeader(shape);
  const file = createWriteStream(out);
  const write = async (chunk: Uint8Array) => {
    if (!file.write(chunk)) await once(file, 'drain');
  };
  await write(header);
  for (const s of store.runs.allSamples(runId)) {
    const adversarial = store.runs.adversarial(runId, s.position)?.example;
    const sample = adversarial ?? originalOf(store, detail.datasetId, s.index);
    await write(new Uint8Array(sample.buffer, sample.byteOffset, sample.byteLength));
  }
  file.end();
  await once(file, 'finish');
  return rows;
}

/** The format the CLI's --out asks for by its extension. */
function resultsFormatOf(out: string): 'csv' | 'json' {
  const extension = /\.(csv|json)$/i.exec(out)?.[1].toLowerCase();
  if (!extension) throw new UserError(`${out}: export to a .csv or a .json file`);
  return extension as 'csv' | 'json';
}

function originalOf(store: ProjectStore, datasetId: string, index: number): Float32Array {
  const block = store.datasets.read(datasetId, index, 1);
  return Float32Array.from(block.data, (v) => (block.dtype === 'uint8' ? v / 255 : v));
}

/** The header of a little-endian float32 .npy of `shape`, padded to 64 bytes as numpy does. */
export function npyHeader(shape: number[]): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + dict.length + 1;
  const total = Math.ceil(unpadded / 64) * 64;
  const text = `${dict}${' '.repeat(total - unpadded)}\n`;
  const bytes = new Uint8Array(total);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length & 0xff, text.length >> 8]);
  for (let k = 0; k < text.length; k++) bytes[10 + k] = text.charCodeAt(k);
  return bytes;
}
