#!/usr/bin/env python3
"""Fails when a header of include/epilstm includes a header of a higher layer.

The layers and their order are read from docs/architecture.md: the fenced block tagged `layers`
lists one layer a line, lowest first, as `name: path-prefix path-prefix ...` (a prefix ending in
'/' is a folder, otherwise a file, relative to include/epilstm/). A header may include headers of
its own layer and of lower ones. Every header must belong to a layer.

  check_layers.py REPO_ROOT            check the repository
  check_layers.py --self-test          check that a planted upward include is reported
"""
import os
import re
import sys
import tempfile

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]epilstm/([^>"]+)[>"]', re.M)


def read_layers(doc):
    text = open(doc, encoding="utf-8").read()
    m = re.search(r"```layers\n(.*?)```", text, re.S)
    if not m:
        sys.exit(f"{doc}: no ```layers block")
    layers = []
    for line in m.group(1).splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, prefixes = line.partition(":")
        layers.append((name.strip(), prefixes.split()))
    return layers


def layer_of(path, layers):
    best = None
    for i, (_, prefixes) in enumerate(layers):
        for p in prefixes:
            if path == p or (p.endswith("/") and path.startswith(p)):
                if best is None or len(p) > best[1]:
                    best = (i, len(p))
    return None if best is None else best[0]


def check(root):
    layers = read_layers(os.path.join(root, "docs", "architecture.md"))
    inc = os.path.join(root, "include", "epilstm")
    problems = []
    headers = 0
    for dirpath, _, files in os.walk(inc):
        for f in sorted(files):
            if not f.endswith((".hpp", ".cuh", ".h")):
                continue
            headers += 1
            rel = os.path.relpath(os.path.join(dirpath, f), inc).replace(os.sep, "/")
            me = layer_of(rel, layers)
            if me is None:
                problems.append(f"include/epilstm/{rel}: belongs to no layer of docs/architecture.md")
                continue
            text = open(os.path.join(dirpath, f), encoding="utf-8").read()
            for target in INCLUDE.findall(text):
                other = layer_of(target, layers)
                if other is None:
                    problems.append(f"include/epilstm/{rel}: includes epilstm/{target}, which belongs to no layer")
                elif other > me:
                    problems.append(
                        f"include/epilstm/{rel} (layer {layers[me][0]}) includes epilstm/{target} "
                        f"(layer {layers[other][0]}, higher)")
    for p in problems:
        print(p)
    print(f"{headers} headers in {len(layers)} layers: {len(problems)} problem(s)")
    return 1 if problems else 0


def self_test():
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "docs"))
        os.makedirs(os.path.join(d, "include", "epilstm", "low"))
        os.makedirs(os.path.join(d, "include", "epilstm", "high"))
        with open(os.path.join(d, "docs", "architecture.md"), "w") as f:
            f.write("```layers\nlow: low/\nhigh: high/\n```\n")
        with open(os.path.join(d, "include", "epilstm", "high", "h.hpp"), "w") as f:
            f.write("#include <epilstm/low/l.hpp>\n")
        with open(os.path.join(d, "include", "epilstm", "low", "l.hpp"), "w") as f:
            f.write("#pragma once\n")
        if check(d) != 0:
            print("self-test: a downward include was reported")
            return 1
        with open(os.path.join(d, "include", "epilstm", "low", "l.hpp"), "a") as f:
            f.write("#include <epilstm/high/h.hpp>\n")
        if check(d) == 0:
            print("self-test: the upward include low/l.hpp -> high/h.hpp was not reported")
            return 1
    print("self-test: passed")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        sys.exit(self_test())
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(check(sys.argv[1]))
