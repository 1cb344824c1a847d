import { inputError } from '../errors.js';

/**
 * A static walk over a pickle's opcodes that lists the globals (`module`, `name`) it would
 * import when loaded, without unpickling anything: no model code runs.
 *
 * The walk keeps a symbolic stack (each entry a known string, an opaque value or a MARK) and
 * the memo, so that `STACK_GLOBAL` (protocol 4+) resolves its two operands even when they come
 * from `BINGET`/`MEMOIZE` rather than from the string pushes right before it. `GLOBAL` and `INST`
 * carry module and name inline. `FRAME` (protocol 4+) only announces a length: the opcodes
 * inside a frame are read as usual.
 *
 * Names are reported as written in the bytes. For protocols < 3 Python 3 writes Python 2 names
 * for a few standard modules (`__builtin__`, `copy_reg`); callers treat those as the standard
 * library. Several pickles concatenated in one file are walked one after another.
 */

export interface PickleGlobal {
  module: string;
  name: string;
}

export interface PickleScan {
  /** Every distinct global referenced, in order of first appearance. */
  modules: PickleGlobal[];
  /**
   * Modules imported by name when the pickle loads: the string argument of a call to
   * cloudpickle's `subimport`/`dynamic_subimport`, `importlib.import_module` or `__import__`
   * (cloudpickle pickles a by-value function's module globals, e.g. `np`, this way).
   */
  importedByName: string[];
  /** The `PROTO` argument; without one, 1 if a binary (protocol 1) opcode appears, else 0. */
  protocol: number;
}

type StackValue =
  | { kind: 'str'; value: string }
  | { kind: 'global'; module: string; name: string }
  | { kind: 'tuple'; items: StackValue[] }
  | { kind: 'other' }
  | { kind: 'mark' };

/** Callables that import the module named by their first argument. */
function importsByName(callable: StackValue): boolean {
  if (callable.kind !== 'global') return false;
  const { module, name } = callable;
  if (module === 'cloudpickle' || module.startsWith('cloudpickle.')) return name === 'subimport' || name === 'dynamic_subimport';
  if (module === 'importlib') return name === 'import_module';
  return (module === 'builtins' || module === '__builtin__') && name === '__import__';
}

const OTHER: StackValue = { kind: 'other' };
const MARK: StackValue = { kind: 'mark' };

/** Opcodes by byte, with the protocol that introduced each (as in CPython's pickletools). */
const OPCODES: ReadonlyMap<number, { name: string; proto: number }> = new Map(
  (
    [
      ['(', 'MARK', 0], ['.', 'STOP', 0], ['0', 'POP', 0], ['1', 'POP_MARK', 1], ['2', 'DUP', 0],
      ['F', 'FLOAT', 0], ['I', 'INT', 0], ['J', 'BININT', 1], ['K', 'BININT1', 1], ['L', 'LONG', 0],
      ['M', 'BININT2', 1], ['N', 'NONE', 0], ['P', 'PERSID', 0], ['Q', 'BINPERSID', 1], ['R', 'REDUCE', 0],
      ['S', 'STRING', 0], ['T', 'BINSTRING', 1], ['U', 'SHORT_BINSTRING', 1], ['V', 'UNICODE', 0],
      ['X', 'BINUNICODE', 1], ['a', 'APPEND', 0], ['b', 'BUILD', 0], ['c', 'GLOBAL', 0], ['d', 'DICT', 0],
      ['}', 'EMPTY_DICT', 1], ['e', 'APPENDS', 1], ['g', 'GET', 0], ['h', 'BINGET', 1], ['i', 'INST', 0],
      ['j', 'LONG_BINGET', 1], ['l', 'LIST', 0], [']', 'EMPTY_LIST', 1], ['o', 'OBJ', 1], ['p', 'PUT', 0],
      ['q', 'BINPUT', 1], ['r', 'LONG_BINPUT', 1], ['s', 'SETITEM', 0], ['t', 'TUPLE', 0], [')', 'EMPTY_TUPLE', 1],
      ['u', 'SETITEMS', 1], ['G', 'BINFLOAT', 1],
      ['\x80', 'PROTO', 2], ['\x81', 'NEWOBJ', 2], ['\x82', 'EXT1', 2], ['\x83', 'EXT2', 2], ['\x84', 'EXT4', 2],
      ['\x85', 'TUPLE1', 2], ['\x86', 'TUPLE2', 2], ['\x87', 'TUPLE3', 2], ['\x88', 'NEWTRUE', 2],
      ['\x89', 'NEWFALSE', 2], ['\x8a', 'LONG1', 2], ['\x8b', 'LONG4', 2],
      ['B', 'BINBYTES', 3], ['C', 'SHORT_BINBYTES', 3],
      ['\x8c', 'SHORT_BINUNICODE', 4], ['\x8d', 'BINUNICODE8', 4], ['\x8e', 'BINBYTES8', 4], ['\x8f', 'EMPTY_SET', 4],
      ['\x90', 'ADDITEMS', 4], ['\x91', 'FROZENSET', 4], ['\x92', 'NEWOBJ_EX', 4], ['\x93', 'STACK_GLOBAL', 4],
      ['\x94', 'MEMOIZE', 4], ['\x95', 'FRAME', 4],
      ['\x96', 'BYTEARRAY8', 5], ['\x97', 'NEXT_BUFFER', 5], ['\x98', 'READONLY_BUFFER', 5],
    ] as const
  ).map(([ch, name, proto]) => [ch.charCodeAt(0), { name, proto }]),
);

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8', { fatal: false });

export function scanPickle(bytes: Uint8Array, file?: string): PickleScan {
  const what = file ? `\`${file}\`` : 'the input';
  const notAPickle = (reason: string, offset: number) =>
    inputError('NOT_A_PICKLE', `${what} is not a pickle: ${reason} at byte ${offset}`, {
      file,
      hint: 'pass the file written by `pickle.dump`/`cloudpickle.dump` (e.g. `model.pkl`)',
      data: { offset },
    });

  if (bytes.length === 0) throw notAPickle('the file is empty', 0);

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const seen = new Set<string>();
  const modules: PickleGlobal[] = [];
  const importedByName: string[] = [];
  let protocol = -1;
  let maxOpcodeProto = 0;
  let pos = 0;

  const need = (n: number, at: number) => {
    if (pos + n > bytes.length) throw notAPickle('it ends in the middle of an opcode', at);
  };
  const readLine = (at: number): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) throw notAPickle('a text argument has no end of line', at);
    const text = latin1.decode(bytes.subarray(pos, end));
    pos = end + 1;
    return text;
  };
  const readUint = (n: 1 | 2 | 4 | 8, at: number): number => {
    need(n, at);
    let value: number;
    if (n === 1) value = view.getUint8(pos);
    else if (n === 2) value = view.getUint16(pos, true);
    else if (n === 4) value = view.getUint32(pos, true);
    else {
      const big = view.getBigUint64(pos, true);
      if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw notAPickle('a length is too large', at);
      value = Number(big);
    }
    pos += n;
    return value;
  };
  const readBytes = (n: number, at: number): Uint8Array => {
    need(n, at);
    const slice = bytes.subarray(pos, pos + n);
    pos += n;
    return slice;
  };
  const record = (module: string, name: string) => {
    const key = `${module}\u0000${name}`;
    if (seen.has(key)) return;
    seen.add(key);
    modules.push({ module, name });
  };

  // One pickle after another until the bytes run out.
  while (pos < bytes.length) {
    const stack: StackValue[] = [];
    const memo = new Map<number, StackValue>();
    let stopped = false;

    const pop = (at: number): StackValue => {
      const value = stack.pop();
      if (value === undefined) throw notAPickle('an opcode pops from an empty stack', at);
      return value;
    };
    const popMark = (at: number): StackValue[] => {
      const items: StackValue[] = [];
      for (;;) {
        const value = stack.pop();
        if (value === undefined) throw notAPickle('an opcode needs a MARK that is not there', at);
        if (value.kind === 'mark') return items.reverse();
        items.push(value);
      }
    };
    const top = (at: number): StackValue => {
      const value = stack[stack.length - 1];
      if (value === undefined) throw notAPickle('an opcode reads an empty stack', at);
      return value;
    };
    const memoGet = (index: number, at: number): StackValue => {
      const value = memo.get(index);
      if (value === undefined) throw notAPickle(`memo entry ${index} is read before it is written`, at);
      return value;
    };

    while (!stopped) {
      const at = pos;
      if (pos >= bytes.length) {
        throw notAPickle('it ends without a STOP opcode', at);
      }
      const code = bytes[pos++]!;
      const op = OPCODES.get(code);
      if (!op) {
        const shown = code >= 0x20 && code < 0x7f ? `\`${String.fromCharCode(code)}\` (0x${hex(code)})` : `0x${hex(code)}`;
        throw notAPickle(`unknown opcode ${shown}`, at);
      }
      if (op.proto > maxOpcodeProto) maxOpcodeProto = op.proto;

      switch (op.name) {
        case 'PROTO': {
          const version = readUint(1, at);
          if (version > 5) throw notAPickle(`unsupported protocol ${version}`, at);
          // The file's protocol is the first pickle's.
          if (protocol === -1) protocol = version;
          break;
        }
        case 'FRAME':
          readUint(8, at);
          break;
        case 'STOP':
          stopped = true;
          break;
        case 'MARK':
          stack.push(MARK);
          break;
        case 'POP':
          // CPython pops a MARK when the stack above it is empty.
          if (stack.length > 0 && top(at).kind !== 'mark') pop(at);
          else popMark(at);
          break;
        case 'POP_MARK':
          popMark(at);
          break;
        case 'DUP':
          stack.push(top(at));
          break;

        // Scalars whose value does not matter here.
        case 'FLOAT':
        case 'INT':
        case 'LONG':
          readLine(at);
          stack.push(OTHER);
          break;
        case 'BININT':
          readBytes(4, at);
          stack.push(OTHER);
          break;
        case 'BININT1':
          readBytes(1, at);
          stack.push(OTHER);
          break;
        case 'BININT2':
          readBytes(2, at);
          stack.push(OTHER);
          break;
        case 'BINFLOAT':
          readBytes(8, at);
          stack.push(OTHER);
          break;
        case 'LONG1':
          readBytes(readUint(1, at), at);
          stack.push(OTHER);
          break;
        case 'LONG4':
          readBytes(readUint(4, at), at);
          stack.push(OTHER);
          break;
        case 'NONE':
        case 'NEWTRUE':
        case 'NEWFALSE':
        case 'EMPTY_DICT':
        case 'EMPTY_LIST':
        case 'EMPTY_SET':
        case 'NEXT_BUFFER':
          stack.push(OTHER);
          break;
        case 'READONLY_BUFFER':
          top(at);
          break;

        // Strings: the only values STACK_GLOBAL can use.
        case 'STRING':
          stack.push({ kind: 'str', value: unquotePythonString(readLine(at)) });
          break;
        case 'BINSTRING':
          stack.push({ kind: 'str', value: latin1.decode(readBytes(readUint(4, at), at)) });
          break;
        case 'SHORT_BINSTRING':
          stack.push({ kind: 'str', value: latin1.decode(readBytes(readUint(1, at), at)) });
          break;
        case 'UNICODE':
          stack.push({ kind: 'str', value: readLine(at) });
          break;
        case 'BINUNICODE':
          stack.push({ kind: 'str', value: utf8.decode(readBytes(readUint(4, at), at)) });
          break;
        case 'SHORT_BINUNICODE':
          stack.push({ kind: 'str', value: utf8.decode(readBytes(readUint(1, at), at)) });
          break;
        case 'BINUNICODE8':
          stack.push({ kind: 'str', value: utf8.decode(readBytes(readUint(8, at), at)) });
          break;
        case 'BINBYTES':
          readBytes(readUint(4, at), at);
          stack.push(OTHER);
          break;
        case 'SHORT_BINBYTES':
          readBytes(readUint(1, at), at);
          stack.push(OTHER);
          break;
        case 'BINBYTES8':
        case 'BYTEARRAY8':
          readBytes(readUint(8, at), at);
          stack.push(OTHER);
          break;

        case 'PERSID':
          readLine(at);
          stack.push(OTHER);
          break;
        case 'BINPERSID':
          pop(at);
          stack.push(OTHER);
          break;

        // Globals.
        case 'GLOBAL': {
          const module = readLine(at);
          const name = readLine(at);
          record(module, name);
          stack.push({ kind: 'global', module, name });
          break;
        }
        case 'INST': {
          const module = readLine(at);
          const name = readLine(at);
          record(module, name);
          popMark(at);
          stack.push(OTHER);
          break;
        }
        case 'STACK_GLOBAL': {
          const name = pop(at);
          const module = pop(at);
          if (module.kind !== 'str' || name.kind !== 'str') {
            throw notAPickle('STACK_GLOBAL needs two strings on the stack', at);
          }
          record(module.value, name.value);
          stack.push({ kind: 'global', module: module.value, name: name.value });
          break;
        }
        case 'EXT1':
          readBytes(1, at);
          stack.push(OTHER);
          break;
        case 'EXT2':
          readBytes(2, at);
          stack.push(OTHER);
          break;
        case 'EXT4':
          readBytes(4, at);
          stack.push(OTHER);
          break;

        // Building objects and containers.
        case 'REDUCE': {
          const args = pop(at);
          const callable = pop(at);
          const first = args.kind === 'tuple' ? args.items[0] : undefined;
          if (importsByName(callable) && first?.kind === 'str' && !importedByName.includes(first.value)) {
            importedByName.push(first.value);
          }
          stack.push(OTHER);
          break;
        }
        case 'NEWOBJ':
          pop(at);
          pop(at);
          stack.push(OTHER);
          break;
        case 'NEWOBJ_EX':
          pop(at);
          pop(at);
          pop(at);
          stack.push(OTHER);
          break;
        case 'BUILD':
        case 'APPEND':
          pop(at);
          top(at);
          break;
        case 'SETITEM':
          pop(at);
          pop(at);
          top(at);
          break;
        case 'APPENDS':
        case 'SETITEMS':
        case 'ADDITEMS':
          popMark(at);
          top(at);
          break;
        case 'OBJ':
        case 'DICT':
        case 'LIST':
        case 'FROZENSET':
          popMark(at);
          stack.push(OTHER);
          break;
        case 'TUPLE':
          stack.push({ kind: 'tuple', items: popMark(at) });
          break;
        case 'EMPTY_TUPLE':
          stack.push({ kind: 'tuple', items: [] });
          break;
        case 'TUPLE1':
        case 'TUPLE2':
        case 'TUPLE3': {
          const count = Number(op.name.slice(-1));
          const items: StackValue[] = [];
          for (let k = 0; k < count; k++) items.unshift(pop(at));
          stack.push({ kind: 'tuple', items });
          break;
        }

        // The memo.
        case 'MEMOIZE':
          memo.set(memo.size, top(at));
          break;
        case 'PUT':
          memo.set(parseDecimal(readLine(at), () => notAPickle('PUT has a bad index', at)), top(at));
          break;
        case 'BINPUT':
          memo.set(readUint(1, at), top(at));
          break;
        case 'LONG_BINPUT':
          memo.set(readUint(4, at), top(at));
          break;
        case 'GET':
          stack.push(memoGet(parseDecimal(readLine(at), () => notAPickle('GET has a bad index', at)), at));
          break;
        case 'BINGET':
          stack.push(memoGet(readUint(1, at), at));
          break;
        case 'LONG_BINGET':
          stack.push(memoGet(readUint(4, at), at));
          break;
        default:
          throw notAPickle(`opcode ${op.name} is not handled`, at);
      }
    }

    // Another pickle follows only if it starts with PROTO; other trailing bytes (padding,
    // data a custom writer appended) are not opcodes and are left alone.
    if (pos < bytes.length && bytes[pos] !== 0x80) break;
  }

  if (protocol === -1) protocol = maxOpcodeProto >= 1 ? 1 : 0;
  return { modules, importedByName, protocol };
}

function hex(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}

function parseDecimal(text: string, fail: () => Error): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) throw fail();
  return Number(trimmed);
}

/** The argument of protocol-0 `STRING`: a Python repr in single or double quotes. */
function unquotePythonString(text: string): string {
  const quote = text[0];
  if ((quote === "'" || quote === '"') && text.length >= 2 && text[text.length - 1] === quote) {
    return text
      .slice(1, -1)
      .replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_, esc: string) => {
        if (esc[0] === 'x') return String.fromCharCode(parseInt(esc.slice(1), 16));
        if (/^[0-7]/.test(esc)) return String.fromCharCode(parseInt(esc, 8));
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };
        return simple[esc] ?? `\\${esc}`;
      });
  }
  return text;
}
