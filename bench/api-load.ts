/**
 * One load run for `npm run bench:api`, in a process of its own so that the load generator shares its
 * event loop with nothing: an unrecorded warm-up, then the measured run, at the same concurrency.
 * Prints the measured run's autocannon result as one JSON line.
 *   node --import tsx bench/api-load.ts '<autocannon options as JSON>' <warm-up seconds>
 */
import autocannon from 'autocannon';

const [optionsJson, warmup] = process.argv.slice(2);
const options = JSON.parse(optionsJson ?? '') as autocannon.Options;
const warmupSeconds = Number(warmup ?? 0);
if (warmupSeconds > 0) await autocannon({ ...options, duration: warmupSeconds });
const r = await autocannon(options);
console.log(
  JSON.stringify({
    requests: r.requests.total,
    requests_per_second: r.requests.average,
    p50_ms: r.latency.p50,
    p99_ms: r.latency.p99,
    errors: r.errors,
    non_2xx: r.non2xx,
    timeouts: r.timeouts,
  }),
);
