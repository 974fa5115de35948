/**
 * A labelled image dataset held in memory, as Task2Vec consumes it: uint8 pixels, NHWC,
 * every image the same size. Ingestion produces this from stored images; Task2Vec consumes it and never reads files.
 */
export interface LabelledImages {
  /** The dataset's id, recorded in the embedding. */
  readonly id: string;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: 1 | 3;
  /** count * height * width * channels bytes, image after image, rows then columns then channels. */
  readonly pixels: Uint8Array;
  /** One class label per image: any non-negative integers; they need not be contiguous. */
  readonly labels: Int32Array;
}
