#!/usr/bin/env python3
"""No function in lib/, netd/ or plugins/ longer than LIMIT lines (issue 9).

A function is counted from the line of its opening brace (in column 0) to the line of its
closing one, as the style writes them. `--list N` prints every function longer than N
lines, longest first, and checks nothing.

"""
import glob
import re
import sys

LIMIT = 80
SIGNATURE = re.compile(r"(\w+)\s*\([^;{]*$", re.S)


def functions(path):
    """(length, name, line) of each function definition in path."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out, start, name = [], None, None
    for i, line in enumerate(lines):
        if start is None and line.startswith("{"):
            # The signature: the lines above, back to a blank line, a comment end or a ';'.
            j, sig = i - 1, ""
            while j >= 0 and lines[j].strip() and not lines[j].rstrip().endswith((";", "*/", "}")) \
                    and not lines[j].startswith("#"):
                sig = lines[j] + "\n" + sig
                j -= 1
            sig = re.sub(r"__attribute__\s*\(\(.*?\)\)", "", sig, flags=re.S)
            m = SIGNATURE.search(sig)
            if m and "=" not in sig.split("(")[0]:
                start, name = i, m.group(1)
        elif start is not None and line.startswith("}"):
            out.append((i - start + 1, name, start + 1))
            start = None
    return out


def main():
    files = sorted(glob.glob("lib/*/*.c") + glob.glob("netd/*.c") + glob.glob("plugins/*/*.c"))
    if len(sys.argv) == 3 and sys.argv[1] == "--list":
        rows = [(n, f, at, name) for f in files for n, name, at in functions(f) if n > int(sys.argv[2])]
        for n, f, at, name in sorted(rows, reverse=True):
            print(f"{n:5d} {f}:{at} {name}")
        return 0
    bad = [(n, f, at, name) for f in files for n, name, at in functions(f)
           if n > LIMIT]
    for n, f, at, name in bad:
        print(f"{f}:{at}: {name} is {n} lines, more than {LIMIT}: split it")
    if bad:
        print("FAIL check_funcs")
        return 1
    count = sum(len(functions(f)) for f in files)
    print(f"ok   check_funcs: {count} functions in lib/, netd/, plugins/, none over {LIMIT} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
