/**
 * The rewrites that make a virtual environment run from wherever it is unpacked (the facts are
 * venv-pack's and uv's `--relocatable`: a venv names its own directory in its scripts' shebangs,
 * its activate scripts and, for `python -m venv`/virtualenv, pyvenv.cfg's `command`; its
 * interpreter is a symlink to an absolute base interpreter). Pure text functions; collect.ts
 * decides which file gets which.
 */

/**
 * A console script's first line, replaced: `sh` runs the `exec` line (the `'''` quotes are empty
 * strings to it), which runs the `python` beside the script's real location with the script; Python
 * then reads the same lines as a string literal and goes on with the script.
 */
export const SCRIPT_TRAMPOLINE = `#!/bin/sh\n'''exec' "$(dirname -- "$(readlink -f -- "$0")")/python" "$0" "$@"\n' '''\n`;

/** Why a bin/ file left out of the archive is left out (they name the build directory; none is needed to run). */
export function isDroppedBinFile(name: string): boolean {
  return /^(activate|deactivate)\.(csh|fish|nu|ps1|xsh|bat)$/.test(name) || /\.(bat|ps1)$/.test(name);
}

/**
 * A script whose interpreter is the environment's own python, with its first line (or pip's
 * `/bin/sh` form for paths with spaces) replaced by the trampoline; undefined for any other text.
 */
export function relocateScript(text: string, prefix: string): string | undefined {
  const bin = `${prefix}/bin/`;
  const newline = text.indexOf('\n');
  if (newline < 0) return undefined;
  const first = text.slice(0, newline);
  if (first.startsWith(`#!${bin}`) && /^python[0-9.]*$/.test(first.slice(2 + bin.length).trim())) {
    return SCRIPT_TRAMPOLINE + text.slice(newline + 1);
  }
  // pip and uv write `#!/bin/sh` + `'''exec' "<prefix>/bin/python" "$0" "$@"` + `' '''` when the path cannot be a shebang.
  const lines = text.split('\n');
  if (first === '#!/bin/sh' && lines.length > 3 && /^'''exec' "(.*)" "\$0" "\$@"$/.exec(lines[1]!)?.[1]?.startsWith(bin) && lines[2] === "' '''") {
    return SCRIPT_TRAMPOLINE + lines.slice(3).join('\n');
  }
  return undefined;
}

/**
 * pyvenv.cfg without the lines that name the build directory (`command = … -m venv <dir>`, which
 * nothing reads); `home` and the `base-*` keys name the base interpreter and stay.
 */
export function relocatePyvenvCfg(text: string, prefix: string): string {
  return text
    .split('\n')
    .filter((line) => !line.includes(prefix))
    .join('\n');
}

/** bin/activate for bash and zsh: the environment is the directory above the script, wherever it is. */
export const ACTIVATE_SCRIPT = `# Use with \`source bin/activate\` (bash, zsh). Written by \`mlf envs pack\` in place of the
# environment's own, which named the directory it was built in.
deactivate () {
    if [ -n "\${_OLD_VIRTUAL_PATH:-}" ]; then PATH="$_OLD_VIRTUAL_PATH"; export PATH; unset _OLD_VIRTUAL_PATH; fi
    if [ -n "\${_OLD_VIRTUAL_PS1+x}" ]; then PS1="$_OLD_VIRTUAL_PS1"; export PS1; unset _OLD_VIRTUAL_PS1; fi
    unset VIRTUAL_ENV VIRTUAL_ENV_PROMPT
    hash -r 2>/dev/null
    if [ "\${1:-}" != "nondestructive" ]; then unset -f deactivate; fi
}
deactivate nondestructive
if [ -n "\${BASH_SOURCE:-}" ]; then _mlf_activate="\${BASH_SOURCE[0]}"; elif [ -n "\${ZSH_VERSION:-}" ]; then _mlf_activate="\${(%):-%x}"; else _mlf_activate="$0"; fi
VIRTUAL_ENV=$(cd -- "$(dirname -- "$_mlf_activate")/.." && pwd)
unset _mlf_activate
export VIRTUAL_ENV
VIRTUAL_ENV_PROMPT="($(basename -- "$VIRTUAL_ENV")) "
export VIRTUAL_ENV_PROMPT
_OLD_VIRTUAL_PATH="$PATH"
PATH="$VIRTUAL_ENV/bin:$PATH"
export PATH
if [ -z "\${VIRTUAL_ENV_DISABLE_PROMPT:-}" ]; then _OLD_VIRTUAL_PS1="\${PS1:-}"; PS1="$VIRTUAL_ENV_PROMPT\${PS1:-}"; export PS1; fi
hash -r 2>/dev/null
`;

export interface LauncherFacts {
  /** The base interpreter the environment was built from (a real file, symlinks resolved). */
  basePython: string;
  /** `3.11`. */
  pythonMinor: string;
  /** `sys.implementation.name`. */
  implementation: string;
}

/**
 * bin/python: runs the base interpreter under this file's own path (`exec -a`), so that Python
 * finds ../pyvenv.cfg and makes the unpacked directory its `sys.prefix` wherever it is. The base is
 * the one recorded at pack time; when that is absent, the first `python3.X` on PATH that is the same
 * implementation and minor version (asked, not guessed from its name), with PYTHONHOME set to its
 * prefix because pyvenv.cfg's `home` names the recorded one. bash, not sh: `exec -a` is bash's.
 */
export function launcherScript(facts: LauncherFacts): string {
  const base = shellQuote(facts.basePython);
  const name = `python${facts.pythonMinor}`;
  const wanted = `${facts.implementation} ${facts.pythonMinor} `;
  return `#!/bin/bash
# The interpreter of an environment packed by \`mlf envs pack\`; mlf-pack.json says what it needs.
# This file's real path, with builtins only where it is not reached through a symlink.
_mlf_src=\${BASH_SOURCE[0]}
while [ -L "$_mlf_src" ]; do
    _mlf_link=$(readlink -- "$_mlf_src")
    case "$_mlf_link" in /*) _mlf_src=$_mlf_link ;; *) _mlf_src=\${_mlf_src%/*}/$_mlf_link ;; esac
done
case "$_mlf_src" in */*) _mlf_dir=\${_mlf_src%/*} ;; *) _mlf_dir=. ;; esac
self=$(cd -P -- "$_mlf_dir" && pwd)/\${_mlf_src##*/}
unset _mlf_src _mlf_link _mlf_dir
recorded=${base}
base=$recorded
if [ ! -x "$base" ]; then
    base=
    IFS=: read -r -a _mlf_dirs <<< "\${PATH:-}"
    for _mlf_dir in "\${_mlf_dirs[@]}"; do
        _mlf_candidate="\${_mlf_dir:-.}/${name}"
        [ -x "$_mlf_candidate" ] || continue
        [ "$_mlf_candidate" -ef "$self" ] && continue
        _mlf_found=$("$_mlf_candidate" -c 'import sys; print(sys.implementation.name, "%d.%d" % sys.version_info[:2], sys.base_prefix)' 2>/dev/null) || continue
        case "$_mlf_found" in
            ${shellQuote(wanted)}*) base=$_mlf_candidate; export PYTHONHOME="\${_mlf_found#${shellQuote(wanted)}}"; break ;;
        esac
    done
    unset _mlf_dirs _mlf_dir _mlf_candidate _mlf_found
    if [ -z "$base" ]; then
        echo "mlf-pack: this environment needs ${facts.implementation} ${facts.pythonMinor}: $recorded is absent and no ${name} on PATH is one" >&2
        exit 127
    fi
fi
unset recorded
exec -a "$self" "$base" "$@"
`;
}

/** A single-quoted shell word. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
