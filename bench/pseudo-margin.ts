/**
 * Pseudo-margin training time (issue 12, item 10): the authors' loop, 500 full-batch Adam epochs
 * on 5,000 samples of 10 logits with the four-layer network of width 512, in Brink
 * (engine/learn: onnxruntime computes the loss and every weight gradient from Brink's own
 * backward graph, Adam steps in JavaScript) and in PyTorch on the CPU (bench/torch_pseudo_margin.py
 * under /usr/bin/python3), in the same run and with the same thread count.
 *
 *   npx tsx bench/pseudo-margin.ts [--samples 5000] [--inputs 10] [--epochs 500] [--variant code|paper] [--threads 1]
 *
 * Brink's training sessions run on one intra-op thread (what makes a seed reproducible), so the
 * default compares one thread with one thread. Nothing is asserted about time: the figures print
 * beside the load average, the machine being shared.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initialWeights } from '../src-main/engine/learn/init.js';
import { networkLayers, type NetworkVariant } from '../src-main/engine/learn/network.js';
import { fitFullBatch } from '../src-main/engine/learn/trainer.js';
import { mulberry32 } from '../src-main/engine/random.js';
import { loadAverage, table, wholeNumber } from './common.js';
import { torchEnv } from './torch-env.js';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '5000' },
    inputs: { type: 'string', default: '10' },
    epochs: { type: 'string', default: '500' },
    variant: { type: 'string', default: 'code' },
    threads: { type: 'string', default: '1' },
  },
});
const samples = wholeNumber('samples', values.samples, 2);
const inputs = wholeNumber('inputs', values.inputs, 1);
const epochs = wholeNumber('epochs', values.epochs, 1);
const threads = wholeNumber('threads', values.threads, 1);
if (values.variant !== 'code' && values.variant !== 'paper') throw new Error(`--variant takes code or paper, got '${values.variant}'`);
const variant: NetworkVariant = values.variant;

async function brink(): Promise<{ seconds: number; finalLoss: number }> {
  const uniform = mulberry32(1);
  const x = Float32Array.from({ length: samples * inputs }, () => 2 * uniform() - 1);
  const target = Float32Array.from({ length: samples }, () => Math.sqrt(uniform()));
  const layers = networkLayers(variant, inputs);
  const start = performance.now();
  const fit = await fitFullBatch(layers, initialWeights(layers, 0), x, target, { epochs });
  // Building the gradient graph and the session is part of every training, so it is timed too.
  return { seconds: (performance.now() - start) / 1000, finalLoss: fit.losses[fit.losses.length - 1] };
}

function pytorch(): { seconds: number; final_loss: number; torch: string } {
  const script = fileURLToPath(new URL('./torch_pseudo_margin.py', import.meta.url));
  const args = [script, '--samples', String(samples), '--inputs', String(inputs), '--epochs', String(epochs), '--variant', variant, '--threads', String(threads)];
  return JSON.parse(execFileSync('/usr/bin/python3', args, { env: torchEnv(threads), encoding: 'utf8' })) as { seconds: number; final_loss: number; torch: string };
}

const ours = await brink();
const theirs = pytorch();
console.log(`Pseudo-margin training: ${samples} samples x ${inputs} inputs, ${variant} network (width 512), ${epochs} full-batch Adam epochs, ${threads} thread(s); load ${loadAverage()}`);
console.log(
  table(
    ['', 'seconds', 'ms / epoch', 'final loss'],
    [
      ['Brink (onnxruntime + autodiff, Adam in JS)', ours.seconds.toFixed(2), ((1000 * ours.seconds) / epochs).toFixed(1), ours.finalLoss.toExponential(3)],
      [`PyTorch ${theirs.torch} CPU`, theirs.seconds.toFixed(2), ((1000 * theirs.seconds) / epochs).toFixed(1), theirs.final_loss.toExponential(3)],
    ],
    { nameColumn: true },
  ),
);
console.log(`Brink / PyTorch time: ${(ours.seconds / theirs.seconds).toFixed(2)}x (below 1: Brink faster)`);
