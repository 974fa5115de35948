/**
 * A chest X-ray folder as people have it: grey PNGs with a few RGB JPEG figures among them, made
 * from the real Kermany chest X-rays and HAM10000 images in ../shared/datasets/sources.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';

const SOURCES = '../shared/datasets/sources';

async function firstFiles(dir: string, n: number): Promise<string[]> {
  return (await readdir(dir))
    .sort()
    .slice(0, n)
    .map((f) => join(dir, f));
}

/** `grey` grey PNGs per class from the chest X-rays, and `colour` RGB JPEGs (dermoscopy) in total, into class folders. */
export async function chestFolder(root: string, grey: number, colour: number): Promise<string[]> {
  const figures: string[] = [];
  const colourFiles = await firstFiles(join(SOURCES, 'ham10000', 'nv'), colour);
  for (const [k, label] of ['normal', 'pneumonia'].entries()) {
    await mkdir(join(root, label), { recursive: true });
    for (const file of await firstFiles(join(SOURCES, 'chest-xray-kermany', label), grey)) {
      const name = file.slice(file.lastIndexOf('/') + 1).replace(/\.jpe?g$/i, '.png');
      await sharp(file)
        .toColourspace('b-w')
        .png()
        .toFile(join(root, label, name));
    }
    // The figures go into alternate classes, as a user's stray files would.
    for (const [i, file] of colourFiles.entries()) {
      if (i % 2 !== k) continue;
      const name = `figure-${i}.jpg`;
      await sharp(file)
        .resize(160, 120)
        .jpeg()
        .toFile(join(root, label, name));
      figures.push(`${label}/${name}`);
    }
  }
  return figures.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}
