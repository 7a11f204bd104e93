// Turns onnxruntime's provider errors into one readable line. Its messages start with the C++
// source location and function signature, and the CUDA loader's real cause (the dlerror text)
// goes only to its native log, so the useful part has to be dug out.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';

const MAX_REASON = 300;

/** The first line of an error, without onnxruntime's source-location and status prefixes. */
export function readableReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  let line = text.trim().split('\n', 1)[0].trim();
  line = line.replace(/^\[ONNXRuntimeError\] : \d+ : \w+ : /, '');
  const adapter = /Failed to get a WebGPU adapter:?\s*(.*)$/.exec(line);
  if (adapter !== null) return adapter[1] ? `no WebGPU adapter (${adapter[1].replace(/\.$/, '')})` : 'no WebGPU adapter';
  const gpuCall = /((?:CUDA|CUDNN|CUBLAS) (?:failure|error) \d+: [^;]+)/.exec(line);
  if (gpuCall !== null) return gpuCall[1].trim();
  // "/onnxruntime_src/.../file.cc:136 <signature> <condition> was false. <what happened>"
  if (/^\S+\.(?:cc|cpp|h):\d+ /.test(line)) {
    const afterCheck = / was false\. (.+)$/.exec(line);
    if (afterCheck !== null) line = afterCheck[1];
  }
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON - 1)}…` : line;
}

/** Where onnxruntime-node keeps its native libraries (the provider libraries must sit beside them). */
export function ortBinaryFolder(): string {
  const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
  return join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
}

function cudaLibraryNames(): { shared: string; cuda: string } | null {
  if (process.platform === 'linux') return { shared: 'libonnxruntime_providers_shared.so', cuda: 'libonnxruntime_providers_cuda.so' };
  if (process.platform === 'win32') return { shared: 'onnxruntime_providers_shared.dll', cuda: 'onnxruntime_providers_cuda.dll' };
  return null;
}

/** The provider library onnxruntime-node lacks for CUDA, said in one line; null when both are there. */
export function missingCudaLibrary(folder: string = ortBinaryFolder()): string | null {
  const names = cudaLibraryNames();
  if (names === null) return null;
  const missing = [names.shared, names.cuda].find((name) => !existsSync(join(folder, name)));
  return missing === undefined
    ? null
    : `${missing} is missing: onnxruntime-node was installed without its CUDA 12 provider (reinstall it without ONNXRUNTIME_NODE_INSTALL=skip)`;
}

/**
 * Why the CUDA provider library does not load: a provider library missing from onnxruntime-node,
 * or the system library it needs ("libcudnn.so.9: cannot open shared object file"). Null when
 * neither explains the failure. Loading the library is harmless here: it is only reached after
 * onnxruntime itself failed to load it, so the load fails again and leaves nothing behind.
 */
export function cudaLibraryProblem(folder: string = ortBinaryFolder()): string | null {
  const names = cudaLibraryNames();
  if (names === null) return null;
  const missing = missingCudaLibrary(folder);
  if (missing !== null) return missing;
  const library = join(folder, names.cuda);
  try {
    process.dlopen({ exports: {} }, library, constants.dlopen.RTLD_LAZY);
  } catch (error) {
    const line = readableReason(error);
    // Loading worked and only Node's add-on check failed: the libraries are not the problem.
    if (/did not self-register|napi_register_module/i.test(line)) return null;
    const cause = line.startsWith(`${library}: `) ? line.slice(library.length + 2) : line;
    return `${cause} (the CUDA provider needs CUDA 12 and cuDNN 9 on the library path)`;
  }
  return null;
}
