/**
 * The Debian packages a model's libraries need at run time and pip wheels do not carry, by
 * flavor: what MLflow's Dockerfile adds (mlflow/models/docker_utils.py, pyfunc/backend.py:
 * lightgbm and paddle get libgomp1). Nothing else is installed with apt: no compilers, no Java.
 */
import type { MlmodelDocument } from '../model/mlmodel.js';

const PACKAGES_BY_FLAVOR: Readonly<Record<string, readonly string[]>> = {
  lightgbm: ['libgomp1'],
  paddle: ['libgomp1'],
};

export function systemPackagesFor(mlmodel: MlmodelDocument): string[] {
  const flavors = typeof mlmodel.flavors === 'object' && mlmodel.flavors !== null ? Object.keys(mlmodel.flavors) : [];
  return [...new Set(flavors.flatMap((flavor) => PACKAGES_BY_FLAVOR[flavor] ?? []))].sort();
}
