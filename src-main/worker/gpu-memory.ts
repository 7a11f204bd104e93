// The GPU's memory, for a job's default budget on CUDA or WebGPU. onnxruntime-node exposes no
// memory query for either provider, so the driver is asked: nvidia-smi for NVIDIA cards (CUDA,
// and WebGPU on an NVIDIA card), the amdgpu driver's sysfs counters for AMD cards (WebGPU).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const runFile = promisify(execFile);

export interface GpuMemory {
  name: string;
  totalBytes: number;
  freeBytes: number;
  /** Where the figures came from, as the plan shows it. */
  source: 'nvidia-smi' | 'amdgpu';
}

/** What was read, or why nothing could be: the plan then falls back to the machine's memory and says so. */
export type GpuMemoryReading = { gpu: GpuMemory } | { unreadable: string };

const MIB = 1024 * 1024;

/**
 * `nvidia-smi --query-gpu=index,name,memory.total,memory.free --format=csv,noheader,nounits`
 * prints one line per GPU in MiB; `deviceId` is onnxruntime's CUDA device id, which follows the
 * same order unless CUDA_VISIBLE_DEVICES reorders them (then the visible list's entry is meant).
 */
export function parseNvidiaSmi(text: string, deviceId = 0, visible: string | undefined = process.env.CUDA_VISIBLE_DEVICES): GpuMemory | null {
  const rows = text
    .split('\n')
    .map((line) => line.split(',').map((cell) => cell.trim()))
    .filter((cells) => cells.length === 4 && /^\d+$/.test(cells[0]));
  const ids = visible?.trim() ? visible.split(',').map((id) => id.trim()) : null;
  const wanted = ids ? ids[deviceId] : String(deviceId);
  const row = rows.find((cells) => cells[0] === wanted);
  if (!row) return null;
  const total = Number(row[2]);
  const free = Number(row[3]);
  if (!Number.isFinite(total) || !Number.isFinite(free)) return null;
  return { name: row[1], totalBytes: total * MIB, freeBytes: free * MIB, source: 'nvidia-smi' };
}

/** The first amdgpu card under /sys/class/drm with its VRAM counters (bytes), or null. */
export function readAmdgpu(drm = '/sys/class/drm'): GpuMemory | null {
  if (!existsSync(drm)) return null;
  for (const card of readdirSync(drm).filter((name) => /^card\d+$/.test(name)).sort()) {
    const device = join(drm, card, 'device');
    const total = join(device, 'mem_info_vram_total');
    const used = join(device, 'mem_info_vram_used');
    if (!existsSync(total) || !existsSync(used)) continue;
    const totalBytes = Number(readFileSync(total, 'utf8').trim());
    const usedBytes = Number(readFileSync(used, 'utf8').trim());
    if (!Number.isFinite(totalBytes) || !Number.isFinite(usedBytes) || totalBytes <= 0) continue;
    return { name: `AMD GPU (${card})`, totalBytes, freeBytes: Math.max(0, totalBytes - usedBytes), source: 'amdgpu' };
  }
  return null;
}

const NVIDIA_SMI_ARGS = ['--query-gpu=index,name,memory.total,memory.free', '--format=csv,noheader,nounits'];

function queryNvidiaSmi(): string | null {
  try {
    return execFileSync('nvidia-smi', NVIDIA_SMI_ARGS, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

async function queryNvidiaSmiAsync(): Promise<string | null> {
  try {
    return (await runFile('nvidia-smi', NVIDIA_SMI_ARGS, { encoding: 'utf8', timeout: 5000 })).stdout;
  } catch {
    return null;
  }
}

/** nvidia-smi takes a moment and the run form asks for a plan on every change: a reading holds for a few seconds. */
const FRESH_MS = 10_000;
let cached: { at: number; deviceId: number; reading: GpuMemoryReading } | null = null;

function fresh(deviceId: number): GpuMemoryReading | null {
  return cached && cached.deviceId === deviceId && Date.now() - cached.at < FRESH_MS ? cached.reading : null;
}

function remember(smi: string | null, deviceId: number): GpuMemoryReading {
  const nvidia = smi === null ? null : parseNvidiaSmi(smi, deviceId);
  const gpu = nvidia ?? readAmdgpu();
  const reading: GpuMemoryReading = gpu
    ? { gpu }
    : { unreadable: smi === null ? 'nvidia-smi is not available and no amdgpu memory counters were found' : `nvidia-smi lists no GPU ${deviceId}` };
  cached = { at: Date.now(), deviceId, reading };
  return reading;
}

/** For the job process, which plans before its first batch and has no event loop to keep free. */
export function gpuMemory(deviceId = 0): GpuMemoryReading {
  return fresh(deviceId) ?? remember(queryNvidiaSmi(), deviceId);
}

/** The same reading without blocking: the service asks while the app answers other calls. */
export async function readGpuMemory(deviceId = 0): Promise<GpuMemoryReading> {
  return fresh(deviceId) ?? remember(await queryNvidiaSmiAsync(), deviceId);
}
