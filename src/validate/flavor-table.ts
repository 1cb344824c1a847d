import { isInsideModel, normalizeRelative } from '../model/directory/paths.js';
import { asRecord } from '../model/directory/yaml-source.js';
import type { ModelFileKind } from '../scan/model-file-kind.js';

/**
 * What each MLflow flavor's loader needs, read from MLflow 3.x's flavor modules
 * (mlflow/<flavor>/__init__.py, mlflow/keras/save.py and load.py): the packages its
 * `_load_pyfunc` imports, the files its section names and what kind each must be, and the
 * version key it records. The validate rules (rules/flavors.ts) and the file checks of load.ts
 * are driven by this table alone; a new flavor is a new row.
 */

export interface FlavorNeed {
  /** The distribution MLflow's default requirements name for it. */
  distribution: string;
  /** The module the loader imports. */
  module: string;
  /** Why the loader imports it, for messages: `loads the model with`. */
  why: string;
  /** The distributions that count as providing it, when not every one that installs the module does. */
  providers?: string[];
}

/** A file the flavor's loader opens: the first of `candidates` that exists (a data directory holds one of several). */
export interface FlavorFile {
  /** The MLmodel key that names it (under `flavors.<name>`). */
  key: string;
  /** The path the key names, model-relative. */
  named: string;
  candidates: { path: string; kinds: ModelFileKind[] }[];
}

export interface FlavorSpec {
  /** The key under `flavors`. */
  name: string;
  /** MLmodel's key for the version of the flavor's library, and that library's distribution. */
  versionKey?: { key: string; distribution: string };
  needs(section: Record<string, unknown>, pyfunc: Record<string, unknown> | undefined): FlavorNeed[];
  files(section: Record<string, unknown>): FlavorFile[];
  /** Model files the loader unpickles (scanned like any pickle) and skops files (their schema scanned). */
  serialized(section: Record<string, unknown>): { pickles: string[]; skops: string[] };
}

const need = (distribution: string, module: string, why: string): FlavorNeed => ({ distribution, module, why });

/** `section[key]` as a model-relative path, when it is one. */
function pathAt(section: Record<string, unknown>, key: string): string | undefined {
  const value = section[key];
  return typeof value === 'string' && value !== '' && isInsideModel(value) ? normalizeRelative(value).replace(/\/$/, '') : undefined;
}

function single(section: Record<string, unknown>, key: string, kinds: ModelFileKind[]): FlavorFile[] {
  const named = pathAt(section, key);
  return named ? [{ key, named, candidates: [{ path: named, kinds }] }] : [];
}

/** sklearn's formats: skops (MLflow 3.x's default), pickle, cloudpickle (mlflow/sklearn/__init__.py `_load_model_from_local_file`). */
function sklearnFormat(section: Record<string, unknown>): string {
  const format = section.serialization_format;
  return typeof format === 'string' ? format : 'cloudpickle';
}

/** The format of a file saved through mlflow.sklearn's `_save_model` (sklearn and lightgbm's sklearn API). */
function serializedBy(format: string, file: string | undefined): { pickles: string[]; skops: string[] } {
  if (!file) return { pickles: [], skops: [] };
  return format === 'skops' ? { pickles: [], skops: [file] } : { pickles: [file], skops: [] };
}

function formatNeeds(format: string): FlavorNeed[] {
  if (format === 'skops') return [need('skops', 'skops', 'reads the skops file with')];
  if (format === 'cloudpickle') return [need('cloudpickle', 'cloudpickle', 'unpickles the model with')];
  return [];
}

const none = () => ({ pickles: [], skops: [] });

export const FLAVOR_TABLE: readonly FlavorSpec[] = [
  {
    name: 'sklearn',
    versionKey: { key: 'sklearn_version', distribution: 'scikit-learn' },
    needs: (section) => [need('scikit-learn', 'sklearn', 'loads the model with'), ...formatNeeds(sklearnFormat(section))],
    // A pickle is checked by the pickle scan (MLF504), not twice.
    files: (section) => single(section, 'pickled_model', sklearnFormat(section) === 'skops' ? ['zip'] : []),
    serialized: (section) => serializedBy(sklearnFormat(section), pathAt(section, 'pickled_model')),
  },
  {
    name: 'xgboost',
    versionKey: { key: 'xgb_version', distribution: 'xgboost' },
    needs: () => [need('xgboost', 'xgboost', 'loads the model with')],
    // `model_format` is the extension xgboost chose the format by: json, ubj (the default) or the retired binary `xgb`.
    files: (section) => single(section, 'data', section.model_format === 'json' ? ['json'] : section.model_format === 'ubj' ? ['ubj'] : ['ubj', 'json']),
    serialized: none,
  },
  {
    name: 'lightgbm',
    versionKey: { key: 'lgb_version', distribution: 'lightgbm' },
    needs: (section) => {
      const data = pathAt(section, 'data') ?? '';
      // A Booster is LightGBM's own text file; the sklearn API goes through mlflow.sklearn's formats.
      return [need('lightgbm', 'lightgbm', 'loads the model with'), ...(data.endsWith('.lgb') ? [] : formatNeeds(sklearnFormat(section)))];
    },
    files: (section) => {
      const data = pathAt(section, 'data') ?? '';
      return single(section, 'data', data.endsWith('.lgb') ? ['lightgbm-text'] : sklearnFormat(section) === 'skops' ? ['zip'] : []);
    },
    serialized: (section) => {
      const data = pathAt(section, 'data');
      return data?.endsWith('.lgb') ? none() : serializedBy(sklearnFormat(section), data);
    },
  },
  {
    name: 'catboost',
    versionKey: { key: 'catboost_version', distribution: 'catboost' },
    needs: () => [need('catboost', 'catboost', 'loads the model with')],
    files: (section) => {
      const format = section.save_format ?? 'cbm';
      const kinds: ModelFileKind[] | undefined = format === 'cbm' ? ['catboost-binary'] : format === 'json' ? ['json'] : format === 'onnx' ? ['onnx'] : undefined;
      return kinds ? single(section, 'data', kinds) : [];
    },
    serialized: none,
  },
  {
    name: 'statsmodels',
    versionKey: { key: 'statsmodels_version', distribution: 'statsmodels' },
    needs: () => [need('statsmodels', 'statsmodels', 'unpickles the model with')],
    files: (section) => single(section, 'data', []),
    // statsmodels' `save` is a pickle.
    serialized: (section) => ({ pickles: [pathAt(section, 'data')].filter((p): p is string => p !== undefined), skops: [] }),
  },
  {
    name: 'onnx',
    versionKey: { key: 'onnx_version', distribution: 'onnx' },
    needs: () => [need('onnx', 'onnx', 'reads the model with'), need('onnxruntime', 'onnxruntime', 'runs the model with')],
    files: (section) => single(section, 'data', ['onnx']),
    serialized: none,
  },
  {
    name: 'tensorflow',
    versionKey: { key: 'keras_version', distribution: 'tensorflow' },
    needs: () => [need('tensorflow', 'tensorflow', 'loads the model with')],
    files: (section) => {
      const saved = pathAt(section, 'saved_model_dir');
      if (saved) return [{ key: 'saved_model_dir', named: saved, candidates: [{ path: `${saved}/saved_model.pb`, kinds: [] }] }];
      const data = pathAt(section, 'data');
      if (!data) return [];
      // save_format h5 -> data/model.h5; otherwise data/model.keras (TF >= 2.16) or a SavedModel in data/model/.
      const candidates =
        section.save_format === 'h5'
          ? [{ path: `${data}/model.h5`, kinds: ['hdf5'] as ModelFileKind[] }]
          : [
              { path: `${data}/model.keras`, kinds: ['zip'] as ModelFileKind[] },
              { path: `${data}/model/saved_model.pb`, kinds: [] },
            ];
      return [{ key: 'data', named: data, candidates }];
    },
    serialized: none,
  },
  {
    name: 'keras',
    versionKey: { key: 'keras_version', distribution: 'keras' },
    needs: (section) => {
      const backend = KERAS_BACKENDS[String(section.keras_backend)];
      // Keras 3 is its own distribution: TensorFlow >= 2.16 depends on it but installs no `keras` of its own.
      return [{ ...need('keras', 'keras', 'loads the model with'), providers: ['keras'] }, ...(backend ? [need(backend.distribution, backend.module, 'runs the model (`keras_backend`) with')] : [])];
    },
    files: (section) => {
      const data = pathAt(section, 'data');
      if (!data) return [];
      const candidates =
        section.save_exported_model === true
          ? [{ path: `${data}/model/saved_model.pb`, kinds: [] }]
          : [{ path: `${data}/model.keras`, kinds: ['zip'] as ModelFileKind[] }];
      return [{ key: 'data', named: data, candidates }];
    },
    serialized: none,
  },
  {
    name: 'pytorch',
    versionKey: { key: 'pytorch_version', distribution: 'torch' },
    needs: (_section, pyfunc) => [
      need('torch', 'torch', 'loads the model with'),
      // mlflow.pytorch.pickle_module is cloudpickle; the pt2 format does not unpickle.
      ...(pyfunc?.pickle_module_name === 'mlflow.pytorch.pickle_module' ? [need('cloudpickle', 'cloudpickle', 'unpickles the model (`pickle_module_name`) with')] : []),
    ],
    files: (section) => {
      const data = pathAt(section, 'model_data');
      if (!data) return [];
      // torch.save and torch.export.save both write zip archives (torch >= 1.6).
      return [{ key: 'model_data', named: data, candidates: ['model.pth', 'model.pt2', 'state_dict.pth'].map((file) => ({ path: `${data}/${file}`, kinds: ['zip'] as ModelFileKind[] })) }];
    },
    serialized: none,
  },
  {
    name: 'python_function',
    needs: (section) =>
      // A PythonModel is cloudpickled (mlflow/pyfunc/model.py `_save_model_with_class_artifacts`).
      section.loader_module === 'mlflow.pyfunc.model' && typeof section.python_model === 'string'
        ? [need('cloudpickle', 'cloudpickle', 'unpickles the PythonModel with')]
        : [],
    files: () => [],
    serialized: none,
  },
];

const KERAS_BACKENDS: Record<string, { distribution: string; module: string }> = {
  tensorflow: { distribution: 'tensorflow', module: 'tensorflow' },
  torch: { distribution: 'torch', module: 'torch' },
  jax: { distribution: 'jax', module: 'jax' },
};

export interface FlavorOf {
  spec: FlavorSpec;
  section: Record<string, unknown>;
}

/** The flavors of an MLmodel that the table knows, in MLmodel's order. */
export function knownFlavors(mlmodel: unknown): FlavorOf[] {
  const flavors = asRecord(asRecord(mlmodel)?.flavors);
  const found: FlavorOf[] = [];
  for (const [name, value] of Object.entries(flavors ?? {})) {
    const spec = FLAVOR_TABLE.find((row) => row.name === name);
    const section = asRecord(value);
    if (spec && section) found.push({ spec, section });
  }
  return found;
}

/** Every package the model's flavors' loaders need, with the flavor that needs it. */
export function flavorNeeds(mlmodel: unknown): { flavor: string; need: FlavorNeed }[] {
  const pyfunc = asRecord(asRecord(asRecord(mlmodel)?.flavors)?.python_function);
  return knownFlavors(mlmodel).flatMap(({ spec, section }) => spec.needs(section, pyfunc).map((n) => ({ flavor: spec.name, need: n })));
}
