/**
 * The environment PyTorch references run in, so that Brink is compared with PyTorch at its
 * best on this machine: glibc's malloc otherwise hands large temporaries to mmap and trims its
 * heap after every free (40-55% system time measured here), and Debian's torch calls an
 * OpenBLAS that ignores torch.set_num_threads.
 */
export function torchEnv(threads: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    MALLOC_MMAP_THRESHOLD_: '4000000000',
    MALLOC_TRIM_THRESHOLD_: '4000000000',
    OPENBLAS_NUM_THREADS: String(threads),
    OMP_NUM_THREADS: String(threads),
  };
}
