"""Writes the expectation tables in this directory from the real `packaging` (26.4) and pip.

Run once, by hand, with the e2e venv:  /work/main/.e2e/venv/bin/python test/deps/cases/generate.py
The unit tests only read the JSON it writes; they never call Python.

The inputs are ported, as data, from pypa/packaging's tests (tests/test_requirements.py,
tests/test_markers.py, tests/test_specifiers.py, tests/test_version.py), plus requirement lines
seen in MLflow models. Every expected value comes from packaging itself.
"""

from __future__ import annotations

import ast
import itertools
import json
import pathlib
import re

import packaging
import packaging._parser
from packaging._parser import parse_requirement
from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

HERE = pathlib.Path(__file__).parent
assert packaging.__version__ == "26.4", packaging.__version__


CONTAINS_PAIRS = [
    ('2.0', '==2'), ('2.0', '==2.0'), ('2.0', '==2.0.0'), ('2.0+deadbeef', '==2'),
    ('2.0+deadbeef', '==2.0'), ('2.0+deadbeef', '==2.0.0'), ('2.0+deadbeef', '==2+deadbeef'), ('2.0+deadbeef', '==2.0+deadbeef'),
    ('2.0+deadbeef', '==2.0.0+deadbeef'), ('2.0+deadbeef.0', '==2.0.0+deadbeef.00'), ('2.dev1', '==2.*'), ('2a1', '==2.*'),
    ('2a1.post1', '==2.*'), ('2b1', '==2.*'), ('2b1.dev1', '==2.*'), ('2c1', '==2.*'),
    ('2c1.post1.dev1', '==2.*'), ('2c1.post1.dev1', '==2.0.*'), ('2rc1', '==2.*'), ('2rc1', '==2.0.*'),
    ('2', '==2.*'), ('2', '==2.0.*'), ('2', '==2.0.0.*'), ('2', '==0!2.*'),
    ('0!2', '==2.*'), ('2.0', '==2.*'), ('2.0.0', '==2.*'), ('2.0.0.0', '==2.0.*'),
    ('2.1+local.version', '==2.1.*'), ('2.1', '!=2'), ('2.1', '!=2.0'), ('2.0.1', '!=2'),
    ('2.0.1', '!=2.0'), ('2.0.1', '!=2.0.0'), ('2.0', '!=2.0+deadbeef'), ('2.0', '!=3.*'),
    ('2.1', '!=2.0.*'), ('3', '!=2.0.0.*'), ('2.1.0.0', '!=2.0.*'), ('2.0', '>=2'),
    ('2.0', '>=2.0'), ('2.0', '>=2.0.0'), ('2.0.post1', '>=2'), ('2.0.post1.dev1', '>=2'),
    ('3', '>=2'), ('3.0.0a8', '>=3.0.0a7'), ('2.0', '<=2'), ('2.0', '<=2.0'),
    ('2.0', '<=2.0.0'), ('2.0.dev1', '<=2'), ('2.0a1', '<=2'), ('2.0a1.dev1', '<=2'),
    ('2.0b1', '<=2'), ('2.0b1.post1', '<=2'), ('2.0c1', '<=2'), ('2.0c1.post1.dev1', '<=2'),
    ('2.0rc1', '<=2'), ('1', '<=2'), ('3.0.0a7', '<=3.0.0a8'), ('3', '>2'),
    ('2.1', '>2.0'), ('2.0.1', '>2'), ('2.1.post1', '>2'), ('2.1+local.version', '>2'),
    ('3.0.0a8', '>3.0.0a7'), ('1', '<2'), ('2.0', '<2.1'), ('2.0.dev0', '<2.1'),
    ('3.0.0a7', '<3.0.0a8'), ('1', '~=1.0'), ('1.0.1', '~=1.0'), ('1.1', '~=1.0'),
    ('1.9999999', '~=1.0'), ('1.1', '~=1.0a1'), ('2022.01.01', '~=2022.01.01'), ('2!1.0', '~=2!1.0'),
    ('2!1.0', '==2!1.*'), ('2!1.0', '==2!1.0'), ('2!1.0', '!=1.0'), ('2!1.0.0', '==2!1.0.0.0.*'),
    ('2!1.0.0', '==2!1.0.*'), ('2!1.0.0', '==2!1.*'), ('1.0', '!=2!1.0'), ('1.0', '<=2!0.1'),
    ('2!1.0', '>=2.0'), ('1.0', '<2!0.1'), ('2!1.0', '>2.0'), ('2.0.5', '>2.0dev'),
    ('1.0+local', '>1.0.dev1'), ('4.1.0a2.dev1235+local', '>4.1.0a2.dev1234'), ('1.0a2+local', '>1.0a1'), ('1.0b2+local', '>1.0b1'),
    ('1.0rc2+local', '>1.0rc1'), ('1.0.post2+local', '>1.0.post1'), ('1.0.dev2+local', '>1.0.dev1'), ('1.0a1.dev2+local', '>1.0a1.dev1'),
    ('1.0.post1.dev2+local', '>1.0.post1.dev1'), ('2.1', '==2'), ('2.1', '==2.0'), ('2.1', '==2.0.0'),
    ('2.0', '==2.0+deadbeef'), ('2.0', '==3.*'), ('2.1', '==2.0.*'), ('3', '==2.0.0.*'),
    ('2.1.0.0', '==2.0.*'), ('2.0', '!=2'), ('2.0', '!=2.0'), ('2.0', '!=2.0.0'),
    ('2.0+deadbeef', '!=2'), ('2.0+deadbeef', '!=2.0'), ('2.0+deadbeef', '!=2.0.0'), ('2.0+deadbeef', '!=2+deadbeef'),
    ('2.0+deadbeef', '!=2.0+deadbeef'), ('2.0+deadbeef', '!=2.0.0+deadbeef'), ('2.0+deadbeef.0', '!=2.0.0+deadbeef.00'), ('2.dev1', '!=2.*'),
    ('2a1', '!=2.*'), ('2a1.post1', '!=2.*'), ('2b1', '!=2.*'), ('2b1.dev1', '!=2.*'),
    ('2c1', '!=2.*'), ('2c1.post1.dev1', '!=2.*'), ('2c1.post1.dev1', '!=2.0.*'), ('2rc1', '!=2.*'),
    ('2rc1', '!=2.0.*'), ('2', '!=2.*'), ('2', '!=2.0.*'), ('2', '!=2.0.0.*'),
    ('2.0', '!=2.*'), ('2.0.0', '!=2.*'), ('2.0.0.0', '!=2.0.*'), ('2.0.dev1', '>=2'),
    ('2.0a1', '>=2'), ('2.0a1.dev1', '>=2'), ('2.0b1', '>=2'), ('2.0b1.post1', '>=2'),
    ('2.0c1', '>=2'), ('2.0c1.post1.dev1', '>=2'), ('2.0rc1', '>=2'), ('1', '>=2'),
    ('2.0.post1', '<=2'), ('2.0.post1.dev1', '<=2'), ('3', '<=2'), ('1', '>2'),
    ('2.0.dev1', '>2'), ('2.0a1', '>2'), ('2.0a1.post1', '>2'), ('2.0b1', '>2'),
    ('2.0b1.dev1', '>2'), ('2.0c1', '>2'), ('2.0c1.post1.dev1', '>2'), ('2.0rc1', '>2'),
    ('2.0', '>2'), ('2.0.post1', '>2'), ('2.0.post1.dev1', '>2'), ('2.0+local.version', '>2'),
    ('4.1.0a2.dev1234+local', '>4.1.0a2.dev1234'), ('1.0a1+local', '>1.0a1'), ('1.0b1+local', '>1.0b1'), ('1.0rc1+local', '>1.0rc1'),
    ('1.0.post1+local', '>1.0.post1'), ('1.0.dev1+local', '>1.0.dev1'), ('1.0a1.dev1+local', '>1.0a1.dev1'), ('1.0.post1.dev1+local', '>1.0.post1.dev1'),
    ('2.0.dev1', '<2'), ('2.0a1', '<2'), ('2.0a1.post1', '<2'), ('2.0b1', '<2'),
    ('2.0b2.dev1', '<2'), ('2.0c1', '<2'), ('2.0c1.post1.dev1', '<2'), ('2.0rc1', '<2'),
    ('2.0', '<2'), ('2.post1', '<2'), ('2.post1.dev1', '<2'), ('3', '<2'),
    ('2.0', '~=1.0'), ('1.1.0', '~=1.0.0'), ('1.1.post1', '~=1.0.0'), ('1.0', '~=2!1.0'),
    ('2!1.0', '~=1.0'), ('2!1.0', '==1.0'), ('1.0', '==2!1.0'), ('2!1.0', '==1.0.0.*'),
    ('1.0', '==2!1.0.0.*'), ('2!1.0', '==1.*'), ('1.0', '==2!1.*'), ('2!1.0', '!=2!1.0'),
]

ARBITRARY_PAIRS = [
    ('1.0.0', '===1.0'), ('1.0.dev0', '===1.0'), ('1.0', '===1.0'), ('1.0.dev0', '===1.0.dev0'),
    ('1.0+downstream1', '===1.0'), ('1.0', '===1.0+downstream1'), ('foobar', '===foobar'), ('foobar', '===baz'),
    ('1.0a1', '===1.0a1'), ('1.0A1', '===1.0A1'), ('1.0a1', '===1.0A1'), ('1.0A1', '===1.0a1'),
    ('1.0b1', '===1.0b1'), ('1.0B1', '===1.0B1'), ('1.0b1', '===1.0B1'), ('1.0B1', '===1.0b1'),
    ('1.0rc1', '===1.0rc1'), ('1.0RC1', '===1.0RC1'), ('1.0rc1', '===1.0RC1'), ('1.0RC1', '===1.0rc1'),
    ('1.0.post1', '===1.0.post1'), ('1.0.POST1', '===1.0.POST1'), ('1.0.post1', '===1.0.POST1'), ('1.0.POST1', '===1.0.post1'),
    ('1.0.dev1', '===1.0.dev1'), ('1.0.DEV1', '===1.0.DEV1'), ('1.0.dev1', '===1.0.DEV1'), ('1.0.DEV1', '===1.0.dev1'),
    ('1.0+local', '===1.0+local'), ('1.0+LOCAL', '===1.0+LOCAL'), ('1.0+local', '===1.0+LOCAL'), ('1.0+LOCAL', '===1.0+local'),
    ('1.0+abc.def', '===1.0+abc.def'), ('1.0+ABC.DEF', '===1.0+ABC.DEF'), ('1.0+abc.def', '===1.0+ABC.DEF'), ('1.0+ABC.DEF', '===1.0+abc.def'),
    ('1.0+AbC', '===1.0+AbC'), ('1.0+AbC', '===1.0+abc'), ('1.0+AbC', '===1.0+ABC'), ('1.0a1.post2.dev3', '===1.0a1.post2.dev3'),
    ('1.0A1.POST2.DEV3', '===1.0A1.POST2.DEV3'), ('1.0a1.post2.dev3', '===1.0A1.POST2.DEV3'), ('1.0A1.POST2.DEV3', '===1.0a1.post2.dev3'), ('lolwat', '===LOLWAT'),
    ('lolwat', '===LoLWaT'), ('LOLWAT', '===lolwat'), ('LoLWaT', '===lOlwAt'),
]

# ---------------------------------------------------------------------------------------
# Requirements
# ---------------------------------------------------------------------------------------

# test_basic_valid_requirement_parsing: the whole matrix.
NAMES = ["package", "pAcKaGe", "Package", "foo-bar.quux_bAz", "installer", "android12"]
EXTRAS = [set(), {"a"}, {"a", "b"}, {"a", "B", "CDEF123"}]
URL_OR_SPECIFIER = [
    (None, ""),
    ("https://example.com/packagename.zip", ""),
    ("ssh://user:pass%20word@example.com/packagename.zip", ""),
    ("https://example.com/name;v=1.1/?query=foo&bar=baz#blah", ""),
    ("git+ssh://git.example.com/MyProject", ""),
    ("git+ssh://git@github.com:pypa/packaging.git", ""),
    ("git+https://git.example.com/MyProject.git@master", ""),
    ("git+https://git.example.com/MyProject.git@v1.0", ""),
    ("git+https://git.example.com/MyProject.git@refs/pull/123/head", ""),
    ("gopher:/foo/com", ""),
    (None, "==={ws}arbitrarystring"),
    (None, "({ws}==={ws}arbitrarystring{ws})"),
    (None, "=={ws}1.0"),
    (None, "({ws}=={ws}1.0{ws})"),
    (None, "=={ws}1.0-alpha"),
    (None, "<={ws}1!3.0.0.rc2"),
    (None, ">{ws}2.2{ws},{ws}<{ws}3"),
    (None, "(>{ws}2.2{ws},{ws}<{ws}3)"),
]
MARKERS = [
    None,
    "python_version{ws}>={ws}'3.3'",
    '({ws}python_version{ws}>={ws}"3.4"{ws}){ws}and extra{ws}=={ws}"oursql"',
    "sys_platform{ws}!={ws}'linux' and(os_name{ws}=={ws}'linux' or python_version{ws}>={ws}'3.3'{ws}){ws}",
]
WHITESPACE = ["", " ", "\t"]


def matrix_requirements() -> list[str]:
    result = []
    combos = itertools.product(NAMES, EXTRAS, URL_OR_SPECIFIER, MARKERS, WHITESPACE)
    for name, extras, (url, specifier), marker, ws in combos:
        parts = [name]
        if extras:
            parts += ["[", f"{ws},{ws}".join(sorted(extras)), "]"]
        if specifier:
            parts.append(specifier.format(ws=ws))
        if url is not None:
            parts += ["@", url]
        if marker is not None:
            parts.append(" ;" if url is not None else ";")
            parts.append(marker.format(ws=ws))
        result.append(ws.join(parts))
    return result


def str_and_repr_requirements() -> list[str]:
    # test_str_and_repr
    return [
        f"name{extras}{url_or_specifier}{marker}"
        for url_or_specifier in ["", " @ https://url ", "!=2.0", "==2.*"]
        for extras in ["", "[a]", "[a,b]", "[a1,b1,b2]"]
        for marker in ["", '; python_version == "3.11"', '; "3." not in python_version']
    ]


REQUIREMENTS = [
    # test_normalized_requirements, embedded quotes
    'mariadb>=1.0.1; extra == "mariadb_connector"',
    'mariadb>=1.0.1; python_version >= "3" and extra == "mariadb_connector"',
    "demo; 'a\" == os_name or python_version >= \"0\" or \"b' == os_name",
    # test_valid_marker
    "name; python_implementation == ''",
    "name; platform_python_implementation == ''",
    "name; os.name == 'linux'",
    "name; os_name == 'linux'",
    "name; '8' in platform.version",
    "name; '8' not in platform.version",
    # test_file_url
    "name @ file:///absolute/path",
    "name @ file://.",
    "name @ file:.",
    "name @ file:/.",
    # test_error_when_suffixed_with_line_break
    "name>=1\n",
    "name>=1\r",
    "name>=1\r\n",
    'name; python_version >= "3"\n',
    'name; python_version >= "3"\r',
    'name; python_version >= "3"\r\n',
    # test_trailing_horizontal_whitespace
    "name>=1 ",
    "name>=1\t",
    "name>=1 \t",
    # test_empty_extras / test_empty_specifier
    "name[]",
    "name()",
    # the test_error_* cases
    "demo===x,y",
    "",
    "==0.0",
    "name[bar baz]",
    "name[bar, baz,]",
    "name (>= 1.0",
    "black (>=20.*) ; extra == 'format'",
    "name == 1.2.3.post4.*",
    # packaging 26.4: an empty arbitrary equality, Unicode whitespace ending a URL, nesting depth
    "name===",
    "name=== ",
    "name===;os_name=='a'",
    "name @ https://host/x\x0cy",
    "name @ https://host/x\xa0y ; os_name=='a'",
    "name @ https://host/x\u3000",
    "name; " + "(" * 200 + "os_name=='a'" + ")" * 200,
    "name; " + "(" * 201 + "os_name=='a'" + ")" * 201,
    "name; " + "(" * 100 + "os_name=='a'" + ")" * 100 + " and " + "(" * 201 + "os_name=='a'" + ")" * 201,
    "name != 1.2.3.post4.*",
    "name==1.2.3.post4.*",
    "name >= 1.0+local.version.label",
    "name <= 1.0+local.version.label",
    "name > 1.0+local.version.label",
    "name < 1.0+local.version.label",
    "name ~= 1.0+local.version.label",
    "name[bar, baz >= 1.0",
    "name[bar, baz",
    "name @ https://example.com/; extra == 'example'",
    "name; (extra == 'example'",
    "name @ ",
    "name; invalid_name",
    "name; '3.7' <= invalid_name",
    'name; os_name == "C:\\"',
    'name; os_name == "\\x"',
    "name; '3.7' notin python_version",
    "name; '3.6'inpython_version",
    "name; '3.7' not python_version",
    "name; '3.7' ~ python_version",
    "name==1.0.org1",
    "name==",
    "name 1.0",
    "name >= 1.0 #",
    "name >= 1.0 <= 2.0",
    # TestRequirementBehaviour
    "foobar",
    "foobar[quux]<2,>=3; os_name=='a'",
    "foobar @ http://foo.com",
    # EQUAL / EQUIVALENT / DIFFERENT dependencies
    "packaging>20.1",
    'requests[security, tests]>=2.8.1,==2.8.*;python_version<"2.7"',
    'requests [security,tests] >= 2.8.1, == 2.8.* ; python_version < "2.7"',
    'importlib-metadata; python_version<"3.8"',
    "importlib-metadata; python_version<'3.8'",
    'appdirs>=1.4.4,<2; os_name=="posix" and extra=="testing"',
    "appdirs>=1.4.4,<2; os_name == 'posix' and extra == 'testing'",
    "scikit-learn==1.0.1",
    "scikit_learn==1.0.1",
    "foo==1.0.0",
    "foo==1.0.0.0",
    "foo>=1.0",
    "foo>=1.0.0",
    'foo[a]==1.0.0; python_version>="3.8"',
    "urllib3[secure]",
    "urllib3[SECURE]",
    "fishtank[all-blue]",
    "fishtank[all_blue]",
    "fishtank[all---blue]",
    "fishtank[cRazy_BUnches]",
    "package_one",
    "packaging>=20.1",
    'requests [security,tests] >= 2.8.1 ; python_version < "2.7"',
    "appdirs>=1.4.4,<2; os_name == 'posix' and extra == 'docs'",
    # pickle round-trip strings
    "requests>=2.0,<3.0",
    "requests[security,socks]>=2.0",
    "my-pkg @ https://example.com",
    'Django>=1.4.2,!=1.5.0,!=1.5.1; python_version < "3"',
    "this is not a valid requirement",
    # MLflow-shaped lines (mlflow-format.md sections 3-5)
    "mlflow >= 2.8, != 2.9.0",
    "pkg[b,a]>1",
    "scikit-learn==1.5.2,>=1.0",
    "scikit-learn==1.5.2",
    "torch==2.1.0+cu118",
    "torch>=2.1.0+cu118",
    "mlflow==3.6.0",
    "mlflow[gateway]",
    "mlflow-skinny==3.17.2",
    "cloudpickle==3.1.1",
    "Pandas",
    "opencv-python==4.8.0",
    "databricks-connect",
    "llama-index-core>=0.10",
    'numpy<2; python_version<"3.12"',
    "pkg @ file:///tmp/pkg-1.0-py3-none-any.whl",
    "pkg @ git+https://github.com/org/repo@v1.0#egg=pkg",
    "mlflow @ git+https://github.com/mlflow/mlflow.git@master",
    "-e .",
    "--index-url https://example.com/simple",
    "-r requirements.txt",
    "-c constraints.txt",
    "./local/path",
    "git+https://github.com/org/repo.git",
    "# a comment",
    "name # comment",
    'name>=1.0 ; python_version >= "3.8" # comment',
    "requests[security] ~= 2.28",
    # grammar corners
    "name===",
    "name>=1.0,",
    "name>=1.0,;os_name=='a'",
    "demo===x,",
    "demo===x,==1.0",
    "demo===x,y,z",
    "demo===x,,y",
    "demo===a,b ; os_name == 'x'",
    "demo===x,y ; bad",
    "n>=1.0,>=1.0.0,==2.*,==2.0.*",
    "name_",
    "name-",
    "name.",
    "a[b,b,A]",
    "A.B-C_D[X.Y,x_y]==1",
    "náme",
    "name[éx]",
    "name @",
    "name@url",
    "name @url",
    "name @ url;marker",
    "name @ url ;os_name=='a'",
    "name @ url\t; os_name=='a'",
    "name @ url  ",
    "name @ url garbage",
    'name;python_version>"3"and os_name=="x"',
    'name; python_version in "3.8 3.9"',
    'name; "a" == "b"',
    "name; os_name == sys_platform",
    'name ; extra == "Foo_Bar"',
    'name; "Foo_Bar" == extra',
    'name; "S_P__A_M" in extras',
    'name; "Foo_Bar" not in dependency_groups',
    'name; (((os_name == "a")))',
    'name; ((os_name == "a" or os_name == "b")) and os_name == "c"',
    'name; os_name == "a" and (os_name == "b" or (os_name == "c" and os_name == "d"))',
    'name; (os_name == "a") and (os_name == "b")',
    'name; os_name == "a" or os_name == "b" and os_name == "c"',
    'name; os_name == "a" and',
    'name; os_name == "a" or or',
    'name; os_name == "a" xor os_name == "b"',
    "name; os_name == 'a' os_name == 'b'",
    "name; ()",
    "name;",
    "name; ",
    "name; os_name",
    "name; os_name ==",
    "name; os_name === 'a'",
    "name; python_version ~= '3.8'",
    "name; platform_release >= '5.4'",
    "name; implementation_name == 'cpython' and implementation_version >= '3.8'",
    "name; platform.machine == 'x86_64'",
    "name; sys.platform == 'linux'",
    "name; platform_system == 'Linux'",
    "name; dependency_groups == 'x'",
    "name; extras == 'x'",
    "name; os_name == '\\x41\\u00e9\\n\\t'",
    "name; os_name == '\\d\\w'",
    "name; os_name == '\\101'",
    "name; os_name == '\\u00e9'",
    "name; os_name == '\\U0001F600'",
    "name; os_name == '\\U00110000'",
    "name; os_name == 'a\"b'",
    'name; os_name == "a\'b"',
    "name; os_name == 'é'",
    "name; os_name == \"\"",
    "name; os_name notin 'a'",
    "name; os_name not  in 'a'",
    "name; os_name not\tin 'a'",
    "name; os_name in'a'",
    "name (==1.0) ; os_name == 'a'",
    "name(>=1)",
    "name ( >=1 , <2 )",
    "name>=1 ,<2",
    "name >=1 ,< 2",
    "name (>=1",
    "name >=1)",
    "name ()",
    "name ( )",
    "name==1.0+ABC",
    "name >=1.0+abc",
    "name >=1.0+ABC",
    "name==1.0+abc.*",
    "name~=1.*",
    "name~=1",
    "name~=1.0",
    "name==v1.0",
    "name==V1.0",
    "name==1.0RC1",
    "name==1.0-1",
    "name<=1!3.0.0.rc2",
    "name==2.0a1.*",
    "name==2.0.*",
    "name !=1.0.*",
    "name===arbitrary string",
    "name===foo;os_name=='a'",
    "name (===foo)",
    "name===foo)",
    "name => 1.0",
    "name =< 1.0",
    "name = 1.0",
    "name=1.0",
    "name ==1.0 ==2.0",
    "name>=1.0,,<2",
    "name>=1.0 and <2",
    "name >= 1.0 ; os_name == 'a' ; os_name == 'b'",
    "  name  >=  1.0  ;  os_name  ==  'a'  ",
    "\tname\t[\ta\t,\tb\t]\t>=1",
    "name\n",
    "name \n>=1",
    "name\u00a0>=1",
    "name>=\u00a01.0",
    "name[a b]",
    "name[,a]",
    "name[a,]",
    "name[a]]",
    "name[[a]]",
    "name[a](>=1)",
    "name[a] (>=1)",
    "name[a]@ https://x",
    "name>=1.0.0.0.0",
    "name==1!0",
    "name>=0!1.0",
    "name==1.0.post0.dev0",
    "name==1.0a0.post0.dev0",
    "name>1.0.dev1",
    "name<1.0.dev1",
    "name==1.0-dev",
    "name==1.0_a_1",
    "name==1.0.preview1",
    "name==1.0.r1",
    "name==1.0.rev1",
    "name==1.0-r",
    "name~=1.2.3prev\u0131ew1",
    "name~=1.2.3po\u017ft1",
    "name==1.2+\u0130",
    "name==1.0+a+",
    "name==1.0++",
    "name==1.0+_foobar",
    "name==٠١٢.٣٤٥",
]


def specifier_requirements() -> list[str]:
    # test_specifiers.py: valid and invalid single specifiers, as requirements
    valid = ["~=2.0", "==2.1.*", "==2.1.0.3", "!=2.2.*", "!=2.2.0.5", "<=5", ">=7.9a1", "<1.0.dev1", ">2.0.post1"]
    invalid = [
        "2.0", "=>2.0", "==", "~=1.0+5", ">=1.0+deadbeef", "<=1.0+abc123", ">1.0+watwat", "<1.0+1.0",
        "~=1.0.*", ">=1.0.*", "<=1.0.*", ">1.0.*", "<1.0.*", "==1.0.*+5", "!=1.0.*+deadbeef",
        "==2.0a1.*", "!=2.0a1.*", "==2.0.post1.*", "!=2.0.post1.*", "==2.0.dev1.*", "!=2.0.dev1.*",
        "==1.0+5.*", "!=1.0+deadbeef.*", "==1.0.*.5", "~=1", "==1.0.dev1.*", "!=1.0.dev1.*",
    ]
    return [f"name{spec}" for spec in valid + invalid] + [f"name ({spec})" for spec in valid[:4]]


def error_from(exc: Exception, text: str) -> dict:
    message = str(exc)
    if "\n" in message:
        reason, rest = message.split("\n", 1)
        source_line, caret_line = rest.rsplit("\n", 1)
        assert source_line == "    " + text, (source_line, text)
        caret_line = caret_line[4:]
        return {"reason": reason, "column": caret_line.index("^") + 1, "picture": text + "\n" + caret_line}
    # InvalidSpecifier from SpecifierSet: packaging gives no position. mlf points at the item,
    # which directly follows a comma inside a `===` token.
    match = re.fullmatch(r"Invalid specifier: (.*)", message)
    assert match, message
    item = ast.literal_eval(match.group(1))
    token_start = text.index("===")
    item_start = text.index("," + item, token_start) + 1
    caret = " " * token_start + "~" * (item_start - token_start) + "^"
    return {"reason": f"Invalid specifier: `{item}`", "column": item_start + 1, "picture": text + "\n" + caret}


def parse_requirement_tokens(text: str):
    """packaging's parse tree with the specifier text as written (the token loop, as in 26.3).

    26.4 parses a plain specifier list with SpecifierSet in one pass and keeps only the set; the
    tables keep the text as written, which packaging's token loop still builds.
    """
    original = packaging._parser._try_parse_specifier_set
    packaging._parser._try_parse_specifier_set = lambda tokenizer: None
    try:
        return parse_requirement(text)
    finally:
        packaging._parser._try_parse_specifier_set = original


def requirement_case(text: str) -> dict:
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        return {"input": text, "error": error_from(exc, text)}
    parsed = parse_requirement_tokens(text)
    case = {
        "input": text,
        "name": req.name,
        "extras": parsed.extras,
        "specifier": parsed.specifier,
        "specifiers": [[s.operator, s.version] for s in SpecifierSet(parsed.specifier)],
        "url": req.url,
        "marker": None if req.marker is None else str(req.marker),
    }
    try:
        case["formatted"] = str(req)
    except ValueError as exc:
        case["formatError"] = str(exc)
    return case


def write_requirements() -> None:
    inputs = list(dict.fromkeys(matrix_requirements() + str_and_repr_requirements() + REQUIREMENTS + specifier_requirements()))
    cases = [requirement_case(text) for text in inputs]
    dump("requirements.json", cases)


# ---------------------------------------------------------------------------------------
# Requirement lines: what pip makes of one line of requirements.txt
# ---------------------------------------------------------------------------------------

# Lines whose reading depends on pip's rules rather than on PEP 508 alone: URLs with and
# without a scheme pip knows, paths, archives, markers after `;` and `; `, option splitting.
PIP_LINES = [
    "~", "~/pkg", "~user", "C:\\pkg", "C:/pkg", "\\\\server\\share", ".", "..", "./pkg", "../pkg", "/abs/pkg",
    "pkg/sub", ".\\pkg", "pkg\\sub", "./pkg[extra]", "./pkg ; python_version >= '3'", "./pkg;python_version>='3'",
    "pkg-1.0.tar.gz", "pkg-1.0.zip", "pkg-1.0-py3-none-any.whl", "pkg.tgz", "pkg.tar", "pkg.tar.bz2", "pkg.txz",
    "dist/pkg-1.0.tar.gz", "./dist/pkg-1.0-py3-none-any.whl", "name @ ./dist/pkg-1.0.tar.gz", "./a @ b.zip",
    "name @ https://host/pkg-1.0-py3-none-any.whl", "name@https://host/pkg.zip", "name[a] @ https://host/pkg.zip",
    "https://host/pkg-1.0-py3-none-any.whl", "https://host/pkg.zip", "https://host/pkg.zip; python_version >= '3'",
    "https://host/pkg.zip;python_version>='3'", "http://host/pkg.tar.gz", "ftp://host/pkg.tar.gz", "file:///tmp/pkg.zip",
    "file:pkg.zip", "https:pkg.zip", "HTTPS://host/pkg.zip", "git+https://github.com/org/repo.git#egg=repo",
    "git+https://github.com/org/repo.git@v1.0#egg=repo", "git+ssh://git@github.com/org/repo.git#egg=repo",
    "git://github.com/org/repo.git#egg=repo", "hg+https://host/repo#egg=repo", "svn+https://host/repo#egg=repo",
    "bzr+https://host/repo#egg=repo", "git+https://github.com/org/repo.git",
    "gopher://host/pkg.zip", "gopher:/x", "s3://bucket/pkg.whl", "ssh://host/pkg.zip", "mailto:a@b",
    "name[a,b]@gopher:/x", "name[.a]@git+https://host/x", "name @ gopher:/x", "name@", "@", "@ https://host/x",
    "name @ https://host/x;python_version>'3'", "name @ https://host/x ; python_version>'3'",
    "name==1.0;", "name==1.0 ;", "name;", "name ; ", "name==1.0; python_version >= '3'",
    "name==1.0 --hash=sha256:" + "0" * 64, "name==1.0\t--hash=sha256:" + "0" * 64, "name==1.0  --hash=sha256:" + "0" * 64,
    "name --config-settings=a=b", "name -x", "name==1.0 -", "name===", "name=== x", "name==1.0 ; extra == 'a' ; b",
    "name[x;y]", "na;me", "name = 1.0", "name=1.0", "name (==1.0", "name==1.0)", "name==1.0,", "name>=1,<2,",
    "name==1.0 # comment", "name==1.0#not-a-comment", "${NAME}==1.0", "name==${VERSION}", "name\u00e9", "\u00e9name",
    "name\x0b==1.0", "name\x0c", "name==1.0\x85",
]


def pip_verdict(line: str, workdir: pathlib.Path) -> dict:
    """What pip does with `line` as the only line of a requirements file, in an empty directory."""
    from pip._internal.exceptions import InstallationError
    from pip._internal.network.session import PipSession
    from pip._internal.req.constructors import install_req_from_parsed_requirement
    from pip._internal.req.req_file import parse_requirements

    path = workdir / "requirements.txt"
    path.write_text(line + "\n", encoding="utf-8")
    try:
        parsed = list(parse_requirements(str(path), session=PipSession()))
        if len(parsed) != 1:
            return {"line": line, "pip": "other"}
        ireq = install_req_from_parsed_requirement(parsed[0])
    except (InstallationError, ValueError) as exc:
        return {"line": line, "pip": "error", "message": str(exc).splitlines()[0]}
    if ireq.editable:
        return {"line": line, "pip": "editable"}
    if ireq.link is not None and not (ireq.req is not None and ireq.req.url):
        return {"line": line, "pip": "path" if ireq.link.scheme == "file" else "url"}
    # A requirement: `name ...` or `name @ url` (pip keeps the marker apart from the requirement).
    case = {"line": line, "pip": "requirement", "name": ireq.req.name, "requirement": str(ireq.req)}
    if ireq.markers is not None:
        case["marker"] = str(ireq.markers)
    return case


def pip_verdict_if_directory(line: str, workdir: pathlib.Path) -> bool:
    """Whether pip would install `line` as a local directory, were it one (an installable one)."""
    import unittest.mock

    import pip._internal.req.constructors as constructors

    with unittest.mock.patch.object(constructors.os.path, "isdir", lambda p: True), unittest.mock.patch.object(
        constructors, "is_installable_dir", lambda p: True
    ):
        return pip_verdict(line, workdir)["pip"] == "path"


def follow_packaging_26_4() -> None:
    """pip 26.3 vendors packaging 26.3; the tables follow the newest packaging (26.4) instead.

    pip's requirement and marker parsing is wrapped so that what packaging 26.4 refuses (an empty
    `===`, for one) fails in pip too, with pip's own exception types.
    """
    import pip._internal.req.constructors as constructors
    import pip._internal.utils.packaging as pip_packaging
    from pip._vendor.packaging.markers import InvalidMarker as VendoredInvalidMarker
    from pip._vendor.packaging.requirements import InvalidRequirement as VendoredInvalidRequirement

    vendored_get_requirement = constructors.get_requirement
    vendored_marker = constructors.Marker

    def get_requirement(text: str):
        try:
            Requirement(text)
        except InvalidRequirement as exc:
            raise VendoredInvalidRequirement(str(exc)) from None
        return vendored_get_requirement(text)

    def marker(text: str):
        try:
            Marker(text)
        except InvalidMarker as exc:
            raise VendoredInvalidMarker(str(exc)) from None
        return vendored_marker(text)

    constructors.get_requirement = get_requirement
    pip_packaging.get_requirement = get_requirement
    constructors.Marker = marker


def write_requirement_lines() -> None:
    import os
    import tempfile

    import pip

    assert pip.__version__ == "26.3", pip.__version__
    follow_packaging_26_4()
    texts = matrix_requirements() + str_and_repr_requirements() + REQUIREMENTS + specifier_requirements() + PIP_LINES
    # One physical line each, without a comment or a line continuation (those are the reader's, not pip's line rules).
    lines = [t for t in dict.fromkeys(texts) if t.strip() and not re.search(r"[\r\n]|(^|\s)#|\\$", t) and not t.startswith("-")]
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as empty, tempfile.TemporaryDirectory() as files:
        os.chdir(empty)
        try:
            cases = []
            for line in lines:
                case = pip_verdict(line, pathlib.Path(files))
                if case["pip"] == "error" and pip_verdict_if_directory(line, pathlib.Path(files)):
                    case["pip"] = "directory"
                cases.append(case)
        finally:
            os.chdir(cwd)
    dump("requirement-lines.json", cases)


# ---------------------------------------------------------------------------------------
# Markers
# ---------------------------------------------------------------------------------------

VARIABLES = [
    "extra", "implementation_name", "implementation_version", "os_name", "platform_machine",
    "platform_release", "platform_system", "platform_version", "python_full_version",
    "python_version", "platform_python_implementation", "sys_platform",
]
PEP_345_VARIABLES = ["os.name", "sys.platform", "platform.version", "platform.machine", "platform.python_implementation"]
SETUPTOOLS_VARIABLES = ["python_implementation"]
OPERATORS = ["===", "==", ">=", "<=", "!=", "~=", ">", "<", "in", "not in"]
VALUES = ["1.0", "5.6a0", "dog", "freebsd", "literally any string can go here", "things @#4 dsfd ((("]

MARKER_STRINGS = [
    # test_parses_invalid
    "this_isnt_a_real_variable >= '1.0'",
    "python_version",
    "(python_version)",
    "python_version >= 1.0 and (python_version)",
    '(python_version == "2.7" and os_name == "linux"',
    '(python_version == "2.7") with random text',
    'python_version >= "3"\n',
    'python_version >= "3"\r',
    'python_version >= "3"\r\n',
    'python_version >= "3" ',
    'python_version >= "3"\t',
    'os_name == "C:\\"',
    'os_name == "\\x"',
    # test_str_repr_eq_hash
    "python_version == '2.7'",
    'python_version == "2.7"',
    '\'a" == os_name or python_version >= "0" or "b\' == os_name',
    'python_version == "2.7" and os_name == "linux"',
    'python_version == "2.7" or os_name == "linux"',
    'python_version == "2.7" and os_name == "linux" or sys_platform == "win32"',
    '(python_version == "2.7")',
    '(python_version == "2.7" and sys_platform == "win32")',
    'python_version == "2.7" and (sys_platform == "win32" or sys_platform == "linux")',
    '(python_version >= "3.6" and os_name == "posix") and platform_system == "Linux"',
    'python_version < "3.10" and ((sys_platform == "linux" or sys_platform == "darwin"))',
    # extras normalization
    "'S_P__A_M' == extra",
    "extra == 'S_P__A_M'",
    "extra == os_name",
    "os_name == extra",
    '(extra == "Foo_Bar" or extra == "Baz") and python_version >= "3"',
    '"S_P__A_M" in extras',
    '"S_P__A_M" in dependency_groups',
    '"Foo_Bar" not in extras',
    '"Foo_Bar" not in dependency_groups',
    "extras == 'Foo_Bar'",
    "extra in 'Foo_Bar'",
    # more corners
    "",
    " ",
    "()",
    "(())",
    "((os_name == 'a'))",
    "(os_name == 'a') or (os_name == 'b' and (os_name == 'c'))",
    "os_name=='a'and os_name=='b'",
    "os_name=='a'or(os_name=='b')",
    "os_name == 'a' andos_name == 'b'",
    "os_nameis == 'a'",
    "python_full_versions == 'a'",
    "'a' == 'b'",
    "os_name == 'a' == 'b'",
    "os_name <> 'a'",
    "os_name = 'a'",
    "'3.8' in python_version or 'x' not in sys_platform",
    "os_name == 'a\\'b'",
    "os_name == 'a\"b\\'c'",
    "os_name == 'tab\\there'",
    "os_name == '\\N{BULLET}x'",
]


def marker_matrix() -> list[str]:
    result = []
    for variables in (VARIABLES, PEP_345_VARIABLES, SETUPTOOLS_VARIABLES):
        product = list(itertools.product(variables, OPERATORS, VALUES))
        for index, (variable, op, value) in enumerate(product):
            if index % 11 == 0:
                result.append(f"{variable} {op} {value!r}")
            if index % 11 == 5:
                result.append(f"{value!r} {op} {variable}")
    return result


def marker_case(text: str) -> dict:
    try:
        marker = Marker(text)
    except InvalidMarker as exc:
        return {"input": text, "error": error_from(exc, text)}
    try:
        return {"input": text, "formatted": str(marker)}
    except ValueError as exc:
        return {"input": text, "formatError": str(exc)}


BASE_ENVIRONMENT = {
    "implementation_name": "cpython",
    "implementation_version": "3.11.4",
    "os_name": "posix",
    "platform_machine": "x86_64",
    "platform_release": "6.5.0-1025-azure",
    "platform_system": "Linux",
    "platform_version": "#26~22.04.1-Ubuntu SMP Thu Jul 11 22:33:04 UTC 2024",
    "python_full_version": "3.11.4",
    "platform_python_implementation": "CPython",
    "python_version": "3.11",
    "sys_platform": "linux",
}

EVALUATIONS = [
    # (marker, environment overrides, context); `None` context means packaging's default (metadata)
    ('"2.7.9" < python_full_version', {"python_full_version": "2.7.10"}, None),
    ('"2.7.9" < python_full_version', {"python_full_version": "2.7.8"}, None),
    ('"b" < python_full_version', {"python_full_version": "c"}, None),
    ('"b" < python_full_version', {"python_full_version": "a"}, None),
    ('"b" > "a"', {"a": "a"}, None),
    ('"b" < "a"', {"a": "a"}, None),
    ('"b" >= "a"', {"a": "a"}, None),
    ('"b" <= "a"', {"a": "a"}, None),
    ('"a" <= "a"', {"a": "a"}, None),
    ("'2.7.0' ~= os_name", {}, None),
    ("os_name === 'posix'", {}, None),
    ("sys_platform === 'linux'", {}, None),
    ('python_full_version > "3.6.2"', {"python_full_version": "3.11.0a5"}, None),
    ('extra == "im_valid"', {}, None),
    ('extra == "im_valid"', {"extra": None}, None),
    ("os_name == 'foo'", {"os_name": "foo"}, "requirement"),
    ("os_name == 'foo'", {"os_name": "bar"}, "requirement"),
    ("os_name == 'posix'", {}, None),
    ("'2.7' in python_version", {"python_version": "2.7.5"}, None),
    ("'2.7' not in python_version", {"python_version": "2.7"}, None),
    ("os_name == 'foo' and python_version ~= '2.7.0'", {"os_name": "foo", "python_version": "2.7.6"}, None),
    ("python_version ~= '2.7.0' and (os_name == 'foo' or os_name == 'bar')", {"os_name": "foo", "python_version": "2.7.4"}, None),
    ("python_version ~= '2.7.0' and (os_name == 'foo' or os_name == 'bar')", {"os_name": "bar", "python_version": "2.7.4"}, None),
    ("python_version ~= '2.7.0' and (os_name == 'foo' or os_name == 'bar')", {"os_name": "other", "python_version": "2.7.4"}, None),
    ("extra == 'security'", {"extra": "quux"}, None),
    ("extra == 'security'", {"extra": "security"}, None),
    ("extra == 'SECURITY'", {"extra": "security"}, None),
    ("extra == 'security'", {"extra": "SECURITY"}, None),
    ("extra == 'pep-685-norm'", {"extra": "PEP_685...norm"}, None),
    ("extra == 'Different.punctuation..is...equal'", {"extra": "different__punctuation_is_EQUAL"}, None),
    ("sys.platform == 'win32'", {"sys_platform": "linux2"}, None),
    ("platform.version in 'Ubuntu'", {"platform_version": "#39"}, None),
    ("platform.machine=='x86_64'", {"platform_machine": "x86_64"}, None),
    ("platform.python_implementation=='Jython'", {"platform_python_implementation": "CPython"}, None),
    ("python_version == '2.5' and platform.python_implementation!= 'Jython'", {"python_version": "2.7"}, None),
    ("python_implementation=='Jython'", {"platform_python_implementation": "CPython"}, None),
    ('(extra == "Foo_Bar" or extra == "Baz") and python_version >= "3"', {"extra": "foo-bar", "python_version": "3.12"}, None),
    ("python_full_version < '3.12'", {"python_full_version": "3.11.1+"}, None),
    ('extra == "v2"', {}, None),
    ('extra == "v2"', {"extra": ""}, None),
    ('extra == "v2"', {"extra": "v2"}, None),
    ('extra == "v2"', {"extra": "v2a3"}, None),
    ('extra == "v2a3"', {"extra": "v2"}, None),
    ('extra == "v2a3"', {"extra": "v2a3"}, None),
    ('python_version >= "3.6" and os_name == "posix"', {"python_version": "3.8", "os_name": "posix"}, None),
    ('python_version < "3.6" or os_name == "windows"', {"python_version": "3.7", "os_name": "windows"}, None),
    ('python_version < "3.10" and ((sys_platform == "linux" or sys_platform == "darwin"))', {"python_version": "3.12", "sys_platform": "darwin"}, None),
    ('python_version < "3.10" and ((sys_platform == "linux" or sys_platform == "darwin"))', {"python_version": "3.9", "sys_platform": "darwin"}, None),
    ('"foo" in extras', {"extras": ["foo", "bar"]}, None),
    ('"baz" in extras', {"extras": ["foo", "bar"]}, None),
    ('"baz" not in extras', {"extras": ["foo", "bar"]}, None),
    ('"foo" in extras and "bar" in extras', {"extras": ["foo", "bar"]}, None),
    ('"baz" in extras and "foo" in extras', {"extras": ["foo", "bar"]}, None),
    ('"Foo" in dependency_groups', {"dependency_groups": ["foo", "bar"]}, None),
    ('"foo" in extras', {}, "lock_file"),
    ('"foo" in extras', {}, None),
    ('"foo" in extras', {}, "requirement"),
    ("extras == 'foo'", {}, "lock_file"),
    ("dependency_groups >= 'foo'", {}, "lock_file"),
    ('python_version >= "3.8"', {}, None),
    ('python_version < "3.12" and sys_platform != "win32"', {}, None),
    ('python_version >= "3.11.0"', {"python_version": "3.11"}, None),
    ('python_version > "3.11"', {"python_version": "3.11"}, None),
    ('python_version == "3.*"', {"python_version": "3.11"}, None),
    ('python_version != "3.11.*"', {"python_version": "3.11"}, None),
    ('python_version === "3.11"', {"python_version": "3.11"}, None),
    ('python_version < "foo"', {"python_version": "3.11"}, None),
    ('python_version == "foo"', {"python_version": "foo"}, None),
    ('python_version in "3.10 3.11"', {"python_version": "3.11"}, None),
    ('platform_release >= "5.4"', {}, None),
    ('platform_release >= "5.4"', {"platform_release": "5.15.0"}, None),
    ('implementation_version >= "3.11.0a1"', {}, None),
    ('python_full_version >= "3.11.0rc1"', {"python_full_version": "3.11.0rc2"}, None),
    ("os_name == sys_platform", {"os_name": "sys_platform"}, None),
    ('"a" == "b"', {}, None),
    ('"a" == "b"', {"b": "a"}, None),
    ("platform_machine ~= 'x86'", {}, None),
    ("os_name == 'posix' or 'x' < os_name", {}, None),
    ("os_name == 'nt' or 'x' ~= os_name", {}, None),
]


def evaluation_case(marker: str, overrides: dict, context: str | None) -> dict:
    environment = dict(BASE_ENVIRONMENT)
    for key, value in overrides.items():
        environment[key] = set(value) if isinstance(value, list) else value
    case = {"marker": marker, "environment": {**BASE_ENVIRONMENT, **overrides}, "context": context or "metadata"}
    try:
        case["result"] = Marker(marker).evaluate(environment, context or "metadata")
    except Exception as exc:  # UndefinedComparison, UndefinedEnvironmentName
        case["error"] = type(exc).__name__
    return case


def write_markers() -> None:
    inputs = list(dict.fromkeys(marker_matrix() + MARKER_STRINGS))
    dump(
        "markers.json",
        {
            "parse": [marker_case(text) for text in inputs],
            "evaluate": [evaluation_case(*case) for case in EVALUATIONS],
        },
    )


# ---------------------------------------------------------------------------------------
# Versions and specifiers
# ---------------------------------------------------------------------------------------

INVALID_VERSIONS = [
    "french toast", "1.0+a+", "1.0++", "1.0+_foobar", "1.0+foo&asd", "1.0+1+1", "1. 0", "1 .0",
    "1. 0a1", "1 .0a1", "1.0 a1", "1.0a 1", "٠١٢.٣٤٥.٦٧٨٩", ".", "..", "1..0", "1.0.", ".1.0",
    "1..2.3", "1.0+\u0130", "1.0+\u0131", "1.0+\u017f", "", " ", "1.0-", "1.0.post.", "v", "1!",
    "1.0a-1", "1.0.dev-1",
]
NORMALIZED_VERSIONS = [
    "1.0dev", "1.0.dev", "1.0dev1", "1.0-dev", "1.0-dev1", "1.0DEV", "1.0.DEV", "1.0DEV1", "1.0.DEV1",
    "1.0-DEV", "1.0-DEV1", "1.0a", "1.0.a", "1.0.a1", "1.0-a", "1.0-a1", "1.0alpha", "1.0.alpha",
    "1.0.alpha1", "1.0-alpha", "1.0-alpha1", "1.0A", "1.0.A", "1.0.A1", "1.0-A", "1.0-A1", "1.0ALPHA",
    "1.0b", "1.0beta1", "1.0c", "1.0pre1", "1.0preview1", "1.0rc", "1.0-RC1", "1.0post", "1.0.post",
    "1.0post1", "1.0-post1", "1.0POST", "1.0-r1", "1.0rev1", "1.0-1", "1.0+AbC", "1.01", "1.0a05",
    "1.0b07", "1.0c056", "1.0rc09", "1.0.post000", "1.1.dev09000", "00!1.2", "0100!0.0", "v1.0",
    "  \r \f \v v1.0\t\n", "2.1.0+cu118", "2.1.0+CU118", "1.0+0x1", "1.0+1e3", "1.0+01.AbC-x",
    "1.0a1.post2.dev3+local.1", "1!2.0", "1.0.0.0", "0", "1.2.3.4.5.6.7.8",
]


def write_versions() -> None:
    from_test_version = [
        "1.0.dev0", "1.0.dev456", "1.0.dev456+local", "1.0a0", "1.0a0.post0.dev0", "1.0a0.post0",
        "1.0a1.dev1", "1.0a1.dev1+local", "1.0a1", "1.0a1+local", "1.0b0", "1.0b1.dev456", "1.0b2",
        "1.0b2.post345.dev456", "1.0b2.post345", "1.0b2-346", "1.0rc0", "1.0rc1.dev1", "1.0c1",
        "1.0rc2", "1.0", "1.0.post0.dev0", "1.0.post0", "1.0.post456.dev34", "1.0.post456",
        "1.0.post456+local", "1.0.1.dev1", "1.0.1a1", "1.0.1", "1.0.1+local", "1.0.1.post1",
        "1.1.dev1", "1.2+a", "1.2+abc", "1.2+abcdef", "1.2+def", "1.2+0", "1.2+1", "1.2+1.abc",
        "1.2+1.1", "1.2+1.1.0", "1.2+2", "1.2+123", "1.2+123456", "1.2.r32+123456",
        "1.2.rev33+123456", "1!1.0.dev0", "1!1.0a1", "1!1.0", "1!1.0.post456+local", "1!1.2+1.abc",
    ]
    ordered = sorted(from_test_version, key=Version)
    assert ordered == from_test_version  # packaging's test list is in order
    normalized = []
    for text in NORMALIZED_VERSIONS + INVALID_VERSIONS:
        try:
            version = Version(text)
            normalized.append({"input": text, "normalized": str(version), "public": version.public, "local": version.local, "prerelease": version.is_prerelease})
        except InvalidVersion:
            normalized.append({"input": text, "normalized": None})
    dump("versions.json", {"ordered": from_test_version, "normalize": normalized})


CONTAINS_SPECS = [
    "", ">=1.0,!=1.0.1", ">=1.2.3", ">=2.0.dev1", ">1.0", "<1.0.dev1", "==2.0.*", "!=2.0.*", "~=1.4.2",
    "===1.0", "===foobar", "===1.0a1", ">=1.0,<2.0", ">=1.0a1", "<=2.0", "==1.0+local", "!=1.0+local",
    ">=1.0,!=1.0.1,===1.0.2",
]
CONTAINS_VERSIONS = [
    "1.0", "1.0.1", "1.3.0a1", "2.0.dev1", "2.0", "1.0+local", "1.0+other", "1.4.2", "1.5.0",
    "1.5.0a1", "foobar", "FooBar", "not a version", "1.0a1", "1.0.2", "0.9.dev1", "1.0.post1",
]


def write_specifiers() -> None:
    single = []
    for version, spec in CONTAINS_PAIRS:
        for prereleases in (None, True, False):
            single.append({"specifier": spec, "version": version, "prereleases": prereleases,
                           "contains": Specifier(spec).contains(version, prereleases=prereleases)})
    for version, spec in ARBITRARY_PAIRS:
        single.append({"specifier": spec, "version": version, "prereleases": None,
                       "contains": Specifier(spec).contains(version)})
    sets = []
    for spec in CONTAINS_SPECS:
        for explicit in (None, False):
            ss = SpecifierSet(spec, prereleases=explicit)
            for version in CONTAINS_VERSIONS:
                for prereleases in (None, True, False):
                    sets.append({"specifier": spec, "setPrereleases": explicit, "version": version,
                                 "prereleases": prereleases, "contains": ss.contains(version, prereleases=prereleases)})
    formatting = []
    for spec in [
        "!=2.0", "<2.0", "<=2.0", "==2.0", ">2.0", ">=2.0", "~=2.0", "< 2", ">=1.0.0,!=1.0.1",
        ">=1.0.0,!=2.0.0", "==1.0,==1.0.0", "==1.0.0,==1.0", "~=1.0,~=1.0.0", "==1.*,==1.0.*",
        "===ABC,===abc", ">= 1.0 , < 2", "==2.8.0,==2.8", "", ",", ">=1,", "===x,==1.0",
    ]:
        formatting.append({"specifier": spec, "formatted": str(SpecifierSet(spec)),
                           "prereleases": SpecifierSet(spec).prereleases})
    invalid = []
    for spec in ["lolwat", "2.0", "=>2.0", "==", "~=1", ">=1.0.*", "==1.0.*+5", ">=1.0,foo", "==1.2+\u0130"]:
        try:
            SpecifierSet(spec)
            invalid.append({"specifier": spec, "valid": True})
        except InvalidSpecifier as exc:
            invalid.append({"specifier": spec, "error": str(exc)})
    dump("specifiers.json", {"single": single, "sets": sets, "formatting": formatting, "invalid": invalid})


# ---------------------------------------------------------------------------------------
# Intersections
# ---------------------------------------------------------------------------------------

UNSATISFIABLE = [
    ">1.0a1,<1.0a2.dev0", ">1!1.0a1,<1!1.0a2.dev0", ">1.0b0,<1.0b1.dev0", ">1.0,<1.0.post0.dev0",
    "!=0.dev0,<0.dev1", "!=0.dev0,<=0.dev0", ">=2.0,<1.0", ">=2.0,<2.0", ">2.0,<=2.0", ">2.0,<2.0",
    "==1.0,!=1.0", "==1.0,>1.0", "==1.0,<1.0", "==1.0,>=2.0", "==3.0,<2.0", "==1.*,>=2.0",
    "==2.*,<2.0.dev0", "==3.*,<3.0.dev0", "==1.0.*,!=1.0.*", "==1.0,!=1.*", "~=2.0,<2.0", "~=2.0,>=3.0",
    "~=2.5,<2.5", "~=1.0,>=2.0", "~=1.4.2,<1.4.2", ">=1.0,<=1.0,!=1.0", "==1!1.0,==1.0", ">=1!1.0,<1.0",
    ">=1!0.0,<1.0", "<0", "<0.0", "<0.0.dev0", ">=1.0,<0.0.dev0", ">=1.0a1,<1.0", ">=1.0.dev0,<1.0",
    ">=1.0rc1,<1.0", ">=1.0.post1,<1.0.post1", ">=1.0.post1.dev0,<1.0.post1", ">1.0,<1.0.post0",
    ">1.0,<1.0.post1", ">1.0.post0,<1.0.post1", ">=1.0.dev5,<1.0.dev3", "==1.0.dev0,>1.0.dev0",
    "==1.0a1,>1.0a1", "==1.0.post1,>1.0.post1", ">1.0a1,<1.0a1.post1", "~=1.0.dev0,>=2.0", "~=1.0a1,>=2.0",
    ">=1.0,<2.0,!=1.*", "~=1.4.2,!=1.4.*", "==1.0+local,!=1.0+local", "===a,===b", "===1.0,===2.0",
    "===foobar,==1.0", "===foobar,>=1.0", "===a,!=1.0", "===not-a-version,~=1.0", "===foobar,>=2.0,<3.0",
    "===1.0,>=2.0", "===1.0,!=1.0", "===1.0,>1.0", "===1.01,==1.0", "==1.0.*,==1.1.*", "==1.*,==2.*",
    "~=1.0,~=2.0", "~=1.4.2,~=1.5.0", "==1.0+local1,!=1.0", ">=1.0,<1.1,!=1.0.*", "!=1.*,!=2.*,>=1.0,<3.0",
    "~=1.0,!=1.*", ">1.0a1,<1.0a1.post2", ">0.dev0,<0.dev1", "~=1.0a1,<1.0", "~=1.0.dev5,<1.0",
    ">1.0.post0.dev0,<1.0.post0", "~=1.2.3.4.5,>=1.2.3.5", "==1.1.dev0,<1.0.post1",
    ">1.0,<=1.0.post1", ">1.0,<=1.0.post5", ">2.3,<=2.3.post1", ">1!1.0,<=1!1.0.post1",
]
SATISFIABLE = [
    "", ">=1.0", "<2.0", ">1.0", ">=1.0,<2.0", ">=1.0,<=1.0", ">=1.0,<100.0", "~=1.0", "~=1.0,<1.5",
    "~=1.4.2", "==1.0.*", "!=1.0.*", "==1.*,!=1.5", "==1.0.*,==1.*", "!=1.*,>=2.0", ">=1.0,<2.0,!=1.5,!=1.6",
    ">=1.0,<2.0,!=1.0,!=1.1,!=1.2,!=1.3,!=1.4", "==1.0", "!=1.0", ">=1.0.dev0,<1.0.dev1", ">=1.0a1,<1.0a2",
    ">1.0a1,<1.0a2", ">=1.0a1,<1.0b1", ">=1.0b1,<1.0rc1", ">1.0.post0,<1.0.post2", ">1.0.post0,<1.0.post3",
    ">=1.0a1.dev0,<1.0a1", ">=1!1.0,<1!2.0", ">1!1.0,<1!3.0", ">=1.0,<3.0,!=2.*",
    ">=3.8,!=3.9.*,!=3.10.0,!=3.10.1,~=3.10.2,<3.14", "<1.0.dev1", ">1!1.0", "<1!2.0", ">1.0,<3.0",
    ">1.0,>2.0", "<2.0,<3.0", ">1.0.post0", ">1.0.post1,<2.0", "==1.0+local1,>=1.0", "!=1.0+local1,>=1.0",
    "==1.0,>=0.5", "==1.0,!=0.5", "==1.0,<=2.0", "==1.0+local1,!=1.0+local2", "==1.0+local1,==1.0",
    "==1.0+local1,<=1.0", "==1.0+local,>=1.0,<=1.0", "==1.0.post1+local,<=1.0.post1", ">1.0,!=0.5",
    ">=1.0,<2.0rc1", ">=0.5,!=1.0.*", "~=1.0,!=1.3", ">=1!0.0,<1!1.0", "===foobar", "===1.0", "===1.0a1",
    "===1.01", "===1.0,==1.0", "===1.0,>=1.0", "===1.0,>=0.5", "===1.0,!=2.0", "===1.0.0,>=1.0",
    "===1.01,>=1.0", "===1.01,==1.1", "===FOOBAR,===foobar", "===FooBar,===FOOBAR", ">=1.0,<1.0.post0",
    ">=1.0,<1.0.post1", ">=0,<1.0.post0,!=1.0", "==1.0.dev0,<1.0.post1", "==1.0a1,<1.0.post0",
    "==1.0rc1,<1.0.post0", "==1.0.post0.dev0,<1.0.post1", ">=1.0.dev0,<1.0.post1,!=1.0,!=1.0.post0",
    "===v1.0,>=1.0", "===1.0-1,>=1.0", "==1.0,==1.0.0", "~=1.0.post1,>=1.0", ">=1.0,<1.0.post0.dev1",
    ">=1.0a1,<1.0a2,!=1.0a1", ">1.0a1,<1.0b1", "~=1.0,~=1.1", "~=1.0,~=1.0.1", ">=1.0,<2.0,!=1.0.*,!=1.1.*",
    "~=1.0.dev0,<1.0.post0", "~=1.0a1,<1.0.post0",
]
NO_PRE = [
    ">=1.0.dev0,<1.0", ">=1.0a1,<1.0", ">=1.0rc1,<1.0", "==1.0.dev0", "==1.0a1", "==1.0a1.post0",
    "==1.0.post0.dev0", "==0.dev0", ">=1.0a1,<1.0a2", ">=1.0b1,<1.0rc1", ">=1.0.dev0,<1.0.dev5",
    ">1.0a1,<1.0a3", ">=1.0rc1,<=1.0,!=1.0", ">=1.0.dev0,<=1.0,!=1.0", ">=1.0.dev0,<=1.0.post0,!=1.0,!=1.0.post0",
    "==1!1.0.dev0", ">=1!1.0a1,<1!1.0", "===1.0a1", "===1.0.dev0", "<0.dev1", "<=0.dev0", "<0a1", ">=2.0,<1.0",
    "", ">=1.0,<2.0", ">=1.0.dev0,<2.0", "==1.0", "==1.0.post0", ">=1.0.dev0,<1.0.post1", "<2.0", "==1.0+local",
    "===1.0", "===foobar", "~=1.0a1", "~=1.0.dev0", ">=1.0rc1,<=1.0.post0,!=1.0", ">=1.0rc1,<=1.0",
    ">=1.0.dev0,<=1.0", ">=1.0a1.post0,<=1.0", ">=1.0.post0.dev0,<=1.0.post0",
]
# Pairs for intersect(a, b): mlflow-format.md section 4 examples, then pairs from a pool.
PAIRS = [
    ("==1.5.2", ">=2"), (">=1,<2", "~=1.5"), ("==1.*", "!=1.*"), ("==1.5.2", ">=1.0"), ("==1.5.2", "==1.5.3"),
    ("==2.1.0+cu118", "==2.1.0"), ("==2.1.0+cu118", "!=2.1.0"), (">=2.8,!=2.9.0", "==2.9.0"),
    (">=2.8,!=2.9.0", "<3"), ("<2", ">=2"), ("<2", ">=2.0.dev0"), ("<=2", ">2"), ("<=2", ">=2"),
    ("~=1.4.2", "==1.5.*"), ("~=1.4", "==1.5.*"), ("===1.0", "==1.0"), ("===1.0", "==1.0.0"), ("", ">=1"),
    ("", ""), (">1.0", "<1.0.post1"), (">1.0a1", "<1.0a2"), (">1.0", "<1.0.0.1"), (">1.0", "<=1.0.0.0.1.dev0"),
]
POOL = [
    "==1.0", ">=1.0", ">1.0", "<1.0", "<=1.0", "!=1.0", "~=1.0", "==1.*", "!=1.*", "==1.0+local", "!=1.0+local",
    ">=1.0a1", "<1.0a2", ">1.0.post1", "<1.0.post2", ">=1.0.dev1", ">1.0.dev1", "~=1.0.1", "==2.0", "<2",
    ">=2", "==1!1.0", ">=1!0", "<0.dev1", "==0.dev0", "===1.0", "===foo", "==1.0.0", "<=1.0.post0", ">1.0a1",
    "==1.0a1", "==1.0.post0", "<1.0.0.1", ">=1.0.0.0.1",
]


def write_intersections() -> None:
    sets = [{"specifier": s, "prereleases": None, "unsatisfiable": SpecifierSet(s).is_unsatisfiable()}
            for s in UNSATISFIABLE + SATISFIABLE]
    sets += [{"specifier": s, "prereleases": False,
              "unsatisfiable": SpecifierSet(s, prereleases=False).is_unsatisfiable()} for s in NO_PRE]
    pairs = list(PAIRS) + list(itertools.combinations(POOL, 2))
    intersections = []
    for a, b in pairs:
        combined = SpecifierSet(a) & SpecifierSet(b)
        intersections.append({"a": a, "b": b, "combined": str(combined), "unsatisfiable": combined.is_unsatisfiable()})
    triples = []
    for a, b, c in itertools.islice(itertools.combinations(POOL, 3), 0, None, 17):
        combined = SpecifierSet(",".join([a, b, c]))
        triples.append({"specifier": ",".join([a, b, c]), "unsatisfiable": combined.is_unsatisfiable()})
    dump("intersections.json", {"sets": sets, "pairs": intersections, "triples": triples})


def compact(data: object, indent: str = "") -> str:
    """One case per line: readable diffs, small files."""
    if isinstance(data, list) and data and isinstance(data[0], (dict, list)):
        inner = indent + " "
        return "[\n" + ",\n".join(inner + json.dumps(item, ensure_ascii=True) for item in data) + "\n" + indent + "]"
    if isinstance(data, dict) and any(isinstance(value, list) for value in data.values()):
        inner = indent + " "
        items = [f"{inner}{json.dumps(key)}: {compact(value, inner)}" for key, value in data.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return json.dumps(data, ensure_ascii=True)


def dump(name: str, data: object) -> None:
    text = compact(data) + "\n"
    (HERE / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write_requirements()
    write_requirement_lines()
    write_markers()
    write_versions()
    write_specifiers()
    write_intersections()
