/**
 * A gallery image as the printed report carries it. The sample explorer's PNGs are exact, and
 * small images (Fashion-MNIST, CIFAR) stay so; a photo-sized PNG weighs ~100 KB and a report has
 * up to 54 of them, which alone would pass the 5 MB the report must stay under. Those become
 * JPEG thumbnails (quality 85, at most 256 px a side: 22 mm at 300 dpi, more than the 20 mm the
 * tile prints at), which Chromium embeds in the PDF as they are.
 */
import sharp from 'sharp';

/** Images of at most this many pixels stay exact PNGs. */
const EXACT_PIXELS = 64 * 64;
const THUMBNAIL_SIDE = 256;
const JPEG_QUALITY = 85;

export async function printImage(dataUrl: string): Promise<string> {
  const png = /^data:image\/png;base64,(.+)$/.exec(dataUrl);
  if (!png) return dataUrl;
  const bytes = Buffer.from(png[1], 'base64');
  const { width = 0, height = 0 } = await sharp(bytes).metadata();
  if (width * height <= EXACT_PIXELS) return dataUrl;
  const jpeg = await sharp(bytes).resize({ width: THUMBNAIL_SIDE, height: THUMBNAIL_SIDE, fit: 'inside', withoutEnlargement: true }).jpeg({ quality: JPEG_QUALITY }).toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}
