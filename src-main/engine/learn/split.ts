import { mulberry32 } from '../random.js';

export interface Split {
  train: Uint32Array;
  validation: Uint32Array;
}

/**
 * A seeded shuffle of 0..n-1 (Fisher-Yates over mulberry32), the first `validationShare` of it
 * held out, as the authors' train_test_split(test_size=0.2) does; each part in ascending order.
 */
export function trainValidationSplit(n: number, seed: number, validationShare = 0.2): Split {
  if (!(validationShare > 0 && validationShare < 1)) throw new RangeError(`the validation share must be in (0, 1), got ${validationShare}`);
  const held = Math.ceil(n * validationShare);
  if (held < 1 || n - held < 1) throw new RangeError(`a train/validation split needs at least 2 samples, got ${n}`);
  const order = Uint32Array.from({ length: n }, (_, k) => k);
  const uniform = mulberry32(seed);
  for (let k = n - 1; k > 0; k--) {
    const j = Math.floor(uniform() * (k + 1));
    [order[k], order[j]] = [order[j], order[k]];
  }
  return { validation: order.slice(0, held).sort(), train: order.slice(held).sort() };
}
