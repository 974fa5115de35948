/** Where a registered probe's weights live; plain strings, so that readers need no tensor code. */
export const BUNDLED_LOCATION_PREFIX = 'bundled:';

export function isBundledLocation(location: string | undefined): boolean {
  return location?.startsWith(BUNDLED_LOCATION_PREFIX) ?? false;
}
