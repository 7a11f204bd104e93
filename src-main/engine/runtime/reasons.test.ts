import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cudaLibraryProblem, readableReason } from './reasons.js';

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
      'libonnxruntime_providers_shared.so is missing: onnxruntime-node was installed without its CUDA 12 provider (reinstall it without ONNXRUNTIME_NODE_INSTALL=skip)',
    );
  });

  it("surfaces the loader's own reason when the provider library is there but does not load", () => {
    folder = mkdtempSync(join(tmpdir(), 'brink-ort-'));
    writeFileSync(join(folder, 'libonnxruntime_providers_shared.so'), 'not a library');
    writeFileSync(join(folder, 'libonnxruntime_providers_cuda.so'), 'not a library');
    const reason = cudaLibraryProblem(folder);
    expect(reason).toMatch(/^[^/\n][^\n]*\(the CUDA provider needs CUDA 12 and cuDNN 9 on the library path\)$/);
  });
});
