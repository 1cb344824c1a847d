#!/usr/local/bin/python3
"""A stand-in for `conda`, installed as /usr/local/bin/conda in a local base image of the docker
tests: conda, mamba and micromamba are not on PyPI and nothing else is reachable here, so the
image built with `--env-manager conda` is tested against this. It knows one command, the one the
image's Dockerfile runs, `conda env create --file FILE --prefix PREFIX`, and does what conda does
with the file's pip list (writes it to a requirements file and runs `pip install -U -r` on it) in
a `python -m venv` at PREFIX. The conda specs (`python=3.11.7`, `pip<=26.3`) are recorded, not
solved: the prefix gets the base image's Python. Everything it was given is written to
PREFIX/conda-meta/mlf-stand-in.json, which the test reads back from the built image.

Only the layout PyYAML's safe_dump writes (what mlf writes) is read: an unknown line is an error.
"""
import json
import os
import subprocess
import sys
import tempfile

FLAGS = {"--file": "file", "-f": "file", "--prefix": "prefix", "-p": "prefix"}


def fail(message):
    sys.exit(f"conda (stand-in): {message}")


def parse_args(argv):
    if argv[:2] != ["env", "create"]:
        fail(f"only `conda env create` is known, not {argv!r}")
    given = {}
    rest = argv[2:]
    while rest:
        if rest[0] not in FLAGS or len(rest) < 2:
            fail(f"unknown argument {rest[0]!r}")
        given[FLAGS[rest[0]]] = rest[1]
        rest = rest[2:]
    if set(given) != {"file", "prefix"}:
        fail("needs --file and --prefix")
    return given["file"], given["prefix"]


def scalar(text):
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return json.loads(text)
    return text


def read_environment(file):
    specs, pip, section, in_pip = [], [], None, False
    with open(file, encoding="utf-8") as handle:
        for line in handle.read().splitlines():
            if not line.strip():
                continue
            if not line.startswith((" ", "-")):
                section, in_pip = line.split(":", 1)[0], False
                continue
            if section != "dependencies":
                continue
            if line == "- pip:":
                in_pip = True
            elif line.startswith("- "):
                in_pip = False
                specs.append(scalar(line[2:]))
            elif in_pip and line.startswith("  - "):
                pip.append(scalar(line[4:]))
            else:
                fail(f"cannot read {line!r} in {file}")
    return specs, pip


def main():
    file, prefix = parse_args(sys.argv[1:])
    specs, pip = read_environment(file)
    subprocess.run([sys.executable, "-m", "venv", prefix], check=True)
    if pip:
        with tempfile.NamedTemporaryFile("w", suffix=".requirements.txt", dir=os.path.dirname(os.path.abspath(file)), delete=False) as requirements:
            requirements.write("\n".join(pip) + "\n")
        try:
            subprocess.run([os.path.join(prefix, "bin", "python"), "-m", "pip", "install", "--disable-pip-version-check", "-U", "-r", requirements.name], check=True)
        finally:
            os.unlink(requirements.name)
    os.makedirs(os.path.join(prefix, "conda-meta"), exist_ok=True)
    with open(os.path.join(prefix, "conda-meta", "mlf-stand-in.json"), "w", encoding="utf-8") as record:
        json.dump({"argv": sys.argv[1:], "specs": specs, "pip": pip}, record)


if __name__ == "__main__":
    main()
