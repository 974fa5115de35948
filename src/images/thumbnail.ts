/**
 * Small PNG previews of stored images, so people can see what a dataset holds. Stored records are
 * already normalised squares (HWC uint8), so a preview is one resize and one encode.
 */
import sharp from 'sharp';

export const THUMBNAIL_SIZES = { min: 16, max: 256, default: 96 } as const;

export async function thumbnailPng(
  pixels: Uint8Array,
  stored: { readonly size: number; readonly channels: 1 | 3 },
  size: number = THUMBNAIL_SIZES.default,
): Promise<Buffer> {
  const image = sharp(pixels, { raw: { width: stored.size, height: stored.size, channels: stored.channels } })
    // Nearest neighbour keeps 28-pixel MedMNIST images crisp when enlarged; larger ones shrink smoothly.
    .resize(size, size, { kernel: size > stored.size ? 'nearest' : 'lanczos3' });
  // Grey stays one channel rather than being widened to sRGB.
  return (stored.channels === 1 ? image.toColourspace('b-w') : image).png({ compressionLevel: 9 }).toBuffer();
}
