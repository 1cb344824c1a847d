/**
 * From a module Python could not import to the distribution a user should install.
 *
 * Most distributions are installed under their own name (`tabulate` → `tabulate`); the table
 * lists the well-known ones whose import name differs. Only the top-level package counts:
 * `sklearn.ensemble` → `sklearn` → `scikit-learn`.
 */
const DISTRIBUTION_BY_MODULE: Readonly<Record<string, string>> = {
  sklearn: 'scikit-learn',
  skimage: 'scikit-image',
  cv2: 'opencv-python',
  PIL: 'pillow',
  yaml: 'pyyaml',
  bs4: 'beautifulsoup4',
  dateutil: 'python-dateutil',
  dotenv: 'python-dotenv',
  jose: 'python-jose',
  magic: 'python-magic',
  docx: 'python-docx',
  pptx: 'python-pptx',
  Crypto: 'pycryptodome',
  OpenSSL: 'pyopenssl',
  jwt: 'pyjwt',
  git: 'gitpython',
  google: 'google-api-core',
  attr: 'attrs',
  serial: 'pyserial',
  usb: 'pyusb',
  zmq: 'pyzmq',
  MySQLdb: 'mysqlclient',
  psycopg2: 'psycopg2-binary',
  Levenshtein: 'python-levenshtein',
  fitz: 'pymupdf',
  sentencepiece: 'sentencepiece',
  tensorflow_hub: 'tensorflow-hub',
  faiss: 'faiss-cpu',
  lightgbm: 'lightgbm',
  catboost: 'catboost',
  xgboost: 'xgboost',
  torch: 'torch',
  torchvision: 'torchvision',
  transformers: 'transformers',
  mlflow: 'mlflow',
  Bio: 'biopython',
  wx: 'wxpython',
  gi: 'pygobject',
  pkg_resources: 'setuptools',
  setuptools: 'setuptools',
  win32api: 'pywin32',
  win32com: 'pywin32',
  lxml: 'lxml',
  markdown: 'markdown',
  pydantic_settings: 'pydantic-settings',
  typing_extensions: 'typing-extensions',
  google_auth_oauthlib: 'google-auth-oauthlib',
  multipart: 'python-multipart',
  tabulate: 'tabulate',
};

export interface MissingModule {
  /** The module as Python named it, e.g. `cv2` or `sklearn.ensemble`. */
  module: string;
  /** The distribution that most likely provides it, e.g. `opencv-python`. */
  distribution: string;
  /** False when the table had no entry and the distribution is the module's own name (a guess). */
  known: boolean;
}

export function distributionForModule(module: string): MissingModule {
  const top = module.split('.')[0] ?? module;
  const known = Object.prototype.hasOwnProperty.call(DISTRIBUTION_BY_MODULE, top);
  return { module, distribution: known ? DISTRIBUTION_BY_MODULE[top]! : top.replace(/_/g, '-').toLowerCase(), known };
}

export interface FixCommandsInput {
  /** The model argument as the user typed it (`-m`). */
  modelArg: string;
  /** The input argument as the user typed it (`-i`), `-` for stdin. */
  inputArg: string;
  /** Flags of the failed run worth repeating (`--env-manager uv`, `-t csv`, ...), already quoted. */
  extraArgs?: string[];
  /** A version to pin, when one is known. */
  version?: string;
  /**
   * The interpreter, when the run used `--env-manager local`: nothing is installed into it by
   * mlf (an override is refused there), so the first command installs into it directly.
   */
  localPython?: string;
}

/**
 * The commands to try, in order: predict once with the package added on top (the model stays
 * as it is), then record it in the model's requirements for good.
 */
export function missingModuleFixCommands(missing: MissingModule, input: FixCommandsInput): string[] {
  const requirement = input.version ? `${missing.distribution}==${input.version}` : missing.distribution;
  const extra = input.extraArgs && input.extraArgs.length > 0 ? ` ${input.extraArgs.join(' ')}` : '';
  const record = `mlf models update-pip-requirements -m ${shellQuote(input.modelArg)} add ${shellQuote(requirement)}`;
  if (input.localPython) return [`${shellQuote(input.localPython)} -m pip install ${shellQuote(requirement)}`, record];
  return [
    `mlf models predict -m ${shellQuote(input.modelArg)} -i ${shellQuote(input.inputArg)}${extra} --pip-requirements-override ${shellQuote(requirement)}`,
    record,
  ];
}

/** Quotes an argument for a POSIX shell only when it needs it. */
export function shellQuote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}
