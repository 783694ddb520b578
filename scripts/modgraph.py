#!/usr/bin/env python3
"""The crate's module graph, read from its own source: which module imports which, and the circles.

    python3 scripts/modgraph.py [--src src] [--max-lines 600] [--edges] [--check]

A module is a file under src/ (src/a/mod.rs is `a`, src/a/b.rs is `a::b`; src/main.rs, the binary, is
left out). An import is every path the code names: `use crate::…` trees (braces expanded), inline
`crate::a::b::c` paths, `super::…` and `self::…`, and paths that start with a child module's name (as
`pub use check::X` in a parent). Comments and string literals are ignored. A path counts for the
longest module it names. Re-exports count like any other import: a parent that re-exports from its
child, and a child that imports from its parent, are a circle.

Prints the number of modules, imports, circles (strongly connected groups of two or more modules,
each with the imports that tie it), files over --max-lines without a reason (an opening `//!` line
that starts with `Length:`), and the public surface (`pub` items in src/, and what lib.rs exports).
With --check it exits 1 when there is a circle or an unexplained long file (CI runs it that way).
"""
import argparse
import os
import re
import sys


def strip(text):
    """Source without comments, string and char literals (kept as blanks so lines stay)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    if text[i] == "\n":
                        out.append("\n")
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append(" " + "\n" * text.count("\n", i, j))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(" " + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]) or (c == "'" and re.match(r"'\\u\{[0-9a-fA-F]+\}'", text[i:i + 12])):
            m = re.match(r"'(\\u\{[0-9a-fA-F]+\}|\\.|[^\\'])'", text[i:])
            out.append(" ")
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def modules(src):
    """{module path tuple: file}, the crate root as ()."""
    mods = {}
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(root, f)
            rel = os.path.relpath(path, src)[:-3].split(os.sep)
            if rel == ["main"]:
                continue
            if rel == ["lib"]:
                key = ()
            elif rel[-1] == "mod":
                key = tuple(rel[:-1])
            else:
                key = tuple(rel)
            mods[key] = path
    return mods


def expand(tree):
    """`a::{b, c::{d, e}}` → ['a::b', 'a::c::d', 'a::c::e']."""
    tree = re.sub(r"\s+as\s+\w+", "", tree)
    tree = re.sub(r"\s+", "", tree)
    out = []

    def walk(prefix, s):
        depth, start, parts = 0, 0, []
        for i, ch in enumerate(s):
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            elif ch == "," and depth == 0:
                parts.append(s[start:i])
                start = i + 1
        parts.append(s[start:])
        for p in parts:
            if not p:
                continue
            k = p.find("{")
            if k >= 0 and p.endswith("}"):
                walk(prefix + p[:k], p[k + 1:-1])
            else:
                out.append(prefix + p.split(" as ")[0])

    walk("", tree)
    return out


def resolve(path, here, mods):
    """The module a path names, from module `here` (None if outside the crate)."""
    segs = [s for s in path.split("::") if s]
    if not segs:
        return None
    if segs[0] == "crate":
        base, segs = (), segs[1:]
    elif segs[0] in ("super", "self"):
        base = here
        while segs and segs[0] in ("super", "self"):
            if segs[0] == "super":
                base = base[:-1]
            segs = segs[1:]
    elif here + (segs[0],) in mods:
        base = here
    else:
        return None
    best = base
    for i in range(len(segs)):
        cand = base + tuple(segs[: i + 1])
        if cand in mods:
            best = cand
        else:
            break
    return best


def without_tests(text):
    """The text without `#[cfg(test)] mod … { … }` blocks: tests are not part of the house."""
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*(?:#\[[^\]]*\]\s*)*mod\s+\w+\s*\{", text)
        if not m:
            return text
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        text = text[: m.start()] + "\n" * text.count("\n", m.start(), i) + text[i:]


def inline_mods(text):
    """`super::` inside an inline `mod x { … }` is the file's own module: written as `self::`."""
    out, pos = [], 0
    for m in re.finditer(r"\bmod\s+\w+\s*\{", text):
        if m.start() < pos:
            continue
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        out.append(text[pos:m.end()])
        out.append(text[m.end():i].replace("super::", "self::"))
        pos = i
    out.append(text[pos:])
    return "".join(out)


def imports(mods):
    edges = {}  # (a, b) -> set of names
    for here, file in mods.items():
        text = inline_mods(without_tests(strip(open(file, encoding="utf-8").read())))
        paths = []
        for m in re.finditer(r"\buse\s+([^;]+);", text):
            paths += expand(m.group(1))
        body = re.sub(r"\buse\s+[^;]+;", " ", text)
        paths += re.findall(r"\b(?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+", body)
        # Paths that start with a child module's name (`routes::check::zones_at`).
        for m in re.finditer(r"(?<![\w:])([a-z_][a-z0-9_]*)((?:::[A-Za-z_][A-Za-z0-9_]*)+)", body):
            if here + (m.group(1),) in mods:
                paths.append(m.group(0))
        for p in paths:
            target = resolve(p, here, mods)
            if target is None or target == here:
                continue
            # A module's own ancestors' `mod` items are not imports; a path through a parent
            # that names something in it is.
            edges.setdefault((here, target), set()).add(p.split("::")[-1])
    return edges


def sccs(nodes, edges):
    adj = {n: [] for n in nodes}
    for a, b in edges:
        adj[a].append(b)
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in adj[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for n in sorted(nodes):
        if n not in index:
            visit(n)
    return out


def name(m):
    return "crate" if not m else "::".join(m)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", default=os.path.join(os.path.dirname(__file__), "..", "src"))
    ap.add_argument("--max-lines", type=int, default=600)
    ap.add_argument("--edges", action="store_true", help="list every import")
    ap.add_argument("--check", action="store_true", help="exit 1 on a circle or an unexplained long file")
    a = ap.parse_args()
    mods = modules(a.src)
    edges = imports(mods)
    circles = sccs(mods.keys(), edges)
    print(f"modules: {len(mods)}  imports (module pairs): {len(edges)}  circles: {len(circles)}")
    for c in circles:
        members = set(c)
        print(f"  circle of {len(c)}: {', '.join(name(m) for m in c)}")
        for (x, y), names in sorted(edges.items()):
            if x in members and y in members:
                print(f"    {name(x)} -> {name(y)}: {', '.join(sorted(names)[:6])}")
    if a.edges:
        for (x, y), names in sorted(edges.items()):
            print(f"  {name(x)} -> {name(y)}: {', '.join(sorted(names))}")
    sizes = []
    for m, f in mods.items():
        lines = open(f, encoding="utf-8").read().split("\n")
        head = [l for l in lines[:40] if l.startswith("//!")]
        reason = any(l[3:].strip().startswith("Length:") for l in head)
        sizes.append((len(lines) - 1, os.path.relpath(f, os.path.join(a.src, "..")), reason))
    sizes.sort(reverse=True)
    print("largest files: " + ", ".join(f"{p} {n}" for n, p, _ in sizes[:8]))
    long = [(n, p) for n, p, r in sizes if n > a.max_lines and not r]
    print(f"files over {a.max_lines} lines without a `Length:` reason: {len(long)}"
          + "".join(f"\n  {p} {n}" for n, p in long))
    pub = 0
    for f in mods.values():
        pub += len(re.findall(r"^\s*pub\s+(?:async\s+|unsafe\s+|const\s+)*(?:fn|struct|enum|trait|type|const|static|mod|use)\b",
                              strip(open(f, encoding="utf-8").read()), re.M))
    lib = strip(open(mods[()], encoding="utf-8").read())
    surface = sum(len(expand(m.group(1))) for m in re.finditer(r"^\s*pub\s+use\s+([^;]+);", lib, re.M))
    pub_mods = len(re.findall(r"^\s*pub\s+mod\s+\w+", lib, re.M))
    print(f"public items (pub, not pub(crate)) in src/: {pub}; lib.rs exports: {surface} names by `pub use`, {pub_mods} `pub mod`")
    if a.check and (circles or long):
        sys.exit(1)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        sys.exit(0)
