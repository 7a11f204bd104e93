// `dataset add` and `screen` `--fit crop|stretch|pad|strict --size H,W [--resize S]`: the options as one ImageFitInput.
import { InvalidArgumentError } from 'commander';
import { imageFitModes, type ImageFitInput, type ImageFitMode } from '../../src-preload/contract.js';
import { DEFAULT_FIT_SIDE, parseFitSize } from '../../src-preload/image-fit.js';
import { UserError } from '../errors.js';

export interface FitOptions {
  fit?: ImageFitMode;
  size?: [number, number];
  resize?: number;
}

export function fitMode(value: string): ImageFitMode {
  if (!(imageFitModes as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${imageFitModes.join(', ')}`);
  return value as ImageFitMode;
}

export function fitSize(value: string): [number, number] {
  try {
    return parseFitSize(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

/** Undefined without --fit (the service's strict default); --size defaults to 224,224, or to the size given (`screen`: the model's input). */
export function fitFromOptions({ fit, size, resize }: FitOptions, defaultSize: [number, number] = [DEFAULT_FIT_SIDE, DEFAULT_FIT_SIDE]): ImageFitInput | undefined {
  if (fit === undefined || fit === 'strict') {
    if (size !== undefined || resize !== undefined) {
      throw new UserError(`--size and --resize need --fit crop, stretch or pad${fit === 'strict' ? ': strict keeps the images as they are' : ''}`);
    }
    return fit === undefined ? undefined : { mode: 'strict' };
  }
  if (resize !== undefined && fit !== 'crop') throw new UserError(`--resize applies to --fit crop only, not ${fit}`);
  const box = size ?? defaultSize;
  return fit === 'crop' ? { mode: 'crop', size: box, resize } : { mode: fit, size: box };
}
