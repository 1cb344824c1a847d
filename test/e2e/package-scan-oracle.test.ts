import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { scanImports } from '../../src/scan/import-scan.js';

// The import scanner against Python's own parser (ast) on real source files: every .py file of a
// few installed packages in the e2e interpreter. A difference is a scanner bug.
const python = process.env.MLF_E2E_PYTHON ?? join(import.meta.dirname, '../../.e2e/venv/bin/python');
const haveVenv = existsSync(python);

const ORACLE = `
import ast, json, pathlib, sys, importlib.util
out = []
for pkg in sys.argv[1:]:
    root = pathlib.Path(importlib.util.find_spec(pkg).origin).parent
    for path in sorted(root.rglob('*.py')):
        try:
            text = path.read_text(encoding='utf-8')
            tree = ast.parse(text)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        imports = []
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    imports.append({'module': alias.name, 'line': node.lineno, 'level': 0, 'names': []})
            elif isinstance(node, ast.ImportFrom):
                imports.append({'module': node.module or '', 'line': node.lineno, 'level': node.level,
                                'names': [a.name for a in node.names]})
        out.append({'file': str(path), 'imports': imports})
print(json.dumps(out))
`;

describe.skipIf(!haveVenv)(`scanImports equals Python ast on real packages${haveVenv ? '' : ` (skipped: no Python at \`${python}\`; set MLF_E2E_PYTHON or run .ci/run)`}`, () => {
  const results: { file: string; imports: unknown[] }[] = haveVenv
    ? JSON.parse(execFileSync(python, ['-c', ORACLE, ...(process.env.MLF_SCAN_ORACLE_PACKAGES ?? 'mlflow.pyfunc,sklearn.linear_model,pandas.io,yaml').split(',')], { maxBuffer: 256 << 20 }).toString())
    : [];

  it('reads a few hundred files', () => {
    expect(results.length).toBeGreaterThan(100);
  });

  it('every file gives the same imports, lines, levels and names', () => {
    const key = (i: any) => `${i.line}:${i.level}:${i.module}:${i.names.join(',')}`;
    const mismatches: string[] = [];
    for (const { file, imports } of results) {
      const ours = scanImports(readFileSync(file, 'utf8'), file).map(key).sort();
      const theirs = imports.map(key).sort();
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) mismatches.push(file);
    }
    expect(mismatches).toEqual([]);
  });
});
