"""Generate pyyaml-hostile-cases.json next to this script: PyYAML's verdict on hostile and broken
YAML files, read the way MLflow reads MLmodel, conda.yaml and python_env.yaml:

    with open(path) as f:          # text mode: strict UTF-8 (a UTF-8 locale), universal newlines
        yaml.safe_load(f)          # the pure-Python SafeLoader

Each case is {"name", "text" | "base64", ...} and one verdict:
- {"value": v}: safe_load built v (tagged as in make_pyyaml_cases.py, plus {"__dict__": [[k, v], ...]}
  when JSON key order would differ from Python's);
- {"error": "ExceptionType: first line"}: the read or safe_load raised (a YAMLError, a
  UnicodeDecodeError, a RecursionError, or a ValueError/IndexError from a constructor);
- {"unrepresentable": why}: safe_load built something mlf's value model cannot hold: a recursive
  structure, one that expands to more than EXPANDED_LIMIT nodes (an alias bomb: PyYAML shares the
  nodes, a tree does not), bytes, a set, a tuple, or a mapping key that is not a string.

The second half is a seeded mutation fuzz over small MLmodel / conda.yaml / python_env.yaml texts.

Run with the MLflow test venv's Python (PyYAML 6.0.x):
    .e2e/venv/bin/python test/model/cases/make_pyyaml_hostile_cases.py
"""
import base64
import datetime
import io
import json
import os
import random

import yaml

assert yaml.__version__.startswith("6.0."), yaml.__version__

EXPANDED_LIMIT = 200_000


class Unrepresentable(Exception):
    pass


def encode(value, budget, active):
    budget[0] -= 1
    if budget[0] < 0:
        raise Unrepresentable(f"expands to more than {EXPANDED_LIMIT} nodes")
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 else {"__int__": str(value)}
    if isinstance(value, float):
        return {"__float__": repr(value)}
    if isinstance(value, (datetime.datetime, datetime.date)):
        text = value.isoformat(" ") if isinstance(value, datetime.datetime) else value.isoformat()
        return {"__timestamp__": text}
    if isinstance(value, (list, dict)):
        if id(value) in active:
            raise Unrepresentable("recursive")
        active.add(id(value))
        try:
            if isinstance(value, list):
                return [encode(v, budget, active) for v in value]
            if not all(isinstance(k, str) for k in value):
                raise Unrepresentable("non-string key")
            items = [[k, encode(v, budget, active)] for k, v in value.items()]
            # A JS object lists integer-like keys first; keep Python's order explicitly then.
            if any(k.isdigit() for k, _ in items):
                return {"__dict__": items}
            if any(k in ("__float__", "__int__", "__timestamp__", "__dict__") for k, _ in items):
                return {"__dict__": items}
            return dict(items)
        finally:
            active.discard(id(value))
    raise Unrepresentable(type(value).__name__)


def verdict(data):
    try:
        with io.TextIOWrapper(io.BytesIO(data), encoding="utf-8") as f:
            loaded = yaml.safe_load(f)
    except Exception as e:  # any exception: MLflow's load fails with it (IndexError for `!!int ''`)
        lines = str(e).splitlines()
        return {"error": f"{type(e).__name__}: {lines[0] if lines else ''}"}
    try:
        return {"value": encode(loaded, [EXPANDED_LIMIT], set())}
    except Unrepresentable as e:
        return {"unrepresentable": str(e)}


cases = []
names = set()


def case(name, data):
    assert name not in names, name
    names.add(name)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    entry = {"name": name}
    try:
        entry["text"] = data.decode("utf-8")
    except UnicodeDecodeError:
        entry["base64"] = base64.b64encode(data).decode("ascii")
    entry.update(verdict(data))
    cases.append(entry)


# --- characters the reader rejects or treats specially ---------------------------------------
SPECIAL = [chr(c) for c in list(range(0x00, 0x20)) + [0x7F] + list(range(0x80, 0xA1))] + [
    "\u2028", "\u2029", "\ufeff", "\ufffd", "\ufffe", "\uffff", "\ue000", "\ud7ff", "\U0001F600", "\U0010FFFF",
]
for ch in SPECIAL:
    code = f"U+{ord(ch):04X}"
    case(f"{code} in a plain value", f"a: x{ch}y\nb: 2\n")
    case(f"{code} in a single-quoted value", f"a: 'x{ch}y'\n")
    case(f"{code} in a double-quoted value", f'a: "x{ch}y"\n')
    case(f"{code} in a comment", f"a: 1 # x{ch}y\n")
    case(f"{code} in a block scalar", f"a: |\n  x{ch}y\n")
    case(f"{code} between entries", f"a: 1{ch}b: 2\n")
    case(f"{code} at the start", f"{ch}a: 1\n")
    case(f"{code} in a key", f"k{ch}: 1\n")

# --- encodings -------------------------------------------------------------------------------
case("utf-8 bom", b"\xef\xbb\xbfa: 1\n")
case("utf-8 bom twice", b"\xef\xbb\xbf\xef\xbb\xbfa: 1\n")
case("utf-8 bom after a comment", b"# c\n\xef\xbb\xbfa: 1\n")
case("utf-8 bom before a document marker", b"\xef\xbb\xbf---\na: 1\n")
case("utf-16-le with bom", "\ufeffa: 1\n".encode("utf-16-le"))
case("utf-16-be with bom", "\ufeffa: 1\n".encode("utf-16-be"))
case("utf-16-le without bom", "a: 1\n".encode("utf-16-le"))
case("utf-32-le with bom", "\ufeffa: 1\n".encode("utf-32-le"))
case("latin-1 e-acute", b"a: caf\xe9\n")
case("lone continuation byte", b"a: \x80\n")
case("byte ff", b"a: \xff\n")
case("overlong slash", b"a: \xc0\xaf\n")
case("overlong nul", b"a: \xc0\x80\n")
case("encoded surrogate", b"a: \xed\xa0\x80\n")
case("above U+10FFFF", b"a: \xf4\x90\x80\x80\n")
case("truncated sequence at the end", b"a: \xe2\x82")
case("truncated sequence mid-line", b"a: \xe2\x82 b\n")
case("invalid utf-8 in a comment", b"# \xff\na: 1\n")
case("cp1252 quotes", b"a: \x93x\x94\n")

# --- line breaks -----------------------------------------------------------------------------
case("crlf", "a: 1\r\nb:\r\n- x\r\n- y\r\n")
case("lone cr", "a: 1\rb: 2\r")
case("lone cr in single quotes", "a: 'x\ry'\n")
case("lone cr in double quotes", 'a: "x\ry"\n')
case("lone cr in a block scalar", "a: |\r  x\r  y\rb: 1\r")
case("crlf in a folded scalar", "a: >\r\n  x\r\n  y\r\n\r\n  z\r\n")
case("mixed breaks", "a: 1\r\nb: 2\nc: 3\rd: 4\n")
case("cr cr lf", "a: 1\r\r\nb: 2\n")
for ch in ["\x85", "\u2028", "\u2029"]:
    code = f"U+{ord(ch):04X}"
    case(f"{code} as every line break", f"a: 1{ch}b:{ch}- x{ch}")
    case(f"{code} inside a plain multi-line value", f"a: x\n  y{ch}  z\n")
    case(f"{code} after a block scalar header", f"a: |{ch}  x\n")
    case(f"{code} at the end", f"a: 1{ch}")
case("tab after colon", "a:\t1\n")
case("tab before colon", "a\t: 1\n")
case("tab indentation", "a:\n\tb: 1\n")
case("tab in a value", "a: x\ty\n")
case("tab in flow", "a: [1,\t2]\n")
case("tab before comment", "a: 1\t# c\n")
case("tab in a block scalar", "a: |\n  x\ty\n")
case("tab-indented block scalar", "a: |\n\tx\n")
case("trailing spaces", "a: 1   \nb: x  \n")
case("no final newline", "a: 1")

# --- tags ------------------------------------------------------------------------------------
TAGGED = [
    ("python/name", "a: !!python/name:os.system\n"),
    ("python/name with value", "a: !!python/name:os.system ''\n"),
    ("python/object/apply", "a: !!python/object/apply:os.system [echo hi]\n"),
    ("python/object/apply mapping", "a: !!python/object/apply:os.system {args: [echo hi]}\n"),
    ("python/object/new", "a: !!python/object/new:os.system [echo]\n"),
    ("python/object", "a: !!python/object:collections.OrderedDict {}\n"),
    ("python/module", "a: !!python/module:os ''\n"),
    ("python/tuple", "a: !!python/tuple [1, 2]\n"),
    ("python/str", "a: !!python/str x\n"),
    ("python/unicode", "a: !!python/unicode x\n"),
    ("python/bytes", "a: !!python/bytes aGk=\n"),
    ("python tag on the root", "!!python/object/apply:os.system [ls]\n"),
    ("python tag on a key", "? !!python/name:os.system\n: 1\n"),
    ("python tag on a flow key", "{!!python/name:os.system : 1}\n"),
    ("python tag on a block map", "a: !!python/object:os.X\n  b: 1\n"),
    ("python tag on a sequence item", "- !!python/name:os.system\n"),
    ("python tag verbatim", "a: !<tag:yaml.org,2002:python/name:os.system> ''\n"),
    ("python tag through %TAG", "%TAG !p! tag:yaml.org,2002:python/\n---\na: !p!name:os.system ''\n"),
    ("secondary handle redefined", "%TAG !! tag:yaml.org,2002:python/\n---\na: !!name:os.system ''\n"),
    ("binary", "a: !!binary aGk=\n"),
    ("binary key", "? !!binary aGk=\n: v\n"),
    ("set", "a: !!set {x, y}\n"),
    ("omap", "a: !!omap [x: 1, y: 2]\n"),
    ("pairs", "a: !!pairs [x: 1, x: 2]\n"),
    ("merge tag", "a: &b {x: 1}\nc: {!!merge <<: *b}\n"),
    ("value tag", "a: =\n"),
    ("value tag as a key", "=: 1\n"),
    ("merge key as a value", "a: <<\n"),
    ("value tag explicit", "a: !!value x\n"),
    ("yaml tag", "a: !!yaml x\n"),
    ("str on a mapping", "a: !!str {b: 1}\n"),
    ("str on a sequence", "a: !!str [1]\n"),
    ("map on a sequence", "a: !!map [1]\n"),
    ("seq on a mapping", "a: !!seq {b: 1}\n"),
    ("seq on a scalar", "a: !!seq x\n"),
    ("map on a scalar", "a: !!map x\n"),
    ("map on a mapping", "a: !!map {b: 1}\n"),
    ("seq on a sequence", "a: !!seq [1]\n"),
    ("map on the root", "!!map\na: 1\n"),
    ("int on a non-int", "a: !!int x\n"),
    ("int on a float", "a: !!int 1.5\n"),
    ("int quoted", "a: !!int '12'\n"),
    ("int empty", "a: !!int ''\n"),
    ("float on a non-float", "a: !!float x\n"),
    ("float on an int", "a: !!float 3\n"),
    ("float nan", "a: !!float nan\n"),
    ("float inf", "a: !!float inf\n"),
    ("float exponent", "a: !!float 1e3\n"),
    ("bool on a non-bool", "a: !!bool x\n"),
    ("bool y", "a: !!bool y\n"),
    ("null on a non-empty value", "a: !!null x\n"),
    ("null on a sequence", "a: !!null []\n"),
    ("timestamp on a non-date", "a: !!timestamp x\n"),
    ("timestamp invalid date", "a: !!timestamp 2025-02-30\n"),
    ("timestamp plain invalid date", "a: 2025-02-30\n"),
    ("timestamp year 0", "a: 0000-01-01\n"),
    ("timestamp hour 24", "a: 2025-01-01 24:00:00\n"),
    ("str explicit", "a: !!str 1\n"),
    ("non-specific tag on a plain scalar", "a: ! 12\n"),
    ("non-specific tag on a quoted scalar", "a: ! '12'\n"),
    ("non-specific tag on a sequence", "a: ! [1]\n"),
    ("non-specific tag on a mapping", "a: ! {b: 1}\n"),
    ("local tag", "a: !foo x\n"),
    ("local tag on a mapping", "a: !foo {b: 1}\n"),
    ("unknown global tag", "a: !<tag:example.com,2000:x> y\n"),
    ("undeclared tag handle", "a: !e!x y\n"),
    ("tag on an alias", "a: &x 1\nb: !!str *x\n"),
    ("tag with escaped chars", "a: !!str%20x y\n"),
    ("empty verbatim tag", "a: !<> x\n"),
]
for name, text in TAGGED:
    case(f"tag {name}", text)

# --- anchors and aliases ---------------------------------------------------------------------
ALIASES = [
    ("undefined alias", "a: *u\n"),
    ("alias before its anchor", "a: *x\nb: &x 1\n"),
    ("duplicate anchor", "a: &x 1\nb: &x 2\nc: *x\n"),
    ("duplicate anchor unused", "a: &x 1\nb: &x 2\n"),
    ("recursive sequence", "a: &x [1, *x]\n"),
    ("recursive mapping", "a: &x {b: *x}\n"),
    ("recursive block mapping", "a: &x\n  b: *x\n"),
    ("recursive root", "&x [*x]\n"),
    ("recursive through merge", "a: &x {<<: *x}\n"),
    ("recursive two levels", "a: &x\n  b: &y\n    c: *x\n"),
    ("alias of a scalar", "a: &x 1\nb: *x\n"),
    ("alias of an empty value", "a: &x\nb: *x\n"),
    ("alias as a key", "a: &k b\n*k : c\n"),
    ("alias of a mapping as a key", "a: &k {x: 1}\n? *k\n: c\n"),
    ("anchor with a dot", "a: &a.b 1\nb: *a.b\n"),
    ("anchor with a colon", "a: &a:b 1\n"),
    ("anchor with a slash", "a: &a/b 1\nb: *a/b\n"),
    ("anchor non-ascii", "a: &é 1\nb: *é\n"),
    ("anchor digits and dashes", "a: &0-_Z 1\nb: *0-_Z\n"),
    ("anchor then tag", "a: &x !!str 1\nb: *x\n"),
    ("tag then anchor", "a: !!str &x 1\nb: *x\n"),
    ("two anchors on one node", "a: &x &y 1\n"),
    ("anchor on a key", "&k a: 1\nb: *k\n"),
    ("merge of an alias", "b: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n"),
    ("merge of a list of aliases", "b: &b {x: 1}\nc: &c {x: 2, z: 3}\nm:\n  <<: [*b, *c]\n"),
    ("merge of a scalar", "m:\n  <<: 1\n"),
    ("merge of a list with a scalar", "b: &b {x: 1}\nm:\n  <<: [*b, 1]\n"),
    ("merge of a sequence alias", "s: &s [1]\nm:\n  <<: *s\n"),
    ("merge inline", "m:\n  <<: {x: 1}\n  x: 2\n"),
    ("merge twice", "m:\n  <<: {x: 1}\n  <<: {y: 2}\n"),
    ("merge quoted key", "m:\n  '<<': {x: 1}\n"),
    ("merge nested", "a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b, z: 3}\n"),
    ("alias shared across keys", "s: &s [1, 2]\na: *s\nb: *s\n"),
]
for name, text in ALIASES:
    case(f"alias {name}", text)


def laughs(levels, width):
    lines = ["a0: &a0 [lol]"]
    for i in range(1, levels + 1):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


MLMODEL = """artifact_path: model
flavors:
  python_function:
    env:
      conda: conda.yaml
      virtualenv: python_env.yaml
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.10.12
  sklearn:
    code: null
    pickled_model: model.pkl
    serialization_format: cloudpickle
    sklearn_version: 1.5.2
mlflow_version: 3.6.0
model_size_bytes: 1234
model_uuid: a369e776349942f4b3040003169aa534
utc_time_created: '2025-01-02 03:04:05.123456'
"""
case("alias bomb 9x9 appended to MLmodel", MLMODEL + laughs(9, 9))
case("alias bomb 9x9 as a mapping", "a0: &a0 {x: lol}\n" + "".join(
    f"a{i}: &a{i} {{" + ", ".join(f"k{j}: *a{i - 1}" for j in range(9)) + "}\n" for i in range(1, 10)))
case("alias bomb 20x2", laughs(20, 2))
case("alias bomb through merge", "a0: &a0 {x: 1}\n" + "".join(
    f"a{i}: &a{i} {{<<: *a{i - 1}, k: [" + ", ".join([f"*a{i - 1}"] * 9) + "]}\n" for i in range(1, 10)))
case("small alias fan-out", laughs(3, 3))
case("many anchors, no aliases", "".join(f"- &a{i} v\n" for i in range(2000)))
case("many aliases of one anchor", "a: &x v\nb: [" + ", ".join(["*x"] * 2000) + "]\n")

# --- documents and directives ----------------------------------------------------------------
DOCUMENTS = [
    ("two documents", "a: 1\n---\nb: 2\n"),
    ("document end then content", "a: 1\n...\nb: 2\n"),
    ("document end then a document", "a: 1\n...\n---\nb: 2\n"),
    ("explicit document", "---\na: 1\n...\n"),
    ("empty explicit document", "---\n"),
    ("two empty documents", "---\n---\n"),
    ("only document end", "...\n"),
    ("comment then document end", "# c\n...\n"),
    ("document end twice", "a: 1\n...\n...\n"),
    ("content after the document start", "--- a\n"),
    ("yaml 1.1 directive", "%YAML 1.1\n---\na: 1\n"),
    ("yaml 1.2 directive", "%YAML 1.2\n---\na: yes\n"),
    ("yaml 1.3 directive", "%YAML 1.3\n---\na: 1\n"),
    ("yaml 2.0 directive", "%YAML 2.0\n---\na: 1\n"),
    ("yaml directive twice", "%YAML 1.1\n%YAML 1.1\n---\na: 1\n"),
    ("yaml directive without a document start", "%YAML 1.1\na: 1\n"),
    ("yaml directive malformed", "%YAML x\n---\na: 1\n"),
    ("unknown directive", "%FOO bar\n---\na: 1\n"),
    ("tag directive duplicate", "%TAG !e! tag:e.com:\n%TAG !e! tag:f.com:\n---\na: 1\n"),
    ("directive after content", "a: 1\n%YAML 1.1\n"),
]
for name, text in DOCUMENTS:
    case(f"document {name}", text)

# --- mappings and keys -----------------------------------------------------------------------
MAPPINGS = [
    ("duplicate key", "a: 1\nb: 2\na: 3\n"),
    ("duplicate key nested", "a:\n  x: 1\n  x: [2]\n"),
    ("duplicate key in flow", "{a: 1, a: 2}\n"),
    ("duplicate key differently quoted", "a: 1\n'a': 2\n\"a\": 3\n"),
    ("key __proto__", "__proto__: 1\nb: 2\n"),
    ("key constructor", "constructor: 1\ntoString: 2\n"),
    ("int key", "1: a\n"),
    ("bool key", "true: a\n"),
    ("null key", "~: a\n"),
    ("empty key", ": v\n"),
    ("explicit empty key", "? \n: v\n"),
    ("integer-like string keys", "b: 1\n'2': 2\n'1': 3\n"),
    ("complex sequence key", "? [a, b]\n: v\n"),
    ("complex mapping key", "? {a: 1}\n: v\n"),
    ("flow mapping with implicit nulls", "{a, b: 1}\n"),
    ("flow sequence of pairs", "[a: 1, b]\n"),
    ("nested mapping on one line", "a: b: c\n"),
    ("key of 1024 characters", "k" * 1024 + ": v\n"),
    ("key of 1025 characters", "k" * 1025 + ": v\n"),
    ("multi-line implicit key", "a\nb: v\n"),
    ("multi-line quoted key", "'a\n b': v\n"),
    ("indentation error", "a:\n  b: 1\n c: 2\n"),
    ("sequence inside mapping without indent", "a:\n- 1\n- 2\nb: 3\n"),
    ("mapping after a sequence", "- 1\na: 2\n"),
    ("colon without space", "a:b\n"),
    ("colon without space in flow", "{a:b}\n"),
    ("json-like flow", '{"a":1, "b":[true, null]}\n'),
    ("trailing comma in flow", "[1, 2, ]\n"),
    ("double comma in flow", "[1,, 2]\n"),
    ("unclosed flow", "[1, 2\n"),
    ("unclosed quote", "a: 'x\n"),
    ("stray closing bracket", "a: 1]\n"),
    ("question mark value", "a: ?x\n"),
    ("plain starting with indicator", "a: @x\n"),
    ("plain starting with backtick", "a: `x\n"),
    ("comment without space", "a: 1#x\n"),
    ("hash after space in flow", "[a #b\n]\n"),
]
for name, text in MAPPINGS:
    case(f"mapping {name}", text)

# --- scalars ---------------------------------------------------------------------------------
SCALARS = [
    ("escape slash", r'a: "\/"' + "\n"),
    ("escape NEL LS PS nbsp", r'a: "\N\L\P\_"' + "\n"),
    ("escape bell vt esc nul", r'a: "\a\v\e\0"' + "\n"),
    ("escape space and tab", r'a: "\ \t\	x"' + "\n"),
    ("escape x", r'a: "\x41\xe9"' + "\n"),
    ("escape u", r'a: "\u263A\u00e9"' + "\n"),
    ("escape U", r'a: "\U0001F600"' + "\n"),
    ("escape U above max", r'a: "\U00110000"' + "\n"),
    ("escape surrogate", r'a: "\ud800"' + "\n"),
    ("escape surrogate pair", r'a: "\ud83d\ude00"' + "\n"),
    ("escape invalid", r'a: "\q"' + "\n"),
    ("escape short hex", r'a: "\x4"' + "\n"),
    ("escape bad hex", r'a: "\xZZ"' + "\n"),
    ("escaped line break", 'a: "x\\\n  y"\n'),
    ("single quote escape", "a: 'it''s'\n"),
    ("block scalar indentation indicator", "a: |2\n   x\n"),
    ("block scalar keep", "a: |+\n  x\n\n\nb: 1\n"),
    ("block scalar strip", "a: >-\n  x\n  y\n\n"),
    ("block scalar less indented line", "a: |\n    x\n  y\n"),
    ("block scalar leading blank lines", "a: |\n\n\n  x\n"),
    ("block scalar more-indented folding", "a: >\n  x\n    y\n  z\n"),
    ("block scalar indicator 0", "a: |0\n x\n"),
    ("block scalar bad indicator", "a: |x\n  y\n"),
    ("plain multi-line", "a: x\n  y\n\n  z\n"),
    ("plain with trailing colon", "a: x:\n"),
    ("plain with colon space inside", "a: x: y\n"),
    ("quoted multi-line with blank line", "a: 'x\n\n  y'\n"),
    ("double quoted with leading spaces on continuation", 'a: "x\n     y"\n'),
    ("document marker inside quoted", "a: 'x\n--- y'\n"),
    ("ints", "a: [0b, 0x, 0o7, 0b2, 08, 09, 0_1, 1__0, _1, 1_, +0, -0x1, 0x_1, 1:00:00, -1:30, 1:60, 60:1]\n"),
    ("floats", "a: [1., .1, 1.e1, 1e1, 1.0e1, +.5, -.inf, .NAN, .nAn, 1_0.0_1, 1:30.5, ., +., 1.0E+01, 0.1e-1]\n"),
    ("bools and nulls", "a: [Yes, YES, yEs, On, oN, Off, N, No, NULL, Null, nUll, '~', ~]\n"),
    ("timestamps", "a: [2025-01-02 03:04:05.1 +1, 2025-01-02t03:04:05, 2025-01-02T03:04:05.123456789Z, 2025-1-2, 2025-01-02 3:04:05 Z]\n"),
    ("large numbers", "a: [12345678901234567890, 1e400, -1e400, 0x" + "f" * 40 + "]\n"),
]
for name, text in SCALARS:
    case(f"scalar {name}", text)

# --- nesting ---------------------------------------------------------------------------------
for depth in [50, 100, 101, 300, 480, 495, 1000]:
    case(f"nesting flow sequences {depth}", "a: " + "[" * depth + "]" * depth + "\n")
    case(f"nesting flow mappings {depth}", "a: " + "{k: " * depth + "1" + "}" * depth + "\n")
    case(f"nesting block sequences {depth}", "- " * depth + "x\n")
for depth in [50, 100, 101, 300]:
    case(f"nesting block mappings {depth}", "".join(" " * i + "k:\n" for i in range(depth)) + " " * depth + "x\n")

# --- seeded mutation fuzz --------------------------------------------------------------------
CONDA = """channels:
- conda-forge
dependencies:
- python=3.10.12
- pip<=24.0
- pip:
  - mlflow==3.6.0
  - cloudpickle==3.1.1
  - scikit-learn==1.5.2
name: mlflow-env
"""
PYTHON_ENV = """python: 3.10.12
build_dependencies:
- pip==24.0
- setuptools==69.5.1
- wheel==0.43.0
dependencies:
- -r requirements.txt
"""
SEEDS = {"MLmodel": MLMODEL, "conda.yaml": CONDA, "python_env.yaml": PYTHON_ENV}
FRAGMENTS = [
    "\x00", "\x01", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\u2028", "\u2029", "\ufeff", "\ufffd", "\t", "\r", "\r\n", "\n",
    " ", "  ", ":", ": ", "-", "- ", "?", "? ", ",", "[", "]", "{", "}", "#", " #", "&", "&a ", "*a", "*a ", "!", "!!",
    "!!str ", "!!python/name:os.system ", "!!binary ", "!!set ", "!foo ", "|", ">", "|-", "'", '"', "\\", "%", "@", "`",
    "---", "...", "<<: ", "=", "~", "é", "😀", "0x", "1e5", "yes", "null", "&a [*a]", "\n---\n", "\n...\n",
]
rng = random.Random(20260901)


def mutate(text):
    chars = list(text)
    for _ in range(rng.choice([1, 1, 2, 3])):
        op = rng.random()
        pos = rng.randrange(len(chars) + 1)
        if op < 0.55:
            chars[pos:pos] = list(rng.choice(FRAGMENTS))
        elif op < 0.7 and chars:
            del chars[pos:pos + rng.randint(1, 4)]
        elif op < 0.8:
            lines = "".join(chars).split("\n")
            i = rng.randrange(len(lines))
            lines.insert(i, lines[i])
            chars = list("\n".join(lines))
        elif op < 0.9:
            lines = "".join(chars).split("\n")
            i = rng.randrange(len(lines))
            lines[i] = " " * rng.choice([1, 2, 3]) + lines[i] if rng.random() < 0.5 else lines[i].lstrip()
            chars = list("\n".join(lines))
        elif chars:
            a, b = rng.randrange(len(chars)), rng.randrange(len(chars))
            chars[a], chars[b] = chars[b], chars[a]
    return "".join(chars)


for i in range(900):
    seed_name = rng.choice(sorted(SEEDS))
    case(f"fuzz {i} {seed_name}", mutate(SEEDS[seed_name]))
for i in range(60):
    data = bytearray(rng.choice(sorted(SEEDS.values())).encode("utf-8"))
    for _ in range(rng.choice([1, 2])):
        data[rng.randrange(len(data))] = rng.randrange(0x80, 0x100)
    case(f"fuzz bytes {i}", bytes(data))

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "pyyaml-hostile-cases.json"), "w") as f:
    # One case a line: diffs of a regenerated table stay readable.
    f.write("[\n" + ",\n".join(json.dumps(c, ensure_ascii=True) for c in cases) + "\n]\n")
print(len(cases), "cases")
