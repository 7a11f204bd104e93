import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { cudaLibraryMessage, cudaLibraryProblem, cudaRequirementFor, cudaRuntimeMessage, readableReason } from './reasons.js';

const ortVersion = (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;

describe('readableReason', () => {
  it.each([
    [
      'the WebGPU adapter failure (onnxruntime 1.30 on a machine without a GPU)',
      '/onnxruntime_src/onnxruntime/core/providers/webgpu/webgpu_context.cc:136 onnxruntime::webgpu::WebGpuContext::Initialize(const onnxruntime::webgpu::WebGpuContextConfig&)::<lambda()> adapter_result.status == wgpu::RequestAdapterStatus::Success was false. Failed to get a WebGPU adapter: No supported adapters\n',
      'no WebGPU adapter (No supported adapters)',
    ],
    [
      'a CUDA runtime failure',
      '/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_call.cc:129 std::conditional_t<THRW, void, common::Status> onnxruntime::CudaCall(ERRTYPE, const char*, const char*, SUCCTYPE, const char*, const char*, int) [with ERRTYPE = cudaError; bool THRW = true] CUDA failure 100: no CUDA-capable device is detected ; GPU=0 ; hostname=box ; file=cuda_execution_provider.cc ; line=283 ; expr=cudaSetDevice(info_.device_id);',
      'CUDA failure 100: no CUDA-capable device is detected',
    ],
    [
      'a failed check with a source location',
      '/onnxruntime_src/onnxruntime/core/framework/x.cc:12 void f() ok was false. The thing broke\nmore detail',
      'The thing broke',
    ],
    ['a status prefix', '[ONNXRuntimeError] : 7 : INVALID_PROTOBUF : Load model from buffer failed:Protobuf parsing failed.', 'Load model from buffer failed:Protobuf parsing failed.'],
    ['an ordinary message', 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library', 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library'],
  ])('keeps the useful line of %s', (_, message, expected) => {
    expect(readableReason(new Error(message))).toBe(expected);
  });

  it('caps very long lines', () => {
    expect(readableReason('x'.repeat(1000))).toHaveLength(300);
  });
});

describe.runIf(process.platform === 'linux')('cudaLibraryProblem', () => {
  let folder = '';
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('says which provider library onnxruntime-node lacks', () => {
    folder = mkdtempSync(join(tmpdir(), 'brink-ort-'));
    expect(cudaLibraryProblem(folder)).toBe(
      `libonnxruntime_providers_shared.so is missing: onnxruntime-node ${ortVersion} was installed without its CUDA provider (reinstall it without ONNXRUNTIME_NODE_INSTALL=skip, or copy the provider files in by hand: README, "CUDA")`,
    );
  });

  it("surfaces the loader's own reason when the provider library is there but does not load", () => {
    folder = mkdtempSync(join(tmpdir(), 'brink-ort-'));
    writeFileSync(join(folder, 'libonnxruntime_providers_shared.so'), 'not a library');
    writeFileSync(join(folder, 'libonnxruntime_providers_cuda.so'), 'not a library');
    const reason = cudaLibraryProblem(folder);
    expect(reason).toMatch(/^[^/\n][^\n]*\(the CUDA provider needs CUDA 13 \(libcudart\.so\.13, libcublas\.so\.13\), cuDNN 9 and an NVIDIA driver r580 or newer; add their folders to BRINK_CUDA_LIB_DIRS\)$/);
  });
});

describe('what the CUDA provider lacks, in words', () => {
  it.each([
    ['libcudart.so.13: cannot open shared object file: No such file or directory', 'libcudart.so.13 (the CUDA 13 runtime)'],
    ['libcublasLt.so.13: cannot open shared object file: No such file or directory', 'libcublasLt.so.13 (cuBLAS from CUDA 13)'],
    ['libcublas.so.13: cannot open shared object file', 'libcublas.so.13 (cuBLAS from CUDA 13)'],
    ['libcudnn.so.9: cannot open shared object file: No such file or directory', 'libcudnn.so.9 (cuDNN 9)'],
    ['libcuda.so.1: cannot open shared object file', 'libcuda.so.1 (the NVIDIA driver (r580 or newer))'],
    ['libfoo.so.2: cannot open shared object file', 'libfoo.so.2'],
    ['undefined symbol: cudnnCreate', null],
  ])('%s', (message, expected) => {
    expect(cudaRequirementFor(message)).toBe(expected);
  });

  it('names the missing library, everything the provider needs, and the setting that adds library folders', () => {
    expect(cudaLibraryMessage('libcudnn.so.9: cannot open shared object file: No such file or directory')).toBe(
      'libcudnn.so.9: cannot open shared object file: No such file or directory (missing libcudnn.so.9 (cuDNN 9); the CUDA provider needs CUDA 13 (libcudart.so.13, libcublas.so.13), cuDNN 9 and an NVIDIA driver r580 or newer; add their folders to BRINK_CUDA_LIB_DIRS)',
    );
  });

  it('says which driver a CUDA 13 provider needs when the driver is too old, and leaves other errors as they are', () => {
    expect(cudaRuntimeMessage('CUDA failure 35: CUDA driver version is insufficient for CUDA runtime version')).toBe(
      'CUDA failure 35: CUDA driver version is insufficient for CUDA runtime version (the CUDA provider needs an NVIDIA driver r580 or newer for CUDA 13)',
    );
    expect(cudaRuntimeMessage('CUDA failure 100: no CUDA-capable device is detected')).toMatch(/no NVIDIA GPU is visible/);
    expect(cudaRuntimeMessage('CUDA failure 2: out of memory')).toBe('CUDA failure 2: out of memory');
  });
});
