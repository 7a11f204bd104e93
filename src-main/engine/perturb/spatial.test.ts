import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromPixels, type ImageShape } from './corruptions.js';
import { rotate, translate } from './spatial.js';

// tools/goldens/make_spatial_goldens.py: SciPy's ndimage.rotate (reshape=False) and ndimage.shift, bilinear, black outside.
interface Golden {
  cases: ({ image: number; values: string } & ({ transform: 'rotation'; degrees: number } | { transform: 'translation'; dx: number; dy: number }))[];
}
interface Images {
  images: { name: string; height: number; width: number; channels: number; pixels: string }[];
}
const golden = JSON.parse(readFileSync(new URL('./goldens/spatial.json', import.meta.url), 'utf8')) as Golden;
const { images } = JSON.parse(readFileSync(new URL('./goldens/corruptions.json', import.meta.url), 'utf8')) as Images;

describe('rotation and translation against SciPy', () => {
  it('equal ndimage.rotate and ndimage.shift (bilinear, black outside) within float32 rounding, on grey and colour images', () => {
    expect(golden.cases.length).toBe(images.length * 12);
    for (const c of golden.cases) {
      const image = images[c.image];
      const shape: ImageShape = { channels: image.channels, height: image.height, width: image.width };
      const clean = fromPixels(new Uint8Array(Buffer.from(image.pixels, 'base64')), shape);
      const out = c.transform === 'rotation' ? rotate(clean, shape, c.degrees) : translate(clean, shape, c.dx, c.dy);
      const bytes = Buffer.from(c.values, 'base64');
      const expected = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      let worst = 0;
      for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i] - expected[i]));
      expect(worst, `${image.name}, ${JSON.stringify({ ...c, values: undefined })}`).toBeLessThan(1e-6);
    }
  });
});
