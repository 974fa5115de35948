/**
 * Every ingestion failure carries a stable code, and the error catalogue's code it amounts to,
 * so that callers map it to their own answer without parsing messages.
 */
import type { ErrorCode } from '../errors.js';
import { definedOnly } from '../defaults.js';

export type IngestionErrorCode =
  | 'INPUT_NOT_FOUND'
  | 'INPUT_TOO_LARGE'
  | 'UPLOAD_TOO_LARGE'
  | 'UNSUPPORTED_FORMAT'
  | 'BAD_OPTIONS'
  | 'BAD_MANIFEST'
  | 'BAD_NPZ'
  | 'EMPTY_DATASET'
  | 'BAD_IMAGES'
  | 'ONE_CLASS'
  | 'CLASS_TOO_SMALL'
  | 'LABEL_WITHOUT_FILE'
  | 'UNLABELLED_FILES'
  | 'MIXED_CHANNELS'
  | 'BAD_SPLIT'
  | 'ARCHIVE_UNSAFE_PATH'
  | 'ARCHIVE_UNSAFE_LINK'
  | 'ARCHIVE_TOO_LARGE'
  | 'ARCHIVE_TOO_MANY_ENTRIES'
  | 'ARCHIVE_CORRUPT'
  | 'TARGET_EXISTS'
  | 'STORED_DATASET_INVALID';

/** Why one image could not be used; several of these make up a BAD_IMAGES error. */
export type ImageIssueCode =
  | 'CORRUPT_IMAGE'
  | 'PIXEL_LIMIT'
  | 'UNSUPPORTED_IMAGE'
  | 'BAD_DICOM'
  | 'UNSUPPORTED_TRANSFER_SYNTAX'
  | 'NOT_DICOM'
  | 'UNLABELLED'
  | 'MISSING_FILE'
  | 'CHANNEL_MISMATCH';

export interface ImageIssue {
  readonly file: string;
  readonly code: ImageIssueCode;
  readonly reason: string;
}

/** The catalogue's code for each failure the uploader can fix; null for the server's own. */
const APP_CODE: Record<IngestionErrorCode, ErrorCode | null> = {
  INPUT_NOT_FOUND: 'not-found',
  INPUT_TOO_LARGE: 'payload-too-large',
  UPLOAD_TOO_LARGE: 'payload-too-large',
  ARCHIVE_TOO_LARGE: 'payload-too-large',
  ARCHIVE_TOO_MANY_ENTRIES: 'payload-too-large',
  UNSUPPORTED_FORMAT: 'unsupported-media-type',
  BAD_OPTIONS: 'invalid-request',
  TARGET_EXISTS: 'conflict',
  STORED_DATASET_INVALID: null,
  BAD_MANIFEST: 'unprocessable',
  BAD_NPZ: 'unprocessable',
  EMPTY_DATASET: 'unprocessable',
  BAD_IMAGES: 'unprocessable',
  ONE_CLASS: 'unprocessable',
  CLASS_TOO_SMALL: 'unprocessable',
  LABEL_WITHOUT_FILE: 'unprocessable',
  UNLABELLED_FILES: 'unprocessable',
  MIXED_CHANNELS: 'unprocessable',
  BAD_SPLIT: 'unprocessable',
  ARCHIVE_UNSAFE_PATH: 'unprocessable',
  ARCHIVE_UNSAFE_LINK: 'unprocessable',
  ARCHIVE_CORRUPT: 'unprocessable',
};

/** How many offending files a message names before summarising; `details` always holds them all. */
const MESSAGE_LIST_LIMIT = 3;

export class IngestionError extends Error {
  override readonly name = 'IngestionError';
  readonly code: IngestionErrorCode;
  /** The offending file (relative to the dataset root where there is one) when a single file is at fault. */
  readonly file: string | undefined;
  /** Every offending image, for BAD_IMAGES; every offending file or label for the list-shaped errors. */
  readonly details: readonly ImageIssue[];

  constructor(
    code: IngestionErrorCode,
    message: string,
    options: { file?: string; details?: readonly ImageIssue[] } = {},
  ) {
    super(message);
    this.code = code;
    this.file = options.file;
    this.details = options.details ?? [];
  }

  /** The error catalogue's code for this failure, or null when it is the server's fault. */
  get appCode(): ErrorCode | null {
    return APP_CODE[this.code];
  }

  toJSON(): { code: IngestionErrorCode; message: string; file?: string; details: readonly ImageIssue[] } {
    return {
      code: this.code,
      message: this.message,
      ...definedOnly({ file: this.file }),
      details: this.details,
    };
  }
}

/** "a, b, c and 17 more" for error messages that name files. */
export function listForMessage(items: readonly string[]): string {
  const shown = items.slice(0, MESSAGE_LIST_LIMIT).join(', ');
  const rest = items.length - MESSAGE_LIST_LIMIT;
  return rest > 0 ? `${shown} and ${rest} more` : shown;
}

export function badImagesError(issues: readonly ImageIssue[], skipBad = 'skip-bad'): IngestionError {
  const lines = issues.map((i) => `${i.file} (${i.reason})`);
  return new IngestionError(
    'BAD_IMAGES',
    `${issues.length} image(s) could not be used: ${listForMessage(lines)}. Fix or remove them, or ingest with ${skipBad} to leave them out.`,
    { details: issues, ...(issues.length === 1 ? { file: issues[0]!.file } : {}) },
  );
}
