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

/**
 * What the CUDA provider of onnxruntime-node 1.27 and later needs on the machine, beside the
 * provider libraries its install downloads (README, "CUDA"): CUDA 13's runtime and cuBLAS,
 * cuDNN 9, and an NVIDIA driver new enough for CUDA 13.
 */
export const CUDA_NEEDS = 'CUDA 13 (libcudart.so.13, libcublas.so.13), cuDNN 9 and an NVIDIA driver r580 or newer';

/** The system library a loader message names, said as what it is; null when it names none of them. */
export function cudaRequirementFor(loaderMessage: string): string | null {
  const library = /(lib[\w.+-]+\.so(?:\.\d+)*|[\w.-]+\.dll)/.exec(loaderMessage)?.[1];
  if (!library) return null;
  const known: [RegExp, string][] = [
    [/^libcudart\.so|^cudart64_/, 'the CUDA 13 runtime'],
    [/^libcublas(?:Lt)?\.so|^cublas(?:Lt)?64_/, 'cuBLAS from CUDA 13'],
    [/^libcudnn[\w]*\.so|^cudnn[\w]*64_/, 'cuDNN 9'],
    [/^libcufft\.so|^cufft64_/, 'cuFFT from CUDA 13'],
    [/^libcurand\.so|^curand64_/, 'cuRAND from CUDA 13'],
    [/^libcuda\.so|^nvcuda\.dll/, 'the NVIDIA driver (r580 or newer)'],
  ];
  const what = known.find(([pattern]) => pattern.test(library))?.[1];
  return what ? `${library} (${what})` : library;
}

/** The provider library onnxruntime-node lacks for CUDA, said in one line; null when both are there. */
export function missingCudaLibrary(folder: string = ortBinaryFolder()): string | null {
  const names = cudaLibraryNames();
  if (names === null) return null;
  const missing = [names.shared, names.cuda].find((name) => !existsSync(join(folder, name)));
  return missing === undefined
    ? null
    : `${missing} is missing: onnxruntime-node ${ortVersion()} was installed without its CUDA provider (reinstall it without ONNXRUNTIME_NODE_INSTALL=skip, or copy the provider files in by hand: README, "CUDA")`;
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
    return cudaLibraryMessage(cause);
  }
  return null;
}

/** A loader failure of the CUDA provider, with the library it lacks named for what it is and where to add its folder. */
export function cudaLibraryMessage(cause: string): string {
  const need = cudaRequirementFor(cause);
  const missing = need ? `missing ${need}; ` : '';
  return `${cause} (${missing}the CUDA provider needs ${CUDA_NEEDS}; add their folders to BRINK_CUDA_LIB_DIRS)`;
}

/** The CUDA error a session or run reports, with what to do when it is the driver. */
export function cudaRuntimeMessage(reason: string): string {
  if (/driver version is insufficient|failure 35\b/i.test(reason)) return `${reason} (the CUDA provider needs an NVIDIA driver r580 or newer for CUDA 13)`;
  if (/no CUDA-capable device|failure 100\b/i.test(reason)) return `${reason} (no NVIDIA GPU is visible to this process)`;
  return reason;
}

function ortVersion(): string {
  const manifest = createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string };
  return manifest.version;
}
