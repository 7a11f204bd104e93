import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { classifierGraph, encode, externalize, model } from '../engine/onnx/fixtures/models.js';
import { decodeNpyFloat32, encodeNpy } from '../engine/runtime/npy.js';

function brink(...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src-main/cli/brink.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, BRINK_HOME: mkdtempSync(join(tmpdir(), 'brink-cli-home-')) },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Deterministic values in [0, 1). */
const values = (count: number, seed: number) => Float32Array.from({ length: count }, (_, i) => ((i * 7919 + seed * 104729) % 1000) / 1000);

describe('brink grad on a model whose weights live in external data files', () => {
  it('reads the weights beside the model and writes the gradients of the same model with internal weights', () => {
    const dir = mkdtempSync(join(tmpdir(), 'brink-grad-external-'));
    const path = (name: string) => join(dir, name);
    mkdirSync(path('inside'));
    mkdirSync(path('outside'));
    writeFileSync(path('inside/net.onnx'), encode(model(classifierGraph())));
    const { model: m, data } = externalize(model(classifierGraph()), ['conv.weight', 'fc.weight', 'fc.bias']);
    writeFileSync(path('outside/net.onnx'), encode(m));
    writeFileSync(path('outside/weights.bin'), data);
    writeFileSync(path('x.npy'), encodeNpy({ data: values(3 * 784, 1), shape: [3, 1, 28, 28] }));
    writeFileSync(path('v.npy'), encodeNpy({ data: values(30, 2), shape: [3, 10] }));

    const grad = (model: string, out: string) =>
      brink('grad', path(model), '--input', path('x.npy'), '--cotangent', path('v.npy'), '--out', path(out), '--mean', '0.5', '--std', '0.25', '--device', 'cpu', '--json');
    expect(grad('inside/net.onnx', 'inside.npy')).toMatchObject({ code: 0 });
    const result = grad('outside/net.onnx', 'outside.npy');
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({ shape: [3, 1, 28, 28], provider: 'cpu' });
    const read = (name: string) => decodeNpyFloat32(new Uint8Array(readFileSync(path(name))), name).data;
    expect(read('outside.npy')).toEqual(read('inside.npy'));
    expect(read('outside.npy').some((g) => g !== 0)).toBe(true);

    const escaping = structuredClone(m);
    escaping.graph!.initializer!.find((t) => t.name === 'fc.weight')!.externalData![0] = { key: 'location', value: '../inside/net.onnx' };
    writeFileSync(path('outside/escaping.onnx'), encode(escaping));
    const bad = brink('grad', path('outside/escaping.onnx'), '--input', path('x.npy'), '--cotangent', path('v.npy'), '--out', path('bad.npy'));
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe("brink: escaping.onnx: tensor 'fc.weight' has external data location '../inside/net.onnx', which leaves the model's folder ('..')");
  }, 60_000);
});
