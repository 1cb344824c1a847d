import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { createFormatter, type FormatName } from '../../src/validate/format/index.js';
import { escapeData, escapeProperty } from '../../src/validate/format/github.js';
import { makeReport, SummaryCollector, type ModelReport } from '../../src/validate/report.js';
import type { Diagnostic } from '../../src/validate/diagnostic.js';
import { RULE_CATALOG } from '../../src/validate/catalog.js';

const cwd = '/repo';
const diagnostics: Diagnostic[] = [
  { code: 'MLF105', severity: 'error', file: 'MLmodel', line: 8, message: '`loader_module` `a b` is not a Python module name', hint: 'set it' },
  { code: 'MLF401', severity: 'warning', file: 'conda.yaml', line: 2, message: 'the channel `defaults`, 100% Anaconda: terms,\nof service', hint: 'use `conda-forge`' },
  { code: 'MLF213', severity: 'warning', file: 'requirements.txt', message: 'no requirements.txt' },
  { code: 'MLF500', severity: 'info', file: 'code/a b.py', line: 3, column: 5, message: 'not scanned' },
];
const reports: ModelReport[] = [
  makeReport('models/iris', '/repo/models/iris', true, diagnostics, [{ file: 'conda.yaml', code: 'MLF401', description: 'channel `defaults` -> `conda-forge`' }]),
  makeReport('models/clean', '/repo/models/clean', true, []),
  makeReport('missing', '/repo/missing', false, [{ code: 'MLF100', severity: 'error', file: '.', message: 'cannot read `missing`: no such file or directory' }]),
];

function render(format: FormatName, strict = false, color = false): string {
  const formatter = createFormatter(format, { cwd, color, version: '0.1.0', strict });
  const summary = new SummaryCollector(strict);
  let out = formatter.begin();
  for (const report of reports) {
    summary.add(report);
    out += formatter.model(report);
  }
  return out + formatter.end(summary.result());
}

describe('github workflow commands', () => {
  it.each([
    ['plain', 'plain'],
    ['100%', '100%25'],
    ['a\nb', 'a%0Ab'],
    ['a\r\nb', 'a%0D%0Ab'],
    ['%0A literal', '%250A literal'],
  ])('escapeData(%j) = %j', (input, expected) => {
    expect(escapeData(input)).toBe(expected);
  });

  it.each([
    ['models/iris/MLmodel', 'models/iris/MLmodel'],
    ['a:b,c', 'a%3Ab%2Cc'],
    ['MLF105 loader-module', 'MLF105 loader-module'],
    ['x%\n', 'x%25%0A'],
  ])('escapeProperty(%j) = %j', (input, expected) => {
    expect(escapeProperty(input)).toBe(expected);
  });

  it('writes one annotation per diagnostic, with file relative to the working directory, line, col and title', () => {
    const lines = render('github').trimEnd().split('\n');
    expect(lines).toEqual([
      '::error file=models/iris/MLmodel,line=8,title=MLF105 loader-module::`loader_module` `a b` is not a Python module name%0Ahint: set it',
      '::warning file=models/iris/conda.yaml,line=2,title=MLF401 conda-defaults-channel::the channel `defaults`, 100%25 Anaconda: terms,%0Aof service%0Ahint: use `conda-forge`',
      '::warning file=models/iris/requirements.txt,title=MLF213 requirements-missing::no requirements.txt',
      '::notice file=models/iris/code/a b.py,line=3,col=5,title=MLF500 scan-skipped::not scanned',
      '::error file=missing,title=MLF100 model-unreadable::cannot read `missing`: no such file or directory',
      'mlf models validate: 2 error(s), 2 warning(s), 1 note(s) in 3 model(s)',
    ]);
  });

  it('every annotation line is a well-formed workflow command', () => {
    const command = /^::(error|warning|notice) ((file|line|col|endLine|endColumn|title)=[^,:\r\n]*)(,(file|line|col|endLine|endColumn|title)=[^,:\r\n]*)*::[^\r\n]*$/;
    const annotations = render('github').split('\n').filter((line) => line.startsWith('::'));
    expect(annotations).toHaveLength(5);
    for (const line of annotations) expect(line).toMatch(command);
  });
});

describe('sarif', () => {
  const schema = JSON.parse(readFileSync(path.join(__dirname, 'data', 'sarif-schema-2.1.0.json'), 'utf8')) as Record<string, unknown>;
  // Draft-04 -> draft-07: `id` is the only draft-04 keyword the schema uses.
  const { $schema: _draft, id, ...rest } = schema;
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('uri', (value: string) => /^[A-Za-z][A-Za-z0-9+.-]*:/.test(value));
  ajv.addFormat('uri-reference', () => true);
  ajv.addFormat('date-time', (value: string) => !Number.isNaN(Date.parse(value)));
  const validate = ajv.compile({ $id: id as string, ...rest });

  it('validates against the official SARIF 2.1.0 schema', () => {
    const log = JSON.parse(render('sarif'));
    const valid = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('validates with no results at all', () => {
    const formatter = createFormatter('sarif', { cwd, color: false, version: '0.1.0', strict: false });
    const summary = new SummaryCollector(false);
    summary.add(reports[1]!);
    const log = JSON.parse(formatter.begin() + formatter.model(reports[1]!) + formatter.end(summary.result()));
    expect(validate(log)).toBe(true);
    expect(log.runs[0].results).toEqual([]);
  });

  it('the schema rejects a broken log (the check has teeth)', () => {
    const log = JSON.parse(render('sarif'));
    log.runs[0].results[0].level = 'fatal';
    expect(validate(log)).toBe(false);
  });

  it('maps severities to levels, lists every rule, and locates results relative to SRCROOT', () => {
    const log = JSON.parse(render('sarif'));
    const run = log.runs[0];
    expect(log.version).toBe('2.1.0');
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(RULE_CATALOG.map((r) => r.code));
    expect(run.originalUriBaseIds.SRCROOT.uri).toBe('file:///repo/');
    expect(run.results.map((r: { ruleId: string; level: string }) => [r.ruleId, r.level])).toEqual([
      ['MLF105', 'error'],
      ['MLF401', 'warning'],
      ['MLF213', 'warning'],
      ['MLF500', 'note'],
      ['MLF100', 'error'],
    ]);
    expect(run.results[0].locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: 'models/iris/MLmodel', uriBaseId: 'SRCROOT' },
      region: { startLine: 8 },
    });
    expect(run.results[3].locations[0].physicalLocation.artifactLocation.uri).toBe('models/iris/code/a%20b.py');
    expect(run.results[2].locations[0].physicalLocation.region).toBeUndefined();
    expect(run.invocations[0]).toEqual({
      executionSuccessful: false,
      exitCode: 2,
      toolExecutionNotifications: [{ level: 'error', message: { text: 'cannot read `missing`: no such file or directory' }, descriptor: { id: 'MLF100' } }],
    });
  });
});

describe('json', () => {
  it('is one object with a model entry per argument and the summary', () => {
    const parsed = JSON.parse(render('json'));
    expect(Object.keys(parsed)).toEqual(['schemaVersion', 'tool', 'models', 'summary']);
    expect(parsed.schemaVersion).toBe(1);
    expect(parsed.tool).toEqual({ name: 'mlf', version: '0.1.0' });
    expect(parsed.models.map((m: { model: string; ok: boolean }) => [m.model, m.ok])).toEqual([
      ['models/iris', false],
      ['models/clean', true],
      ['missing', false],
    ]);
    expect(parsed.models[0].diagnostics[3]).toEqual({
      code: 'MLF500',
      rule: 'scan-skipped',
      severity: 'info',
      file: 'code/a b.py',
      line: 3,
      column: 5,
      message: 'not scanned',
    });
    expect(parsed.models[0].fixes).toEqual([{ file: 'conda.yaml', code: 'MLF401', description: 'channel `defaults` -> `conda-forge`' }]);
    expect(parsed.summary).toEqual({ models: 3, errors: 2, warnings: 2, infos: 1, unreadable: 1, fixes: 1, exitCode: 2 });
  });

  it('is valid JSON for zero models', () => {
    const formatter = createFormatter('json', { cwd, color: false, version: '0.1.0', strict: false });
    const text = formatter.begin() + formatter.end(new SummaryCollector(false).result());
    expect(JSON.parse(text).models).toEqual([]);
  });

  it('marks a model with only warnings as failing under --strict', () => {
    const parsed = JSON.parse(render('json', true));
    expect(parsed.models[1].ok).toBe(true);
  });
});

describe('text', () => {
  it('groups by model and file, without colour when asked', () => {
    expect(render('text')).toBe(
      [
        'models/iris',
        '  fixed conda.yaml: channel `defaults` -> `conda-forge` [MLF401]',
        '  MLmodel',
        '    8      error    `loader_module` `a b` is not a Python module name [MLF105]',
        '           hint: set it',
        '  conda.yaml',
        '    2      warning  the channel `defaults`, 100% Anaconda: terms,\nof service [MLF401]',
        '           hint: use `conda-forge`',
        '  requirements.txt',
        '           warning  no requirements.txt [MLF213]',
        '  code/a b.py',
        '    3:5    info     not scanned [MLF500]',
        'models/clean: ok',
        'missing',
        '  .',
        '           error    cannot read `missing`: no such file or directory [MLF100]',
        '',
        '5 problems (2 errors, 2 warnings, 1 note) in 2 of 3 models; 1 fix applied; 1 argument(s) could not be read',
        '',
      ].join('\n'),
    );
  });

  it('uses ANSI colours only when told to', () => {
    expect(render('text', false, true)).toContain('\u001b[31merror  \u001b[0m');
    expect(render('text', false, false)).not.toContain('\u001b[');
  });
});
