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
