/**
 * Every file of every model directory under fixtures/models/ (written by real MLflow) is read
 * by its reader and written back by its writer, byte for byte. Files mlf has no format for
 * (pickles, code) are listed so that a new kind of file is noticed.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCondaEnv, serializeCondaEnv } from '../../src/model/conda-env.js';
import {
  pythonJsonLoads,
  readInputExample,
  serializeInputExample,
  serializeServingInputExample,
} from '../../src/model/input-example.js';
import { parseMlmodel, serializeMlmodel } from '../../src/model/mlmodel.js';
import { readModelDirectory } from '../../src/model/directory/strict.js';
import { parsePythonEnv, serializePythonEnv } from '../../src/model/python-env.js';
import { parseSignature, serializeSignature } from '../../src/model/signature.js';

const fixturesRoot = path.resolve(import.meta.dirname, '../../fixtures/models');
const modelDirs = existsSync(fixturesRoot)
  ? readdirSync(fixturesRoot)
      .map((name) => path.join(fixturesRoot, name))
      .filter((dir) => statSync(dir).isDirectory() && existsSync(path.join(dir, 'MLmodel')))
  : [];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((relative) => statSync(path.join(dir, relative)).isFile())
    .sort();
}

/** Files whose bytes no model/ writer produces: flavor data, user code, requirement files. */
const OPAQUE = /(\.pkl(\.(xz|bz2|gz))?|\.skops|\.py|\.txt|\.json\.gz|\.bin|\.joblib|\.ubj|\.cbm|\.onnx|\.pt|\.keras|\.h5)$|^(code|artifacts|data)\//;

describe('fixtures/models exist', () => {
  it('has model directories written by MLflow', () => {
    expect(modelDirs.length).toBeGreaterThan(0);
  });
});

describe.each(modelDirs.map((dir) => [path.basename(dir), dir] as const))('%s', (_name, dir) => {
  const read = (relative: string): string => readFileSync(path.join(dir, relative), 'utf8');
  const mlmodelText = read('MLmodel');
  const { document: mlmodel } = parseMlmodel(mlmodelText);

  it.each(filesUnder(dir).map((file) => [file] as const))('%s', async (file) => {
    const text = read(file);
    const model = await readModelDirectory({ dir, shown: dir });
    const info = mlmodel.saved_input_example_info ?? undefined;
    if (file === 'MLmodel') {
      expect(serializeMlmodel(parseMlmodel(text).document)).toBe(text);
      if (mlmodel.signature) {
        const signature = parseSignature(mlmodel.signature);
        const written = serializeSignature(signature);
        expect(parseSignature(written)).toEqual(signature);
        // MLflow 1.x wrote columns as {name, type} without `required`; MLflow itself rewrites
        // those in today's layout, so only current-layout strings must come back byte for byte.
        if (!mlmodel.mlflow_version?.startsWith('1.')) {
          expect(written.inputs).toBe(mlmodel.signature.inputs ?? null);
          expect(written.outputs).toBe(mlmodel.signature.outputs ?? null);
          expect(written.params).toBe(mlmodel.signature.params ?? null);
        }
      }
    } else if (file === model.envFileNames.conda) {
      expect(model.condaText).toBe(text);
      expect(serializeCondaEnv(parseCondaEnv(text).document)).toBe(text);
    } else if (file === model.envFileNames.virtualenv) {
      expect(model.pythonEnvText).toBe(text);
      const parsed = parsePythonEnv(text);
      expect(parsed.warnings).toEqual([]);
      expect(serializePythonEnv(parsed.document)).toBe(text);
    } else if (info && file === info.artifact_path) {
      const example = readInputExample(text, info);
      const stored = example.params ? { inputs: example.data, params: example.params } : example.data;
      expect(serializeInputExample(stored)).toBe(text);
    } else if (info && file === info.serving_input_path) {
      expect(serializeServingInputExample(pythonJsonLoads(text, file))).toBe(text);
    } else if (file === 'requirements.txt') {
      expect(model.requirementsText).toBe(text);
    } else if (file === 'constraints.txt') {
      expect(model.constraintsText).toBe(text);
    } else {
      expect(file).toMatch(OPAQUE);
    }
  });
});
