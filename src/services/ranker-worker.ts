/**
 * The body of the ranker's worker thread (see ranker-thread.ts): one fit or one evaluation, then the
 * answer or the error, and the thread ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AppError, type ErrorCode, type FieldError } from '../errors.js';
import { evaluateRanker, fitBackboneRanker, type Evidence } from '../ranking/index.js';

/** Only plain options cross to the thread: the evaluation's scope predicates are functions. */
export interface ThreadEvaluationOptions {
  readonly bootstrapResamples?: number;
  readonly nullRepeats?: number;
}

export type RankerTask =
  | { readonly kind: 'fit'; readonly evidence: Evidence }
  | { readonly kind: 'evaluate'; readonly evidence: Evidence; readonly options: ThreadEvaluationOptions };

export type RankerReply =
  | { readonly ok: true; readonly value: unknown }
  | {
      readonly ok: false;
      readonly app?: {
        readonly code: ErrorCode;
        readonly title: string;
        readonly fields: readonly FieldError[];
        readonly where?: string;
      };
      readonly message: string;
      readonly stack?: string;
    };

function run(task: RankerTask): unknown {
  return task.kind === 'fit' ? fitBackboneRanker(task.evidence) : evaluateRanker(task.evidence, task.options);
}

let reply: RankerReply;
try {
  reply = { ok: true, value: run(workerData as RankerTask) };
} catch (e) {
  const error = e instanceof Error ? e : new Error(String(e));
  reply = {
    ok: false,
    message: error.message,
    ...(error.stack !== undefined ? { stack: error.stack } : {}),
    ...(e instanceof AppError
      ? {
          app: {
            code: e.code,
            title: e.title,
            fields: [...e.fields],
            ...(e.where !== undefined ? { where: e.where } : {}),
          },
        }
      : {}),
  };
}
parentPort!.postMessage(reply);
