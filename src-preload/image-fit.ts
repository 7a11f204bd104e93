/**
 * Image fits (how an image folder's images become one size) as the GUI, the CLI and the service
 * ask for them and show them, so that all three fill defaults and word them alike.
 */
import type { Dim, ImageFit, ImageFitInput, ImageFitMode, ImageFolderSurvey } from './contract';

/** The ImageNet evaluation crop fraction (timm's crop_pct, torchvision's reference scripts): Resize(224 / 0.875 = 256) + CenterCrop(224). */
export const CROP_FRACTION = 0.875;
/** What the import dialog proposes for a folder whose images differ in size. */
export const DEFAULT_FIT_SIDE = 224;

export function defaultResize(size: [number, number]): number {
  return Math.floor(Math.min(size[0], size[1]) / CROP_FRACTION);
}

/**
 * What the fit dialog starts from: as the images are when they share one size (and it is the
 * required size, a model's input, when one is given), else the ImageNet evaluation crop to that size.
 */
export function proposedFit(survey: ImageFolderSurvey, required?: [number, number]): ImageFitInput {
  const { height, width } = survey.commonSize;
  if (survey.differing === 0 && (!required || (required[0] === height && required[1] === width))) return { mode: 'strict' };
  const size: [number, number] = required ?? [DEFAULT_FIT_SIDE, DEFAULT_FIT_SIDE];
  return { mode: 'crop', size, resize: defaultResize(size) };
}

/** The height and width a model's input fixes (its feed shape, [batch, channels, height, width]); null when either is symbolic. */
export function fixedImageSize(feedShape: Dim[] | null): [number, number] | null {
  const [, , height, width] = feedShape ?? [];
  return typeof height === 'number' && typeof width === 'number' ? [height, width] : null;
}

/** Fills crop's default resize and refuses a resize the crop would not fit in, with the reason in one line. */
export function resolveFit(input: ImageFitInput): ImageFit {
  if (input.mode !== 'crop') return input;
  const [height, width] = input.size;
  const resize = input.resize ?? defaultResize(input.size);
  if (resize < Math.max(height, width)) {
    throw new Error(`resize ${resize} is smaller than the crop ${height}x${width}: give a resize of at least ${Math.max(height, width)}`);
  }
  return { mode: 'crop', size: [height, width], resize };
}

/** Parses the CLI's and the form's 'H,W' (or one number for a square). */
export function parseFitSize(text: string): [number, number] {
  const parts = text.split(',').map((part) => part.trim());
  const numbers = parts.map(Number);
  if (parts.length > 2 || numbers.some((n) => !Number.isInteger(n) || n < 1 || n > 4096)) {
    throw new Error(`"${text}" is not a size: write H,W (e.g. 224,224) or one side for a square, each 1 to 4096`);
  }
  return numbers.length === 1 ? [numbers[0], numbers[0]] : [numbers[0], numbers[1]];
}

export const fitModeLabels: Record<ImageFitMode, string> = {
  strict: 'Strict: keep only the images of the most common size',
  crop: 'Center crop: resize the short side, then crop the middle (torchvision Resize + CenterCrop)',
  stretch: 'Stretch: resize both sides to the size (the aspect ratio changes)',
  pad: 'Pad: resize the long side to fit, fill the rest with black',
};

/** One line for the dataset page and `dataset list`. */
export function describeFit(fit: ImageFit): string {
  switch (fit.mode) {
    case 'strict':
      return 'strict: images of the most common size, as they are';
    case 'crop':
      return `center crop: Resize(${fit.resize}) + CenterCrop(${fit.size[0]}×${fit.size[1]}), bilinear with antialias`;
    case 'stretch':
      return `stretch: Resize(${fit.size[0]}×${fit.size[1]}), bilinear with antialias`;
    case 'pad':
      return `pad: long side resized to fit ${fit.size[0]}×${fit.size[1]}, zero border`;
  }
}
