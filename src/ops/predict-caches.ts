/** Where predict's worker keeps its caches; `mlf envs prune` cleans them with the environments. */

/** Where the worker writes bytecode (see mlf_worker.py, --pycache-prefix), under `$MLF_HOME`. */
export const PYCACHE_BUCKET = 'pycache-v1';
/**
 * The worker's skops transcoding cache (mlf_worker.py `load_skops`): inside the environment's own
 * directory, so it goes when the environment is pruned and is never shared by environments with
 * other packages; for the local manager (whose "environment" is the user's own interpreter,
 * where mlf writes nothing) a bucket under `$MLF_HOME` instead.
 */
export const MODEL_CACHE_DIR = 'mlf-model-cache';
export const LOCAL_MODEL_CACHE_BUCKET = 'model-cache-v1';
