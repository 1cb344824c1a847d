/** The environment engine: build, reuse, list and prune the Python environments models run in. */
export { prepareEnvironment, environmentPathFor } from './prepare.js';
export { listEnvironments, pruneEnvironments, type CachedEnvironment, type EntryStatus, type PruneResult, type PruneOptions } from './cache.js';
export { splitOverride } from './install-plan.js';
export { parseDuration, formatDuration } from './duration.js';
export { resolveMlfHome } from './home.js';
export { ToolError, isToolError, runTool, redactCredentials } from './exec.js';
export type { EnvMarker } from './marker.js';
export {
  ENV_MANAGER_NAMES,
  parseEnvManagerName,
  parsePythonVersionStrategy,
  type EnvManagerName,
  type EnvRequest,
  type PreparedEnvironment,
  type ProgressEvent,
  type PythonVersionStrategy,
  type InstallStep,
} from './types.js';
export { markInUse } from './in-use.js';
