import { describe, expect, it } from 'vitest';
import { exampleSplitValue, inferInputSchema, parseCsv, readExampleFile } from '../../src/package/example.js';
import { buildInputExample } from '../../src/model/input-example.js';
import { serializeSchema } from '../../src/model/signature.js';
import { MlfError } from '../../src/errors.js';

// Expected texts are what MLflow 3.17.2 writes for the same DataFrames (`_save_example` and
// `_infer_schema` on pd.DataFrame(data, columns=columns), or pd.read_csv for the CSV case);
// note MLflow writes a missing value as a bare `NaN`.
describe('readExampleFile and the files MLflow writes from it', () => {
  it.each([
    {
      name: 'pandas split orient (df.to_json(orient="split", index=False))',
      file: 'example.json',
      text: '{"columns":["sepal length (cm)","sepal width (cm)","petal length (cm)"],"data":[[5.1,3.5,1.4],[4.9,3.0,1.4],[4.7,3.2,1.3]]}',
      example: '{"columns": ["sepal length (cm)", "sepal width (cm)", "petal length (cm)"], "data": [[5.1, 3.5, 1.4], [4.9, 3.0, 1.4], [4.7, 3.2, 1.3]]}',
      inputs: '[{"type": "double", "name": "sepal length (cm)", "required": true}, {"type": "double", "name": "sepal width (cm)", "required": true}, {"type": "double", "name": "petal length (cm)", "required": true}]',
    },
    {
      name: 'records, ints mixed with floats in one column make it double',
      file: 'example.json',
      text: '[{"a": 1, "b": "x", "c": true}, {"a": 2.5, "b": "y", "c": false}]',
      example: '{"columns": ["a", "b", "c"], "data": [[1.0, "x", true], [2.5, "y", false]]}',
      inputs: '[{"type": "double", "name": "a", "required": true}, {"type": "string", "name": "b", "required": true}, {"type": "boolean", "name": "c", "required": true}]',
    },
    {
      name: 'the serving form dataframe_split; a null makes the column optional',
      file: 'serving.json',
      text: '{"dataframe_split": {"columns": ["n", "s"], "data": [[1, null], [2, "caf\\u00e9"]]}}',
      example: '{"columns": ["n", "s"], "data": [[1, NaN], [2, "caf\\u00e9"]]}',
      inputs: '[{"type": "long", "name": "n", "required": true}, {"type": "string", "name": "s", "required": false}]',
    },
    {
      name: 'CSV typed as pandas.read_csv types it',
      file: 'example.csv',
      text: 'id,score,label,flag\r\n1,0.5,"a, b",True\r\n2,,c,False\r\n',
      example: '{"columns": ["id", "score", "label", "flag"], "data": [[1, 0.5, "a, b", true], [2, NaN, "c", false]]}',
      inputs: '[{"type": "long", "name": "id", "required": true}, {"type": "double", "name": "score", "required": false}, {"type": "string", "name": "label", "required": true}, {"type": "boolean", "name": "flag", "required": true}]',
    },
  ])('$name', ({ file, text, example, inputs }) => {
    const frame = readExampleFile(text, file);
    const saved = buildInputExample({ type: 'dataframe', data: exampleSplitValue(frame) });
    expect(saved.inputExampleText).toBe(example);
    expect(saved.info.pandas_orient).toBe('split');
    expect(serializeSchema(inferInputSchema(frame))).toBe(inputs);
  });

  it('the serving file is json.dumps(indent=2) of dataframe_split', () => {
    const frame = readExampleFile('{"columns": ["a"], "data": [[1.5]]}', 'e.json');
    expect(buildInputExample({ type: 'dataframe', data: exampleSplitValue(frame) }).servingInputText).toBe(
      '{\n  "dataframe_split": {\n    "columns": [\n      "a"\n    ],\n    "data": [\n      [\n        1.5\n      ]\n    ]\n  }\n}',
    );
  });

  it.each([
    { text: '{"inputs": [1, 2]}', message: '`e.json` is not a table mlf can read: expected `{"columns": [...], "data": [[...]]}`, `dataframe_split`, `dataframe_records` or a list of records' },
    { text: '{"columns": ["a", "b"], "data": [[1]]}', message: '`e.json` is not a table mlf can read: row 0 has 1 values for 2 columns' },
    { text: '{"columns": ["a"], "data": [[1], ["x"]]}', message: 'column `a` of `e.json` mixes value types' },
  ])('refuses $text', ({ text, message }) => {
    let caught: unknown;
    try {
      readExampleFile(text, 'e.json');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MlfError);
    expect((caught as MlfError).message).toBe(message);
    expect((caught as MlfError).exitCode).toBe(2);
  });
});

describe('parseCsv', () => {
  it('handles quotes, doubled quotes, CRLF and a missing final newline', () => {
    expect(parseCsv('a,b\r\n"x ""y""",2\n3,"4\n5"')).toEqual([
      ['a', 'b'],
      ['x "y"', '2'],
      ['3', '4\n5'],
    ]);
  });
});
