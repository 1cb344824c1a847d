"""Generate the PyYAML tables next to this script:

- pyyaml-cases.json: what PyYAML 6 `safe_dump(value, default_flow_style=False)` writes;
  each case is {"name", "sortKeys", "value", "expected"}.
- pyyaml-load-cases.json: what `safe_load` builds from YAML texts; {"name", "text", "value"} or
  {"name", "text", "error"}.

Run once with a Python that has PyYAML 6 (the e2e venv or system python3):
    python3 test/model/cases/make_pyyaml_cases.py

Values are JSON with tags for what JSON cannot say: {"__float__": repr} is a float,
{"__int__": "digits"} an int beyond 2**53, {"__timestamp__": text} a datetime/date (text is
what PyYAML writes for it).
"""
import datetime
import json
import os
import random

import yaml

assert yaml.__version__.startswith("6."), yaml.__version__


def encode(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 else {"__int__": str(value)}
    if isinstance(value, float):
        return {"__float__": repr(value)}
    if isinstance(value, (datetime.datetime, datetime.date)):
        text = value.isoformat(" ") if isinstance(value, datetime.datetime) else value.isoformat()
        return {"__timestamp__": text}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    raise TypeError(type(value))


cases = []


def case(name, value, sort_keys=True):
    expected = yaml.safe_dump(value, default_flow_style=False, sort_keys=sort_keys)
    cases.append({"name": name, "sortKeys": sort_keys, "value": encode(value), "expected": expected})


# --- MLflow-shaped documents (mlflow-format.md §1.2, §2) ------------------------------------
SIG_INPUTS = json.dumps(
    [
        {"type": "double", "name": "sepal length (cm)", "required": True},
        {"type": "double", "name": "sepal width (cm)", "required": True},
        {"type": "double", "name": "petal length (cm)", "required": True},
        {"type": "double", "name": "petal width (cm)", "required": True},
    ]
)
SIG_OUTPUTS = json.dumps([{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}])
case(
    "mlmodel sklearn with signature",
    {
        "flavors": {
            "python_function": {
                "env": {"conda": "conda.yaml", "virtualenv": "python_env.yaml"},
                "loader_module": "mlflow.sklearn",
                "model_path": "model.pkl",
                "predict_fn": "predict",
                "python_version": "3.10.12",
            },
            "sklearn": {
                "code": None,
                "pickled_model": "model.pkl",
                "serialization_format": "cloudpickle",
                "sklearn_version": "1.5.2",
            },
        },
        "mlflow_version": "3.6.0",
        "model_id": None,
        "model_size_bytes": 1234,
        "model_uuid": "a369e776349942f4b3040003169aa534",
        "prompts": None,
        "saved_input_example_info": {
            "artifact_path": "input_example.json",
            "pandas_orient": "split",
            "serving_input_path": "serving_input_example.json",
            "type": "dataframe",
        },
        "signature": {"inputs": SIG_INPUTS, "outputs": SIG_OUTPUTS, "params": None},
        "is_signature_from_type_hint": False,
        "type_hint_from_example": False,
        "utc_time_created": "2025-01-02 03:04:05.123456",
    },
)
case(
    "mlmodel with params, metadata and non-ASCII",
    {
        "flavors": {"python_function": {"env": "conda.yaml", "loader_module": "mlflow.pyfunc.model",
                                        "python_version": "3.11.7", "streamable": False,
                                        "artifacts": {"weights": {"path": "artifacts/w.bin", "uri": "/tmp/a b/w.bin"}}}},
        "metadata": {"task": "agent/v1/chat", "author": "Zoë Ångström", "tags": ["a", "b"], "n": 3, "ratio": 0.75,
                     "nested": {"empty": {}, "none": [], "deep": [{"x": 1}, [1, 2], "s"]}},
        "signature": {
            "inputs": json.dumps([{"type": "string", "name": "prompt", "required": True}]),
            "outputs": None,
            "params": json.dumps([{"name": "temperature", "default": 0.5, "shape": None, "type": "double"},
                                  {"name": "max_tokens", "default": 100, "shape": None, "type": "long"},
                                  {"name": "stop", "default": ["\n", "é"], "shape": [-1], "type": "string"}]),
        },
        "utc_time_created": "2025-01-02 03:04:05",
        "env_vars": ["OPENAI_API_KEY", "HF_TOKEN"],
        "run_id": "0123456789abcdef0123456789abcdef",
        "artifact_path": "file:///tmp/mlruns/0/models/m-0123456789abcdef0123456789abcdef/artifacts",
    },
)
case(
    "conda.yaml",
    {
        "name": "mlflow-env",
        "channels": ["conda-forge"],
        "dependencies": ["python=3.10.12", "pip<=24.0",
                         {"pip": ["mlflow==3.6.0", "cloudpickle==3.1.1", "scikit-learn==1.5.2",
                                  "-c constraints.txt", "torch==2.1.0+cu118 ; platform_system == \"Linux\""]}],
    },
)
case(
    "python_env.yaml",
    {"python": "3.10.12", "build_dependencies": ["pip==24.0", "setuptools==69.5.1", "wheel==0.43.0"],
     "dependencies": ["-r requirements.txt"]},
    sort_keys=False,
)
case("python_env.yaml python 3.10", {"python": "3.10", "build_dependencies": ["pip"], "dependencies": ["-r requirements.txt"]},
     sort_keys=False)
case("unsorted keys kept in order", {"zeta": 1, "alpha": {"y": 1, "b": 2}, "mid": [{"k": 1, "a": 2}]}, sort_keys=False)

# --- scalars that need quoting, or not -------------------------------------------------------
STRINGS = [
    "3.10", "3.10.12", "12345", "-12", "+12", "0", "00", "017", "08", "0x1F", "0xG", "0b101", "0o17", "1_000",
    "1:30", "190:20:30", "1:60", "1e5", "1e+5", "1.0e+5", "1.e5", ".5", "5.", "1.2.3", "1_0.5",
    ".inf", "-.inf", "+.INF", ".nan", ".NaN", "nan", "inf", "NaN",
    "true", "True", "TRUE", "tRue", "false", "yes", "Yes", "no", "NO", "on", "off", "Off", "y", "n", "Y",
    "null", "Null", "NULL", "nULL", "~", "", " ", "  ", "a ", " a", "a  b",
    "2025-01-02", "2025-01-02 03:04:05.123456", "2025-1-2 3:04:05", "2025-01-02T03:04:05Z",
    "2025-01-02 03:04:05 +01:00", "2025-01-02x", "20250102",
    "=", "==", "<<", "<", "!", "&a", "*a", "!a", "|", ">", "|a", ">a", "%a", "@a", "`a", "#a", "a#b", "a #b",
    "'a", "a'b", "'", "''", '"a', 'a"b', '"',
    "-", "--", "---", "--- a", "...", "... a", "a---", "-a", "- a", "-1a", "?", "?a", "? a", ":", ":a", ": a",
    "a:", "a:b", "a: b", "a,b", "[a]", "a[0]", "{a}", "a}", "a?", "a?b",
    "a\nb", "a\n", "\na", "a\n\nb", "a \nb", "a\n b", "\n", "a\tb", "\t", "a\rb", "\x00", "\x07", "\x1b", "\x7f",
    "\x85", "\xa0", "\ufeff", "\u2028", "\ue000", "\ufffd", "\uffff",
    "café", "naïve résumé", "日本語", "😀", "a😀b", "Ω", "mlflow==3.6.0", "-r requirements.txt",
    "python=3.10.12", "pip<=24.0", "scikit-learn>=1.0,<2", "torch==2.1.0+cu118; python_version < \"3.12\"",
    "file:///tmp/x y", "https://example.com/a?b=c#d", "C:\\path\\to", "a\\b", "it's a test",
]
for i, s in enumerate(STRINGS):
    case(f"string value {i} {s!r}", {"key": s})
    case(f"string item {i} {s!r}", ["x", s])
    if s and "\n" not in s:
        case(f"string key {i} {s!r}", {s: "v"})
case("root plain string", "hello")
case("root quoted string", "3.10")
case("root int", 42)
case("root null", None)
case("root empty string", "")
case("root empty dict", {})
case("root empty list", [])
case("root list", ["a", 1, None, True, [], {}])
case("root long plain string", "word " * 40)
case("key empty string", {"": "v", "a": ""})
case("key of 122 chars", {"k" * 122: "v"})
case("key of 123 chars", {"k" * 123: "v"})
case("key of 150 chars with spaces", {("key " * 40).strip(): "value " * 30})
case("multiline key", {"a\nb": "v"})
case("non-ascii key", {"clé": "v", "zz": 1})

# --- numbers ---------------------------------------------------------------------------------
FLOATS = [0.0, -0.0, 1.0, -1.0, 1.5, 0.1, 1 / 3, 2 / 3, 100.0, 1e15, 1e16, 1.5e16, 123456789012345678.0, 1e17,
          1e-4, 1e-5, 1.5e-5, 0.00012345, 1e22, 1e300, 1e-300, 5e-324, 1.7976931348623157e308, -2.5, 3.14159,
          12345.678, float("inf"), float("-inf"), float("nan"), 9007199254740993.0, 0.30000000000000004]
for i, f in enumerate(FLOATS):
    case(f"float {i} {f!r}", {"f": f, "l": [f]})
INTS = [0, 1, -1, 42, 2**31, 2**53, -(2**53), 2**63, 2**64 + 1, -(2**70)]
for i, n in enumerate(INTS):
    case(f"int {i} {n}", {"n": n, "l": [n]})
case("bools and nulls", {"t": True, "f": False, "n": None, "l": [True, False, None]})
case("timestamps", {"dt": datetime.datetime(2025, 1, 2, 3, 4, 5, 123456), "d": datetime.date(2025, 1, 2),
                    "dt0": datetime.datetime(2025, 1, 2, 3, 4, 5),
                    "tz": datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)})

# --- structure -------------------------------------------------------------------------------
case("nested sequences", {"a": [[1, 2], [[3]], [], [{}]], "b": [[{"x": [1]}]]})
case("sequence of mappings", {"items": [{"name": "a", "v": [1, 2]}, {"b": {"c": {"d": []}}}]})
case("deep mapping", {"a": {"b": {"c": {"d": {"e": "f" * 100}}}}})
case("empty collections", {"d": {}, "l": [], "n": {"d": {}, "l": [[], {}]}})

# --- line folding ----------------------------------------------------------------------------
for i, width in enumerate([70, 78, 79, 80, 81, 82, 83, 90, 120, 200]):
    words = " ".join(("w" * ((j % 7) + 1)) for j in range(width // 3))[:width]
    case(f"fold plain {width}", {"key": words, "nested": {"deeper": {"k": words}}, "list": [words, [words]]})
    case(f"fold quoted {width}", {"key": "'" + words, "nested": {"k": words + " "}})
    case(f"fold double {width}", {"key": words.replace("w", "é"), "nested": {"k": "\t" + words}})
case("fold long word", {"k": "x" * 200, "k2": "a " + "x" * 200 + " b"})
case("fold double spaces", {"k": ("ab  " * 40), "k2": "word  " * 30 + "end"})
case("fold double quoted with spaces at split", {"k": "é" + " " * 100 + "é", "k2": ("é " * 60)})
case("fold multiline single quoted", {"k": ("line one of many words " * 5 + "\n") * 3 + "end"})
case("multiline with leading spaces", {"k": "a\n  b\n", "k2": "x\n\n\ny"})

# --- random strings, fixed seed --------------------------------------------------------------
rng = random.Random(20251119)
ALPHABET = list("abcdefXYZ0123456789 ") + [" ", " ", " ", "'", '"', ":", "#", "-", "?", ",", "[", "}", "é", "\n", "\t", ".", "=", "😀"]
for i in range(400):
    length = rng.choice([1, 2, 3, 5, 10, 40, 79, 81, 90, 150, 250])
    s = "".join(rng.choice(ALPHABET) for _ in range(length))
    depth = rng.choice([0, 1, 2, 3])
    value = s
    for d in range(depth):
        value = rng.choice([{"key" + str(d): value, "a": 1}, [value, "z"]])
    case(f"random {i}", {"root": value} if rng.random() < 0.8 else value)

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "pyyaml-cases.json"), "w") as f:
    json.dump(cases, f, ensure_ascii=True, indent=1)
    f.write("\n")

# --- safe_load -------------------------------------------------------------------------------
LOAD_TEXTS = {
    "scalars": "a: 3.10\nb: 3.10.12\nc: 1e5\nd: 1.0e+5\ne: .5\nf: 5.\ng: +1\nh: -0\ni: 0o17\nj: 017\nk: 0x1f\n"
               "l: 0b11\nm: 1:30\nn: 1:30.5\no: 1_000\np: ~\nq:\nr: Yes\ns: OFF\nt: y\nu: .NaN\nv: -.inf\n",
    "timestamps": "a: 2025-01-02\nb: 2025-01-02 03:04:05\nc: 2025-01-02t03:04:05.5Z\nd: 2025-1-2 3:04:05 -05:30\n"
                  "e: 2025-01-02 03:04:05.1234567\nf: 2025-01-02T03:04:05+01\n",
    "quoted": "a: '3.10'\nb: \"caf\\xE9 \\u263A \\U0001F600\\t\\n\"\nc: 'it''s'\nd: \"\"\ne: ''\n",
    "multi-line plain and quoted": "a: one\n  two\n\n  three\nb: 'x\n  y'\nc: \"p\\\n  q\"\n",
    "block scalars": "a: |\n  line1\n  line2\nb: >\n  folded\n  text\n\n  para\nc: |-\n  keep\nd: >+\n  keep\n\ne: x\n",
    "flow": "a: [1, 'two', {b: c, d: [e]}]\nf: {}\ng: []\n",
    "anchors and merge": "base: &b\n  x: 1\n  y: 2\nother: &o {z: 3}\nm:\n  <<: [*b, *o]\n  y: 9\nseq: &s [1, 2]\nref: *s\n",
    "explicit tags": "a: !!str 3.10\nb: !!float '1'\nc: !!int '7'\nd: !!bool yes\ne: !!null ''\n",
    "complex key": "? long key\n: value\n",
    "document markers": "---\na: 1\n...\n",
    "comments": "# top\na: 1 # trailing\nb: 'x # not a comment'\n",
    "crlf": "a: 1\r\nb:\r\n- x\r\n- y\r\n",
    "bom": "\ufeffa: 1\n",
    "duplicate keys": "a: 1\nb: 2\na: 3\n",
    "unicode plain": "name: café\nk: 日本\n",
    "indentless and nested": "a:\n- b: 1\n  c:\n  - d\n- - e\n  - f\n",
    "empty document": "",
    "only comment": "# nothing\n",
    "root scalar": "hello\n...\n",
    "root list": "- 1\n- two\n",
}
load_cases = []
for name, text in LOAD_TEXTS.items():
    case = {"name": name, "text": text}
    try:
        case["value"] = encode(yaml.safe_load(text))
    except yaml.YAMLError as e:
        case["error"] = str(e).splitlines()[0]
    load_cases.append(case)
with open(os.path.join(HERE, "pyyaml-load-cases.json"), "w") as f:
    json.dump(load_cases, f, ensure_ascii=True, indent=1)
    f.write("\n")
