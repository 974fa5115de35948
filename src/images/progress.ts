/**
 * Progress shaped like Task2Vec's (stage, done, total, images per second, ETA), so one CLI
 * progress bar and one job-progress writer serve both.
 */
export type IngestionStage = 'extracting' | 'scanning' | 'normalising';

export interface IngestionProgress {
  readonly stage: IngestionStage;
  /** Images done and due in this stage (extracting counts the archive as one). */
  readonly done: number;
  readonly total: number;
  readonly imagesPerSecond: number;
  /** Seconds left in this stage at the current rate (0 until a rate is known). */
  readonly etaSeconds: number;
}

export type ProgressCallback = (progress: IngestionProgress) => void;

export class ProgressMeter {
  private readonly started = performance.now();
  constructor(
    private readonly stage: IngestionStage,
    private readonly total: number,
    private readonly callback: ProgressCallback | undefined,
  ) {}

  report(done: number): void {
    if (!this.callback) return;
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    this.callback({
      stage: this.stage,
      done,
      total: this.total,
      imagesPerSecond: rate,
      etaSeconds: rate > 0 ? (this.total - done) / rate : 0,
    });
  }
}
