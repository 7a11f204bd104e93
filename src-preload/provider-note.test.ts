import { describe, expect, it } from 'vitest';
import { providerNote } from './provider-note';

describe('providerNote', () => {
  it('says nothing for CPU runs and runs not started', () => {
    expect(providerNote('cpu', [{ provider: 'cpu', ok: true }])).toBeNull();
    expect(providerNote(null, [])).toBeNull();
  });

  it('says GPU results are reproducible within tolerance, with what the CUDA run recorded about TF32', () => {
    expect(providerNote('webgpu', [{ provider: 'cuda', ok: false, reason: 'x' }, { provider: 'webgpu', ok: true }])).toBe(
      'GPU results are reproducible within tolerance, not bit for bit',
    );
    expect(providerNote('cuda', [{ provider: 'cuda', ok: true, tf32: false }])).toBe(
      'GPU results are reproducible within tolerance, not bit for bit; TF32 off (full float32 math)',
    );
    expect(providerNote('cuda', [{ provider: 'cuda', ok: true, tf32: true }])).toMatch(/; TF32 allowed \(BRINK_ALLOW_TF32=1\)/);
    expect(providerNote('cuda', [{ provider: 'cuda', ok: true }])).toBe('GPU results are reproducible within tolerance, not bit for bit');
  });
});
