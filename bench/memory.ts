/**
 * Peak memory of embedding 3,000 images at 224 px with the bundled probe, measured as the
 * "Maximum resident set size" of `/usr/bin/time -v` around the built CLI (worker threads share
 * the process, so it covers them). The images are resized copies of the real source samples in
 * ../shared/datasets/sources (DTD, HAM10000, ImageNet, STL-10; one class per source). Peak memory
 * does not grow with the Monte Carlo samples (each batch is freed before the next), so the run
 * uses 200 samples and one head epoch to stay short. Writes bench/results/memory.json and exits 1
 * above the 1.5 GB bound. Needs `npm run build` first.
 *   npm run bench:memory            (BENCH_MEMORY_COUNT=1000 for a smaller folder)
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const COUNT = Number(process.env.BENCH_MEMORY_COUNT ?? 3000);
const SIDE = 224;
const BOUND_KB = 1.5e9 / 1024;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCES = join(ROOT, '..', 'shared', 'datasets', 'sources');
const PLAN = ['dtd-10', 'ham10000', 'imagenet-sample', 'stl10-sample'];

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const path = join(dir, name);
    if ((await stat(path)).isDirectory()) out.push(...(await files(path)));
    else if (/\.(jpe?g|png)$/i.test(name)) out.push(path);
  }
  return out;
}

/** COUNT images, one folder per source, taken from each source in turn until COUNT are written. */
async function build(dir: string): Promise<void> {
  const lists = await Promise.all(PLAN.map((p) => files(join(SOURCES, p))));
  let written = 0;
  for (let round = 0; written < COUNT; round++) {
    let any = false;
    for (const [k, list] of lists.entries()) {
      const file = list[round];
      if (file === undefined || written >= COUNT) continue;
      any = true;
      await mkdir(join(dir, PLAN[k]!), { recursive: true });
      await sharp(file)
        .resize(SIDE, SIDE, { fit: 'fill' })
        .removeAlpha()
        .toColourspace('srgb')
        .jpeg({ quality: 90 })
        .toFile(join(dir, PLAN[k]!, `${written++}.jpg`));
    }
    if (!any) throw new Error(`the sources hold fewer than ${COUNT} images`);
  }
}

function run(args: string[], env: NodeJS.ProcessEnv): { peakKb: number; seconds: number } {
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, join(ROOT, 'dist/src/cli/main.js'), ...args], {
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  const peak = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  if (!peak || !wall) throw new Error(`no /usr/bin/time -v report in:\n${r.stderr.slice(-2000)}`);
  return { peakKb: Number(peak[1]), seconds: Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) };
}

const work = await mkdtemp(join(tmpdir(), 'ta-bench-memory-'));
try {
  const folder = join(work, 'images');
  await build(folder);
  const env = { ...process.env, TA_DATA_DIR: join(work, 'store'), DATABASE_URL: '' };
  const ingest = run(['datasets', 'add', folder, '--name', 'bench-memory', '--id', 'bench-memory'], env);
  const embedArgs = ['embed', 'bench-memory', '--samples', '200', '--epochs', '1'];
  const embed = run(embedArgs, env);
  const result = {
    images: COUNT,
    size: SIDE,
    command: `TA_DATA_DIR=<store> /usr/bin/time -v node dist/src/cli/main.js ${embedArgs.join(' ')}`,
    ingest: { peakRssKb: ingest.peakKb, seconds: ingest.seconds },
    embed: { peakRssKb: embed.peakKb, seconds: embed.seconds },
    boundKb: Math.floor(BOUND_KB),
    cores: availableParallelism(),
    loadAverage: loadavg()[0],
  };
  await mkdir(join(ROOT, 'bench', 'results'), { recursive: true });
  await writeFile(join(ROOT, 'bench', 'results', 'memory.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `${COUNT} images at ${SIDE} px: ingest peak ${(ingest.peakKb / 1024).toFixed(0)} MiB, embed peak ${(embed.peakKb / 1024).toFixed(0)} MiB (bound ${(BOUND_KB / 1024).toFixed(0)} MiB), ${embed.seconds.toFixed(0)} s`,
  );
  if (embed.peakKb > BOUND_KB) process.exitCode = 1;
} finally {
  await rm(work, { recursive: true, force: true });
}
