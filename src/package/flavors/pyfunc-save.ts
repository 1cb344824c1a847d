import type { FlavorWriter } from './flavor-writer.js';

/**
 * What the two `mlflow.pyfunc.save_model` forms (models from code, loader module) share
 * (mlflow/pyfunc/__init__.py): code paths copied after MLmodel, cloudpickle as the only
 * default requirement, and loading through `mlflow.pyfunc.load_model` for `--capture`.
 */
export const PYFUNC_SAVE = {
  layout: 'pyfunc',
  capture: () => ({ kind: 'pyfunc' }),
  defaultRequirements: () => [{ name: 'cloudpickle', reason: 'flavor default: every pyfunc model requires cloudpickle' }],
} as const satisfies Pick<FlavorWriter<{ kind: string }>, 'layout' | 'capture' | 'defaultRequirements'>;
