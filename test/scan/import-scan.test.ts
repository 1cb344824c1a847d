import { describe, expect, it } from 'vitest';
import { scanImports } from '../../src/scan/import-scan.js';
import { MlfError } from '../../src/errors.js';

const short = (source: string) => scanImports(source).map(({ module, line, level }) => ({ module, line, level }));

describe('scanImports', () => {
  it.each([
    { name: 'plain import', source: 'import os\n', expected: [{ module: 'os', line: 1, level: 0 }] },
    {
      name: 'several modules with aliases',
      source: 'import numpy as np, pandas.io.json as j, sys\n',
      expected: [
        { module: 'numpy', line: 1, level: 0 },
        { module: 'pandas.io.json', line: 1, level: 0 },
        { module: 'sys', line: 1, level: 0 },
      ],
    },
    { name: 'from dotted import', source: 'from src.utils import my_func\n', expected: [{ module: 'src.utils', line: 1, level: 0 }] },
    { name: 'relative import', source: 'from . import helpers\n', expected: [{ module: '', line: 1, level: 1 }] },
    { name: 'relative import two levels', source: 'from ..core.pre import f\n', expected: [{ module: 'core.pre', line: 1, level: 2 }] },
    { name: 'ellipsis token counts as three dots', source: 'from ...a import b\nfrom .... import c\n', expected: [
      { module: 'a', line: 1, level: 3 },
      { module: '', line: 2, level: 4 },
    ] },
    {
      name: 'multi-line parentheses',
      source: 'from core.preprocessing import (\n    scale,\n    clean as c,  # comment\n)\nimport yaml\n',
      expected: [
        { module: 'core.preprocessing', line: 1, level: 0 },
        { module: 'yaml', line: 5, level: 0 },
      ],
    },
    {
      name: 'try / except ImportError',
      source: 'try:\n    import ujson as json\nexcept ImportError:\n    import json\n',
      expected: [
        { module: 'ujson', line: 2, level: 0 },
        { module: 'json', line: 4, level: 0 },
      ],
    },
    {
      name: 'one-line compound statements and semicolons',
      source: 'if TYPE_CHECKING: import torch\ntry: import cv2\nexcept: pass\nx = 1; import PIL.Image\n',
      expected: [
        { module: 'torch', line: 1, level: 0 },
        { module: 'cv2', line: 2, level: 0 },
        { module: 'PIL.Image', line: 4, level: 0 },
      ],
    },
    {
      name: 'inside a method (the seeds example)',
      source:
        'class MyModel(mlflow.pyfunc.PythonModel):\n    def predict(self, context, model_input):\n        from utils import my_func\n        return my_func(model_input)\n',
      expected: [{ module: 'utils', line: 3, level: 0 }],
    },
    {
      name: 'strings and comments are not imports',
      source:
        '"""\nimport fake_doc\n"""\n# import fake_comment\ns = "import fake_str"\nt = \'from fake import x\'\nu = rb"import y"\nimport real\n',
      expected: [{ module: 'real', line: 8, level: 0 }],
    },
    {
      name: 'f-strings with nested quotes and braces',
      source: 'x = f"{d["k"]} {{import no}} {f\'{y}\'}"\nimport after_fstring\n',
      expected: [{ module: 'after_fstring', line: 2, level: 0 }],
    },
    {
      name: 'backslash continuation',
      source: 'import a, \\\n    b\nfrom c \\\n  import d\n',
      expected: [
        { module: 'a', line: 1, level: 0 },
        { module: 'b', line: 1, level: 0 },
        { module: 'c', line: 3, level: 0 },
      ],
    },
    {
      name: 'yield from and raise from are not imports',
      source: 'def g():\n    yield from other\n    raise X from err\n',
      expected: [],
    },
    {
      name: 'a name called `import_x` or an attribute `.import` is not an import',
      source: 'import_x = 1\nobj.from_dict(x)\nd = {"a": 1}\n',
      expected: [],
    },
    {
      name: 'CRLF line endings',
      source: 'import os\r\nfrom a.b import (\r\n  c,\r\n)\r\nimport z\r\n',
      expected: [
        { module: 'os', line: 1, level: 0 },
        { module: 'a.b', line: 2, level: 0 },
        { module: 'z', line: 5, level: 0 },
      ],
    },
    {
      name: 'a dict literal and a slice do not start a statement after `:`',
      source: 'x = {"a": import_me}\ny = z[1:2]\n',
      expected: [],
    },
    {
      name: 'non-ASCII identifiers',
      source: 'données = 1\nimport café\n',
      expected: [{ module: 'café', line: 2, level: 0 }],
    },
  ])('$name', ({ source, expected }) => {
    expect(short(source)).toEqual(expected);
  });

  it('keeps the names imported by `from` (used to find submodules)', () => {
    expect(scanImports('from core import preprocessing as p, features\nfrom x import *\nimport y\n')).toEqual([
      { module: 'core', line: 1, level: 0, names: ['preprocessing', 'features'] },
      { module: 'x', line: 2, level: 0, names: ['*'] },
      { module: 'y', line: 3, level: 0, names: [] },
    ]);
  });

  it.each([
    { source: 'x = "never closed\nimport os\n', message: 'a string is never closed', line: 1 },
    { source: 'import os\ns = """\nopen\n', message: 'a string is never closed', line: 2 },
  ])('an unclosed string is an input error at its line ($line)', ({ source, message, line }) => {
    let caught: unknown;
    try {
      scanImports(source, 'model.py');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(MlfError);
    const error = caught as MlfError;
    expect(error.message).toBe(message);
    expect(error.location).toMatchObject({ file: 'model.py', line });
    expect(error.exitCode).toBe(2);
  });
});
