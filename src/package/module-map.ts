/**
 * Which distribution provides a top-level module. The target interpreter's own
 * `packages_distributions()` decides, as in MLflow; this table only names the usual
 * distribution for modules whose import name differs from their PyPI name, used when the
 * interpreter's metadata has no answer (a module not installed, or installed without a RECORD)
 * and in the hint of the "not installed" warning.
 */
export const WELL_KNOWN_DISTRIBUTIONS: Readonly<Record<string, string>> = {
  sklearn: 'scikit-learn',
  skimage: 'scikit-image',
  cv2: 'opencv-python',
  PIL: 'pillow',
  yaml: 'pyyaml',
  bs4: 'beautifulsoup4',
  dateutil: 'python-dateutil',
  dotenv: 'python-dotenv',
  attr: 'attrs',
  Crypto: 'pycryptodome',
  jwt: 'pyjwt',
  git: 'gitpython',
  zmq: 'pyzmq',
  OpenSSL: 'pyopenssl',
  MySQLdb: 'mysqlclient',
  fitz: 'pymupdf',
  docx: 'python-docx',
  pptx: 'python-pptx',
  serial: 'pyserial',
  magic: 'python-magic',
  umap: 'umap-learn',
  faiss: 'faiss-cpu',
  Levenshtein: 'levenshtein',
  sentence_transformers: 'sentence-transformers',
  huggingface_hub: 'huggingface-hub',
  tensorflow_hub: 'tensorflow-hub',
  google_crc32c: 'google-crc32c',
  pkg_resources: 'setuptools',
  multipart: 'python-multipart',
  jose: 'python-jose',
  slugify: 'python-slugify',
};

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

/** Distributions that are build tooling, never a model requirement (MLflow excludes setuptools). */
export const BUILD_TOOL_DISTRIBUTIONS: ReadonlySet<string> = new Set(['setuptools', 'pip', 'wheel']);

/** MLflow's `MLFLOW_MODULES_TO_PACKAGES`: an mlflow submodule that needs an extra. */
export const MLFLOW_SUBMODULE_DISTRIBUTIONS: Readonly<Record<string, string>> = {
  'mlflow.gateway': 'mlflow[gateway]',
};

export function topLevel(module: string): string {
  const dot = module.indexOf('.');
  return dot < 0 ? module : module.slice(0, dot);
}
