/**
 * Ingestion throughput and memory: 20,000 distinct 512x512 JPEGs in two classes, ingested at
 * the default working size (224). Generation runs in a child process so the peak RSS printed
 * here belongs to ingestion alone. Writes bench/results/ingest.json.
 *   npm run bench:ingest            (BENCH_INGEST_COUNT=2000 for a quick run)
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { ingestDataset } from '../src/images/index.js';
import { seededRandom } from '../src/random.js';

const COUNT = Number(process.env.BENCH_INGEST_COUNT ?? 20_000);
const SIDE = 512;
const CLASSES = ['class_a', 'class_b'];

/** Each image is a different 512x512 window of a large random texture, so every decode is real work. */
async function generate(dir: string, count: number): Promise<void> {
  const random = seededRandom(20261122);
  const textureSide = 1024;
  const texture = new Uint8Array(textureSide * textureSide * 3);
  let v = 128;
  for (let i = 0; i < texture.length; i++) {
    v = Math.max(0, Math.min(255, v + Math.round((random() - 0.5) * 24)));
    texture[i] = (v + (i % 3) * 40) & 255;
  }
  for (const c of CLASSES) await mkdir(join(dir, c), { recursive: true });
  const window = new Uint8Array(SIDE * SIDE * 3);
  const encode = async (i: number) => {
    const ox = Math.floor(random() * (textureSide - SIDE));
    const oy = Math.floor(random() * (textureSide - SIDE));
    for (let y = 0; y < SIDE; y++)
      window.set(
        texture.subarray(((oy + y) * textureSide + ox) * 3, ((oy + y) * textureSide + ox + SIDE) * 3),
        y * SIDE * 3,
      );
    const jpeg = await sharp(window, { raw: { width: SIDE, height: SIDE, channels: 3 } })
      .jpeg({ quality: 85 })
      .toBuffer();
    await writeFile(join(dir, CLASSES[i % 2]!, `${String(i).padStart(6, '0')}.jpg`), jpeg);
  };
  for (let i = 0; i < count; i++) await encode(i);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--generate') {
    await generate(process.argv[3]!, Number(process.argv[4]));
    return;
  }
  const work = await mkdtemp(join(tmpdir(), 'bench-ingest-'));
  try {
    const source = join(work, 'source');
    const staging = join(work, 'staging');
    await mkdir(staging, { recursive: true });
    const g0 = performance.now();
    const child = spawnSync(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), '--generate', source, String(COUNT)],
      { stdio: 'inherit' },
    );
    if (child.status !== 0) throw new Error('generating the benchmark images failed');
    console.log(`generated ${COUNT} ${SIDE}x${SIDE} JPEGs in ${((performance.now() - g0) / 1000).toFixed(1)} s`);

    const rssBefore = process.memoryUsage().rss;
    let lastPrint = 0;
    const t0 = performance.now();
    const result = await ingestDataset({ path: source }, { stagingDir: staging }, (p) => {
      const now = performance.now();
      if (now - lastPrint > 5000) {
        lastPrint = now;
        console.log(`  ${p.stage} ${p.done}/${p.total} (${p.imagesPerSecond.toFixed(0)}/s)`);
      }
    });
    const seconds = (performance.now() - t0) / 1000;
    const peakRssMiB = process.resourceUsage().maxRSS / 1024;
    const report = {
      images: result.imageCount,
      sourceSize: `${SIDE}x${SIDE} JPEG`,
      workingSize: result.size,
      channels: result.channels,
      seconds: Number(seconds.toFixed(2)),
      imagesPerSecond: Number((result.imageCount / seconds).toFixed(1)),
      peakRssMiB: Number(peakRssMiB.toFixed(1)),
      rssBeforeIngestMiB: Number((rssBefore / 1024 ** 2).toFixed(1)),
      storedMiB: Number((result.storedBytes / 1024 ** 2).toFixed(1)),
      cores: availableParallelism(),
      /** Other work on the machine slows the rate; the 1-minute load average at the end says how much. */
      loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
      node: process.version,
      sharp: sharp.versions.sharp,
      libvips: sharp.versions.vips,
      date: new Date().toISOString(),
    };
    console.log(
      `ingested ${report.images} images in ${report.seconds} s: ${report.imagesPerSecond} images/s, peak RSS ${report.peakRssMiB} MiB`,
    );
    const out = join(fileURLToPath(new URL('.', import.meta.url)), 'results');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'ingest.json'), JSON.stringify(report, null, 2) + '\n');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
