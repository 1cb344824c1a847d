/** docs/cli.md is generated from the flag tables (src/cli/cli-reference.ts, `npm run docs:cli`). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderCliReference } from '../../src/cli/cli-reference.js';
import { commanderSpelling } from '../../src/cli/flag-table.js';
import { PREDICT_FLAGS } from '../../src/cli/predict-flags.js';

const docs = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'cli.md');

describe('docs/cli.md', () => {
  it('is what `npm run docs:cli` generates from the flag tables (run it after changing a flag)', () => {
    expect(readFileSync(docs, 'utf8')).toBe(renderCliReference());
  });

  it('lists every predict flag', () => {
    const reference = renderCliReference();
    for (const row of PREDICT_FLAGS) expect(reference).toContain(`\`${commanderSpelling(row)}\``);
  });
});
