export type { PixelScaling, Probe, ProbeIdentity, ProbeInput, ProbeWeight, ProbeWeightKind } from './probe.js';
export { probeFromLayersModel, type LayersProbeMeta } from './layers-probe.js';
export { loadProbe, readLayersArtifacts, defaultProbeFolder, DEFAULT_PROBE_DIRNAME } from './load.js';
export { probeIdentityHash, shortProbeId } from './identity.js';
export { isBundledLocation, BUNDLED_LOCATION_PREFIX } from './location.js';
