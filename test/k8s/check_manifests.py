"""Checks Kubernetes manifests offline, strictly (an unknown field is an error), for test/k8s/schema-check.ts.

Core kinds (Deployment, Service, HorizontalPodAutoscaler) against the Kubernetes API's JSON schemas that
kubernetes-validate bundles, in their strict variant (additionalProperties: false), for each version
given. KServe's InferenceService against the models of KServe's Python SDK, generated from KServe's
OpenAPI document: every key must be one of the model's JSON names (attribute_map), every value of the
model's type (openapi_types, down to the core types it embeds from the kubernetes client's models),
and each model is built with the client's validation on, which refuses a missing required field.

Usage: python check_manifests.py VERSION[,VERSION...] FILE...; prints one JSON object:
{"results": [{"file", "kind", "checked_against": [...], "errors": [...]}]}.
"""
import datetime
import json
import re
import sys

import kubernetes.client.models as core_models
import kserve.models as kserve_models
import kubernetes_validate
import yaml

PRIMITIVES = {"str": str, "int": int, "bool": bool, "float": (int, float)}


def model_class(name):
    for module in (kserve_models, core_models):
        cls = getattr(module, name, None)
        if cls is not None:
            return cls
    raise KeyError(f"no model named {name}")


def build(value, type_name, where, errors):
    """The SDK's object for `value` (checked), or None after appending to `errors`."""
    if type_name in PRIMITIVES:
        expected = PRIMITIVES[type_name]
        if isinstance(value, bool) and type_name != "bool":
            errors.append(f"{where}: expected {type_name}, got a boolean")
        elif not isinstance(value, expected):
            errors.append(f"{where}: expected {type_name}, got {type(value).__name__}")
        return value
    if type_name == "object":
        return value
    if type_name == "ResourceQuantity":
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            errors.append(f"{where}: expected a quantity")
        return value
    if type_name == "datetime":
        if not isinstance(value, (str, datetime.datetime)):
            errors.append(f"{where}: expected a timestamp")
        return value
    list_match = re.fullmatch(r"[Ll]ist\[(.+)\]", type_name)
    if list_match:
        if not isinstance(value, list):
            errors.append(f"{where}: expected a list")
            return None
        return [build(item, list_match.group(1), f"{where}[{i}]", errors) for i, item in enumerate(value)]
    dict_match = re.fullmatch(r"dict\(str, (.+)\)|Dict\[str, (.+)\]", type_name)
    if dict_match:
        if not isinstance(value, dict):
            errors.append(f"{where}: expected a mapping")
            return None
        item_type = dict_match.group(1) or dict_match.group(2)
        return {k: build(v, item_type, f"{where}.{k}", errors) for k, v in value.items()}
    cls = model_class(type_name)
    if not isinstance(value, dict):
        errors.append(f"{where}: expected an object ({type_name})")
        return None
    by_json_name = {json_name: attr for attr, json_name in cls.attribute_map.items()}
    kwargs = {}
    for key, item in value.items():
        attr = by_json_name.get(key)
        if attr is None:
            errors.append(f"{where}.{key}: unknown field of {type_name}")
            continue
        kwargs[attr] = build(item, cls.openapi_types[attr], f"{where}.{key}", errors)
    try:
        return cls(**kwargs)
    except ValueError as error:
        errors.append(f"{where}: {error}")
        return None


def check_core(document, versions):
    errors = []
    for version in versions:
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            path = ".".join(str(p) for p in error.absolute_path)
            errors.append(f"Kubernetes {version}: {path}: {error.message[:300]}")
        except kubernetes_validate.SchemaNotFoundError as error:
            errors.append(f"Kubernetes {version}: no schema: {error}")
    return errors


def main():
    versions = sys.argv[1].split(",")
    results = []
    for file in sys.argv[2:]:
        with open(file, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
        kind = document.get("kind") if isinstance(document, dict) else None
        if kind == "InferenceService":
            errors = []
            if document.get("apiVersion") != "serving.kserve.io/v1beta1":
                errors.append(f"apiVersion: {document.get('apiVersion')!r} is not serving.kserve.io/v1beta1")
            build(document, "V1beta1InferenceService", "", errors)
            against = [f"kserve {kserve_version()} SDK models"]
        else:
            errors = check_core(document, versions)
            against = [f"Kubernetes {v} (strict)" for v in versions]
        results.append({"file": file, "kind": kind, "checked_against": against, "errors": errors})
    json.dump({"results": results}, sys.stdout)


def kserve_version():
    from importlib.metadata import version

    return version("kserve")


if __name__ == "__main__":
    main()
