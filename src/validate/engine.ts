import { usageError } from '../errors.js';
import { RULE_CATALOG, type RuleInfo } from './catalog.js';
import { compareDiagnostics, type Diagnostic, type Severity } from './diagnostic.js';
import type { ModelFiles } from './model-files.js';
import { checkConda } from './rules/conda.js';
import { checkConsistency } from './rules/consistency.js';
import { checkDependencies } from './rules/dependencies.js';
import { checkFlavors } from './rules/flavors.js';
import { checkMlflowPin } from './rules/mlflow-pin.js';
import { checkMlmodel } from './rules/mlmodel.js';
import { checkRequirements } from './rules/requirements.js';
import { checkSignature } from './rules/signature.js';
import { diagnostic } from './rules/shared.js';

/**
 * The rule engine: runs every rule group over one model's files, applies `--rule` overrides,
 * and returns the diagnostics in print order. A group that crashes becomes one MLF001
 * diagnostic, so one bad rule never hides the others' findings.
 */
export type RuleCheck = (files: ModelFiles) => Diagnostic[];

export const RULE_GROUPS: readonly { name: string; check: RuleCheck }[] = [
  { name: 'mlmodel', check: checkMlmodel },
  { name: 'requirements', check: checkRequirements },
  { name: 'consistency', check: checkConsistency },
  { name: 'conda', check: checkConda },
  { name: 'dependencies', check: checkDependencies },
  { name: 'flavors', check: checkFlavors },
  { name: 'signature', check: checkSignature },
  { name: 'mlflow-pin', check: checkMlflowPin },
];

/** `off`, or the severity a rule is raised or lowered to. */
export type RuleSetting = 'off' | Severity;

/** Rule code -> setting. */
export type RuleOverrides = ReadonlyMap<string, RuleSetting>;

const SETTING_WORDS: Record<string, RuleSetting> = { off: 'off', warn: 'warning', warning: 'warning', error: 'error', info: 'info' };

/**
 * Parses `--rule` values: `CODE=off|warn|error|info`, where CODE is a rule code (`MLF204`), a
 * rule name (`unpinned-requirement`) or a group (`requirements`). Later values win.
 */
export function parseRuleOverrides(values: readonly string[]): Map<string, RuleSetting> {
  const overrides = new Map<string, RuleSetting>();
  for (const value of values) {
    const match = /^([^=]+)=(.+)$/.exec(value.trim());
    if (!match) {
      throw usageError('INVALID_RULE_OPTION', `\`--rule ${value}\` is not of the form \`CODE=off|warn|error\``, {
        hint: 'e.g. `--rule MLF204=off` or `--rule requirements=warn`',
      });
    }
    const [, target, word] = match;
    const setting = SETTING_WORDS[word!.trim().toLowerCase()];
    if (!setting) {
      throw usageError('INVALID_RULE_OPTION', `\`--rule ${value}\`: \`${word}\` is not one of \`off\`, \`warn\`, \`error\`, \`info\``);
    }
    const rules = rulesMatching(target!.trim());
    if (rules.length === 0) {
      throw usageError('UNKNOWN_RULE', `\`--rule ${value}\`: no rule or group is called \`${target}\``, {
        hint: 'the rule codes are listed in the README (e.g. `MLF204`)',
      });
    }
    for (const rule of rules) overrides.set(rule.code, setting);
  }
  return overrides;
}

function rulesMatching(target: string): RuleInfo[] {
  const upper = target.toUpperCase();
  const byCode = RULE_CATALOG.filter((rule) => rule.code === upper || rule.name === target);
  if (byCode.length > 0) return byCode;
  return RULE_CATALOG.filter((rule) => rule.group === target);
}

/** Applies overrides: drops `off` rules, changes severities. */
export function applyOverrides(diagnostics: readonly Diagnostic[], overrides: RuleOverrides): Diagnostic[] {
  if (overrides.size === 0) return [...diagnostics];
  const result: Diagnostic[] = [];
  for (const d of diagnostics) {
    const setting = overrides.get(d.code);
    if (setting === 'off') continue;
    result.push(setting ? { ...d, severity: setting } : d);
  }
  return result;
}

export function runRules(files: ModelFiles, overrides: RuleOverrides = new Map(), groups = RULE_GROUPS): Diagnostic[] {
  const found: Diagnostic[] = [];
  for (const group of groups) {
    try {
      found.push(...group.check(files));
    } catch (error) {
      found.push(
        diagnostic('MLF001', 'MLmodel', undefined, `the ${group.name} rules crashed: ${error instanceof Error ? error.message : String(error)}`),
      );
    }
  }
  return applyOverrides(dedupe(found), overrides).sort(compareDiagnostics);
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.code}|${d.file}|${d.line ?? ''}|${d.column ?? ''}|${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
