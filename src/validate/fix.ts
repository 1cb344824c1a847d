import { safeDump } from '../model/pyyaml.js';
import type { Statement } from '../deps/requirements-txt.js';
import type { Diagnostic } from './diagnostic.js';
import type { ModelFiles } from './model-files.js';
import type { AppliedFix } from './report.js';
import { envSources, condaPipList } from './env-files.js';
import { includeTarget, requirementsFileOf } from './requirements-view.js';
import { isAnacondaChannel } from './rules/conda.js';
import { asRecord } from '../model/directory/yaml-source.js';
import { tick } from './rules/shared.js';

/**
 * `--fix`: the new content of each file that a fixable finding touches, computed from the
 * model's files and the (override-filtered) diagnostics. Pure: the caller writes the result
 * atomically (model/transaction.ts). Idempotent by construction: a fixed file no longer
 * triggers the finding, so a second run plans nothing.
 *
 * Fixes:
 *   MLF401  Anaconda channels in conda.yaml -> `conda-forge` (`defaults::pkg` -> `conda-forge::pkg`)
 *   MLF301, MLF302 on conda.yaml  -> its pip list rewritten from requirements.txt, as MLflow
 *           writes it (`-r` files expanded inline; comments and `-c` lines kept)
 * conda.yaml is written as MLflow writes it (PyYAML `safe_dump`, keys sorted).
 */
export interface PlannedFile {
  name: string;
  content: string;
  fixes: AppliedFix[];
}

export function planFixes(files: ModelFiles, diagnostics: readonly Diagnostic[]): PlannedFile[] {
  const sources = envSources(files);
  const conda = sources.conda;
  if (!conda || conda.error) return [];
  const document = asRecord(conda.value);
  if (!document) return [];
  const active = (code: string) => diagnostics.some((d) => d.code === code && d.file === conda.file);

  let changed: Record<string, unknown> = document;
  const fixes: AppliedFix[] = [];

  if (active('MLF401')) {
    const result = withoutAnacondaChannels(changed);
    changed = result.document;
    for (const description of result.changes) fixes.push({ file: conda.file, code: 'MLF401', description });
  }
  if ((active('MLF301') || active('MLF302')) && files.requirementFiles.has('requirements.txt')) {
    const lines = pipListFromRequirements(files);
    const before = (condaPipList(conda) ?? []).map((entry) => entry.text);
    if (lines.join('\n') !== before.join('\n')) {
      changed = withPipList(changed, lines);
      const code = active('MLF301') ? 'MLF301' : 'MLF302';
      fixes.push({ file: conda.file, code, description: describePipChange(before, lines) });
    }
  }
  if (fixes.length === 0) return [];
  // model/conda-env's serializeCondaEnv is this same `safe_dump`; calling it directly keeps zod
  // (its schemas) out of validate's start-up.
  return [{ name: conda.file, content: safeDump(changed), fixes }];
}

function withoutAnacondaChannels(document: Record<string, unknown>): { document: Record<string, unknown>; changes: string[] } {
  const changes: string[] = [];
  const result = { ...document };
  if (Array.isArray(document.channels)) {
    const channels: unknown[] = [];
    for (const channel of document.channels) {
      if (typeof channel === 'string' && isAnacondaChannel(channel)) {
        if (!channels.includes('conda-forge')) {
          channels.push('conda-forge');
          changes.push(`channel ${tick(channel)} -> ${tick('conda-forge')}`);
        } else {
          changes.push(`channel ${tick(channel)} removed (${tick('conda-forge')} is already listed)`);
        }
      } else if (!(channel === 'conda-forge' && channels.includes('conda-forge'))) {
        channels.push(channel);
      }
    }
    result.channels = channels;
  }
  if (Array.isArray(document.dependencies)) {
    result.dependencies = document.dependencies.map((dependency) => {
      if (typeof dependency !== 'string') return dependency;
      const match = /^\s*([^:\s]+)::(.*)$/.exec(dependency);
      if (!match || !isAnacondaChannel(match[1]!)) return dependency;
      const replaced = `conda-forge::${match[2]}`;
      changes.push(`dependency ${tick(dependency)} -> ${tick(replaced)}`);
      return replaced;
    });
  }
  return { document: result, changes };
}

/** MLflow's `_overwrite_pip_deps`: every `{pip: ...}` entry becomes the new list, or one is appended. */
function withPipList(document: Record<string, unknown>, pip: string[]): Record<string, unknown> {
  const dependencies = Array.isArray(document.dependencies) ? document.dependencies : [];
  let replaced = false;
  const next = dependencies.map((dependency) => {
    const record = asRecord(dependency);
    if (!record || !('pip' in record)) return dependency;
    replaced = true;
    return { ...record, pip: [...pip] };
  });
  if (!replaced) next.push({ pip: [...pip] });
  return { ...document, dependencies: next };
}

/**
 * requirements.txt as the lines of a conda pip list: what MLflow writes in both files. `-r`
 * includes inside the model are expanded (a conda pip list has no directory to resolve them
 * against); comments and `-c` lines are kept as written.
 */
export function pipListFromRequirements(files: ModelFiles, file = 'requirements.txt', visited = new Set<string>()): string[] {
  if (visited.has(file)) return [];
  visited.add(file);
  const parsed = requirementsFileOf(files, file);
  if (!parsed) return [];
  const lines: string[] = [];
  for (const statement of parsed.statements) {
    if (statement.kind === 'blank') continue;
    if (statement.kind === 'include' && statement.include === 'requirements') {
      const target = includeTarget(file, statement.path);
      if (target && files.requirementFiles.has(target)) {
        lines.push(...pipListFromRequirements(files, target, visited));
        continue;
      }
    }
    lines.push(lineOf(statement));
  }
  return lines;
}

function lineOf(statement: Statement): string {
  if (statement.kind === 'comment') return statement.comment.trim();
  return statement.content;
}

function describePipChange(before: string[], after: string[]): string {
  const added = after.filter((line) => !before.includes(line));
  const removed = before.filter((line) => !after.includes(line));
  const parts: string[] = [];
  if (added.length > 0) parts.push(`added ${added.map(tick).join(', ')}`);
  if (removed.length > 0) parts.push(`removed ${removed.map(tick).join(', ')}`);
  if (parts.length === 0) parts.push('reordered');
  return `pip list re-synced to requirements.txt: ${parts.join('; ')}`;
}
