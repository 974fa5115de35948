import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { invalid } from '../errors.js';
import { datasetInputSchema, zodIssues, type DatasetInput } from './dataset.js';

export interface RegistryFile {
  readonly path: string;
  readonly dataset: DatasetInput;
}

function readOne(path: string, shownAs: string): DatasetInput {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'), { prettyErrors: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? `${shownAs}:${err.linePos[0].line}` : shownAs;
    throw invalid(`${where}: not valid YAML (${(err as Error).message.split('\n')[0]})`, [], where);
  }
  const parsed = datasetInputSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    const first = issues[0]!;
    throw invalid(`${shownAs}: field '${first.field}': ${first.message}`, issues, shownAs);
  }
  const expectedId = shownAs
    .split('/')
    .pop()!
    .replace(/\.ya?ml$/, '');
  if (parsed.data.id !== expectedId) {
    throw invalid(
      `${shownAs}: field 'id': '${parsed.data.id}' must equal the file name '${expectedId}'`,
      [{ field: 'id', message: 'must equal the file name' }],
      shownAs,
    );
  }
  return parsed.data;
}

/** Reads and validates every dataset file; the first bad file stops the load before anything is written. */
export function readRegistryDatasets(dir: string): RegistryFile[] {
  const folder = join(dir, 'datasets');
  const files = readdirSync(folder)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  return files.map((f) => {
    const path = join(folder, f);
    return { path, dataset: readOne(path, relative(process.cwd(), path) || path) };
  });
}
