/**
 * The fuzz test's failure report: failures grouped by (command, mutation class), each group with
 * its count, the rules it broke, and its first case as a reproducible example (the seed, the case
 * index, the command line, what was mutated and how, what mlf printed).
 */
import type { Command, FuzzCase } from './cases.js';
import { mutationClassOf } from './cases.js';
import type { Rule, Violation } from './invariants.js';

export interface Failure {
  fuzzCase: FuzzCase;
  /** The command line with the case's paths replaced by <model>, <payload>, <python>. */
  commandLine: string;
  subject: string;
  detail: string;
  exit: string;
  stderr: string;
  violations: Violation[];
}

export interface FailureGroup {
  command: Command;
  mutationClass: string;
  count: number;
  rules: Partial<Record<Rule, number>>;
  example: Failure;
}

export function groupFailures(failures: readonly Failure[]): FailureGroup[] {
  const groups = new Map<string, FailureGroup>();
  const sorted = [...failures].sort((a, b) => a.fuzzCase.index - b.fuzzCase.index);
  for (const failure of sorted) {
    const mutationClass = mutationClassOf(failure.fuzzCase);
    const key = `${failure.fuzzCase.command}\u0000${mutationClass}`;
    let group = groups.get(key);
    if (!group) {
      group = { command: failure.fuzzCase.command, mutationClass, count: 0, rules: {}, example: failure };
      groups.set(key, group);
    }
    group.count++;
    for (const rule of new Set(failure.violations.map((v) => v.rule))) group.rules[rule] = (group.rules[rule] ?? 0) + 1;
  }
  return [...groups.values()].sort((a, b) => a.command.localeCompare(b.command) || a.mutationClass.localeCompare(b.mutationClass));
}

export interface RunSummary {
  seed: string;
  planned: number;
  ran: number;
  seconds: number;
}

export function formatReport(groups: readonly FailureGroup[], summary: RunSummary): string {
  const failed = groups.reduce((n, g) => n + g.count, 0);
  const lines = [
    `fuzz: seed ${summary.seed}, ${summary.ran} of ${summary.planned} cases run in ${summary.seconds.toFixed(0)} s, ${failed} failed in ${groups.length} groups (command × input/mutation)`,
  ];
  for (const group of groups) {
    const rules = Object.entries(group.rules).map(([rule, n]) => `${rule} ×${n}`).join(', ');
    const e = group.example;
    lines.push(
      '',
      `[${group.command} × ${group.mutationClass}] ${group.count} case${group.count === 1 ? '' : 's'}: ${rules}`,
      `  reproduce: MLF_FUZZ_SEED=${summary.seed} MLF_FUZZ_ONLY=${e.fuzzCase.index} (fixture ${e.fuzzCase.fixture}${e.fuzzCase.json ? ', --json' : ''})`,
      `  input:     ${e.subject}: ${e.detail}`,
      `  command:   ${e.commandLine}`,
      `  got:       ${e.exit}${e.stderr ? `; stderr: ${e.stderr}` : ''}`,
      ...e.violations.map((v) => `  broke:     ${v.rule}: ${v.message}`),
    );
  }
  return lines.join('\n');
}

/** The first line of stderr, cut to a readable length. */
export function stderrExcerpt(stderr: string, max = 240): string {
  const first = stderr.split('\n').find((line) => line.trim() !== '') ?? '';
  const lineCount = stderr === '' ? 0 : stderr.replace(/\n$/, '').split('\n').length;
  const cut = first.length > max ? `${first.slice(0, max)}... (${first.length} characters)` : first;
  return lineCount > 1 ? `${JSON.stringify(cut)} (+${lineCount - 1} more lines)` : JSON.stringify(cut);
}
