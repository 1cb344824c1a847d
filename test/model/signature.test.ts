import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MlfError } from '../../src/errors.js';
import {
  parseParamsJson,
  parseSchemaJson,
  parseSignature,
  serializeSchema,
  serializeSignature,
  type Signature,
} from '../../src/model/signature.js';

interface SignatureCase {
  name: string;
  mlflow: string;
  signature: { inputs: string | null; outputs: string | null; params: string | null };
}

const cases = JSON.parse(readFileSync(new URL('./cases/signature-cases.json', import.meta.url), 'utf8')) as SignatureCase[];

describe('signatures written by MLflow come back byte for byte', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const parsed = parseSignature(c.signature);
    expect(serializeSignature(parsed)).toEqual(c.signature);
  });
});

describe('parsed types', () => {
  it('reads columns, complex types and their required flags', () => {
    const c = cases.find((x) => x.name === 'inferred from dataframe')!;
    const signature: Signature = parseSignature(c.signature);
    expect(signature.inputs?.kind).toBe('columns');
    expect(signature.inputs?.inputs.slice(6)).toEqual([
      { kind: 'column', type: { type: 'array', items: 'long' }, name: 'g', required: true },
      {
        kind: 'column',
        type: {
          type: 'object',
          properties: [
            { name: 'j', type: 'string', required: false },
            { name: 'k', type: 'long', required: true },
          ],
        },
        name: 'h',
        required: true,
      },
    ]);
  });
  it('reads tensors', () => {
    expect(parseSchemaJson('[{"name": "x", "type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 28]}}]')).toEqual({
      kind: 'tensors',
      inputs: [{ kind: 'tensor', dtype: 'float32', shape: [-1, 28], name: 'x' }],
    });
  });
  it('keeps integer column names, which MLflow writes for a DataFrame with integer labels (a pytorch model\'s outputs)', () => {
    const json = '[{"type": "float", "name": 0, "required": true}, {"type": "float", "name": 1, "required": true}]';
    const schema = parseSchemaJson(json);
    expect(schema.inputs[0]).toEqual({ kind: 'column', type: 'float', name: '0', integerName: true, required: true });
    expect(serializeSchema(schema)).toBe(json);
    expect(() => parseSchemaJson('[{"type": "float", "name": 0.5}]')).toThrow('expected a string or an integer, got');
  });
  it('defaults `required` to true and accepts `dtype` for params', () => {
    expect(parseSchemaJson('[{"type": "string", "name": "a"}]').inputs[0]).toEqual({
      kind: 'column',
      type: 'string',
      name: 'a',
      required: true,
    });
    expect(parseParamsJson('[{"name": "k", "dtype": "long", "default": 1}]')).toEqual([
      { name: 'k', type: 'long', default: 1, shape: null },
    ]);
  });
  it('sorts object properties as MLflow does', () => {
    const schema = parseSchemaJson(
      '[{"type": "object", "properties": {"b": {"type": "long"}, "a": {"type": "string"}}, "name": "o", "required": true}]',
    );
    expect(serializeSchema(schema)).toBe(
      '[{"type": "object", "properties": {"a": {"type": "string", "required": true}, "b": {"type": "long", "required": true}}, "name": "o", "required": true}]',
    );
  });
  it('treats empty parts as absent (ModelSignature.from_dict)', () => {
    expect(parseSignature({ inputs: '', outputs: '[{"type": "long", "required": true}]', params: null })).toEqual({
      outputs: { kind: 'columns', inputs: [{ kind: 'column', type: 'long', required: true }] },
    });
  });
});

describe('invalid signatures name the field', () => {
  it.each([
    ['[{"type": "doubel", "name": "a"}]', 'Invalid field `signature.inputs[0].type` in `MLmodel`: unsupported type `doubel`; expected one of boolean, integer, long, float, double, string, binary, datetime, array, object, map, any'],
    ['[]', 'Invalid field `signature.inputs` in `MLmodel`: a schema needs at least one column or tensor'],
    ['{"type": "long"}', 'Invalid field `signature.inputs` in `MLmodel`: expected a JSON list of column or tensor specs, got a mapping'],
    ['[{"type": "long", "name": "a"}, {"type": "long"}]', 'Invalid field `signature.inputs` in `MLmodel`: names must be given for all inputs or for none (got `a`, None)'],
    ['[{"type": "long", "name": "a"}, {"name": "t", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]', 'Invalid field `signature.inputs` in `MLmodel`: a schema cannot mix column specs and tensor specs'],
    ['[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}, {"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]', 'Invalid field `signature.inputs` in `MLmodel`: several unnamed tensors are not supported; name each tensor'],
    ['[{"type": "long", "required": false}]', 'Invalid field `signature.inputs` in `MLmodel`: unnamed optional columns are not supported; name the columns or make them required'],
    ['[{"type": "tensor", "tensor-spec": {"dtype": "<U10", "shape": [-1]}}]', 'Invalid field `signature.inputs[0].tensor-spec.dtype` in `MLmodel`: MLflow does not support size information in flexible numpy data types (`<U10`); use `str`'],
    ['[{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": "-1"}}]', 'Invalid field `signature.inputs[0].tensor-spec.shape` in `MLmodel`: expected a list of integers (`-1` for a variable dimension)'],
    ['[{"type": "array", "name": "a", "required": true}]', 'Invalid field `signature.inputs[0]` in `MLmodel`: an array type needs `items`'],
    ['[{"type": "object", "properties": {}, "name": "a"}]', 'Invalid field `signature.inputs[0].properties` in `MLmodel`: an object type needs at least one property'],
    ['[{"type": "map", "values": {"type": "nope"}, "name": "a"}]', 'Invalid field `signature.inputs[0].values.type` in `MLmodel`: unsupported type `nope`; expected one of boolean, integer, long, float, double, string, binary, datetime, array, object, map, any'],
    ['[{"type": "long", "name": "a", "required": "yes"}]', 'Invalid field `signature.inputs[0].required` in `MLmodel`: expected a boolean, got a string (`yes`)'],
    ['[{"type": "long", "name": "a", "nullable": true}]', 'Invalid field `signature.inputs[0]` in `MLmodel`: unexpected key `nullable` (a column has `type`, `name`, `required`)'],
    ['[{"type": "long", "name": "a"', 'Invalid field `signature.inputs` in `MLmodel`: not valid JSON (Expecting \',\' delimiter at column 30)'],
  ])('%s', (json, message) => {
    let error: unknown;
    try {
      parseSignature({ inputs: json }, { file: 'MLmodel', lineOf: () => ({ line: 28 }) });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(MlfError);
    expect((error as MlfError).message).toBe(message);
    expect((error as MlfError).code).toBe('INVALID_SIGNATURE');
    expect((error as MlfError).location.line).toBe(28);
    expect((error as MlfError).exitCode).toBe(2);
  });

  it.each([
    ['[{"name": "b", "default": "x", "shape": null, "type": "binary"}]', 'Invalid field `signature.params[0].type` in `MLmodel`: binary type is not supported for parameters (param `b`)'],
    ['[{"name": "k", "default": 1, "shape": [2], "type": "long"}]', 'Invalid field `signature.params[0].shape` in `MLmodel`: expected null for a scalar or mapping value, or [-1] for a 1-D list'],
    ['[{"name": "k", "default": 1, "shape": [-1], "type": "long"}]', 'Invalid field `signature.params[0].default` in `MLmodel`: a param with shape [-1] needs a list default, got an integer (`1`)'],
    ['[{"name": "k", "default": "x", "shape": null, "type": "double"}]', 'Invalid field `signature.params[0].default` in `MLmodel`: expected a double value, got a string (`x`)'],
    ['[{"name": "k", "shape": null, "type": "double"}]', 'Invalid field `signature.params[0]` in `MLmodel`: missing keys: expected `name`, `type` (or `dtype`) and `default`, got `name`, `shape`, `type`'],
    ['[{"name": "k", "default": 1, "type": "long"}, {"name": "k", "default": 2, "type": "long"}]', 'Invalid field `signature.params` in `MLmodel`: duplicated parameters: `k`'],
  ])('params %s', (json, message) => {
    expect(() => parseSignature({ params: json })).toThrow(message);
  });

  it('needs at least one part', () => {
    expect(() => parseSignature({ inputs: null, outputs: '', params: null })).toThrow(
      'Invalid field `signature` in `MLmodel`: at least one of inputs, outputs or params must be provided',
    );
  });
});
