import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  CONSTRAINTS_LINE,
  EXCLUSIVE_ENV_ARGUMENTS_MESSAGE,
  checkRequirementsArgument,
  condaEnvPipList,
  condaPipListMatchesRequirements,
  deduplicateRequirements,
  finalPipList,
  formatLockedRequirements,
  inferredWithDefaults,
  isLockedPipList,
  isMlflowRequirement,
  mergePipRequirements,
  mlflowVersionPin,
  removeIncompatibleRequirements,
  validateEnvArguments,
  withMlflowPin,
  type RequirementEntry,
  type RequirementsArgument,
} from '../../src/deps/merge.js';
import { parseRequirementsFile, resolveIncludes } from '../../src/deps/requirements-txt.js';
import { catchMlfError } from '../support/errors.js';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/requirements');


/** Entries labelled by origin: `['inferred', 'a==1']`. */
const entries = (...items: Array<[string, string]>): RequirementEntry[] =>
  items.map(([origin, text]) => ({ text, origin }));
const texts = (...items: string[]): RequirementEntry[] => items.map((text, i) => ({ text, origin: `list:${i + 1}` }));
const argument = (requirements: string[], constraints: string[] = []): RequirementsArgument => ({
  requirements: requirements.map((text, i) => ({ text, origin: `extra_pip_requirements:${i + 1}` })),
  constraints: constraints.map((text, i) => ({ text, origin: `constraints.txt:${i + 1}` })),
});

describe('validateEnvArguments', () => {
  it.each([
    [{}],
    [{ condaEnv: {} }],
    [{ pipRequirements: ['a'] }],
    [{ extraPipRequirements: 'extra.txt' }],
    [{ condaEnv: undefined, pipRequirements: null, extraPipRequirements: ['a'] }],
  ])('accepts %j', (args) => {
    expect(() => validateEnvArguments(args)).not.toThrow();
  });

  it.each([
    [{ condaEnv: {}, pipRequirements: ['a'] }],
    [{ pipRequirements: [], extraPipRequirements: [] }],
    [{ condaEnv: 'conda.yaml', extraPipRequirements: ['a'] }],
    [{ condaEnv: {}, pipRequirements: 'r.txt', extraPipRequirements: ['a'] }],
  ])('refuses %j with MLflow’s ValueError text', (args) => {
    const error = catchMlfError(() => validateEnvArguments(args));
    expect(error.category).toBe('usage');
    expect(error.code).toBe('EXCLUSIVE_ENV_ARGUMENTS');
    expect(error.message).toBe(
      'Only one of `conda_env`, `pip_requirements`, and `extra_pip_requirements` can be specified',
    );
    expect(error.message).toBe(EXCLUSIVE_ENV_ARGUMENTS_MESSAGE);
    expect(error.exitCode).toBe(2);
  });

  it.each([
    ['requirements.txt', 'path'],
    [['a', 'b'], 'list'],
    [[], 'list'],
  ] as const)('checkRequirementsArgument(%j) is a %s', (value, kind) => {
    expect(checkRequirementsArgument(value, 'pip_requirements')).toBe(kind);
  });

  it.each([
    [42, 'number'],
    [{}, 'object'],
    [['a', 1], 'a list with a non-string item'],
    [null, 'null'],
  ])('checkRequirementsArgument(%j) is a usage error', (value, got) => {
    const error = catchMlfError(() => checkRequirementsArgument(value, 'extra_pip_requirements'));
    expect(error.code).toBe('INVALID_REQUIREMENTS_ARGUMENT');
    expect(error.message).toBe(
      `\`extra_pip_requirements\` must be either a string path to a pip requirements file on the local filesystem or an iterable of pip requirement strings, but got ${got}`,
    );
  });
});

describe('the mlflow pin', () => {
  // MLflow 3.17.2 `_is_mlflow_requirement` agrees on every row but the two marked.
  it.each([
    ['mlflow', true],
    ['MLflow==2.0', true],
    ['mlflow-skinny', true],
    ['mlflow-tracing>=3', true],
    ['mlflow[gateway]', true],
    ['mlflow==2.0 --hash=sha256:aa', true],
    ['git+https://github.com/mlflow/mlflow@master', true],
    ['/opt/mlflow', true],
    ['-e ./mlflow', true],
    ['mlflow @ git+https://github.com/mlflow/mlflow@branch', true],
    ['Mlflow @ file:///x', true],
    ['./mlflowish', true],
    ['https://example.com/mlflow-2.0.tar.gz', true],
    ['scikit-learn', false],
    ['mlflowx', false],
    ['-e .', false],
    ['--index-url https://pypi.org/simple', false],
    // MLflow: false (it lower-cases the name, it does not normalize it).
    ['mlflow_skinny', true],
    // MLflow: false (after stripping options it accepts only the name `mlflow`).
    ['mlflow-skinny==2.0 --hash=sha256:aa', true],
  ])('isMlflowRequirement(`%s`) is %s', (text, expected) => {
    expect(isMlflowRequirement(text)).toBe(expected);
  });

  it.each([
    ['3.6.0', 'mlflow==3.6.0'],
    ['3.17.2', 'mlflow==3.17.2'],
    ['3.6.0rc0', 'mlflow==3.6.0rc0'],
    ['3.6.1.dev0', 'mlflow==3.6.0'],
    ['2.8.1.dev0', 'mlflow==2.8.0'],
    ['3.6.1rc1.dev2', 'mlflow==3.6.0'],
    // MLflow writes `mlflow==3.7.-1` here, which no installer accepts.
    ['3.7.0.dev0', 'mlflow<3.7.0'],
    ['4.0.dev0', 'mlflow<4.0.0'],
  ])('mlflowVersionPin(`%s`) is `%s`', (version, pin) => {
    expect(mlflowVersionPin(version)).toBe(pin);
  });

  it('is inserted at index 0 when no line asks for mlflow', () => {
    expect(withMlflowPin(texts('scikit-learn==1.5.2', '-e .'), '3.6.0')).toEqual([
      { text: 'mlflow==3.6.0', origin: 'mlflow pin' },
      { text: 'scikit-learn==1.5.2', origin: 'list:1' },
      { text: '-e .', origin: 'list:2' },
    ]);
  });

  it('is not inserted when one does, wherever it is', () => {
    const list = texts('scikit-learn==1.5.2', 'mlflow-skinny==3.6.0');
    expect(withMlflowPin(list, '3.6.0')).toEqual(list);
  });
});

describe('deduplicateRequirements', () => {
  // Every row was run through MLflow 3.17.2 `_deduplicate_requirements` (with
  // MLFLOW_SKIP_PIP_REQUIREMENTS_CHECK=true, so without the network check); where mlf's output
  // differs on purpose, MLflow's is in the comment.
  it.each([
    ['inferred pin + extra range (§4)', ['scikit-learn==1.5.2', 'scikit-learn>=1.0'], ['scikit-learn==1.5.2,>=1.0']],
    ['re-emitted as str(Requirement) (§4)', ['mlflow >= 2.8, != 2.9.0'], ['mlflow!=2.9.0,>=2.8']],
    ['extras sorted (§4)', ['pkg[b,a]>1'], ['pkg[a,b]>1']],
    ['a pin fills a bare name', ['packageA', 'packageA==1.0'], ['packageA==1.0']],
    ['extras and ranges gathered', ['packageX>1.0', 'packageX[extras]', 'packageX<2.0'], ['packageX[extras]<2.0,>1.0']],
    ['extras unioned', ['markdown[extra1]>=3.5.1', 'markdown[extra2]<4', 'markdown'], ['markdown[extra1,extra2]<4,>=3.5.1']],
    ['a bare extra adds nothing', ['scikit-learn==1.5.2', 'scikit-learn'], ['scikit-learn==1.5.2']],
    ['a bare name takes the later pin', ['scikit-learn', 'scikit-learn==1.5.2'], ['scikit-learn==1.5.2']],
    ['local label dropped (existing)', ['torch==2.1.0+cu118', 'torch==2.1.0'], ['torch==2.1.0']],
    ['local label dropped (new)', ['torch==2.1.0', 'torch==2.1.0+cu118'], ['torch==2.1.0']],
    ['a marker makes another requirement', ['a; python_version<"3.8"', 'a>1'], ['a; python_version < "3.8"', 'a>1']],
    ['equal markers merge', ['a>1; python_version<"3.8"', "a<3 ; python_version < '3.8'"], ['a<3,>1; python_version < "3.8"']],
    [
      'unparsable lines kept verbatim, deduped on exact text',
      ['-e .', 'mlflow==3.6.0', '-e .', '--index-url https://x/simple', 'https://x/y.whl', 'numpy==2.1 --hash=sha256:ab', 'numpy==2.1 --hash=sha256:ab', '-e  .'],
      ['-e .', 'mlflow==3.6.0', '--index-url https://x/simple', 'https://x/y.whl', 'numpy==2.1 --hash=sha256:ab', '-e  .'],
    ],
    ['identical pins', ['numpy==2.1.0', 'numpy==2.1.0'], ['numpy==2.1.0']],
    // MLflow: ['numpy==1.0.0'] (it keeps the later of two equal sets).
    ['equal sets are not joined', ['numpy==1.0', 'numpy==1.0.0'], ['numpy==1.0']],
    // MLflow: ['numpy<2,>=1'].
    ['equal sets in another order', ['numpy>=1,<2', 'numpy<2,>=1'], ['numpy<2,>=1']],
    ['extras of both sides', ['pkg[x]>=1', 'pkg[y]'], ['pkg[x,y]>=1']],
    ['extras kept from the first', ['pkg[x]', 'pkg>=1'], ['pkg[x]>=1']],
    ['three ranges', ['a>=1', 'a<3', 'a!=2'], ['a!=2,<3,>=1']],
  ])('%s', (_label, input, expected) => {
    expect(deduplicateRequirements(texts(...input)).requirements.map((entry) => entry.text)).toEqual(expected);
  });

  // mlf compares names after PEP 503 normalization and keeps the first spelling (mlflow-format.md §13).
  it.each([
    // MLflow: ['Pandas==2.0', 'pandas>=1'] (two entries for one package).
    ['Pandas==2.0', 'pandas>=1', 'Pandas==2.0,>=1'],
    // MLflow: ['scikit_learn==1.5.2', 'scikit-learn>=1.0'].
    ['scikit_learn==1.5.2', 'scikit-learn>=1.0', 'scikit_learn==1.5.2,>=1.0'],
    // MLflow: ['Foo.Bar', 'foo-bar==1'].
    ['Foo.Bar', 'foo-bar==1', 'Foo.Bar==1'],
    ['zope.interface>=5', 'Zope_Interface<7', 'zope.interface<7,>=5'],
    // MLflow: ['pkg[A,a]'] (extras compared as written).
    ['pkg[A]', 'pkg[a]', 'pkg[A]'],
  ])('`%s` + `%s` -> `%s` (names compared after normalization)', (first, second, expected) => {
    expect(deduplicateRequirements(texts(first, second)).requirements.map((entry) => entry.text)).toEqual([expected]);
  });

  it('keeps the first position and origin of a merged entry', () => {
    const result = deduplicateRequirements(
      entries(['mlflow pin', 'mlflow==3.6.0'], ['inferred', 'pandas==2.2.3'], ['inferred', 'scikit-learn==1.5.2'], ['extra_pip_requirements', 'Pandas>=2']),
    );
    expect(result.requirements).toEqual(
      entries(['mlflow pin', 'mlflow==3.6.0'], ['inferred', 'pandas==2.2.3,>=2'], ['inferred', 'scikit-learn==1.5.2']),
    );
  });

  it('notes a dropped local label', () => {
    expect(deduplicateRequirements(texts('torch==2.1.0+cu118', 'torch==2.1.0')).notes).toEqual([
      '`torch`: kept `==2.1.0` over `==2.1.0+cu118` (the version without a local label installs from PyPI)',
    ]);
  });

  it('lets a direct reference win over a pin, and says so', () => {
    // MLflow writes `pkg==1.0 @ git+https://h/p.git`, which is not a valid requirement.
    const result = deduplicateRequirements(entries(['inferred', 'pkg==1.0'], ['extra_pip_requirements', 'pkg @ git+https://h/p.git']));
    expect(result.requirements.map((entry) => entry.text)).toEqual(['pkg @ git+https://h/p.git']);
    expect(result.notes).toEqual(['`pkg`: the direct reference `git+https://h/p.git` replaces `==1.0`']);
  });

  describe('conflicts', () => {
    it.each([
      [
        entries(['inferred', 'scikit-learn==1.5.2'], ['extra_pip_requirements', 'scikit-learn==1.4.0']),
        'Conflicting requirements for `scikit-learn`: `scikit-learn==1.5.2` (inferred) and `scikit-learn==1.4.0` (extra_pip_requirements) have no version in common',
      ],
      [
        entries(['requirements.txt:1', 'scikit-learn==1.1'], ['requirements.txt:2', 'scikit-learn<1']),
        'Conflicting requirements for `scikit-learn`: `scikit-learn==1.1` (requirements.txt:1) and `scikit-learn<1` (requirements.txt:2) have no version in common',
      ],
      // MLflow keys on the name as written, so it would not see this one.
      [
        entries(['inferred', 'Pandas==2.0'], ['extra_pip_requirements', 'pandas<2']),
        'Conflicting requirements for `Pandas`: `Pandas==2.0` (inferred) and `pandas<2` (extra_pip_requirements) have no version in common',
      ],
      // The earlier entry that conflicts on its own is named, not the merged whole.
      [
        entries(['inferred', 'numpy>=1.20'], ['defaults', 'numpy<3'], ['extra_pip_requirements', 'numpy>=3']),
        'Conflicting requirements for `numpy`: `numpy<3` (defaults) and `numpy>=3` (extra_pip_requirements) have no version in common',
      ],
      // No single earlier entry conflicts: the merged whole is named with every origin.
      [
        entries(['a.txt:1', 'a>=2'], ['b.txt:1', 'a<=2'], ['c.txt:1', 'a!=2']),
        'Conflicting requirements for `a`: `a<=2,>=2` (a.txt:1 + b.txt:1) and `a!=2` (c.txt:1) have no version in common',
      ],
      [
        entries(['inferred', 'pkg @ https://a.example/pkg.whl'], ['extra_pip_requirements', 'pkg @ https://b.example/pkg.whl']),
        'Conflicting requirements for `pkg`: `pkg @ https://a.example/pkg.whl` (inferred) and `pkg @ https://b.example/pkg.whl` (extra_pip_requirements) point to different URLs',
      ],
    ])('%# names both requirements and their origins', (input, message) => {
      const error = catchMlfError(() => deduplicateRequirements(input));
      expect(error.code).toBe('CONFLICTING_REQUIREMENTS');
      expect(error.category).toBe('input');
      expect(error.message).toBe(message);
      expect(error.hint).toBe('Change or remove one of them so that both can hold at once.');
    });

    it('carries both sides as data and the location of the later one', () => {
      const error = catchMlfError(() =>
        deduplicateRequirements([
          { text: 'scikit-learn==1.5.2', origin: 'inferred' },
          { text: 'scikit-learn<1', origin: 'extra.txt:3', file: 'extra.txt', line: 3 },
        ]),
      );
      expect(error.data).toEqual({
        name: 'scikit-learn',
        first: { requirement: 'scikit-learn==1.5.2', origin: 'inferred' },
        second: { requirement: 'scikit-learn<1', origin: 'extra.txt:3' },
      });
      expect(error.where).toBe('extra.txt:3');
    });

    it('does not see a conflict between requirements under different markers', () => {
      const result = deduplicateRequirements(texts('numpy==1.26.4; python_version<"3.9"', 'numpy==2.1.0; python_version>="3.9"'));
      expect(result.requirements.map((entry) => entry.text)).toEqual([
        'numpy==1.26.4; python_version < "3.9"',
        'numpy==2.1.0; python_version >= "3.9"',
      ]);
    });
  });

  it('is idempotent and leaves one entry per (name, marker) (property)', () => {
    const name = fc.constantFrom('numpy', 'NumPy', 'num_py', 'pandas', 'scikit-learn');
    const spec = fc.constantFrom('', '>=1', '<5', '!=2', '>=1,<5', '~=1.2');
    const line = fc.tuple(name, spec).map(([n, s]) => `${n}${s}`);
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), (lines) => {
        const once = deduplicateRequirements(texts(...lines)).requirements.map((entry) => entry.text);
        const twice = deduplicateRequirements(texts(...once)).requirements.map((entry) => entry.text);
        expect(twice).toEqual(once);
        const names = once.map((text) => text.replace(/[^A-Za-z_-].*$/, '').toLowerCase().replace(/[-_.]+/g, '-'));
        expect(new Set(names).size).toBe(names.length);
      }),
    );
  });
});

describe('removeIncompatibleRequirements', () => {
  it.each([
    [['databricks-connect==15', 'pyspark==3.5', 'pyspark-connect', 'numpy'], ['databricks-connect==15', 'numpy']],
    [['pyspark==3.5', 'numpy'], ['pyspark==3.5', 'numpy']],
    // MLflow compares names as written: it keeps PySpark here.
    [['Databricks_Connect==15', 'PySpark==3.5', '-e .'], ['Databricks_Connect==15', '-e .']],
  ])('%j -> %j', (input, expected) => {
    expect(removeIncompatibleRequirements(texts(...input)).map((entry) => entry.text)).toEqual(expected);
  });
});

describe('mergePipRequirements and finalPipList', () => {
  const inferred = ['scikit-learn==1.5.2', 'cloudpickle==3.1.1', 'numpy==2.1.0'];
  const defaults = ['scikit-learn==1.5.2', 'cloudpickle==3.1.1'];

  it('neither argument: sorted(inferred ∪ defaults) with the pin first', () => {
    const merged = mergePipRequirements({ inferred, defaults: [...defaults, 'psutil==6.0.0'], mlflowVersion: '3.6.0' });
    expect(merged.requirements).toEqual(
      entries(
        ['mlflow pin', 'mlflow==3.6.0'],
        ['inferred', 'cloudpickle==3.1.1'],
        ['inferred', 'numpy==2.1.0'],
        ['flavor defaults', 'psutil==6.0.0'],
        ['inferred', 'scikit-learn==1.5.2'],
      ),
    );
    expect(finalPipList(merged)).toEqual(['mlflow==3.6.0', 'cloudpickle==3.1.1', 'numpy==2.1.0', 'psutil==6.0.0', 'scikit-learn==1.5.2']);
  });

  it('extra_pip_requirements: appended in their order after the sorted list, then deduped', () => {
    const merged = mergePipRequirements({
      inferred,
      defaults,
      extraPipRequirements: argument(['scikit-learn>=1.0', 'pandas', 'Cloudpickle']),
      mlflowVersion: '3.6.1.dev0',
    });
    expect(finalPipList(merged)).toEqual([
      'mlflow==3.6.0',
      'cloudpickle==3.1.1',
      'numpy==2.1.0',
      'scikit-learn==1.5.2,>=1.0',
      'pandas',
    ]);
  });

  it('pip_requirements: used as is, no inference and no defaults', () => {
    const merged = mergePipRequirements({
      inferred,
      defaults,
      pipRequirements: argument(['pandas>=2', 'mlflow-skinny==3.6.0']),
      mlflowVersion: '3.6.0',
    });
    expect(finalPipList(merged)).toEqual(['pandas>=2', 'mlflow-skinny==3.6.0']);
  });

  it('pip_requirements and extra_pip_requirements together are refused', () => {
    const error = catchMlfError(() =>
      mergePipRequirements({ pipRequirements: argument(['a']), extraPipRequirements: argument(['b']), mlflowVersion: '3.6.0' }),
    );
    expect(error.message).toBe(EXCLUSIVE_ENV_ARGUMENTS_MESSAGE);
  });

  it('appends `-c constraints.txt` last when there are constraints', () => {
    const merged = mergePipRequirements({ pipRequirements: argument(['pandas'], ['numpy<2.2']), mlflowVersion: '3.6.0' });
    expect(merged.constraints.map((entry) => entry.text)).toEqual(['numpy<2.2']);
    expect(finalPipList(merged)).toEqual(['mlflow==3.6.0', 'pandas', CONSTRAINTS_LINE]);
    expect(CONSTRAINTS_LINE).toBe('-c constraints.txt');
  });

  it('writes the lock layout instead, without `-c`, when locked', () => {
    const merged = mergePipRequirements({ pipRequirements: argument(['scikit-learn==1.5.2'], ['numpy<2.2']), mlflowVersion: '3.6.0' });
    const locked = finalPipList(merged, "numpy==2.1.0 ; python_version >= '3.10'\nscikit-learn==1.5.2\n");
    expect(locked.join('\n') + '\n').toBe(readFileSync(path.join(FIXTURES, 'locked.txt'), 'utf8'));
    expect(locked).not.toContain(CONSTRAINTS_LINE);
    expect(isLockedPipList(locked)).toBe(true);
    expect(isLockedPipList(finalPipList(merged))).toBe(false);
  });

  it('drops pyspark next to databricks-connect', () => {
    const merged = mergePipRequirements({ inferred: ['databricks-connect==15.4.0', 'pyspark==3.5.0'], mlflowVersion: '3.6.0' });
    expect(finalPipList(merged)).toEqual(['mlflow==3.6.0', 'databricks-connect==15.4.0']);
  });

  it('reports a conflict between an inferred pin and an extra requirement', () => {
    const error = catchMlfError(() =>
      mergePipRequirements({ inferred: ['scikit-learn==1.5.2'], extraPipRequirements: argument(['scikit-learn<1.5']), mlflowVersion: '3.6.0' }),
    );
    expect(error.message).toBe(
      'Conflicting requirements for `scikit-learn`: `scikit-learn==1.5.2` (inferred) and `scikit-learn<1.5` (extra_pip_requirements:1) have no version in common',
    );
  });

  it.each([
    ['LF', (text: string) => text],
    ['CRLF', (text: string) => text.replace(/\r?\n/g, '\r\n')],
  ])('takes a requirements file with includes end to end (%s)', (_label, endings) => {
    const includes = path.join(FIXTURES, 'includes');
    const read = (p: string) => endings(readFileSync(p, 'utf8'));
    const top = path.join(includes, 'top.txt');
    const resolved = resolveIncludes(parseRequirementsFile(read(top), top), read, includes);
    const label = (line: { text: string; origin: string }) => ({ text: line.text, origin: path.relative(includes, line.origin) });
    const merged = mergePipRequirements({
      pipRequirements: { requirements: resolved.requirements.map(label), constraints: resolved.constraints.map(label) },
      mlflowVersion: '3.6.0',
    });
    expect(finalPipList(merged)).toEqual([
      'mlflow==3.6.0',
      'scikit-learn==1.5.2',
      'pandas>=2 --hash=sha256:abcd',
      'numpy==2.1.0',
      'requests',
      '-e ./src',
      'urllib3<3',
      '--index-url https://pypi.org/simple',
      '-c constraints.txt',
    ]);
  });
});

describe('inferredWithDefaults', () => {
  it('sorts as Python sorts strings (code points), duplicates removed', () => {
    expect(inferredWithDefaults(['scikit-learn==1.5.2', 'Pandas==2.0', 'numpy==2.1.0'], ['scikit-learn==1.5.2', 'cloudpickle==3.1.1']).map((e) => e.text)).toEqual([
      'Pandas==2.0',
      'cloudpickle==3.1.1',
      'numpy==2.1.0',
      'scikit-learn==1.5.2',
    ]);
  });
});

describe('formatLockedRequirements', () => {
  it('writes MLflow’s lock layout from uv’s output lines', () => {
    expect(formatLockedRequirements(['mlflow==3.6.0', 'scikit-learn==1.5.2'], ["numpy==2.1.0 ; python_version >= '3.10'", 'scikit-learn==1.5.2'])).toEqual(
      readFileSync(path.join(FIXTURES, 'locked.txt'), 'utf8').split('\n').slice(0, -1),
    );
  });

  it('splits uv output as Python splitlines does', () => {
    expect(formatLockedRequirements(['a'], 'x==1\r\ny==2\r\n')).toEqual(['# Original requirements', '# a', '#', '# Locked requirements', 'x==1', 'y==2']);
  });
});

describe('condaEnvPipList', () => {
  it('prepends the pin, appends `-c constraints.txt`, and does not dedup (as MLflow)', () => {
    expect(condaEnvPipList(argument(['pandas', 'Pandas>=2'], ['numpy<2']), '3.6.0')).toEqual({
      pipList: ['mlflow==3.6.0', 'pandas', 'Pandas>=2', '-c constraints.txt'],
      constraints: [{ text: 'numpy<2', origin: 'constraints.txt:1' }],
    });
  });

  it('keeps a list that already names mlflow as it is', () => {
    expect(condaEnvPipList(argument(['mlflow==3.5.0', 'scikit-learn']), '3.6.0').pipList).toEqual(['mlflow==3.5.0', 'scikit-learn']);
  });
});

describe('condaPipListMatchesRequirements', () => {
  const pip = ['mlflow==3.6.0', 'cloudpickle==3.1.1', 'scikit-learn==1.5.2'];

  it.each([
    ['as MLflow writes it', 'mlflow==3.6.0\ncloudpickle==3.1.1\nscikit-learn==1.5.2'],
    ['with a final newline', 'mlflow==3.6.0\ncloudpickle==3.1.1\nscikit-learn==1.5.2\n'],
    ['with CRLF', 'mlflow==3.6.0\r\ncloudpickle==3.1.1\r\nscikit-learn==1.5.2\r\n'],
  ])('matches %s', (_label, text) => {
    expect(condaPipListMatchesRequirements(pip, text)).toEqual({ matches: true, mismatches: [] });
  });

  it('matches the fixture MLflow wrote', () => {
    expect(condaPipListMatchesRequirements(pip, readFileSync(path.join(FIXTURES, 'mlflow-written.txt'), 'utf8')).matches).toBe(true);
  });

  it.each([
    ['a different pin', 'mlflow==3.6.0\ncloudpickle==3.1.1\nscikit-learn==1.5.1', [{ index: 2, conda: 'scikit-learn==1.5.2', requirements: 'scikit-learn==1.5.1' }]],
    ['a missing line', 'mlflow==3.6.0\ncloudpickle==3.1.1', [{ index: 2, conda: 'scikit-learn==1.5.2' }]],
    ['an extra line', 'mlflow==3.6.0\ncloudpickle==3.1.1\nscikit-learn==1.5.2\n-c constraints.txt', [{ index: 3, requirements: '-c constraints.txt' }]],
  ])('reports %s', (_label, text, mismatches) => {
    expect(condaPipListMatchesRequirements(pip, text)).toEqual({ matches: false, mismatches });
  });
});

describe('models written by MLflow 3.17.2 (fixtures/models)', () => {
  const MODELS = path.resolve(FIXTURES, '../models');
  const read = (model: string, name: string) => readFileSync(path.join(MODELS, model, name), 'utf8');
  const condaPip = (model: string): string[] => {
    const conda = parseYaml(read(model, 'conda.yaml')) as { dependencies: Array<string | { pip: string[] }> };
    const pip = conda.dependencies.find((dep): dep is { pip: string[] } => typeof dep === 'object' && 'pip' in dep);
    return pip?.pip ?? [];
  };

  it.each(['constraints', 'locked', 'missing-dep', 'models-from-code', 'pyfunc-code', 'sklearn-iris'])(
    '%s: conda.yaml pip list equals requirements.txt',
    (model) => {
      expect(condaPipListMatchesRequirements(condaPip(model), read(model, 'requirements.txt'))).toEqual({ matches: true, mismatches: [] });
    },
  );

  it('sklearn-iris: the inferred pins give MLflow’s requirements.txt byte for byte', () => {
    const inferred = ['numpy==2.4.6', 'pandas==3.1.1', 'scikit-learn==1.9.1', 'scipy==1.17.1', 'skops==0.16.0'];
    const merged = mergePipRequirements({ inferred: [...inferred].reverse(), defaults: ['scikit-learn==1.9.1'], mlflowVersion: '3.17.2' });
    expect(finalPipList(merged).join('\n')).toBe(read('sklearn-iris', 'requirements.txt'));
  });

  it('constraints: `-c constraints.txt` last, as MLflow wrote it', () => {
    const merged = mergePipRequirements({
      pipRequirements: argument(['scikit-learn==1.9.1', 'skops==0.16.0'], ['numpy<3', 'scipy<2']),
      mlflowVersion: '3.17.2',
    });
    expect(finalPipList(merged).join('\n')).toBe(read('constraints', 'requirements.txt'));
    expect(merged.constraints.map((entry) => entry.text).join('\n')).toBe(read('constraints', 'constraints.txt'));
  });

  it('locked: the lock layout rebuilt from its two halves is MLflow’s file', () => {
    const lines = read('locked', 'requirements.txt').split('\n');
    const marker = lines.indexOf('# Locked requirements');
    const original = lines.slice(1, marker - 1).map((line) => line.slice(2));
    expect(original[0]).toBe('mlflow==3.17.2');
    expect(formatLockedRequirements(original, lines.slice(marker + 1)).join('\n')).toBe(read('locked', 'requirements.txt'));
    expect(isLockedPipList(condaPip('locked'))).toBe(true);
  });
});
