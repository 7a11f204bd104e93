import { describe, expect, it } from 'vitest';
import { nodePlacement, placementText } from './placement.js';
import { availabilityLines, marginAgreement, relativeMaxError, resultTable } from './report.js';

const event = (name: string, provider: string, op: string) => ({ cat: 'Node', name: `${name}_kernel_time`, args: { provider, op_name: op } });

describe('nodePlacement', () => {
  it('counts each node once per provider and lists the ops that left the session provider', () => {
    const events = [
      { cat: 'Session', name: 'model_loading_array' },
      event('conv', 'CUDAExecutionProvider', 'Conv'),
      event('conv', 'CUDAExecutionProvider', 'Conv'),
      event('unpool', 'CPUExecutionProvider', 'MaxUnpool'),
      event('shape', 'CPUExecutionProvider', 'Shape'),
      event('shape2', 'CPUExecutionProvider', 'Shape'),
      { cat: 'Node', name: 'conv_fence_before', args: { provider: 'CUDAExecutionProvider', op_name: 'Conv' } },
    ];
    const placement = nodePlacement(events, 'cuda');
    expect(placement).toEqual({ nodesByProvider: { CUDAExecutionProvider: 1, CPUExecutionProvider: 3 }, elsewhere: { MaxUnpool: 1, Shape: 2 } });
    expect(placementText(placement)).toBe('CPU 3, CUDA 1 (elsewhere: Shape 2, MaxUnpool 1)');
  });

  it('has nothing elsewhere when every node ran on the session provider', () => {
    expect(placementText(nodePlacement([event('a', 'CPUExecutionProvider', 'Relu')], 'cpu'))).toBe('CPU 1');
    expect(placementText(nodePlacement([], 'webgpu'))).toBe('no nodes profiled');
  });
});

describe('the figures', () => {
  it('relative max error is the largest difference over the largest reference value', () => {
    expect(relativeMaxError([1, 2.5, -4], [1, 2, -5])).toBeCloseTo(0.2);
    expect(relativeMaxError([0, 0], [0, 0])).toBe(0);
    expect(() => relativeMaxError([1], [1, 2])).toThrow(RangeError);
  });

  it('compares margins over the samples both runs found, and counts the samples only one found', () => {
    const got = Float64Array.of(0.1, 0.22, Infinity, 0.3);
    const want = Float64Array.of(0.1, 0.2, 0.5, Infinity);
    const { maxError, foundByOne } = marginAgreement(got, want);
    expect(maxError).toBeCloseTo(0.02 / 0.2);
    expect(foundByOne).toBe(2);
  });

  it('puts CPU first within each check and says why a provider is unavailable', () => {
    const text = resultTable([
      { check: 'goldens', provider: 'cuda', maxError: 2e-6, reference: 'PyTorch', imagesPerSecond: 1234.5, placement: 'CUDA 10' },
      { check: 'goldens', provider: 'cpu', maxError: 1e-7, reference: 'PyTorch', imagesPerSecond: 50.25, placement: 'CPU 10' },
    ]).split('\n');
    expect(text[2]).toMatch(/^\| goldens \| +cpu \| +1\.00e-7 \| +PyTorch \| +50\.3 \| +CPU 10 \|$/);
    expect(text[3]).toMatch(/\| +cuda \| +2\.00e-6 \| +PyTorch \| +1235 \| +CUDA 10 \|$/);
    expect(availabilityLines([{ provider: 'cpu', ok: true }, { provider: 'cuda', ok: false, reason: 'libcudart.so.13 is missing' }])).toEqual([
      'cpu: available',
      'cuda: unavailable: libcudart.so.13 is missing',
    ]);
  });
});
