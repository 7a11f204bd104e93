/**
 * The PyTorch reference FAB l_inf (bench/torch_fab.py: untargeted, one run from the clean point,
 * AutoAttack's semantics), run on Brink's own inputs and classes. Its adversarial examples come
 * back decoded, so that each benchmark verifies them with Brink's verification and measures both
 * sides' margins alike.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeNpyFloat32, encodeNpy } from '../src-main/engine/runtime/index.js';
import { torchEnv } from './torch-env.js';

export const TORCH_FAB_SCRIPT = fileURLToPath(new URL('torch_fab.py', import.meta.url));
export const PYTHON = '/usr/bin/python3';

/** Why PyTorch cannot be run here, or null when it can. */
export function torchUnavailable(): string | null {
  if (!existsSync(PYTHON)) return `${PYTHON} not found`;
  const probe = spawnSync(PYTHON, ['-c', 'import torch, onnx, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0) return `${PYTHON} cannot import torch, onnx and numpy (${probe.stderr.trim().split('\n').pop() ?? 'no output'})`;
  return null;
}

/** How the script gets FAB's Jacobian: AutoAttack's loop of backward passes, or Brink's replicated batch. */
export type TorchJacobian = 'loop' | 'replicate';

export interface TorchFabOptions {
  /** The ONNX file the script rebuilds in PyTorch (without Brink's folded normalisation: the script applies it). */
  model: string;
  sampleShape: readonly number[];
  batch: number;
  steps: number;
  threads: number;
  jacobian: TorchJacobian;
  /** Run in `torchEnv` (malloc keeping its heap, BLAS threads pinned) rather than the inherited environment. */
  keepHeap: boolean;
}

export interface TorchFabRun {
  wallMs: number;
  cpuMs: number;
  gradientMs: number;
  projectionMs: number;
  forwardMs: number;
  restMs: number;
  /** The script's own count and median of its adversarial examples' l_inf norms (NaN for none), before Brink's verification. */
  claimed: number;
  medianLinf: number;
  /** Clean predictions of PyTorch's model that differ from the classes Brink passed. */
  predictionMismatches: number;
  torch: string;
  /** The adversarial examples, one per sample in x's layout (the input where none was found). */
  adv: Float32Array;
}

/** The JSON line torch_fab.py prints. */
interface ScriptFigures {
  wall_s: number;
  cpu_s: number;
  gradient_s: number;
  projection_s: number;
  forward_s: number;
  rest_s: number;
  found: number;
  median_linf: number | null;
  prediction_mismatches: number;
  torch: string;
}

/** Runs torch_fab.py on the first classes.length samples of x (pixels in [0,1]), each to leave its class. */
export function runTorchFab(x: Float32Array, classes: Int32Array, options: TorchFabOptions): TorchFabRun {
  const n = classes.length;
  const per = options.sampleShape.reduce((a, b) => a * b, 1);
  const dir = mkdtempSync(join(tmpdir(), 'brink-bench-'));
  try {
    const xPath = join(dir, 'x.npy');
    const classesPath = join(dir, 'classes.npy');
    const outPath = join(dir, 'adv.npy');
    writeFileSync(xPath, encodeNpy({ data: x.subarray(0, n * per), shape: [n, ...options.sampleShape] }));
    writeFileSync(classesPath, encodeNpy({ data: classes, shape: [n] }));
    const args = [TORCH_FAB_SCRIPT, '--model', options.model, '--x', xPath, '--classes', classesPath, '--out', outPath];
    args.push('--batch', String(options.batch), '--steps', String(options.steps), '--threads', String(options.threads), '--jacobian', options.jacobian);
    const run = spawnSync(PYTHON, args, { encoding: 'utf8', env: options.keepHeap ? torchEnv(options.threads) : process.env });
    const line = run.stdout.trim().split('\n').pop() ?? '';
    if (run.status !== 0 || !line.startsWith('{')) throw new Error(`torch_fab.py failed (exit ${run.status}): ${run.stderr.trim()}`);
    const r = JSON.parse(line) as ScriptFigures;
    return {
      wallMs: r.wall_s * 1000,
      cpuMs: r.cpu_s * 1000,
      gradientMs: r.gradient_s * 1000,
      projectionMs: r.projection_s * 1000,
      forwardMs: r.forward_s * 1000,
      restMs: r.rest_s * 1000,
      claimed: r.found,
      medianLinf: r.median_linf ?? NaN,
      predictionMismatches: r.prediction_mismatches,
      torch: r.torch,
      adv: decodeNpyFloat32(readFileSync(outPath), 'adv.npy').data,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
