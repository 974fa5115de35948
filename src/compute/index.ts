export {
  initCompute,
  loadBackend,
  backendInfo,
  parseBackendChoice,
  BackendUnavailableError,
  BACKEND_CHOICES,
  type BackendChoice,
  type BackendInfo,
} from './backend.js';
export { loadProbe, probeFromLayersModel, defaultProbeFolder } from '../probes/index.js';
