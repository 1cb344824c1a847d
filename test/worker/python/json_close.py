"""Two JSON texts compared token by token, float literals within rounding (test/support/json-close.ts
does the same on the Node side): for a body stored when a fixture was written, whose last float
digits come from that machine's kernels. Strings, keys, punctuation, integers and whether a number
is written as a float must match exactly. None when they agree, else where they first differ."""

import math
import re

TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[{}\[\]:,]|true|false|null|NaN|-?Infinity|\S')
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$")


def is_float(token):
    return bool(NUMBER.match(token)) and any(c in token for c in ".eE")


def json_difference(actual, expected, rel_tol=1e-6):
    if actual == expected:
        return None
    a, e = TOKEN.findall(actual), TOKEN.findall(expected)
    for i in range(max(len(a), len(e))):
        x = a[i] if i < len(a) else None
        y = e[i] if i < len(e) else None
        if x is None or y is None:
            return "token {}: {} vs {}".format(i, x or "end of text", y or "end of text")
        if x == y:
            continue
        if is_float(x) and is_float(y) and math.isclose(float(x), float(y), rel_tol=rel_tol, abs_tol=1e-12):
            continue
        return "token {}: {} vs {}".format(i, x, y)
    return None
