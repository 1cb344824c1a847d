/**
 * The options of `mlf envs pack` (MLflow has no such command): the environment rows predict and
 * prepare-env take, so that the archive holds the very environment `mlf models predict` uses, and
 * the archive's path.
 */
import type { FlagRow } from './flag-table.js';
import { COMMON_FLAGS } from './options.js';
import { ENVIRONMENT_FLAGS } from './predict-flags.js';

export const PACK_COMMAND = {
  name: 'envs pack',
  description:
    "Write a model's environment (built or reused as predict does) as a relocatable .tar.gz with mlf's worker and a manifest (mlf-pack.json) inside, for Spark's --archives or MLServer's environment_tarball. uv and virtualenv environments only.",
};

export const PACK_FLAGS: readonly FlagRow[] = [
  ...ENVIRONMENT_FLAGS,
  {
    spellings: ['-o', '--output'],
    argument: 'FILE',
    description: 'the archive to write, e.g. env.tar.gz (its directory must exist; an existing file is replaced atomically)',
    required: true,
    decidesWorker: false,
  },
  ...COMMON_FLAGS,
];
