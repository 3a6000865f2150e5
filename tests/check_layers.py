#!/usr/bin/env python3
"""lib/ is layered: a folder per layer, dependencies pointing one way only.

    image -> runtime -> networks -> bridge -> ipam -> {cni, kernel} -> base

Fails when a lib/ include is not written with its folder ("kernel/nl.h"), when it points
up a layer or sideways (cni and kernel do not see each other), when lib/ includes a folder
that is not a layer, or when modules (foo.c + foo.h) include each other in a cycle.
New folders are added to RANK at the layer they belong to.
"""
import os
import re
import sys

RANK = {"base": 0, "kernel": 1, "cni": 1, "ipam": 2, "bridge": 3, "portmap": 3,
        "networks": 4, "dns": 4, "runtime": 5, "image": 6}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def modules(root):
    """{"kernel/nl": {"base/err", ...}} from lib/*/*.[ch]; problems found on the way."""
    graph, bad = {}, []
    for folder in sorted(os.listdir(root)):
        path = os.path.join(root, folder)
        if not os.path.isdir(path):
            continue
        if folder not in RANK:
            bad.append(f"lib/{folder}/: not a layer (add it to RANK in {sys.argv[0]})")
            continue
        for name in sorted(os.listdir(path)):
            if not name.endswith((".c", ".h")):
                continue
            mod = f"{folder}/{name[:-2]}"
            deps = graph.setdefault(mod, set())
            with open(os.path.join(path, name), encoding="utf-8") as f:
                text = f.read()
            for inc in INCLUDE.findall(text):
                where = f"lib/{folder}/{name}: #include \"{inc}\""
                if "/" not in inc:
                    bad.append(f"{where}: write the folder (\"base/{inc}\", ...)")
                    continue
                to = inc.split("/")[0]
                if to not in RANK:
                    bad.append(f"{where}: '{to}' is not a layer of lib/")
                elif to != folder and RANK[to] >= RANK[folder]:
                    bad.append(f"{where}: {folder} may not depend on {to} (same or higher layer)")
                target = inc[:-2] if inc.endswith(".h") else inc
                if target != mod:
                    deps.add(target)
    return graph, bad


def cycles(graph):
    """Every module that lies on a cycle, with one cycle through it."""
    found, state, stack = [], {}, []

    def visit(m):
        state[m] = 1
        stack.append(m)
        for d in sorted(graph.get(m, ())):
            if state.get(d) == 1:
                found.append(stack[stack.index(d):] + [d])
            elif d in graph and not state.get(d):
                visit(d)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if not state.get(m):
            visit(m)
    return found


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib")
    graph, bad = modules(root)
    bad += ["include cycle: " + " -> ".join(c) for c in cycles(graph)]
    for b in bad:
        print(b)
    if bad:
        print(f"FAIL check_layers: {len(bad)} problem(s)")
        return 1
    print(f"ok   check_layers: {len(graph)} modules in {len(set(m.split('/')[0] for m in graph))} layers, "
          "includes point down, no cycle")
    return 0


sys.exit(main())
