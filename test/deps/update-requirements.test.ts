import { describe, expect, it } from 'vitest';
import { parseRequirementsFile, serializeRequirementsFile } from '../../src/deps/requirements-txt.js';
import {
  applyPlanToList,
  dedupeArguments,
  describePlan,
  parseRequirementArguments,
  planUpdate,
  type ListEntry,
  type UpdateOperation,
} from '../../src/deps/update-requirements.js';
import { canonicalizeName } from '../../src/deps/pep508.js';

/** A pip list as update-requirements sees it: requirements get a canonical name, other lines none. */
function entries(lines: string[]): ListEntry[] {
  const file = parseRequirementsFile(lines.join('\n'));
  return file.statements.map((s) =>
    s.kind === 'requirement' ? { canonicalName: canonicalizeName(s.requirement.name), text: s.content } : { text: s.content },
  );
}

function update(lines: string[], operation: UpdateOperation, given: string[]): string[] {
  let args = parseRequirementArguments(given, operation);
  if (operation === 'add') args = dedupeArguments(args);
  return applyPlanToList(lines, planUpdate(entries(lines), operation, args));
}

describe('update semantics (mlflow-format.md §5, with §13 differences)', () => {
  it.each([
    // [case, before, operation, requirements, after]
    ['add replaces in place', ['mlflow==3.17.2', 'pandas==2.0', 'numpy==2.4'], 'add', ['pandas==2.2.3'], ['mlflow==3.17.2', 'pandas==2.2.3', 'numpy==2.4']],
    ['add appends a new package at the end', ['mlflow==3.17.2', 'numpy==2.4'], 'add', ['opencv-python==4.8.0'], ['mlflow==3.17.2', 'numpy==2.4', 'opencv-python==4.8.0']],
    ['add several: replace and append keep argument order', ['a==1', 'b==1'], 'add', ['c==1', 'b==2', 'd==1'], ['a==1', 'b==2', 'c==1', 'd==1']],
    ['add lower-cases as MLflow does', ['mlflow==3.17.2'], 'add', ['PyYAML==6.0.3'], ['mlflow==3.17.2', 'pyyaml==6.0.3']],
    ['add re-emits packaging str()', ['x==1'], 'add', ['pkg[b,a] >= 1.0, != 1.5'], ['x==1', 'pkg[a,b]!=1.5,>=1.0']],
    ['names compare after PEP 503 normalisation (MLflow keeps both)', ['Pandas==1.5', 'scikit_learn==1.0'], 'add', ['pandas==2.0', 'scikit-learn==1.5'], ['pandas==2.0', 'scikit-learn==1.5']],
    ['adding what is already there changes nothing', ['a==1', 'b==2'], 'add', ['b==2'], ['a==1', 'b==2']],
    ['a second spelling of the same package is dropped on add', ['foo_bar==1', 'a==1', 'Foo.Bar==1'], 'add', ['foo-bar==2'], ['foo-bar==2', 'a==1']],
    ['compatible additions are combined as MLflow does', ['a==1'], 'add', ['b>=1', 'b<3'], ['a==1', 'b<3,>=1']],
    ['new requirements go before a trailing -c line', ['mlflow==3.17.2', 'pandas==2.0', '-c constraints.txt'], 'add', ['numpy==2.0'], ['mlflow==3.17.2', 'pandas==2.0', 'numpy==2.0', '-c constraints.txt']],
    ['comment and option lines are kept (MLflow crashes on them)', ['# Original requirements', '# mlflow==3.17.2', '#', '# Locked requirements', 'numpy==2.4.6', 'pandas==3.1.1 ; python_version >= "3.9"'], 'add', ['pandas==3.0.0'], ['# Original requirements', '# mlflow==3.17.2', '#', '# Locked requirements', 'numpy==2.4.6', 'pandas==3.0.0']],
    ['add a URL requirement', ['a==1'], 'add', ['pkg @ https://example.com/Pkg-1.0.whl'], ['a==1', 'pkg @ https://example.com/Pkg-1.0.whl']],
    ['marker case is kept (MLflow lower-cases it)', ['a==1'], 'add', ['pywin32==306; platform_system == "Windows"'], ['a==1', 'pywin32==306; platform_system == "Windows"']],
    ['remove by name ignores the specifier', ['mlflow==3.17.2', 'pandas==2.0', 'numpy==2.4'], 'remove', ['pandas==9.9'], ['mlflow==3.17.2', 'numpy==2.4']],
    ['remove normalises names', ['Scikit_Learn==1.5', 'b==1'], 'remove', ['scikit-learn'], ['b==1']],
    ['remove every spelling of a package', ['foo_bar==1', 'x==1', 'Foo-Bar>=1'], 'remove', ['foo.bar'], ['x==1']],
    ['remove keeps -c and comments', ['a==1', '# keep me', '-c constraints.txt'], 'remove', ['a'], ['# keep me', '-c constraints.txt']],
    ['remove mlflow is allowed, as in MLflow', ['mlflow==3.17.2', 'a==1'], 'remove', ['mlflow'], ['a==1']],
  ] as const)('%s', (_case, before, operation, given, after) => {
    expect(update([...before], operation, [...given])).toEqual([...after]);
  });

  it('reports the names a remove did not find', () => {
    const args = parseRequirementArguments(['pandas', 'nope'], 'remove');
    const plan = planUpdate(entries(['pandas==1', 'x==1']), 'remove', args);
    expect(plan.missing.map((m) => m.name)).toEqual(['nope']);
  });

  it('describes what a plan does', () => {
    const lines = ['a==1', 'b==1', 'b_==1'];
    const args = dedupeArguments(parseRequirementArguments(['a==2', 'c==1'], 'add'));
    expect(describePlan(entries(lines), planUpdate(entries(lines), 'add', args))).toEqual([
      { kind: 'replaced', before: 'a==1', after: 'a==2' },
      { kind: 'added', after: 'c==1' },
    ]);
  });
});

describe('bad requirements on the command line', () => {
  it.each([
    ['pandas==', 'requirement 1 of the command line: Invalid requirement `pandas==` at column 7'],
    ['numpy>=1 pandas', 'requirement 1 of the command line: Invalid requirement `numpy>=1 pandas` at column 10'],
  ])('%s', (given, message) => {
    expect(() => parseRequirementArguments([given], 'add')).toThrow(message);
    try {
      parseRequirementArguments([given], 'add');
    } catch (error) {
      expect(error).toMatchObject({ exitCode: 2, code: 'INVALID_REQUIREMENT' });
      expect((error as { detail: string }).detail).toContain('^');
    }
  });

  it('refuses two requirements no version satisfies', () => {
    const args = parseRequirementArguments(['pandas==2.0', 'Pandas>=2.1'], 'add');
    expect(() => dedupeArguments(args)).toThrow(
      'Conflicting requirements for `pandas`: `pandas==2.0` (argument 1) and `pandas>=2.1` (argument 2) have no version in common',
    );
  });

  it('needs at least one requirement', () => {
    expect(() => parseRequirementArguments([], 'remove')).toThrow('`remove` needs at least one requirement');
  });
});

describe('requirements.txt edits keep untouched bytes', () => {
  it.each(['\n', '\r\n'])('with %j line endings', (newline) => {
    const text = ['pandas >= 1.0   # pinned by hand', '--index-url https://example.com/simple', 'numpy==2.0'].join(newline);
    const file = parseRequirementsFile(text);
    expect(serializeRequirementsFile(file)).toBe(text);
  });
});
