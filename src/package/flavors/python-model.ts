import { existsSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { inputError } from '../../errors.js';
import { checkRegularFileSync } from '../../fs/read-regular-file.js';
import type { FlavorWriter } from './flavor-writer.js';
import { PYFUNC_SAVE } from './pyfunc-save.js';

/** `--python-model FILE.py`: a model from code (the file calls `mlflow.models.set_model`), as `mlflow.pyfunc.save_model(python_model=FILE)` writes it. */
export interface PythonModelSource {
  kind: 'python-model';
  modelFile: string;
}

export const pythonModelWriter: FlavorWriter<PythonModelSource> = {
  kind: 'python-model',
  ...PYFUNC_SAVE,
  infersSignature: true,

  validateSource(source, cwd) {
    const modelFile = path.resolve(cwd, source.modelFile);
    if (!existsSync(modelFile)) {
      const hint = existsSync(`${modelFile}.py`) ? `did you mean \`${source.modelFile}.py\`?` : undefined;
      throw inputError('MODEL_FILE_NOT_FOUND', `model file \`${source.modelFile}\` does not exist`, hint ? { hint } : {});
    }
    checkRegularFileSync(modelFile, { shown: source.modelFile });
    return { path: modelFile };
  },

  entryPoints(_source, checked) {
    return { files: [checked.path], modules: [] };
  },

  async writeArtifacts(_source, checked, { dir, facts }) {
    await copyFile(checked.path, path.join(dir, path.basename(checked.path)));
    const cloudpickleVersion = facts.distributions.get('cloudpickle')?.version;
    return {
      pyfunc: {
        loader_module: 'mlflow.pyfunc.loaders.code_model',
        model_code_path: checked.path,
        ...(cloudpickleVersion ? { cloudpickle_version: cloudpickleVersion } : {}),
        streamable: false,
      },
    };
  },
};
