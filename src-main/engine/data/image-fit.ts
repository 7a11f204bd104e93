// Brings an image of any size to a dataset's one size, the way torchvision's evaluation transforms do.
import type { ImageFit } from '../../../src-preload/contract.js';
import { resizeBilinear, type RawImage } from './resample.js';

/** torchvision's _compute_resized_output_size for Resize(size): the short side becomes `size`, the long side int(size * long / short). */
export function shortSideResize(height: number, width: number, size: number): [number, number] {
  const long = Math.trunc((size * Math.max(height, width)) / Math.min(height, width));
  return width <= height ? [long, size] : [size, long];
}

/** torchvision's center_crop offset: int(round((size - crop) / 2.0)), where Python rounds halves to even. */
export function centerCropOffset(size: number, crop: number): number {
  const half = (size - crop) / 2;
  const floor = Math.floor(half);
  if (half - floor !== 0.5) return Math.round(half);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The long side fitted to the box and the short side scaled alike (rounded, at least 1), centred with the zero border split floor-first. */
export function padPlacement(height: number, width: number, [boxHeight, boxWidth]: [number, number]) {
  const byWidth = boxWidth / width <= boxHeight / height;
  const innerHeight = byWidth ? Math.min(boxHeight, Math.max(1, Math.round((height * boxWidth) / width))) : boxHeight;
  const innerWidth = byWidth ? boxWidth : Math.min(boxWidth, Math.max(1, Math.round((width * boxHeight) / height)));
  return { height: innerHeight, width: innerWidth, top: Math.floor((boxHeight - innerHeight) / 2), left: Math.floor((boxWidth - innerWidth) / 2) };
}

/** The image as the fit turns it into a sample; strict returns it unchanged. */
export function fitImage(image: RawImage, fit: ImageFit): RawImage {
  switch (fit.mode) {
    case 'strict':
      return image;
    case 'stretch':
      return resizeBilinear(image, fit.size[0], fit.size[1]);
    case 'crop': {
      const [height, width] = shortSideResize(image.height, image.width, fit.resize);
      const resized = resizeBilinear(image, height, width);
      return place(resized, fit.size, centerCropOffset(height, fit.size[0]), centerCropOffset(width, fit.size[1]));
    }
    case 'pad': {
      const at = padPlacement(image.height, image.width, fit.size);
      return place(resizeBilinear(image, at.height, at.width), fit.size, -at.top, -at.left);
    }
  }
}

/** The box of `size` whose top-left corner sits at (top, left) of the image; outside the image is 0. */
function place(image: RawImage, [height, width]: [number, number], top: number, left: number): RawImage {
  const { channels } = image;
  const out = new Uint8Array(height * width * channels);
  const x0 = Math.max(0, -left);
  const x1 = Math.min(width, image.width - left);
  for (let y = Math.max(0, -top); y < Math.min(height, image.height - top); y++) {
    const from = ((y + top) * image.width + x0 + left) * channels;
    out.set(image.data.subarray(from, from + (x1 - x0) * channels), (y * width + x0) * channels);
  }
  return { data: out, width, height, channels };
}
