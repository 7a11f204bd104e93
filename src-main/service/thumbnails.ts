import sharp from 'sharp';
import type { Thumbnail } from '../../src-preload/contract.js';
import type { SampleBlock } from '../store/dataset-repo.js';

/** PNG data URLs for a block of samples (CHW in the store, HWC for the encoder). */
export async function thumbnails(block: SampleBlock): Promise<Thumbnail[]> {
  const [c, h, w] = block.shape;
  const perSample = c * h * w;
  const out: Thumbnail[] = [];
  for (let i = 0; i < block.count; i++) {
    const hwc = Buffer.alloc(perSample);
    for (let ch = 0; ch < c; ch++) {
      for (let p = 0; p < h * w; p++) {
        const v = block.data[i * perSample + ch * h * w + p];
        hwc[p * c + ch] = block.dtype === 'uint8' ? v : Math.round(Math.min(1, Math.max(0, v)) * 255);
      }
    }
    const png = await sharp(hwc, { raw: { width: w, height: h, channels: c as 1 | 3 } }).png().toBuffer();
    out.push({ index: block.offset + i, label: block.labels[i], src: `data:image/png;base64,${png.toString('base64')}` });
  }
  return out;
}
