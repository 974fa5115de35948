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
export { batchNormActivation, NO_CLAMP, type Clamp, type BatchNormParams } from './batch-norm-activation.js';
export { WASM_KERNELS } from './wasm/register.js';
