import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { gpuMemory, parseNvidiaSmi, readAmdgpu, readGpuMemory } from './gpu-memory.js';

const MIB = 1024 * 1024;
// What `nvidia-smi --query-gpu=index,name,memory.total,memory.free --format=csv,noheader,nounits` prints on a two-GPU machine.
const TWO_GPUS = '0, NVIDIA H100 80GB HBM3, 81559, 81004\n1, NVIDIA RTX A4000, 16376, 15900\n';

describe('the GPU memory nvidia-smi reports', () => {
  it('reads the device onnxruntime runs on, in bytes', () => {
    expect(parseNvidiaSmi(TWO_GPUS, 0, undefined)).toEqual({ name: 'NVIDIA H100 80GB HBM3', totalBytes: 81559 * MIB, freeBytes: 81004 * MIB, source: 'nvidia-smi' });
    expect(parseNvidiaSmi(TWO_GPUS, 1, undefined)?.name).toBe('NVIDIA RTX A4000');
  });

  it('follows CUDA_VISIBLE_DEVICES: device 0 of "1" is the second card', () => {
    expect(parseNvidiaSmi(TWO_GPUS, 0, '1')?.name).toBe('NVIDIA RTX A4000');
    expect(parseNvidiaSmi(TWO_GPUS, 1, '1')).toBeNull();
  });

  it('gives null for a device it does not list and for lines it cannot read', () => {
    expect(parseNvidiaSmi(TWO_GPUS, 2, undefined)).toBeNull();
    expect(parseNvidiaSmi('NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.\n', 0, undefined)).toBeNull();
    expect(parseNvidiaSmi('0, Some GPU, [N/A], [N/A]\n', 0, undefined)).toBeNull();
  });
});

describe('the GPU memory the amdgpu driver reports', () => {
  let drm = '';
  afterEach(() => rmSync(drm, { recursive: true, force: true }));

  it('reads the first card with VRAM counters, free = total - used', () => {
    drm = mkdtempSync(join(tmpdir(), 'brink-drm-'));
    mkdirSync(join(drm, 'card0', 'device'), { recursive: true });
    mkdirSync(join(drm, 'card1', 'device'), { recursive: true });
    writeFileSync(join(drm, 'card1', 'device', 'mem_info_vram_total'), '17163091968\n');
    writeFileSync(join(drm, 'card1', 'device', 'mem_info_vram_used'), '1163091968\n');
    expect(readAmdgpu(drm)).toEqual({ name: 'AMD GPU (card1)', totalBytes: 17163091968, freeBytes: 16e9, source: 'amdgpu' });
  });

  it('gives null where there is no such card', () => {
    drm = mkdtempSync(join(tmpdir(), 'brink-drm-'));
    mkdirSync(join(drm, 'card0', 'device'), { recursive: true });
    expect(readAmdgpu(drm)).toBeNull();
    expect(readAmdgpu(join(drm, 'absent'))).toBeNull();
  });
});

describe("asking the driver from the service's process", () => {
  it('waits for nvidia-smi without blocking the event loop, and the job process then reads the same reading', async () => {
    // A stand-in nvidia-smi that takes 300 ms, first on PATH.
    const bin = mkdtempSync(join(tmpdir(), 'brink-nvidia-smi-'));
    writeFileSync(join(bin, 'nvidia-smi'), `#!/bin/sh\nsleep 0.3\nprintf '${TWO_GPUS.replace(/\n/g, '\\n')}'\n`);
    chmodSync(join(bin, 'nvidia-smi'), 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    try {
      const ticks: number[] = [];
      const timer = setInterval(() => ticks.push(Date.now()), 20);
      const reading = await readGpuMemory(0);
      clearInterval(timer);
      expect(reading).toEqual({ gpu: { name: 'NVIDIA H100 80GB HBM3', totalBytes: 81559 * MIB, freeBytes: 81004 * MIB, source: 'nvidia-smi' } });
      // The loop kept turning while nvidia-smi ran (a blocking call would let no timer fire).
      expect(ticks.length).toBeGreaterThanOrEqual(5);
      expect(gpuMemory(0)).toBe(reading);
    } finally {
      process.env.PATH = path;
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
