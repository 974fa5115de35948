/**
 * Fitting and evaluating the ranker take seconds to minutes of arithmetic. On the server's own thread
 * they would stall its event loop for that long: no connection accepted, no request answered, and
 * when the loop came back its keep-alive timers would fire before the requests that had queued up
 * were read, resetting those connections. Each fit or evaluation therefore runs on a worker thread of
 * its own; the caller waits for it without blocking anything else.
 */
import { Worker } from 'node:worker_threads';
import { AppError } from '../errors.js';
import type { BackboneRanker, Evidence, RankerEvaluation } from '../ranking/index.js';
import type { RankerReply, RankerTask, ThreadEvaluationOptions } from './ranker-worker.js';
import { workerSource } from '../worker-source.js';

function inThread(task: RankerTask): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerSource(import.meta.url, 'ranker-worker'), { eval: true, workerData: task });
    let answered = false;
    worker.once('message', (reply: RankerReply) => {
      answered = true;
      if (reply.ok) return resolve(reply.value);
      if (reply.app)
        return reject(new AppError(reply.app.code, reply.app.title, reply.message, reply.app.fields, reply.app.where));
      const error = new Error(reply.message);
      if (reply.stack !== undefined) error.stack = reply.stack;
      reject(error);
    });
    worker.once('error', (e) => {
      answered = true;
      reject(e);
    });
    worker.once('exit', (code) => {
      if (!answered) reject(new Error(`the ranker's worker thread exited with code ${code} without an answer`));
    });
  });
}

export async function fitInThread(evidence: Evidence): Promise<BackboneRanker> {
  return (await inThread({ kind: 'fit', evidence })) as BackboneRanker;
}

export async function evaluateInThread(
  evidence: Evidence,
  options: ThreadEvaluationOptions = {},
): Promise<RankerEvaluation> {
  return (await inThread({ kind: 'evaluate', evidence, options })) as RankerEvaluation;
}
