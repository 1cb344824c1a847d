/**
 * Model signatures (mlflow-format.md §10): MLmodel's `signature.inputs` / `outputs` / `params`
 * are JSON strings. This module reads them into typed specs with MLflow's own checks
 * (`mlflow/types/schema.py`: `Schema`, `ColSpec`, `TensorSpec`, `ParamSpec`, `Array`, `Object`,
 * `Map`, `AnyType`) and writes them back as `json.dumps` writes them, with MLflow's key orders:
 *
 * - ColSpec: the type dict first (`type`, then `items` / `properties` / `values`), then `name`
 *   (omitted when unnamed), then `required`.
 * - TensorSpec: `name` (when named), `type: "tensor"`, `tensor-spec: {dtype, shape}`.
 * - ParamSpec: `name`, `default`, `shape`, then the type dict.
 * - Object properties sorted by name.
 *
 * Errors are INVALID_SIGNATURE (exit 2) naming the field, e.g. `signature.inputs[2].type`.
 */
import { inputError, MlfError } from '../errors.js';
import { MLMODEL_FILE_NAME } from './file-names.js';
import { pythonJsonDumps, pythonJsonLoads } from './input-example.js';
import type { MlmodelSignature } from './mlmodel.js';
import { compareCodePoints, PyFloat, PyTimestamp, type PyValue } from './pyyaml.js';

export const DATA_TYPES = ['boolean', 'integer', 'long', 'float', 'double', 'string', 'binary', 'datetime'] as const;
export type DataTypeName = (typeof DATA_TYPES)[number];

export interface ArrayType {
  type: 'array';
  items: SchemaType;
}
export interface ObjectProperty {
  name: string;
  type: SchemaType;
  required: boolean;
}
export interface ObjectType {
  type: 'object';
  /** Sorted by name, as MLflow keeps them. */
  properties: ObjectProperty[];
}
export interface MapType {
  type: 'map';
  values: SchemaType;
}
export interface AnyType {
  type: 'any';
}
export interface SparkmlVectorType {
  type: 'sparkml_vector';
}
export type SchemaType = DataTypeName | ArrayType | ObjectType | MapType | AnyType | SparkmlVectorType;

export interface ColSpec {
  kind: 'column';
  type: SchemaType;
  name?: string;
  /** The name was an integer in the JSON (MLflow keeps a DataFrame's integer column labels: a pytorch model's output columns `0, 1, ...`). */
  integerName?: true;
  required: boolean;
}

export interface TensorSpec {
  kind: 'tensor';
  /** numpy dtype name, e.g. `float64`, `int64`, `str`, `object`. */
  dtype: string;
  /** `-1` is a variable dimension. */
  shape: number[];
  name?: string;
}

export type Schema = { kind: 'columns'; inputs: ColSpec[] } | { kind: 'tensors'; inputs: TensorSpec[] };

export interface ParamSpec {
  name: string;
  /** Any DataType but `binary`, or an Object type. */
  type: Exclude<DataTypeName, 'binary'> | ObjectType;
  default: PyValue;
  /** null for a scalar, `[-1]` for a 1-D list. */
  shape: number[] | null;
}

export interface Signature {
  inputs?: Schema;
  outputs?: Schema;
  params?: ParamSpec[];
}

export interface SignatureLocation {
  /** The MLmodel file's name in messages (default `MLmodel`). */
  file?: string;
  /** The line of the field in MLmodel, when known. */
  line?: number;
}

class SignatureProblem extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

function problem(path: string, message: string): never {
  throw new SignatureProblem(path, message);
}

function isRecord(value: unknown): value is Record<string, PyValue> {
  return (
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    !(value instanceof PyFloat) &&
    !(value instanceof PyTimestamp)
  );
}

function isInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value);
}

// ---------------------------------------------------------------------------------------------
// Reading

function readJson(text: string, field: string): PyValue {
  try {
    return pythonJsonLoads(text, field);
  } catch (error) {
    if (error instanceof MlfError) {
      problem(field, `not valid JSON (${error.message.replace(/^Malformed JSON in `[^`]*`: /, '')} at column ${error.location.column})`);
    }
    throw error;
  }
}

const COMPLEX_TYPES = ['array', 'object', 'map', 'any', 'sparkml_vector'];

function readDataType(value: PyValue, path: string): DataTypeName {
  if (typeof value === 'string' && (DATA_TYPES as readonly string[]).includes(value)) return value as DataTypeName;
  return problem(
    path,
    `unsupported type ${typeof value === 'string' ? `\`${value}\`` : describe(value)}; expected one of ${[...DATA_TYPES, ...COMPLEX_TYPES.slice(0, 4)].join(', ')}`,
  );
}

/** A type dict `{type, items|properties|values}` (Array items, Map values, Property types). */
function readTypeDict(value: PyValue, path: string): SchemaType {
  if (!isRecord(value) || !('type' in value)) return problem(path, 'expected a mapping with a `type` key');
  const type = value.type!;
  switch (type) {
    case 'array':
      return readArray(value, path);
    case 'object':
      return readObject(value, path);
    case 'map':
      return readMap(value, path);
    case 'any':
      return { type: 'any' };
    case 'sparkml_vector':
      return { type: 'sparkml_vector' };
    default:
      return readDataType(type, `${path}.type`);
  }
}

function readArray(value: Record<string, PyValue>, path: string): ArrayType {
  if (!('items' in value)) problem(path, 'an array type needs `items`');
  return { type: 'array', items: readTypeDict(value.items!, `${path}.items`) };
}

function readMap(value: Record<string, PyValue>, path: string): MapType {
  if (!('values' in value)) problem(path, 'a map type needs `values`');
  return { type: 'map', values: readTypeDict(value.values!, `${path}.values`) };
}

function readObject(value: Record<string, PyValue>, path: string): ObjectType {
  const properties = value.properties;
  if (!isRecord(properties)) return problem(`${path}.properties`, 'expected a mapping of property name to its type');
  const entries = Object.entries(properties);
  if (entries.length === 0) problem(`${path}.properties`, 'an object type needs at least one property');
  const result = entries.map(([name, spec]): ObjectProperty => {
    const propertyPath = `${path}.properties.${name}`;
    if (!isRecord(spec)) return problem(propertyPath, 'expected a mapping with a `type` key');
    const required = spec.required ?? true;
    if (typeof required !== 'boolean') problem(`${propertyPath}.required`, `expected a boolean, got ${describe(required)}`);
    const type = readTypeDict(spec, propertyPath);
    if (typeof type === 'object' && type.type === 'sparkml_vector') {
      problem(propertyPath, 'a `sparkml_vector` cannot be an object property');
    }
    return { name, type, required: required as boolean };
  });
  result.sort((a, b) => compareCodePoints(a.name, b.name));
  return { type: 'object', properties: result };
}

const COLSPEC_KEYS = ['type', 'name', 'required'];
/** numpy refuses nothing here, but MLflow refuses sized flexible dtypes (`<U10`, `S5`). */
const SIZED_FLEXIBLE_DTYPE = /^[<>|=]?(?:[US]|str|bytes|unicode)\d+$/;

function readColSpec(item: Record<string, PyValue>, path: string): ColSpec {
  const name = item.name;
  const integerName = typeof name === 'number' && Number.isInteger(name);
  if (name !== undefined && name !== null && typeof name !== 'string' && !integerName) problem(`${path}.name`, `expected a string or an integer, got ${describe(name)}`);
  const required = item.required ?? true;
  if (typeof required !== 'boolean') problem(`${path}.required`, `expected a boolean, got ${describe(required)}`);
  const typeName = item.type;
  if (typeof typeName === 'string' && !COMPLEX_TYPES.includes(typeName)) {
    // MLflow passes these keys to ColSpec(**kwargs): anything else is a TypeError there.
    const unexpected = Object.keys(item).find((key) => !COLSPEC_KEYS.includes(key));
    if (unexpected !== undefined) problem(path, `unexpected key \`${unexpected}\` (a column has \`type\`, \`name\`, \`required\`)`);
  }
  const type = readTypeDict(item, path);
  const named = typeof name === 'string' ? { name } : integerName ? { name: String(name), integerName: true as const } : {};
  return { kind: 'column', type, ...named, required: required as boolean };
}

function readTensorSpec(item: Record<string, PyValue>, path: string): TensorSpec {
  const info = item['tensor-spec'];
  if (!isRecord(info)) return problem(`${path}.tensor-spec`, 'expected a mapping with `dtype` and `shape`');
  const dtype = info.dtype;
  if (typeof dtype !== 'string' || dtype === '') return problem(`${path}.tensor-spec.dtype`, `expected a numpy dtype name, got ${describe(dtype)}`);
  if (SIZED_FLEXIBLE_DTYPE.test(dtype)) {
    problem(
      `${path}.tensor-spec.dtype`,
      `MLflow does not support size information in flexible numpy data types (\`${dtype}\`); use \`${/^[<>|=]?(?:U|str|unicode)/.test(dtype) ? 'str' : 'bytes'}\``,
    );
  }
  const shape = info.shape;
  if (!Array.isArray(shape) || !shape.every(isInteger)) {
    return problem(`${path}.tensor-spec.shape`, 'expected a list of integers (`-1` for a variable dimension)');
  }
  const name = item.name;
  if (name !== undefined && name !== null && typeof name !== 'string') problem(`${path}.name`, `expected a string, got ${describe(name)}`);
  return { kind: 'tensor', dtype, shape: shape as number[], ...(typeof name === 'string' ? { name } : {}) };
}

function readSchema(text: string, field: string): Schema {
  const value = readJson(text, field);
  if (!Array.isArray(value)) return problem(field, `expected a JSON list of column or tensor specs, got ${describe(value)}`);
  if (value.length === 0) problem(field, 'a schema needs at least one column or tensor');
  const specs = value.map((item, index): ColSpec | TensorSpec => {
    const path = `${field}[${index}]`;
    if (!isRecord(item) || !('type' in item)) return problem(path, 'expected a mapping with a `type` key');
    return item.type === 'tensor' ? readTensorSpec(item, path) : readColSpec(item, path);
  });
  const named = specs.filter((spec) => spec.name !== undefined).length;
  if (named !== 0 && named !== specs.length) {
    problem(field, `names must be given for all inputs or for none (got ${specs.map((s) => (s.name === undefined ? 'None' : `\`${s.name}\``)).join(', ')})`);
  }
  const tensors = specs.filter((spec) => spec.kind === 'tensor').length;
  if (tensors !== 0 && tensors !== specs.length) problem(field, 'a schema cannot mix column specs and tensor specs');
  if (tensors > 1 && named === 0) problem(field, 'several unnamed tensors are not supported; name each tensor');
  if (named === 0 && specs.some((spec) => spec.kind === 'column' && !spec.required)) {
    problem(field, 'unnamed optional columns are not supported; name the columns or make them required');
  }
  return tensors > 0 ? { kind: 'tensors', inputs: specs as TensorSpec[] } : { kind: 'columns', inputs: specs as ColSpec[] };
}

function checkParamDefault(value: PyValue, type: ParamSpec['type'], path: string): void {
  if (value === null) return;
  if (typeof type === 'object') {
    if (!isRecord(value)) problem(path, `expected a mapping for an object param, got ${describe(value)}`);
    return;
  }
  const ok = ((): boolean => {
    switch (type) {
      case 'boolean':
        return typeof value === 'boolean';
      case 'integer':
      case 'long':
        return isInteger(value) || typeof value === 'bigint';
      case 'float':
      case 'double':
        return typeof value === 'number' || value instanceof PyFloat;
      case 'string':
        return typeof value === 'string';
      case 'datetime':
        return typeof value === 'string';
    }
  })();
  if (!ok) problem(path, `expected a ${type} value, got ${describe(value)}`);
}

function readParams(text: string, field: string): ParamSpec[] {
  const value = readJson(text, field);
  if (!Array.isArray(value)) return problem(field, `expected a JSON list of param specs, got ${describe(value)}`);
  const seen = new Set<string>();
  const duplicates: string[] = [];
  const params = value.map((item, index): ParamSpec => {
    const path = `${field}[${index}]`;
    if (!isRecord(item)) return problem(path, 'expected a mapping with `name`, `type` and `default`');
    const typeValue = item.type ?? item.dtype;
    if (!('name' in item) || !('default' in item) || (!('type' in item) && !('dtype' in item))) {
      problem(path, `missing keys: expected \`name\`, \`type\` (or \`dtype\`) and \`default\`, got ${Object.keys(item).map((k) => `\`${k}\``).join(', ')}`);
    }
    const name = String(item.name);
    let type: ParamSpec['type'];
    if (typeValue === 'object') type = readObject(item, path);
    else {
      const dataType = readDataType(typeValue ?? null, `${path}.type`);
      if (dataType === 'binary') problem(`${path}.type`, `binary type is not supported for parameters (param \`${name}\`)`);
      type = dataType as Exclude<DataTypeName, 'binary'>;
    }
    const shape = item.shape ?? null;
    if (shape !== null && !(Array.isArray(shape) && shape.length === 1 && shape[0] === -1)) {
      problem(`${path}.shape`, 'expected null for a scalar or mapping value, or [-1] for a 1-D list');
    }
    const defaultValue = item.default ?? null;
    if (shape !== null) {
      if (!Array.isArray(defaultValue)) problem(`${path}.default`, `a param with shape [-1] needs a list default, got ${describe(defaultValue)}`);
      (defaultValue as PyValue[]).forEach((element, i) => checkParamDefault(element, type, `${path}.default[${i}]`));
    } else {
      checkParamDefault(defaultValue, type, `${path}.default`);
    }
    if (seen.has(name)) duplicates.push(name);
    seen.add(name);
    return { name, type, default: defaultValue, shape: shape === null ? null : [-1] };
  });
  if (duplicates.length > 0) problem(field, `duplicated parameters: ${duplicates.map((d) => `\`${d}\``).join(', ')}`);
  return params;
}

function toError(error: unknown, location: SignatureLocation): unknown {
  if (!(error instanceof SignatureProblem)) return error;
  const file = location.file ?? MLMODEL_FILE_NAME;
  return inputError('INVALID_SIGNATURE', `Invalid field \`${error.path}\` in \`${file}\`: ${error.message}`, {
    file,
    line: location.line,
    field: error.path,
    hint: 'The signature is JSON inside MLmodel; regenerate it with `mlflow.models.infer_signature` or fix the JSON by hand.',
  });
}

/** Read one schema JSON string (`signature.inputs` or `signature.outputs`). */
export function parseSchemaJson(text: string, field = 'signature.inputs', location: SignatureLocation = {}): Schema {
  try {
    return readSchema(text, field);
  } catch (error) {
    throw toError(error, location);
  }
}

/** Read the `signature.params` JSON string. */
export function parseParamsJson(text: string, field = 'signature.params', location: SignatureLocation = {}): ParamSpec[] {
  try {
    return readParams(text, field);
  } catch (error) {
    throw toError(error, location);
  }
}

/**
 * `ModelSignature.from_dict`: an empty or missing part is absent; at least one part must exist.
 * `lineOf` (from the loaded MLmodel) puts line numbers on errors.
 */
export function parseSignature(
  signature: MlmodelSignature,
  options: { file?: string; lineOf?: (path: string[]) => { line: number } | undefined } = {},
): Signature {
  const at = (part: string): SignatureLocation => ({ file: options.file, line: options.lineOf?.(['signature', part])?.line });
  const result: Signature = {};
  if (signature.inputs) result.inputs = parseSchemaJson(signature.inputs, 'signature.inputs', at('inputs'));
  if (signature.outputs) result.outputs = parseSchemaJson(signature.outputs, 'signature.outputs', at('outputs'));
  if (signature.params) result.params = parseParamsJson(signature.params, 'signature.params', at('params'));
  if (!result.inputs && !result.outputs && !result.params) {
    const file = options.file ?? MLMODEL_FILE_NAME;
    throw inputError('INVALID_SIGNATURE', `Invalid field \`signature\` in \`${file}\`: at least one of inputs, outputs or params must be provided`, {
      file,
      line: options.lineOf?.(['signature'])?.line,
      field: 'signature',
    });
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Writing

/** The dict MLflow's `to_dict` builds for a type. */
export function typeToDict(type: SchemaType): Record<string, PyValue> {
  if (typeof type === 'string') return { type };
  switch (type.type) {
    case 'array':
      return { type: 'array', items: typeToDict(type.items) };
    case 'map':
      return { type: 'map', values: typeToDict(type.values) };
    case 'object': {
      const properties: Record<string, PyValue> = {};
      for (const property of [...type.properties].sort((a, b) => compareCodePoints(a.name, b.name))) {
        properties[property.name] = { ...typeToDict(property.type), required: property.required };
      }
      return { type: 'object', properties };
    }
    default:
      return { type: type.type };
  }
}

function specToDict(spec: ColSpec | TensorSpec): Record<string, PyValue> {
  if (spec.kind === 'tensor') {
    const tensor = { type: 'tensor', 'tensor-spec': { dtype: spec.dtype, shape: [...spec.shape] } };
    return spec.name === undefined ? tensor : { name: spec.name, ...tensor };
  }
  // A sparkml vector column is written as `{"type": "sparkml_vector"}` plus name and required.
  return { ...typeToDict(spec.type), ...(spec.name === undefined ? {} : { name: spec.integerName ? Number(spec.name) : spec.name }), required: spec.required };
}

/** `Schema.to_json()`. */
export function serializeSchema(schema: Schema): string {
  return pythonJsonDumps((schema.inputs as Array<ColSpec | TensorSpec>).map(specToDict));
}

/** `ParamSchema.to_json()`. */
export function serializeParams(params: readonly ParamSpec[]): string {
  return pythonJsonDumps(
    params.map((param) => ({
      name: param.name,
      default: param.default,
      shape: param.shape === null ? null : [...param.shape],
      ...(typeof param.type === 'string' ? { type: param.type } : typeToDict(param.type)),
    })),
  );
}

/** `ModelSignature.to_dict()`: the value of MLmodel's `signature` key. */
export function serializeSignature(signature: Signature): { inputs: string | null; outputs: string | null; params: string | null } {
  return {
    inputs: signature.inputs ? serializeSchema(signature.inputs) : null,
    outputs: signature.outputs ? serializeSchema(signature.outputs) : null,
    params: signature.params && signature.params.length > 0 ? serializeParams(signature.params) : null,
  };
}

function describe(value: PyValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return `a string (\`${value}\`)`;
  if (typeof value === 'boolean') return `a boolean (\`${value}\`)`;
  if (typeof value === 'number' && Number.isInteger(value)) return `an integer (\`${value}\`)`;
  if (typeof value === 'number' || value instanceof PyFloat) return `a float (\`${Number(value)}\`)`;
  if (typeof value === 'bigint') return `an integer (\`${value}\`)`;
  if (Array.isArray(value)) return 'a list';
  return 'a mapping';
}
