import { existsSync, statSync } from 'node:fs';
import { copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../../errors.js';
import { checkRegularFileSync } from '../../fs/read-regular-file.js';
import { CODE_DIR_NAME } from '../../model/file-names.js';
import { planCodePaths } from '../code-paths.js';
import { isDirectorySync, requireFile } from '../user-files.js';
import type { FlavorWriter } from './flavor-writer.js';
import { PYFUNC_SAVE } from './pyfunc-save.js';

/**
 * `--loader-module MODULE --data PATH`: a custom pyfunc whose `_load_pyfunc(data_path)` loads
 * the model, as `mlflow.pyfunc.save_model(loader_module=..., data_path=...)` writes it
 * (`_save_model_with_loader_module_and_data_path` in mlflow/pyfunc/__init__.py).
 */
export interface LoaderModuleSource {
  kind: 'loader-module';
  loaderModule: string;
  dataPath: string;
}

const DATA_DIR = 'data';

export const loaderModuleWriter: FlavorWriter<LoaderModuleSource> = {
  kind: 'loader-module',
  ...PYFUNC_SAVE,
  // MLflow infers no signature for a loader module.
  infersSignature: false,

  validateSource(source, cwd) {
    const dataPath = requireFile(cwd, source.dataPath, 'data path', 'DATA_PATH_NOT_FOUND');
    // A directory is copied whole (its entries checked by planCodePaths); anything else must be a regular file.
    if (!isDirectorySync(dataPath)) checkRegularFileSync(dataPath, { shown: source.dataPath });
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(source.loaderModule)) {
      throw usageError('INVALID_LOADER_MODULE', `\`${source.loaderModule}\` is not a Python module name`);
    }
    return { path: dataPath };
  },

  entryPoints(source, _checked, cwd) {
    const file = findLocalModuleFile(cwd, source.loaderModule);
    return { files: file ? [file] : [], modules: [source.loaderModule] };
  },

  async writeArtifacts(source, checked, { dir, cwd }) {
    const dataTarget = `${DATA_DIR}/${path.basename(checked.path)}`;
    if (statSync(checked.path).isDirectory()) {
      // Copied as a code path is (MLflow's `_copy_file_or_tree`), into data/ instead of code/.
      const plan = planCodePaths([path.relative(cwd, checked.path)], cwd);
      for (const file of plan.files) {
        const target = path.join(dir, DATA_DIR, file.target.slice(CODE_DIR_NAME.length + 1));
        await mkdir(path.dirname(target), { recursive: true });
        await copyFile(file.source, target);
      }
    } else {
      await mkdir(path.join(dir, DATA_DIR), { recursive: true });
      await copyFile(checked.path, path.join(dir, dataTarget));
    }
    return { pyfunc: { loader_module: source.loaderModule, data: dataTarget, streamable: false } };
  },
};

/** `MODULE` as a file under the working directory (`a/b.py` or `a/b/__init__.py`), if it is local. */
function findLocalModuleFile(cwd: string, module: string): string | undefined {
  const rel = module.split('.').join(path.sep);
  for (const candidate of [path.join(cwd, `${rel}.py`), path.join(cwd, rel, '__init__.py')]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}
