/**
 * YAML text → the `yaml` package's CST, bounded and held to PyYAML's syntax where the two
 * differ, before anything is composed. The `yaml` package reads YAML 1.2, PyYAML 1.1, and the
 * composer recurses per nesting level; so, in one pass each:
 *
 * 1. a lexer pass counts scalars, aliases and flow collections and stops at `YAML_MAX_NODES`, so
 *    a file of millions of tiny values is refused before the (much slower) parser sees it;
 * 2. the parser builds the CST, which is walked without recursion to refuse
 *    - nesting deeper than `YAML_MAX_DEPTH` (PyYAML's recursive composer dies of RecursionError
 *      at about 490 levels from the top of the stack, fewer inside MLflow; real files nest < 10),
 *    - a tab outside quotes, comments and block scalars (PyYAML: "found character '\t' that
 *      cannot start any token"; YAML 1.2 allows it as separation space),
 *    - anchor and alias names other than `[0-9A-Za-z_-]+` (PyYAML's scanner),
 *    - the non-specific tag `!` and the empty tag `!<>`,
 *    - a `%YAML` directive for another major version, a repeated `%YAML`, a repeated `%TAG` handle,
 *    - a document-end marker `...` before any document (PyYAML: "expected the node content").
 */
import { CST, Lexer, Parser } from 'yaml';
import { malformedYaml, positionOf, yamlTooLarge } from './yaml-text.js';

/** Most scalars + aliases + collections in one file, counting each alias as a copy of its anchor. */
export const YAML_MAX_NODES = 100_000;
/** Deepest nesting of collections (the root collection is level 1). */
export const YAML_MAX_DEPTH = 100;

export const SYNTAX_HINT = 'Fix the YAML syntax at that line (indentation uses spaces; quote values that contain `: ` or start with a special character).';
const NODES_HINT = `MLflow writes these files with a few hundred values; the limit is ${YAML_MAX_NODES}.`;
const DEPTH_HINT = `Flatten the structure: mlf reads at most ${YAML_MAX_DEPTH} levels of nesting (MLflow's PyYAML fails at a few hundred).`;
const TAB_HINT = 'Replace the tab with spaces (PyYAML, which MLflow uses, accepts tabs only inside quotes, comments and block scalars).';

const ANCHOR_NAME = /^[0-9A-Za-z_-]+$/;

export function nodesReason(): string {
  return `it has more than ${YAML_MAX_NODES} values`;
}

/** Step 1: refuse a file with more than `YAML_MAX_NODES` values or flow nesting beyond the limit. */
function countLexemes(text: string, file: string): void {
  let nodes = 0;
  let flowDepth = 0;
  let offset = 0;
  let scalarText = false;
  for (const lexeme of new Lexer().lex(text)) {
    if (scalarText) {
      // The text after a scalar marker is a value, whatever it starts with (`[`, `*`, `'`).
      scalarText = false;
      offset += lexeme.length;
      continue;
    }
    const type = CST.tokenType(lexeme);
    if (type === 'scalar') scalarText = true;
    switch (type) {
      case 'scalar': // the marker before a plain scalar or a block scalar's text
      case 'single-quoted-scalar':
      case 'double-quoted-scalar':
      case 'alias':
        nodes += 1;
        break;
      case 'flow-seq-start':
      case 'flow-map-start':
        nodes += 1;
        flowDepth += 1;
        if (flowDepth > YAML_MAX_DEPTH) throw yamlTooLarge(file, depthReason(), DEPTH_HINT, positionOf(text, offset));
        break;
      case 'flow-seq-end':
      case 'flow-map-end':
        flowDepth = Math.max(0, flowDepth - 1);
        break;
      default:
        break;
    }
    if (nodes > YAML_MAX_NODES) throw yamlTooLarge(file, nodesReason(), NODES_HINT, positionOf(text, offset));
    // The lexer's markers (document mode, scalar, flow error end) take no room in the source.
    if (type !== 'doc-mode' && type !== 'scalar' && type !== 'flow-error-end') offset += lexeme.length;
  }
}

function depthReason(): string {
  return `it nests collections more than ${YAML_MAX_DEPTH} levels deep`;
}

export interface CheckedCst {
  tokens: CST.Token[];
  /** Where each anchor and tag ends → where it starts: a node's error points at its first property. */
  propertyStarts: Map<number, number>;
}

/** Steps 1 and 2: the CST of `text`, or the first problem as an MlfError. */
export function parseCheckedCst(text: string, file: string, onNewLine: (offset: number) => void): CheckedCst {
  countLexemes(text, file);
  const tokens = [...new Parser(onNewLine).parse(text)];
  const fail = (reason: string, offset: number, hint = SYNTAX_HINT): never => {
    throw malformedYaml(file, reason, hint, positionOf(text, offset));
  };
  const directives = { yaml: false, tagHandles: new Set<string>() };
  let sawDocument = false;
  const propertyStarts = new Map<number, number>();
  for (const token of tokens) {
    if (token.type === 'directive') checkDirective(token, directives, fail);
    else if (token.type === 'document') {
      if (token.value !== undefined || token.start.some((t) => t.type === 'doc-start')) sawDocument = true;
      walk(token, text, file, fail, propertyStarts);
    } else if (token.type === 'doc-end') {
      if (!sawDocument) fail('a document end marker `...` with no document before it', token.offset);
    }
  }
  return { tokens, propertyStarts };
}

function checkDirective(token: CST.Directive, seen: { yaml: boolean; tagHandles: Set<string> }, fail: (reason: string, offset: number) => never): void {
  const parts = token.source.trim().split(/[ \t]+/);
  if (parts[0] === '%YAML') {
    if (seen.yaml) fail('a repeated %YAML directive', token.offset);
    seen.yaml = true;
    if (parts.length !== 2 || !/^1\.[0-9]+$/.test(parts[1]!)) {
      fail(`the directive \`${token.source.trim()}\` (PyYAML reads YAML 1.x only)`, token.offset);
    }
  } else if (parts[0] === '%TAG') {
    const handle = parts[1] ?? '';
    if (seen.tagHandles.has(handle)) fail(`the tag handle \`${handle}\` is declared twice`, token.offset);
    seen.tagHandles.add(handle);
  }
}

type Fail = (reason: string, offset: number, hint?: string) => never;

/** Every source token and nesting level under `root`, without recursion. */
function walk(root: CST.Document, text: string, file: string, fail: Fail, propertyStarts: Map<number, number>): void {
  const pending: Array<{ token: CST.Token; depth: number }> = [];
  const push = (token: CST.Token | null | undefined, depth: number): void => {
    if (token) pending.push({ token, depth });
  };
  const pushAll = (list: readonly CST.Token[] | undefined, depth: number): void => {
    for (const token of list ?? []) push(token, depth);
  };
  pushAll(root.start, 0);
  push(root.value, 0);
  pushAll(root.end, 0);
  while (pending.length > 0) {
    const { token, depth } = pending.pop()!;
    switch (token.type) {
      case 'block-map':
      case 'block-seq':
      case 'flow-collection': {
        const inner = depth + 1;
        if (inner > YAML_MAX_DEPTH) throw yamlTooLarge(file, depthReason(), DEPTH_HINT, positionOf(text, token.offset));
        if (token.type === 'flow-collection') {
          push(token.start, inner);
          pushAll(token.end, inner);
        }
        for (const item of token.items) {
          pushAll(item.start, inner);
          push(item.key, inner);
          pushAll(item.sep, inner);
          push(item.value, inner);
        }
        break;
      }
      case 'block-scalar':
        pushAll(token.props, depth);
        break;
      case 'scalar':
        if (token.source.includes('\t')) fail('a tab inside an unquoted value', token.offset + token.source.indexOf('\t'), TAB_HINT);
        pushAll(token.end, depth);
        break;
      case 'alias':
        checkName(token.source, token.offset, fail);
        pushAll(token.end, depth);
        break;
      case 'single-quoted-scalar':
      case 'double-quoted-scalar':
        pushAll(token.end, depth);
        break;
      case 'space':
        if (token.source.includes('\t')) fail('a tab outside quotes, comments and block scalars', token.offset + token.source.indexOf('\t'), TAB_HINT);
        break;
      case 'anchor':
        checkName(token.source, token.offset, fail);
        propertyStarts.set(token.offset + token.source.length, token.offset);
        break;
      case 'tag':
        propertyStarts.set(token.offset + token.source.length, token.offset);
        if (token.source === '!') fail('the non-specific tag `!`, which mlf does not resolve', token.offset);
        if (token.source === '!<>') fail('an empty tag `!<>`', token.offset);
        break;
      default:
        break;
    }
  }
}

function checkName(source: string, offset: number, fail: Fail): void {
  const name = source.slice(1);
  if (!ANCHOR_NAME.test(name)) {
    const what = source.startsWith('&') ? 'anchor' : 'alias';
    fail(`the ${what} name \`${name}\` (PyYAML allows only letters, digits, \`-\` and \`_\`)`, offset);
  }
}
