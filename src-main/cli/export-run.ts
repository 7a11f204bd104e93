import { createWriteStream } from 'node:fs';
import { extname } from 'node:path';
import { once } from 'node:events';
import { UserError } from '../errors.js';
import { runDetail } from '../service/run-results.js';
import type { ProjectStore } from '../store/project-store.js';

const CSV_COLUMNS = ['index', 'label', 'pred', 'correct', 'logit_margin', 'feature_margin_linf', 'feature_margin_l2'];
const ATTACK_COLUMNS = ['input_margin', 'margin_found', 'best_attack', 'adv_linf', 'adv_l2', 'adv_l1', 'feature_distance_linf', 'feature_distance_l2'];

/**
 * Writes a run's per-sample results as CSV or JSON, streaming rows so that exports of large
 * runs never hold them all in memory.
 */
export async function exportRun(store: ProjectStore, runId: string, out: string): Promise<number> {
  const format = extname(out).toLowerCase();
  if (format !== '.csv' && format !== '.json') throw new UserError(`${out}: export to a .csv or a .json file`);
  const detail = runDetail(store, runId);
  const file = createWriteStream(out);
  const write = async (text: string) => {
    if (!file.write(text)) await once(file, 'drain');
  };
  let count = 0;
  const number = (v: number | null) => (v === null ? '' : String(v));
  const attacks = detail.config.attack !== null && detail.config.attack !== undefined;
  if (format === '.csv') {
    const classes = store.models.get(detail.modelId).classCount ?? 0;
    const header = [...CSV_COLUMNS, ...(attacks ? ATTACK_COLUMNS : []), ...Array.from({ length: classes }, (_, c) => `logit_${c}`)];
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
      await write(`${[s.index, s.label, s.pred, s.correct, s.logitMargin, number(s.featureMarginLinf), number(s.featureMarginL2), ...attackCells, ...s.logits].join(',')}\n`);
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

/**
 * The run's adversarial examples as one float32 .npy [N, C, H, W], in export order; the
 * original input where no adversarial example was found. Written row by row.
 */
export async function exportAdversarials(store: ProjectStore, runId: string, out: string): Promise<number> {
  if (extname(out).toLowerCase() !== '.npy') throw new UserError(`${out}: adversarial examples are written as .npy`);
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

function originalOf(store: ProjectStore, datasetId: string, index: number): Float32Array {
  const block = store.datasets.read(datasetId, index, 1);
  return Float32Array.from(block.data, (v) => (block.dtype === 'uint8' ? v / 255 : v));
}

/** The header of a little-endian float32 .npy of `shape`, padded to 64 bytes as numpy does. */
function npyHeader(shape: number[]): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const unpadded = 10 + dict.length + 1;
  const total = Math.ceil(unpadded / 64) * 64;
  const text = `${dict}${' '.repeat(total - unpadded)}\n`;
  const bytes = new Uint8Array(total);
  bytes.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, text.length & 0xff, text.length >> 8]);
  for (let k = 0; k < text.length; k++) bytes[10 + k] = text.charCodeAt(k);
  return bytes;
}
