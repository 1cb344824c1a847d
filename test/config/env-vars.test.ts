/**
 * config/env-vars.ts is the one list of the environment variables mlf and its worker read (or set
 * for the processes they start): the README's table is generated from it, the worker's Python
 * sources read nothing missing from it, and mlf's TypeScript reads variables only through it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../src/config/env-vars.js';
import { repoRoot } from '../support/cli.js';

const BEGIN = '<!-- env-vars: generated from src/config/env-vars.ts (test/config/env-vars.test.ts checks it) -->';
const END = '<!-- /env-vars -->';

/** The README's section, as it must read. */
function renderEnvVarTables(): string {
  const table = (access: 'read' | 'set') => [
    `| variable | ${access === 'read' ? 'read by' : 'set by'} | what it does |`,
    '| --- | --- | --- |',
    ...ENV_VARS.filter((v) => v.access === access).map((v) => `| \`${v.name}\` | ${v.usedBy.join(', ')} | ${v.description} |`),
  ];
  return [
    BEGIN,
    ...table('read'),
    '',
    'Set by mlf for the processes it starts (the installers, the requirement capture, the model code in the worker):',
    '',
    ...table('set'),
    END,
  ].join('\n');
}

function filesUnder(dir: string, extension: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(extension))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** `os.environ["X"]`, `os.environ.get("X")`, `os.getenv("X")`, and helpers named after env (`env_flag("X")`). */
const PYTHON_ENV_READ = /\b(?:os\.environ(?:\.(?:get|pop|setdefault))?|\w*env\w*)\s*[[(]\s*["']([A-Z_][A-Z0-9_]*)["']/g;

function workerVariables(): Set<string> {
  const names = new Set<string>();
  for (const file of filesUnder(path.join(repoRoot, 'src', 'worker'), '.py')) {
    for (const match of readFileSync(file, 'utf8').matchAll(PYTHON_ENV_READ)) names.add(match[1]!);
  }
  return names;
}

describe('environment variables', () => {
  it('are listed in the README exactly as config/env-vars.ts has them', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const start = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    expect(start, `README.md has no \`${BEGIN}\` marker`).toBeGreaterThanOrEqual(0);
    // On a difference, paste the expected text between the markers.
    expect(readme.slice(start, end + END.length)).toBe(renderEnvVarTables());
  });

  it('include every one the worker reads or sets, and nothing it does not', () => {
    const inPython = workerVariables();
    expect(inPython.size).toBeGreaterThan(0);
    const listed = new Set(ENV_VARS.filter((v) => v.usedBy.includes('worker')).map((v) => v.name));
    expect([...inPython].filter((name) => !listed.has(name as never)).sort(), 'add these to src/config/env-vars.ts').toEqual([]);
    expect([...listed].filter((name) => !inPython.has(name)).sort(), 'the worker no longer reads these').toEqual([]);
  });

  it('are read in mlf\'s TypeScript only through config/env-vars.ts names', () => {
    const offenders: string[] = [];
    for (const file of filesUnder(path.join(repoRoot, 'src'), '.ts')) {
      const relative = path.relative(repoRoot, file);
      if (relative === path.join('src', 'config', 'env-vars.ts')) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          const code = line.trim();
          if (code.startsWith('*') || code.startsWith('/*') || code.startsWith('//')) return;
          // `env.PATH`, `env['PATH']`: a name spelled outside the table.
          if (/\benv\??\.[A-Z_][A-Z0-9_]+\b|\benv\[\s*['"`]/.test(code)) offenders.push(`${relative}:${i + 1}: ${code}`);
          // process.env is read where the CLI starts, and handed down as a record.
          const entry = relative === path.join('src', 'cli', 'context.ts') || relative === path.join('src', 'cli', 'early-start.ts');
          if (!entry && /\bprocess\.env\b/.test(code)) offenders.push(`${relative}:${i + 1}: ${code}`);
        });
    }
    expect(offenders).toEqual([]);
  });
});
