import { inputError } from '../errors.js';
import type { FileRanges } from '../fs/read-regular-file.js';
import type { PickleGlobal } from './pickle-scan.js';
import { listZipEntries, readZipEntry } from './zip-entries.js';

/**
 * The types a skops file (`skops.io.dump`, MLflow 3.x's default sklearn format) would
 * construct when loaded, read statically: the archive's `schema.json` is a tree of nodes, each
 * naming its type by `__module__` and `__class__` (skops/io/_audit.py's `get_type_name` is the
 * same pair), so the modules the load imports are listed like a pickle's globals without
 * running skops or any model code.
 */

/** The schema of an MLflow model is a few hundred KiB; anything far larger is not read. */
export const MAX_SKOPS_SCHEMA_BYTES = 64 * 1024 * 1024;
/** Bounds the walk over a hostile schema (a deep or wide tree). */
const MAX_NODES = 2_000_000;

/** Every distinct (module, class) the skops file names, in order of first appearance. */
export function scanSkopsFile(file: FileRanges, shown: string): PickleGlobal[] {
  const schema = listZipEntries(file, shown).find((entry) => entry.name === 'schema.json');
  if (!schema) throw inputError('SKOPS_INVALID', `\`${shown}\` is a zip archive without \`schema.json\`, so not a skops file`, { file: shown });
  const text = readZipEntry(file, schema, MAX_SKOPS_SCHEMA_BYTES, shown).toString('utf8');
  let tree: unknown;
  try {
    tree = JSON.parse(text);
  } catch (error) {
    throw inputError('SKOPS_INVALID', `\`${shown}\`: \`schema.json\` is not JSON: ${(error as Error).message}`, { file: shown });
  }
  return skopsTypes(tree, shown);
}

/** The (module, class) pairs of a parsed schema, walked without recursion. */
export function skopsTypes(tree: unknown, shown: string): PickleGlobal[] {
  const found = new Map<string, PickleGlobal>();
  const pending: unknown[] = [tree];
  let visited = 0;
  while (pending.length > 0) {
    const node = pending.pop();
    if (++visited > MAX_NODES) throw inputError('SKOPS_INVALID', `\`${shown}\`: \`schema.json\` has more than ${MAX_NODES} nodes`, { file: shown });
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i -= 1) pending.push(node[i]);
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    const record = node as Record<string, unknown>;
    const module = record.__module__;
    const name = record.__class__;
    if (typeof module === 'string' && module !== '') {
      const type = { module, name: typeof name === 'string' ? name : '' };
      const key = `${type.module}\u0000${type.name}`;
      if (!found.has(key)) found.set(key, type);
    }
    const values = Object.values(record);
    for (let i = values.length - 1; i >= 0; i -= 1) pending.push(values[i]);
  }
  return [...found.values()];
}
