import type { Db } from './session.js';
import { AppError, invalid } from '../errors.js';
import { listProbes, type ProbeRecord } from '../store/index.js';
import { shortProbeId } from '../probes/index.js';

/**
 * Finds a registered probe by id, unique id prefix (at least 6 characters) or unique name.
 * Several probes may share a name (one folder at several input sizes): then the id is needed.
 */
export async function findProbe({ knex: db }: Db, ref: string, field = 'probe'): Promise<ProbeRecord> {
  const all = await listProbes(db);
  const exact = all.find((p) => p.id === ref);
  if (exact) return exact;
  const byPrefix = ref.length >= 6 ? all.filter((p) => p.id.startsWith(ref)) : [];
  const byName = all.filter((p) => p.name === ref);
  const matches = byPrefix.length > 0 ? byPrefix : byName;
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw invalid(
      `probe '${ref}' is ambiguous: ${matches.map((p) => `${shortProbeId(p.id)} (${p.name}, ${p.input_size} px)`).join(', ')}; give more of the id`,
      [{ field, message: 'ambiguous' }],
    );
  }
  throw new AppError(
    'not-found',
    'Unknown probe',
    `no probe '${ref}'; see transfer-atlas probes list, or register a folder with transfer-atlas probes add <folder>`,
    [{ field, message: `unknown probe '${ref}'` }],
  );
}
