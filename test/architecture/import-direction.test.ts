/**
 * Keeps the layering of docs/architecture.md true: the rules are read from that page (its
 * ```layers block), so the page says exactly what this test enforces.
 *
 * Every import of every file under src/ counts, `import type` and `await import()` included (a
 * type-only edge is still a dependency a reader must follow). An edge between two top-level
 * modules of src/ may only go down the list of layers, or sideways where the page allows it.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SRC = path.join(ROOT, 'src');

interface Layering {
  /** Top-level module (a directory of src/ or a file directly in it) → its layer, 0 = top. */
  rankOf: Map<string, number>;
  /** `from -> to` pairs allowed between modules of the same layer. */
  sideways: Set<string>;
}

/** The ```layers block: one layer per line, top first; `sideways: a -> b` lines after them. */
export function parseLayering(markdown: string): Layering {
  const block = /```layers\n([\s\S]*?)```/.exec(markdown);
  if (!block) throw new Error('docs/architecture.md has no ```layers block');
  const rankOf = new Map<string, number>();
  const sideways = new Set<string>();
  let rank = 0;
  for (const raw of block[1]!.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const edge = /^sideways:\s*(\S+)\s*->\s*(\S+)$/.exec(line);
    if (edge) {
      sideways.add(`${edge[1]} -> ${edge[2]}`);
      continue;
    }
    for (const name of line.split(/\s+/)) {
      if (rankOf.has(name)) throw new Error(`docs/architecture.md names ${name} in two layers`);
      rankOf.set(name, rank);
    }
    rank += 1;
  }
  return { rankOf, sideways };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The top-level module of a path under src/: `env` for src/env/cache.ts, `errors.ts` for src/errors.ts. */
function topModule(absolute: string): string {
  const relative = path.relative(SRC, absolute);
  const [first] = relative.split(path.sep);
  return first!.replace(/\.js$/, '.ts');
}

interface Edge {
  file: string;
  specifier: string;
  from: string;
  to: string;
}

function crossModuleEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName: specifier } of info.importedFiles) {
      if (!specifier.startsWith('.')) continue; // a package or node: built-in
      const target = path.resolve(path.dirname(file), specifier);
      if (!target.startsWith(SRC + path.sep)) continue;
      const from = topModule(file);
      const to = topModule(target);
      if (from !== to) edges.push({ file: path.relative(ROOT, file), specifier, from, to });
    }
  }
  return edges;
}

describe('import direction (docs/architecture.md, ```layers)', () => {
  const layering = parseLayering(readFileSync(path.join(ROOT, 'docs/architecture.md'), 'utf8'));
  const edges = crossModuleEdges();

  it('finds the imports it checks', () => {
    // A parser that sees nothing would pass every rule below.
    expect(edges.length).toBeGreaterThan(100);
    expect(edges.some((e) => e.from === 'cli' && e.to === 'ops')).toBe(true);
  });

  it('places every top-level module of src/ in a layer', () => {
    const modules = readdirSync(SRC).map((name) => name.replace(/\.js$/, '.ts'));
    const unplaced = modules.filter((name) => !layering.rankOf.has(name));
    expect(unplaced, 'add these to the ```layers block of docs/architecture.md').toEqual([]);
  });

  it('has no edge that goes up a layer, or sideways without leave', () => {
    const wrong = edges
      .filter(({ from, to }) => {
        const fromRank = layering.rankOf.get(from)!;
        const toRank = layering.rankOf.get(to)!;
        if (toRank > fromRank) return false;
        return !(toRank === fromRank && layering.sideways.has(`${from} -> ${to}`));
      })
      .map((e) => `${e.file}: ${e.from} -> ${e.to} (${e.specifier})`);
    expect(wrong).toEqual([]);
  });

  it('allows no sideways pair in both directions (that would be a cycle)', () => {
    const both = [...layering.sideways].filter((pair) => {
      const [a, b] = pair.split(' -> ');
      return layering.sideways.has(`${b} -> ${a}`);
    });
    expect(both).toEqual([]);
  });

  it('reads the rules as written', () => {
    const parsed = parseLayering('```layers\ncli\nops  # one action each\na b\nsideways: a -> b\n```');
    expect([...parsed.rankOf]).toEqual([['cli', 0], ['ops', 1], ['a', 2], ['b', 2]]);
    expect([...parsed.sideways]).toEqual(['a -> b']);
  });
});
