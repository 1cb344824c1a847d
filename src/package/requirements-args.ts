import { parseRequirementsFile, resolveIncludes } from '../deps/requirements-txt.js';
import { readRegularTextSync } from '../fs/read-regular-file.js';
import type { RequirementsArgument } from '../deps/merge.js';

/**
 * `--pip-requirements` / `--extra-pip-requirements` values (and a conda env's pip list) as
 * MLflow's `_parse_pip_requirements` reads a list of strings: each value is a requirements.txt
 * line, so `-r requirements.txt` and `-c constraints.txt` are expanded (relative to the working
 * directory, as MLflow resolves them for a list), comments and blanks dropped, anything else
 * kept verbatim.
 */
export function requirementsArgumentFromLines(lines: readonly string[], label: string, cwd: string): RequirementsArgument {
  const file = parseRequirementsFile(lines.join('\n'), label);
  const resolved = resolveIncludes(file, (p) => readRegularTextSync(p), cwd);
  const entry = (line: { text: string; file?: string; line: number; origin: string }) => ({
    text: line.text,
    origin: line.file === label ? label : line.origin,
    ...(line.file !== undefined && line.file !== label ? { file: line.file, line: line.line } : {}),
  });
  return {
    requirements: resolved.requirements.map(entry),
    constraints: resolved.constraints.map(entry),
  };
}
