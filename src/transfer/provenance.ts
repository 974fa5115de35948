/**
 * A provenance's one reference: a DOI written as its resolver URL, or any other URL. The store keeps
 * this single string and the API shows it; both read it back into a DOI or a URL the same way.
 */
import { definedOnly } from '../defaults.js';
import type { Provenance } from './types.js';

const DOI_URL = 'https://doi.org/';

export function referenceOf(provenance: Provenance): string | undefined {
  return provenance.doi !== undefined ? DOI_URL + provenance.doi : provenance.url;
}

export function provenanceOf(contributor: string, reference: string | undefined): Provenance {
  if (reference?.startsWith(DOI_URL)) return { contributor, doi: reference.slice(DOI_URL.length) };
  return definedOnly({ contributor, url: reference });
}
