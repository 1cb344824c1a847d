import { inputError } from '../errors.js';

/**
 * The import statements of a Python source file, found without running Python.
 *
 * A small tokenizer (names, operators, brackets, strings, comments, line continuations) feeds
 * a statement reader. Strings (all prefixes, triple quotes, f-strings with nested expressions)
 * and comments are skipped, so `"import os"` in a docstring is not an import. Newlines inside
 * brackets do not end a statement, so `from x import (\n a,\n b)` is one import.
 *
 * Grammar read (Python's, restricted to what names modules):
 *   import_stmt  := 'import' dotted_as (',' dotted_as)*
 *   dotted_as    := NAME ('.' NAME)* ['as' NAME]
 *   from_stmt    := 'from' ('.' | '...')* [NAME ('.' NAME)*] 'import'
 *                   ( '*' | '(' names [','] ')' | names )
 *   names        := NAME ['as' NAME] (',' NAME ['as' NAME])*
 * A statement starts at the beginning of a logical line, after `;`, or after a `:` outside
 * brackets (`try: import x`, `if y: from a import b`). Imports at any depth (inside functions,
 * `if`, `try`/`except ImportError`) are all reported: each may run.
 */

export interface ImportRef {
  /** The dotted module as written, without the leading dots of a relative import ('' for `from . import x`). */
  module: string;
  /** 1-based line of the `import` / `from` keyword. */
  line: number;
  /** 0 for an absolute import, else the number of leading dots. */
  level: number;
  /** For `from M import a, b`: the imported names (`*` for a star import); empty for `import M`. */
  names: string[];
}

type TokenKind = 'name' | 'op' | 'newline' | 'string' | 'number';

interface Token {
  kind: TokenKind;
  text: string;
  line: number;
}

const STRING_PREFIX = /^(?:[rRuUbBfFtT]|[bB][rR]|[rR][bB]|[fF][rR]|[rR][fF]|[tT][rR]|[rR][tT])$/;
const NAME_START = /[\p{L}\p{Nl}_]/u;
const NAME_PART = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_]/u;

export function scanImports(source: string, file?: string): ImportRef[] {
  return readImports(tokenize(source, file));
}

function tokenize(source: string, file?: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let line = 1;
  let depth = 0;

  const fail = (message: string, at: number) =>
    inputError('PYTHON_SYNTAX', message, { file, line: at, hint: 'the file must be valid Python' });

  const push = (kind: TokenKind, text: string, at = line) => tokens.push({ kind, text, line: at });

  /** Skips a string literal whose opening quote starts at `pos`; handles f-string fields. */
  const skipString = (prefix: string) => {
    const startLine = line;
    const quote = source[pos]!;
    const triple = source.startsWith(quote.repeat(3), pos);
    const delimiter = triple ? quote.repeat(3) : quote;
    const formatted = /[fFtT]/.test(prefix);
    pos += delimiter.length;
    for (;;) {
      if (pos >= source.length) throw fail('a string is never closed', startLine);
      const ch = source[pos]!;
      if (ch === '\\') {
        if (source[pos + 1] === '\n') line++;
        pos += 2;
        continue;
      }
      if (ch === '\n') {
        if (!triple) throw fail('a string is never closed', startLine);
        line++;
        pos++;
        continue;
      }
      if (source.startsWith(delimiter, pos)) {
        pos += delimiter.length;
        return;
      }
      if (formatted && ch === '{') {
        if (source[pos + 1] === '{') {
          pos += 2;
          continue;
        }
        pos++;
        skipReplacementField(startLine);
        continue;
      }
      pos++;
    }
  };

  /** Inside an f-string: skips `{expr[!r][:spec]}` up to its closing brace. */
  const skipReplacementField = (startLine: number) => {
    let nesting = 0;
    for (;;) {
      if (pos >= source.length) throw fail('an f-string field is never closed', startLine);
      const ch = source[pos]!;
      if (ch === '\n') line++;
      if (ch === '{' || ch === '(' || ch === '[') nesting++;
      else if (ch === ')' || ch === ']') nesting--;
      else if (ch === '}') {
        if (nesting === 0) {
          pos++;
          return;
        }
        nesting--;
      } else if (ch === "'" || ch === '"') {
        skipString(readPrefixBefore());
        continue;
      }
      pos++;
    }
  };

  /** The string prefix letters right before `pos` (inside an f-string field). */
  const readPrefixBefore = (): string => {
    let start = pos;
    while (start > 0 && /[rRbBfFuUtT]/.test(source[start - 1]!)) start--;
    const prefix = source.slice(start, pos);
    return STRING_PREFIX.test(prefix) ? prefix : '';
  };

  while (pos < source.length) {
    const ch = source[pos]!;
    if (ch === '\n') {
      if (depth === 0) push('newline', '\n');
      line++;
      pos++;
      continue;
    }
    if (ch === '\r' || ch === ' ' || ch === '\t' || ch === '\f') {
      pos++;
      continue;
    }
    if (ch === '#') {
      while (pos < source.length && source[pos] !== '\n') pos++;
      continue;
    }
    if (ch === '\\') {
      // Explicit line joining: the backslash and the newline vanish.
      const next = source[pos + 1] === '\r' ? pos + 2 : pos + 1;
      if (source[next] === '\n') {
        line++;
        pos = next + 1;
        continue;
      }
      pos++;
      continue;
    }
    if (ch === "'" || ch === '"') {
      const at = line;
      skipString('');
      push('string', '', at);
      continue;
    }
    if (NAME_START.test(ch) || ch.charCodeAt(0) > 0x7f) {
      const start = pos;
      pos++;
      while (pos < source.length && NAME_PART.test(source[pos]!)) pos++;
      const word = source.slice(start, pos);
      if ((source[pos] === "'" || source[pos] === '"') && STRING_PREFIX.test(word)) {
        const at = line;
        skipString(word);
        push('string', '', at);
        continue;
      }
      push('name', word);
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(source[pos + 1] ?? ''))) {
      const hexadecimal = ch === '0' && /[xX]/.test(source[pos + 1] ?? '');
      pos++;
      while (pos < source.length) {
        const c = source[pos]!;
        if (/[0-9a-zA-Z_.]/.test(c)) pos++;
        else if ((c === '+' || c === '-') && !hexadecimal && /[eE]/.test(source[pos - 1]!)) pos++;
        else break;
      }
      push('number', '');
      continue;
    }
    if (source.startsWith('...', pos)) {
      push('op', '...');
      pos += 3;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if (ch === ')' || ch === ']' || ch === '}') depth = Math.max(0, depth - 1);
    push('op', ch);
    pos++;
  }
  push('newline', '\n');
  return tokens;
}

function readImports(tokens: Token[]): ImportRef[] {
  const imports: ImportRef[] = [];
  let i = 0;
  let atStatementStart = true;
  let parenDepth = 0;

  const peek = (offset = 0) => tokens[i + offset];
  const isName = (t: Token | undefined, text?: string) => t?.kind === 'name' && (text === undefined || t.text === text);
  const isOp = (t: Token | undefined, text: string) => t?.kind === 'op' && t.text === text;

  const readDotted = (): string | undefined => {
    if (!isName(peek())) return undefined;
    const parts = [peek()!.text];
    i++;
    while (isOp(peek(), '.') && isName(peek(1))) {
      parts.push(peek(1)!.text);
      i += 2;
    }
    return parts.join('.');
  };
  const skipAlias = () => {
    if (isName(peek(), 'as') && isName(peek(1))) i += 2;
  };

  while (i < tokens.length) {
    const token = tokens[i]!;
    if (token.kind === 'newline') {
      atStatementStart = true;
      parenDepth = 0;
      i++;
      continue;
    }
    if (token.kind === 'op') {
      if (token.text === '(' || token.text === '[' || token.text === '{') parenDepth++;
      else if (token.text === ')' || token.text === ']' || token.text === '}') parenDepth = Math.max(0, parenDepth - 1);
      atStatementStart = parenDepth === 0 && (token.text === ';' || token.text === ':');
      i++;
      continue;
    }
    if (atStatementStart && isName(token, 'import')) {
      i++;
      for (;;) {
        const module = readDotted();
        if (module === undefined) break;
        imports.push({ module, line: token.line, level: 0, names: [] });
        skipAlias();
        if (!isOp(peek(), ',')) break;
        i++;
      }
      atStatementStart = false;
      continue;
    }
    if (atStatementStart && isName(token, 'from')) {
      i++;
      let level = 0;
      while (isOp(peek(), '.') || isOp(peek(), '...')) {
        level += peek()!.text.length;
        i++;
      }
      // `from . import x`: the keyword is a NAME token too, so it is not read as the module.
      const module = isName(peek(), 'import') ? '' : (readDotted() ?? '');
      if (!isName(peek(), 'import') || (module === '' && level === 0)) {
        atStatementStart = false;
        continue;
      }
      i++;
      const names: string[] = [];
      if (isOp(peek(), '*')) {
        names.push('*');
        i++;
      } else {
        const parenthesized = isOp(peek(), '(');
        if (parenthesized) i++;
        while (isName(peek())) {
          names.push(peek()!.text);
          i++;
          skipAlias();
          if (!isOp(peek(), ',')) break;
          i++;
        }
        if (parenthesized && isOp(peek(), ')')) i++;
      }
      imports.push({ module, line: token.line, level, names });
      atStatementStart = false;
      continue;
    }
    atStatementStart = false;
    i++;
  }
  return imports;
}
