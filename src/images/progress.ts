/** Progress in the shape embeddings use too: items done, rate and ETA, per phase. */
export type IngestionPhase = 'extracting' | 'scanning' | 'normalising';

export interface IngestionProgress {
  readonly phase: IngestionPhase;
  readonly done: number;
  readonly total: number;
  readonly ratePerSecond: number;
  /** Seconds left at the current rate; null until a rate is known. */
  readonly etaSeconds: number | null;
}

export type ProgressCallback = (progress: IngestionProgress) => void;

export class ProgressMeter {
  private readonly started = performance.now();
  constructor(private readonly phase: IngestionPhase, private readonly total: number, private readonly callback: ProgressCallback | undefined) {}

  report(done: number): void {
    if (!this.callback) return;
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    this.callback({ phase: this.phase, done, total: this.total, ratePerSecond: rate, etaSeconds: rate > 0 ? (this.total - done) / rate : null });
  }
}
