/**
 * Import names and the distributions that provide them: one table for the whole tool (the
 * predict hint for a missing module, package's inference fallback, validate's offline check).
 *
 * The target interpreter's own `packages_distributions()` is the authority where mlf can ask it;
 * this table covers modules whose import name differs from the distribution's name, for when
 * the module is not installed. The usual distribution comes first; alternatives after it.
 */
export const DISTRIBUTIONS_BY_IMPORT_NAME: Readonly<Record<string, readonly string[]>> = {
  sklearn: ['scikit-learn'],
  skimage: ['scikit-image'],
  cv2: ['opencv-python', 'opencv-python-headless', 'opencv-contrib-python', 'opencv-contrib-python-headless'],
  PIL: ['pillow'],
  yaml: ['pyyaml'],
  bs4: ['beautifulsoup4'],
  dateutil: ['python-dateutil'],
  dotenv: ['python-dotenv'],
  attr: ['attrs'],
  jwt: ['pyjwt'],
  jose: ['python-jose'],
  Crypto: ['pycryptodome'],
  Cryptodome: ['pycryptodomex'],
  git: ['gitpython'],
  OpenSSL: ['pyopenssl'],
  MySQLdb: ['mysqlclient'],
  psycopg2: ['psycopg2-binary', 'psycopg2'],
  google: ['protobuf', 'google-api-core', 'google-auth', 'google-cloud-storage', 'google-cloud-bigquery'],
  google_crc32c: ['google-crc32c'],
  google_auth_oauthlib: ['google-auth-oauthlib'],
  tensorflow: ['tensorflow', 'tensorflow-cpu', 'tensorflow-gpu', 'tensorflow-macos', 'tf-nightly'],
  tensorflow_hub: ['tensorflow-hub'],
  keras: ['keras', 'tensorflow'],
  umap: ['umap-learn'],
  faiss: ['faiss-cpu', 'faiss-gpu'],
  sentence_transformers: ['sentence-transformers'],
  huggingface_hub: ['huggingface-hub'],
  pkg_resources: ['setuptools'],
  magic: ['python-magic'],
  serial: ['pyserial'],
  usb: ['pyusb'],
  zmq: ['pyzmq'],
  docx: ['python-docx'],
  pptx: ['python-pptx'],
  fitz: ['pymupdf'],
  slugify: ['python-slugify'],
  multipart: ['python-multipart'],
  Levenshtein: ['levenshtein', 'python-levenshtein'],
  Bio: ['biopython'],
  wx: ['wxpython'],
  gi: ['pygobject'],
  win32api: ['pywin32'],
  win32com: ['pywin32'],
  pydantic_settings: ['pydantic-settings'],
  typing_extensions: ['typing-extensions'],
  onnxruntime: ['onnxruntime', 'onnxruntime-gpu'],
  pyspark: ['pyspark', 'databricks-connect'],
  imblearn: ['imbalanced-learn'],
};

/**
 * Well-known distributions that install a top-level module of their own name and are not in the
 * table generated from MLflow's environment (deps/known-distributions.ts): the libraries
 * models most often need. A module of one of these names is "known" to come from it; a module
 * whose name is in no table is not assumed to be a distribution of the same name, because a
 * package named after someone's local module is how dependency confusion attacks work.
 */
export const SAME_NAME_DISTRIBUTIONS: ReadonlySet<string> = new Set([
  'xgboost', 'lightgbm', 'catboost', 'torch', 'torchvision', 'torchaudio', 'transformers', 'tokenizers',
  'datasets', 'accelerate', 'safetensors', 'statsmodels', 'prophet', 'nltk', 'spacy', 'gensim', 'sympy',
  'networkx', 'shap', 'optuna', 'onnx', 'polars', 'numba', 'h5py', 'tqdm', 'tabulate', 'seaborn', 'plotly',
  'jax', 'flax', 'openai', 'langchain', 'tiktoken', 'regex', 'openpyxl', 'xlrd', 'lxml', 'boto3', 'botocore',
  'pytz', 'tzdata', 'toolz', 'dask', 'hdbscan',
]);

/**
 * Module names Python 3's pickle writes for protocols < 3 (the `fix_imports` mapping to Python 2
 * names), and other Python 2 standard modules a pickle can name. They are the standard library.
 */
export const PYTHON2_STDLIB_NAMES: ReadonlySet<string> = new Set([
  '__builtin__',
  'copy_reg',
  'cPickle',
  'cStringIO',
  'Queue',
  'StringIO',
  'UserDict',
  'UserList',
  'UserString',
  'exceptions',
  'urlparse',
  'httplib',
  'ConfigParser',
  'repr',
  'thread',
  'dummy_thread',
  '_abcoll',
  'whichdb',
]);

/** `sklearn.ensemble._forest` -> `sklearn`. */
export function topLevelModule(module: string): string {
  const dot = module.indexOf('.');
  return dot < 0 ? module : module.slice(0, dot);
}

/** The distribution that usually provides a module whose import name differs, or undefined. */
export function usualDistribution(module: string): string | undefined {
  const top = topLevelModule(module);
  return Object.prototype.hasOwnProperty.call(DISTRIBUTIONS_BY_IMPORT_NAME, top) ? DISTRIBUTIONS_BY_IMPORT_NAME[top]![0] : undefined;
}

/**
 * The distributions this module's tables know to install a top-level module (usual first), or
 * an empty list: a name in no table is not taken to be a distribution.
 */
export function tableDistributions(module: string): string[] {
  const top = topLevelModule(module);
  const listed = Object.prototype.hasOwnProperty.call(DISTRIBUTIONS_BY_IMPORT_NAME, top) ? [...DISTRIBUTIONS_BY_IMPORT_NAME[top]!] : [];
  if (SAME_NAME_DISTRIBUTIONS.has(top)) listed.push(top);
  return listed;
}

/**
 * The known distribution a misspelled name most likely meant (`scikit-lern` -> `scikit-learn`):
 * the one closest by edit distance among the distributions of this module's tables, when it is
 * at most 2 edits away, the name is not itself known, and no other is as close.
 */
export function closeKnownDistribution(name: string): string | undefined {
  const wanted = canonicalName(name);
  if (wanted.length < 4) return undefined;
  const known = new Set([...Object.values(DISTRIBUTIONS_BY_IMPORT_NAME).flat(), ...SAME_NAME_DISTRIBUTIONS, ...COMMON_DISTRIBUTIONS].map(canonicalName));
  if (known.has(wanted)) return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  let tie = false;
  for (const candidate of known) {
    if (Math.abs(candidate.length - wanted.length) >= bestDistance) continue;
    const distance = editDistance(wanted, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
      tie = false;
    } else if (distance === bestDistance) {
      tie = true;
    }
  }
  return best && !tie ? best : undefined;
}

/** Distributions models often list whose import name is their own, for spelling suggestions only. */
const COMMON_DISTRIBUTIONS = ['numpy', 'pandas', 'scipy', 'mlflow', 'cloudpickle', 'matplotlib', 'requests', 'pyarrow', 'joblib', 'skops', 'packaging'];

/** PEP 503 normalization (deps/pep508's canonicalizeName, repeated here to keep this table module free of imports). */
function canonicalName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}
