"""Peer: compare two rendered environments with deepdiff, as a script a team would write.

Usage: python deepdiff_compare.py STAGING.yaml PRODUCTION.yaml
Loads every document of both files (PyYAML, with the C loader when available), indexes the
objects by kind and name (Compose: by service), and prints the number of differences.
"""
import sys

import yaml
from deepdiff import DeepDiff

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load(path):
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.load_all(f, Loader=Loader) if d]
    out = {}
    for d in docs:
        if "services" in d and "kind" not in d:
            for name, svc in (d.get("services") or {}).items():
                out[("service", name)] = svc
        else:
            meta = d.get("metadata") or {}
            out[(d.get("kind"), meta.get("name"))] = d
    return out


def main():
    a, b = load(sys.argv[1]), load(sys.argv[2])
    diff = DeepDiff(a, b, ignore_order=False, verbose_level=1)
    print(sum(len(v) for v in diff.values()), "differences")


if __name__ == "__main__":
    main()
