/**
 * Where a model is: the one rule that turns what the user typed (`-m model`, a `validate`
 * argument) into a local directory, and keeps how to name it in messages.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { usageError } from '../../errors.js';

export interface ModelLocation {
  /** Absolute path of the model directory. */
  dir: string;
  /** How messages name the directory: the argument as the user gave it. */
  shown: string;
}

const SUPPORTED_FORMS = 'a local path (`./model`, `/abs/path/model`) or a `file://` URI (`file:///abs/path/model`)';

/**
 * A model URI as given on the command line → an absolute local path. Accepts a relative or
 * absolute path (resolved against `cwd`) and `file:` URIs (`file:///abs`, `file://localhost/abs`,
 * `file:/abs`; percent-escapes decoded). Any other scheme (`runs:/`, `models:/`, `s3://`, ...)
 * is a usage error (INVALID_MODEL_URI / UNSUPPORTED_MODEL_URI) naming the supported forms.
 */
export function locateModel(uri: string, cwd: string): ModelLocation {
  return { dir: modelPathOf(uri, cwd), shown: uri };
}

function modelPathOf(uri: string, cwd: string): string {
  if (uri.trim() === '') {
    throw usageError('INVALID_MODEL_URI', 'The model URI is empty', { hint: `Pass ${SUPPORTED_FORMS}.` });
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri)?.[1];
  // A one-letter scheme is a Windows drive (`C:\models\m`), not a URI.
  if (scheme === undefined || (scheme.length === 1 && path.sep === '\\')) {
    return path.resolve(cwd, uri);
  }
  if (scheme.toLowerCase() === 'file') {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw usageError('INVALID_MODEL_URI', `Invalid file URI \`${uri}\``, { hint: `Pass ${SUPPORTED_FORMS}.` });
    }
    if (url.host !== '' && url.host !== 'localhost') {
      throw usageError('UNSUPPORTED_MODEL_URI', `Unsupported model URI \`${uri}\`: a \`file://\` URI must name a local path`, {
        hint: `Pass ${SUPPORTED_FORMS}.`,
      });
    }
    if (url.host === 'localhost') url.host = '';
    return path.resolve(fileURLToPath(url));
  }
  throw usageError(
    'UNSUPPORTED_MODEL_URI',
    `Unsupported model URI \`${uri}\`: mlf reads local model directories; supported forms are ${SUPPORTED_FORMS}`,
    { hint: 'Download the model first, e.g. `mlflow artifacts download -u <uri> -d ./model`, then pass `./model`.' },
  );
}
