#!/usr/bin/env python3
"""Checks that weir's source folders include only downward.

Layers, lowest first: base < lib < jobs < sinks < runtime < actors < web < app.
A file's layer is the first component of its path relative to the root; only
*.hpp, *.cpp, *.h and *.cc files under those eight folders are checked (tests/,
bench/, deploy/, a room's own tests/ folder and everything else may include
anything).

For every quoted include (#include "a/b.hpp", root-relative; angle-bracket
includes and commented-out includes are ignored) it reports:

  * an include of a path that does not exist under the root (a stale path);
  * an include of a HIGHER layer (an upward include);
  * inside one layer: the layer's common part (files directly in the layer
    folder) including one of the layer's rooms (subfolders: for
    jobs/windowed/x.hpp the room is jobs/windowed), and cycles in the graph
    of rooms (a room may include the common part and other rooms, as long as
    the room graph stays acyclic).

Usage: check_layers.py [--root DIR]   (default: the repo root, two levels up)
Exit 0 with a one-line summary when clean, 1 with one line per violation.
Importable: check(root) -> list[str] returns the violation lines.
"""

import argparse
import os
import posixpath
import re
import sys

LAYERS = ("base", "lib", "jobs", "sinks", "runtime", "actors", "web", "app")
RANK = {name: i for i, name in enumerate(LAYERS)}
ORDER = " < ".join(LAYERS)
SOURCE_SUFFIXES = (".hpp", ".cpp", ".h", ".cc")

# After comments are blanked out: optional blanks, '#', blanks, 'include',
# blanks, then a quoted path. Angle-bracket includes do not match.
INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*"([^"\n]*)"', re.MULTILINE)


def strip_comments(text):
    """Returns text with // and /* */ comments replaced by blanks.

    Newlines are kept (so line numbers stay right). String and character
    literals are skipped over whole (so "a//b" is not a comment); raw string
    literals, the only ones that can span lines, are blanked too.
    """
    out = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if c == "/" and nxt == "/":
            # Line comment: up to the newline (a trailing backslash continues
            # it onto the next line, as in the preprocessor).
            j = i
            while j < n and text[j] != "\n":
                if text[j] == "\\" and j + 1 < n and text[j + 1] == "\n":
                    out.append(" ")
                    out.append("\n")
                    j += 2
                    continue
                out.append(" ")
                j += 1
            i = j
        elif c == "/" and nxt == "*":
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif c == "R" and nxt == '"' and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            # Raw string literal R"delim( ... )delim".
            paren = text.find("(", i + 2)
            if paren < 0 or paren - (i + 2) > 16 or "\n" in text[i + 2:paren]:
                out.append(c)
                i += 1
                continue
            delim = text[i + 2:paren]
            end = text.find(")" + delim + '"', paren + 1)
            end = n if end < 0 else end + len(delim) + 2
            # Blanked (newlines kept): an "#include" line inside it is text.
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif c == "'" and _in_number(text, i):
            out.append(c)  # a digit separator, as in 1'000'000
            i += 1
        elif c == '"' or c == "'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(text[i:j])
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _in_number(text, i):
    """Whether the quote at text[i] sits inside a numeric literal."""
    j = i
    while j > 0 and (text[j - 1].isalnum() or text[j - 1] in "_.'"):
        j -= 1
    return j < i and text[j].isdigit()


def quoted_includes(text):
    """Yields (line number, included path) for each quoted include."""
    code = strip_comments(text)
    for m in INCLUDE_RE.finditer(code):
        yield code.count("\n", 0, m.start()) + 1, m.group(1)


def room_of(relpath):
    """The room of a root-relative path inside a layer.

    jobs/windowed/x.hpp -> jobs/windowed; jobs/spec.hpp -> jobs (the common
    part); sinks/s3/detail/x.hpp -> sinks/s3.
    """
    parts = relpath.split("/")
    return parts[0] if len(parts) <= 2 else parts[0] + "/" + parts[1]


def source_files(root):
    """Root-relative paths ('/'-separated, sorted) of the files to check."""
    found = []
    for layer in LAYERS:
        top = os.path.join(root, layer)
        if not os.path.isdir(top):
            continue
        for dirpath, dirnames, filenames in os.walk(top):
            # A room's own tests (sinks/mysql/tests/) are test code, as tests/ is.
            dirnames[:] = sorted(d for d in dirnames if d != "tests")
            for name in filenames:
                if name.endswith(SOURCE_SUFFIXES):
                    rel = os.path.relpath(os.path.join(dirpath, name), root)
                    found.append(rel.replace(os.sep, "/"))
    return sorted(found)


def find_cycle(nodes, edges):
    """One cycle through the strongly connected set `nodes`, as a node list
    whose last element equals its first (shortest cycle through the
    smallest node, by breadth-first search)."""
    start = min(nodes)
    prev = {start: None}
    queue = [start]
    while queue:
        cur = queue.pop(0)
        for nxt in sorted(edges.get(cur, {})):
            if nxt not in nodes:
                continue
            if nxt == start:
                path = [cur]
                while prev[path[-1]] is not None:
                    path.append(prev[path[-1]])
                path.reverse()
                return path + [start]
            if nxt not in prev:
                prev[nxt] = cur
                queue.append(nxt)
    return [start, start]


def strongly_connected(edges):
    """Tarjan's algorithm; returns the components with more than one node."""
    index = {}
    low = {}
    stack = []
    on_stack = set()
    result = []
    counter = [0]
    nodes = sorted(set(edges) | {t for ts in edges.values() for t in ts})

    def visit(v):
        # Iterative, so deep graphs do not hit the recursion limit.
        work = [(v, iter(sorted(edges.get(v, {}))))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(edges.get(w, {})))))
                    advanced = True
                    break
                if w in on_stack:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = set()
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.add(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    result.append(comp)

    for v in nodes:
        if v not in index:
            visit(v)
    return sorted(result, key=min)


def check_tree(root):
    """Returns (violation lines, files checked, includes checked)."""
    root = os.path.abspath(root)
    errors = []
    # room_edges[layer][from_room][to_room] = "file:line includes \"x\""
    room_edges = {}
    files = source_files(root)
    n_includes = 0

    for rel in files:
        layer = rel.split("/", 1)[0]
        src_room = room_of(rel)
        try:
            with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
                text = f.read()
        except OSError as e:
            errors.append(f"{rel}: cannot read: {e.strerror}")
            continue

        for line, inc in quoted_includes(text):
            n_includes += 1
            where = f'{rel}:{line}: includes "{inc}"'
            target = posixpath.normpath(inc)
            if inc.startswith("/") or target == ".." or target.startswith("../"):
                errors.append(f"{where}: not a path inside the root "
                              "(quoted includes are root-relative, like \"jobs/spec.hpp\")")
                continue
            if not os.path.isfile(os.path.join(root, *target.split("/"))):
                errors.append(f"{where}: no such file under the root (stale path?)")

            dst_layer = target.split("/", 1)[0]
            if dst_layer not in RANK or "/" not in target:
                continue
            if RANK[dst_layer] > RANK[layer]:
                errors.append(f"{where}: layer '{layer}' may not include layer "
                              f"'{dst_layer}' (order: {ORDER})")
                continue
            if dst_layer != layer:
                continue
            dst_room = room_of(target)
            if dst_room == src_room or dst_room == layer:
                continue  # within one room, or a room using the common part
            if src_room == layer:
                errors.append(f"{where}: the common part of layer '{layer}' "
                              f"may not include its room '{dst_room}'")
                continue
            room_edges.setdefault(layer, {}).setdefault(src_room, {}).setdefault(
                dst_room, f'{rel}:{line} includes "{inc}"')

    for layer in LAYERS:
        edges = room_edges.get(layer, {})
        for comp in strongly_connected(edges):
            cycle = find_cycle(comp, edges)
            because = "; ".join(edges[a][b] for a, b in zip(cycle, cycle[1:]))
            msg = (f"room cycle in layer '{layer}': {' -> '.join(cycle)} "
                   f"({because})")
            others = sorted(comp - set(cycle))
            if others:
                msg += f" [also in this cycle group: {', '.join(others)}]"
            errors.append(msg)

    return errors, len(files), n_includes


def check(root):
    """Returns the violation lines for the tree at `root` (empty when clean)."""
    return check_tree(root)[0]


def main(argv=None):
    default_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser = argparse.ArgumentParser(
        description="Check that weir's source layers include only downward "
                    f"({ORDER}).")
    parser.add_argument("--root", default=default_root,
                        help="repository root (default: %(default)s)")
    args = parser.parse_args(argv)
    if not os.path.isdir(args.root):
        print(f"check_layers: no such directory: {args.root}", file=sys.stderr)
        return 2
    errors, n_files, n_includes = check_tree(args.root)
    for e in errors:
        print(e)
    if errors:
        print(f"layers FAILED: {len(errors)} violation(s) in {n_files} files, "
              f"{n_includes} includes checked", file=sys.stderr)
        return 1
    print(f"layers ok: {n_files} files, {n_includes} includes checked")
    return 0


if __name__ == "__main__":
    sys.exit(main())
