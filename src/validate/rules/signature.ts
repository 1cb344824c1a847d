import { isInsideModel, normalizeRelative } from '../../model/directory/paths.js';
import type { Diagnostic } from '../diagnostic.js';
import { hasFile, type ModelFiles } from '../model-files.js';
import { asRecord, pythonTypeName, scalarText, type YamlSource } from '../../model/directory/yaml-source.js';
import { diagnostic, tick } from './shared.js';
import { jsonNestingDepth, JSON_MAX_DEPTH } from '../../model/input-example.js';

/**
 * Signature and input example rules (MLF601-MLF607): the signature is valid MLflow signature
 * JSON (mlflow-format.md §10) and the saved input example (§11) has the columns, types and
 * shape the signature asks for, as `_enforce_schema` would check at predict time.
 */
const COLUMN_TYPES = new Set(['boolean', 'integer', 'long', 'float', 'double', 'string', 'binary', 'datetime']);
const COMPLEX_TYPES = new Set(['array', 'object', 'map', 'any', 'sparkml_vector']);
const EXAMPLE_TYPES = ['dataframe', 'ndarray', 'json_object', 'sparse_matrix_csc', 'sparse_matrix_csr'];

interface ColumnSpec {
  kind: 'column';
  name?: string;
  type: string;
  required: boolean;
}

interface TensorSpec {
  kind: 'tensor';
  name?: string;
  dtype: string;
  shape: number[];
}

type InputSchema = { kind: 'column'; specs: ColumnSpec[] } | { kind: 'tensor'; specs: TensorSpec[] };

export function checkSignature(files: ModelFiles): Diagnostic[] {
  const mlmodel = files.mlmodel;
  const root = asRecord(mlmodel?.value);
  if (!mlmodel || !root) return [];
  const found: Diagnostic[] = [];
  let inputs: InputSchema | undefined;
  if (root.signature !== undefined && root.signature !== null) {
    const signature = asRecord(root.signature);
    if (!signature) {
      found.push(diagnostic('MLF601', 'MLmodel', mlmodel.lineOf(['signature']), `${tick('signature')} must be a mapping, not ${pythonTypeName(root.signature)}`));
    } else {
      for (const part of ['inputs', 'outputs'] as const) {
        const result = readSchema(signature[part], part, mlmodel);
        if (typeof result === 'string') {
          found.push(diagnostic('MLF601', 'MLmodel', mlmodel.lineOf(['signature', part]), result));
        } else if (part === 'inputs') {
          inputs = result;
        }
      }
      const paramsProblem = checkParams(signature.params);
      if (paramsProblem) found.push(diagnostic('MLF601', 'MLmodel', mlmodel.lineOf(['signature', 'params']), paramsProblem));
    }
  }
  found.push(...checkExample(files, mlmodel, root, inputs));
  return found;
}

/** The schema, undefined when absent, or a message saying what is wrong. */
function readSchema(value: unknown, part: string, _mlmodel: YamlSource): InputSchema | undefined | string {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return `${tick(`signature.${part}`)} must be a JSON string, not ${pythonTypeName(value)}`;
  if (jsonNestingDepth(value) > JSON_MAX_DEPTH) return `${tick(`signature.${part}`)} is nested more than ${JSON_MAX_DEPTH} levels deep: Python's json module cannot read it (RecursionError)`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    return `${tick(`signature.${part}`)} is not valid JSON: ${(error as Error).message}`;
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return `${tick(`signature.${part}`)} must be a non-empty JSON list of column or tensor specs`;
  const specs: (ColumnSpec | TensorSpec)[] = [];
  for (const [index, item] of parsed.entries()) {
    const spec = asRecord(item);
    const where = `${tick(`signature.${part}`)} entry ${index + 1}`;
    if (!spec) return `${where} must be a JSON object`;
    // MLflow keeps a DataFrame's integer column labels as the names (a torch model's outputs `0, 1, 2`).
    const name = Number.isInteger(spec.name) ? String(spec.name) : spec.name;
    if (name !== undefined && typeof name !== 'string') return `${where}: ${tick('name')} must be a string or an integer`;
    if (spec.type === 'tensor') {
      const tensor = asRecord(spec['tensor-spec']);
      const shape = tensor?.shape;
      if (!tensor || typeof tensor.dtype !== 'string' || !Array.isArray(shape) || !shape.every((d) => Number.isInteger(d))) {
        return `${where}: a tensor needs ${tick('"tensor-spec": {"dtype": ..., "shape": [...]}')}`;
      }
      specs.push({ kind: 'tensor', ...(name !== undefined ? { name } : {}), dtype: tensor.dtype, shape: shape as number[] });
      continue;
    }
    const type = typeof spec.type === 'string' ? spec.type : undefined;
    if (!type || !(COLUMN_TYPES.has(type) || COMPLEX_TYPES.has(type))) {
      return `${where}: unknown type ${tick(scalarText(spec.type))}`;
    }
    const required = spec.required === undefined ? true : spec.required;
    if (typeof required !== 'boolean') return `${where}: ${tick('required')} must be true or false`;
    specs.push({ kind: 'column', ...(name !== undefined ? { name } : {}), type, required });
  }
  const kinds = new Set(specs.map((s) => s.kind));
  if (kinds.size > 1) return `${tick(`signature.${part}`)} mixes column and tensor specs`;
  const named = specs.filter((s) => s.name !== undefined).length;
  if (named !== 0 && named !== specs.length) return `${tick(`signature.${part}`)} names some entries but not all`;
  if (specs[0]!.kind === 'tensor') {
    if (named === 0 && specs.length > 1) return `${tick(`signature.${part}`)} has several unnamed tensors`;
    return { kind: 'tensor', specs: specs as TensorSpec[] };
  }
  if (named === 0 && specs.some((s) => s.kind === 'column' && !s.required)) return `${tick(`signature.${part}`)} has an unnamed optional column`;
  return { kind: 'column', specs: specs as ColumnSpec[] };
}

function checkParams(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return `${tick('signature.params')} must be a JSON string, not ${pythonTypeName(value)}`;
  if (jsonNestingDepth(value) > JSON_MAX_DEPTH) return `${tick('signature.params')} is nested more than ${JSON_MAX_DEPTH} levels deep: Python's json module cannot read it (RecursionError)`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (error) {
    return `${tick('signature.params')} is not valid JSON: ${(error as Error).message}`;
  }
  if (!Array.isArray(parsed)) return `${tick('signature.params')} must be a JSON list of param specs`;
  for (const [index, item] of parsed.entries()) {
    const spec = asRecord(item);
    const type = spec?.type ?? spec?.dtype;
    if (!spec || typeof spec.name !== 'string' || typeof type !== 'string') {
      return `${tick('signature.params')} entry ${index + 1} needs a ${tick('name')} and a ${tick('type')}`;
    }
    if (type === 'binary') return `${tick('signature.params')} entry ${tick(spec.name)}: ${tick('binary')} params are not supported`;
  }
  return undefined;
}

function checkExample(files: ModelFiles, mlmodel: YamlSource, root: Record<string, unknown>, inputs: InputSchema | undefined): Diagnostic[] {
  if (root.saved_input_example_info === undefined || root.saved_input_example_info === null) return [];
  const info = asRecord(root.saved_input_example_info);
  if (!info) {
    return [diagnostic('MLF603', 'MLmodel', mlmodel.lineOf(['saved_input_example_info']), `${tick('saved_input_example_info')} must be a mapping`)];
  }
  const found: Diagnostic[] = [];
  for (const key of ['artifact_path', 'serving_input_path']) {
    const name = info[key];
    if (typeof name !== 'string' || name === '') continue;
    if (!isInsideModel(name) || !hasFile(files, normalizeRelative(name))) {
      found.push(diagnostic('MLF602', 'MLmodel', mlmodel.lineOf(['saved_input_example_info', key]), `the input example ${tick(name)} does not exist in the model directory`));
    }
  }
  const type = info.type;
  if (typeof type !== 'string' || !EXAMPLE_TYPES.includes(type)) {
    found.push(
      diagnostic('MLF603', 'MLmodel', mlmodel.lineOf(['saved_input_example_info', 'type']), `${tick('saved_input_example_info.type')} ${tick(scalarText(type))} is not one of ${EXAMPLE_TYPES.map(tick).join(', ')}`),
    );
    return found;
  }
  const artifact = typeof info.artifact_path === 'string' ? normalizeRelative(info.artifact_path) : undefined;
  const text = artifact ? files.examples.get(artifact) : undefined;
  if (!artifact || text === undefined) return found;

  if (jsonNestingDepth(text) > JSON_MAX_DEPTH) {
    found.push(diagnostic('MLF603', artifact, 1, `${tick(artifact)} is nested more than ${JSON_MAX_DEPTH} levels deep: Python's json module cannot read it (RecursionError)`));
    return found;
  }
  let example: unknown;
  try {
    example = JSON.parse(text);
  } catch (error) {
    const at = jsonErrorPosition(text, error as Error);
    found.push(diagnostic('MLF603', artifact, at.line, `${tick(artifact)} is not valid JSON: ${(error as Error).message.replace(/ in JSON at position.*$/, '')}`, at.column ? { column: at.column } : {}));
    return found;
  }
  const withParams = info.params === true || info.params === 'true';
  let data = example;
  if (withParams) {
    const record = asRecord(example);
    if (!record || !('inputs' in record)) {
      found.push(diagnostic('MLF603', artifact, undefined, `${tick(artifact)} must be ${tick('{"inputs": ..., "params": {...}}')} (the example was saved with params)`));
      return found;
    }
    data = record.inputs;
  }
  if (!inputs) return found;
  found.push(...(inputs.kind === 'column' ? checkColumns(artifact, type, data, inputs.specs) : checkTensors(artifact, data, inputs.specs)));
  return found;
}

/** The example as columns: names (undefined when positional) and a way to read column j. */
interface ExampleTable {
  names?: string[];
  count: number;
  values(j: number): unknown[];
}

function tableOf(type: string, data: unknown): ExampleTable | string {
  if (type === 'dataframe') {
    const record = asRecord(data);
    const rows = record?.data;
    if (!record || !Array.isArray(rows) || !rows.every(Array.isArray)) {
      return `a dataframe example must be ${tick('{"columns": [...], "data": [[...], ...]}')}`;
    }
    const columns = record.columns;
    if (columns !== undefined && (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string' || typeof c === 'number'))) {
      return `${tick('columns')} must be a list of column names`;
    }
    const names = columns === undefined ? undefined : (columns as unknown[]).map(String);
    const width = names?.length ?? Math.max(0, ...rows.map((r) => (r as unknown[]).length));
    return { ...(names ? { names } : {}), count: width, values: (j) => (rows as unknown[][]).map((row) => row[j]) };
  }
  if (type === 'json_object') {
    const records = Array.isArray(data) && data.every((row) => asRecord(row)) ? (data as Record<string, unknown>[]) : undefined;
    if (records) {
      const names = [...new Set(records.flatMap((row) => Object.keys(row)))];
      return { names, count: names.length, values: (j) => records.map((row) => row[names[j]!]) };
    }
    const record = asRecord(data);
    if (record) {
      const names = Object.keys(record);
      return { names, count: names.length, values: (j) => [record[names[j]!]].flat() };
    }
    return 'a json_object example for a column signature must be an object or a list of objects';
  }
  return `a ${tick(type)} example cannot be checked against a column signature`;
}

function checkColumns(file: string, type: string, data: unknown, specs: ColumnSpec[]): Diagnostic[] {
  if (type === 'ndarray' || type.startsWith('sparse_matrix')) return [];
  const table = tableOf(type, data);
  if (typeof table === 'string') return [diagnostic('MLF603', file, undefined, `${tick(file)}: ${table}`)];
  const found: Diagnostic[] = [];
  const named = specs.every((s) => s.name !== undefined);
  if (!named || !table.names) {
    const required = specs.filter((s) => s.required).length;
    if (table.count < required) {
      found.push(diagnostic('MLF604', file, undefined, `the example has ${table.count} column(s), the signature needs ${required}`));
    }
    specs.forEach((spec, j) => {
      if (j < table.count) found.push(...checkColumnValues(file, spec, `column ${j}`, table.values(j)));
    });
    return found;
  }
  const index = new Map(table.names.map((name, j) => [name, j]));
  for (const spec of specs) {
    const j = index.get(spec.name!);
    if (j === undefined) {
      if (spec.required) {
        found.push(diagnostic('MLF604', file, undefined, `the example has no column ${tick(spec.name)}, which the signature requires: predict fails with "Model is missing inputs"`));
      }
      continue;
    }
    found.push(...checkColumnValues(file, spec, `column ${tick(spec.name)}`, table.values(j)));
  }
  const known = new Set(specs.map((s) => s.name));
  for (const name of table.names) {
    if (!known.has(name)) found.push(diagnostic('MLF605', file, undefined, `the example's column ${tick(name)} is not in the signature: MLflow drops it`));
  }
  return found;
}

function checkColumnValues(file: string, spec: ColumnSpec, label: string, values: unknown[]): Diagnostic[] {
  for (const [row, value] of values.entries()) {
    if (valueFits(spec.type, value)) continue;
    return [
      diagnostic(
        'MLF606',
        file,
        undefined,
        `${label} holds ${describeJson(value)} (row ${row + 1}), which cannot be converted to the signature's ${tick(spec.type)}`,
      ),
    ];
  }
  return [];
}

function valueFits(type: string, value: unknown): boolean {
  if (value === null || value === undefined) return true;
  switch (type) {
    case 'boolean':
      return typeof value === 'boolean';
    case 'integer':
    case 'long':
      return typeof value === 'number' && Number.isInteger(value);
    case 'float':
    case 'double':
      return typeof value === 'number';
    case 'string':
    case 'binary':
      return typeof value === 'string';
    case 'datetime':
      return typeof value === 'string' || typeof value === 'number';
    case 'array':
      return Array.isArray(value);
    case 'object':
    case 'map':
      return asRecord(value) !== undefined;
    default:
      return true;
  }
}

function describeJson(value: unknown): string {
  if (typeof value === 'string') return `the string ${tick(JSON.stringify(value))}`;
  if (typeof value === 'boolean') return `the boolean ${tick(value)}`;
  if (typeof value === 'number') return `the number ${tick(value)}`;
  if (Array.isArray(value)) return 'a list';
  return 'an object';
}

function checkTensors(file: string, data: unknown, specs: TensorSpec[]): Diagnostic[] {
  const found: Diagnostic[] = [];
  const record = asRecord(data);
  const pairs: [string, TensorSpec, unknown][] =
    specs.length === 1 && specs[0]!.name === undefined
      ? [['the example', specs[0]!, data]]
      : specs.map((spec) => [`tensor ${tick(spec.name ?? '')}`, spec, record?.[spec.name ?? '']]);
  for (const [label, spec, value] of pairs) {
    if (value === undefined) {
      found.push(diagnostic('MLF604', file, undefined, `the example has no tensor ${tick(spec.name ?? '')}, which the signature requires`));
      continue;
    }
    const shape = shapeOf(value);
    if (shape === undefined) continue; // ragged: allowed for object tensors, not checked here
    const expected = spec.shape;
    const rankMatches = shape.length === expected.length;
    const dimsMatch = rankMatches && expected.every((dim, i) => dim === -1 || dim === shape[i]);
    if (!dimsMatch) {
      found.push(diagnostic('MLF607', file, undefined, `${label} has shape ${tick(`(${shape.join(', ')})`)}, the signature expects ${tick(`(${expected.join(', ')})`)}`));
    }
  }
  return found;
}

/** The shape of nested JSON lists, or undefined when ragged. A scalar has shape (). */
function shapeOf(value: unknown): number[] | undefined {
  if (!Array.isArray(value)) return [];
  if (value.length === 0) return [0];
  const inner = value.map(shapeOf);
  const first = inner[0];
  if (first === undefined || inner.some((s) => s === undefined || s.length !== first.length || s.some((d, i) => d !== first[i]))) return undefined;
  return [value.length, ...first];
}

function jsonErrorPosition(text: string, error: Error): { line?: number; column?: number } {
  const lineColumn = /line (\d+) column (\d+)/.exec(error.message);
  if (lineColumn) return { line: Number(lineColumn[1]), column: Number(lineColumn[2]) };
  const position = /position (\d+)/.exec(error.message);
  if (!position) return {};
  const before = text.slice(0, Number(position[1]));
  const lines = before.split('\n');
  return { line: lines.length, column: lines[lines.length - 1]!.length + 1 };
}
