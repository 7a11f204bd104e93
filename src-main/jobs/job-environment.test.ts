import { describe, expect, it } from 'vitest';
import { cudaLibraryDirs, jobEnvironment, tf32Allowed } from './job-environment.js';

describe('jobEnvironment', () => {
  it('puts the BRINK_CUDA_LIB_DIRS folders in front of LD_LIBRARY_PATH on Linux', () => {
    const env = jobEnvironment({ BRINK_CUDA_LIB_DIRS: '/opt/cuda-13/lib64:/opt/cudnn-9/lib', LD_LIBRARY_PATH: '/usr/local/lib', HOME: '/home/a' }, 'linux');
    expect(env.LD_LIBRARY_PATH).toBe('/opt/cuda-13/lib64:/opt/cudnn-9/lib:/usr/local/lib');
    expect(env.HOME).toBe('/home/a');
  });

  it('sets LD_LIBRARY_PATH when the app had none', () => {
    expect(jobEnvironment({ BRINK_CUDA_LIB_DIRS: '/opt/cuda/lib64' }, 'linux').LD_LIBRARY_PATH).toBe('/opt/cuda/lib64');
  });

  it("puts them in front of PATH on Windows, split on ';' and written to the key as the system spells it", () => {
    const env = jobEnvironment({ BRINK_CUDA_LIB_DIRS: 'C:\\CUDA\\v13\\bin;C:\\cudnn\\bin', Path: 'C:\\Windows' }, 'win32');
    expect(env.Path).toBe('C:\\CUDA\\v13\\bin;C:\\cudnn\\bin;C:\\Windows');
    expect(env.PATH).toBeUndefined();
  });

  it('leaves the search path alone without BRINK_CUDA_LIB_DIRS, and on macOS (no CUDA there)', () => {
    expect(jobEnvironment({ LD_LIBRARY_PATH: '/a' }, 'linux').LD_LIBRARY_PATH).toBe('/a');
    expect(jobEnvironment({ BRINK_CUDA_LIB_DIRS: ' : ' }, 'linux').LD_LIBRARY_PATH).toBeUndefined();
    const mac = jobEnvironment({ BRINK_CUDA_LIB_DIRS: '/opt/cuda' }, 'darwin');
    expect(Object.keys(mac).filter((k) => /LIBRARY_PATH|^PATH$/i.test(k))).toEqual([]);
  });

  it('turns TF32 off unless BRINK_ALLOW_TF32=1', () => {
    expect(jobEnvironment({}, 'linux').NVIDIA_TF32_OVERRIDE).toBe('0');
    expect(jobEnvironment({ BRINK_ALLOW_TF32: 'yes' }, 'linux').NVIDIA_TF32_OVERRIDE).toBe('0');
    expect(jobEnvironment({ BRINK_ALLOW_TF32: '1' }, 'linux').NVIDIA_TF32_OVERRIDE).toBeUndefined();
    expect(tf32Allowed(jobEnvironment({}, 'linux'))).toBe(false);
    expect(tf32Allowed(jobEnvironment({ BRINK_ALLOW_TF32: '1' }, 'linux'))).toBe(true);
  });

  it('does not change the environment it was given', () => {
    const base = { BRINK_CUDA_LIB_DIRS: '/opt/cuda', LD_LIBRARY_PATH: '/a' };
    jobEnvironment(base, 'linux');
    expect(base).toEqual({ BRINK_CUDA_LIB_DIRS: '/opt/cuda', LD_LIBRARY_PATH: '/a' });
  });
});

describe('cudaLibraryDirs', () => {
  it('splits on the platform separator and drops empty entries', () => {
    expect(cudaLibraryDirs({ BRINK_CUDA_LIB_DIRS: '/a::/b ' }, 'linux')).toEqual(['/a', '/b']);
    expect(cudaLibraryDirs({ BRINK_CUDA_LIB_DIRS: 'C:\\a;;C:\\b' }, 'win32')).toEqual(['C:\\a', 'C:\\b']);
    expect(cudaLibraryDirs({}, 'linux')).toEqual([]);
  });
});
