import { describe, expect, it } from 'vitest';
import { expectedProvider } from './run-plan.js';

describe('the provider a run plan is shown for before the job starts', () => {
  const nvidia = () => ({ gpu: { name: 'NVIDIA L4', totalBytes: 24e9, freeBytes: 23e9, source: 'nvidia-smi' as const } });
  const none = () => ({ unreadable: 'nvidia-smi is not available' });

  it('is the device asked for when one is named', () => {
    expect(expectedProvider('cpu', () => null, nvidia)).toBe('cpu');
    expect(expectedProvider('webgpu', () => 'missing', none)).toBe('webgpu');
    expect(expectedProvider('cuda', () => 'missing', none)).toBe('cuda');
  });

  it("is CUDA for 'auto' only with onnxruntime's CUDA provider and a GPU the driver reports", () => {
    expect(expectedProvider('auto', () => null, nvidia)).toBe('cuda');
    expect(expectedProvider('auto', () => 'libonnxruntime_providers_cuda.so is missing', nvidia)).toBe('cpu');
    expect(expectedProvider('auto', () => null, none)).toBe('cpu');
  });
});
