/**
 * The six properties of the "Cats, not CAT scans" questionnaire, each with a closed vocabulary.
 * Closed so that two observers' answers compare by equality and a typo is an error, not a new value.
 */

export const ORIGINS = ['natural', 'medical'] as const;
export const COLOURS = ['grey', 'colour'] as const;
export const CONTENTS = ['objects', 'textures'] as const;
/** Extend by appending; ids are stored, so never rename one. */
export const KINDS = [
  'everyday-objects',
  'animals',
  'scenes',
  'natural-textures',
  'cells',
  'tissue',
  'organs-anatomy',
  'skin',
] as const;
export const DIVERSITIES = ['low', 'medium', 'high'] as const;
export const CLASS_BANDS = ['2', '3-10', '11-100', 'over-100'] as const;

export type Origin = (typeof ORIGINS)[number];
export type Colour = (typeof COLOURS)[number];
export type Content = (typeof CONTENTS)[number];
export type Kind = (typeof KINDS)[number];
export type Diversity = (typeof DIVERSITIES)[number];
export type ClassBand = (typeof CLASS_BANDS)[number];

export interface ExpertFeatures {
  readonly origin: Origin;
  readonly colour: Colour;
  readonly content: Content;
  readonly kind: Kind;
  readonly diversity: Diversity;
  readonly classes: ClassBand;
}

export const EXPERT_PROPERTIES = ['origin', 'colour', 'content', 'kind', 'diversity', 'classes'] as const;
export type ExpertProperty = (typeof EXPERT_PROPERTIES)[number];

export const VOCABULARY: { readonly [P in ExpertProperty]: readonly ExpertFeatures[P][] } = {
  origin: ORIGINS,
  colour: COLOURS,
  content: CONTENTS,
  kind: KINDS,
  diversity: DIVERSITIES,
  classes: CLASS_BANDS,
};
