/**
 * The environment a job process starts with. Two things must be set before it starts, because
 * they are read when the process or the CUDA libraries load, not later:
 * - BRINK_CUDA_LIB_DIRS (folders separated as in PATH: ':' on Linux, ';' on Windows) goes in
 *   front of the dynamic loader's search path (LD_LIBRARY_PATH on Linux, PATH on Windows), so
 *   the CUDA provider finds CUDA 13, cuBLAS and cuDNN 9 installed outside the system folders
 *   (a conda or pip environment, a tarball in the home folder).
 * - NVIDIA_TF32_OVERRIDE=0 turns TF32 off in cuBLAS and cuDNN, which onnxruntime's CUDA provider
 *   otherwise uses for float32 matrix products and convolutions (10-bit mantissas: gradients and
 *   margins drift from the CPU's far beyond float32 rounding). BRINK_ALLOW_TF32=1 leaves it on.
 */

export type Environment = Readonly<Record<string, string | undefined>>;

/** Whether a process with this environment may use TF32 on CUDA (the driver's override is the only switch JavaScript has). */
export function tf32Allowed(env: Environment): boolean {
  return env.NVIDIA_TF32_OVERRIDE !== '0';
}

/** The library search path variable of a platform, as spelled in `env` (Windows keys are case-insensitive: 'Path'). */
function libraryPathKey(env: Environment, platform: NodeJS.Platform): string | null {
  if (platform === 'win32') return Object.keys(env).find((k) => k.toUpperCase() === 'PATH') ?? 'PATH';
  return platform === 'linux' ? 'LD_LIBRARY_PATH' : null;
}

/** The folders BRINK_CUDA_LIB_DIRS names, empty entries dropped. */
export function cudaLibraryDirs(env: Environment, platform: NodeJS.Platform): string[] {
  const separator = platform === 'win32' ? ';' : ':';
  return (env.BRINK_CUDA_LIB_DIRS ?? '')
    .split(separator)
    .map((d) => d.trim())
    .filter(Boolean);
}

/** The job process's environment, from the app's own (`base`); `base` is left as it is. */
export function jobEnvironment(base: Environment, platform: NodeJS.Platform): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  const dirs = cudaLibraryDirs(base, platform);
  const key = libraryPathKey(base, platform);
  if (dirs.length > 0 && key !== null) {
    const separator = platform === 'win32' ? ';' : ':';
    env[key] = [...dirs, ...(env[key] ? [env[key]] : [])].join(separator);
  }
  if (base.BRINK_ALLOW_TF32 !== '1') env.NVIDIA_TF32_OVERRIDE = '0';
  return env;
}
