import { catboostWriter } from './catboost.js';
import type { FlavorWriter } from './flavor-writer.js';
import { kerasWriter } from './keras.js';
import { lightgbmWriter } from './lightgbm.js';
import { loaderModuleWriter } from './loader-module.js';
import { onnxWriter } from './onnx.js';
import { pythonModelWriter } from './python-model.js';
import { pytorchWriter } from './pytorch.js';
import { sklearnWriter } from './sklearn.js';
import { statsmodelsWriter } from './statsmodels.js';
import { tensorflowWriter } from './tensorflow.js';
import { xgboostWriter } from './xgboost.js';

/**
 * The flavors `mlf models package` writes, one writer each (flavor-writer.ts). A new flavor is
 * a new file here and one line in this list; `ModelSource` follows from the list.
 */
const FLAVOR_WRITERS = [sklearnWriter, xgboostWriter, lightgbmWriter, catboostWriter, statsmodelsWriter, onnxWriter, pytorchWriter, kerasWriter, tensorflowWriter, pythonModelWriter, loaderModuleWriter] as const;

type SourceOf<W> = W extends FlavorWriter<infer S> ? S : never;

/** One way of giving a model, as the command's flags name it. */
export type ModelSource = SourceOf<(typeof FLAVOR_WRITERS)[number]>;

export const flavorWriters: readonly FlavorWriter<ModelSource>[] = FLAVOR_WRITERS;

export function flavorWriterFor(source: ModelSource): FlavorWriter<ModelSource> {
  const writer = flavorWriters.find((candidate) => candidate.kind === source.kind);
  // Unreachable while ModelSource is derived from the list above.
  if (!writer) throw new Error(`no flavor writer for \`${source.kind}\``);
  return writer;
}

export type { FlavorWriter } from './flavor-writer.js';
