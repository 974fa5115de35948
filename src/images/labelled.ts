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

/**
 * The same dataset with its pixels read a batch at a time instead of held in memory, so that
 * embedding thousands of images costs the memory of the batches in flight.
 */
export interface StreamedImages extends Omit<LabelledImages, 'pixels'> {
  /** The pixels of the images at `indices` (0..count-1, repeats allowed), image after image, in a new buffer. */
  read(indices: ArrayLike<number>): Promise<Uint8Array>;
}

/** A held dataset read as a stream: every read copies the chosen images into a new buffer. */
export function streamOf(images: LabelledImages): StreamedImages {
  const { pixels, ...rest } = images;
  const size = images.height * images.width * images.channels;
  return {
    ...rest,
    read: (indices) => {
      const out = new Uint8Array(indices.length * size);
      for (let i = 0; i < indices.length; i++) {
        const index = indices[i]!;
        if (!Number.isInteger(index) || index < 0 || index >= images.count)
          return Promise.reject(new RangeError(`image index ${index} out of range 0..${images.count - 1}`));
        out.set(pixels.subarray(index * size, (index + 1) * size), i * size);
      }
      return Promise.resolve(out);
    },
  };
}
