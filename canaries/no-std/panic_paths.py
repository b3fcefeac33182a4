#!/usr/bin/env python3
"""Which exported entry points of the canary library still reach a panic.

Usage: panic_paths.py LIB.so [--expect-free NAME...]

Reads the disassembly (objdump -d) of a release/LTO build, builds the direct call graph
(call and jmp targets), and for every exported `segloss_*` entry point reports whether it
reaches a panic function (`core::panicking::*`, `core::slice::index::*_fail`, the panic
handler). For every reachable call site of a panic function it prints the inline chain's
innermost segloss frame (addr2line -i on the call address), i.e. which core function keeps
the panic path and why. Exits 1 if an entry point named with --expect-free has one.
"""
import re
import subprocess
import sys
from collections import defaultdict

lib = sys.argv[1]
expect_free = set(sys.argv[sys.argv.index("--expect-free") + 1:]) if "--expect-free" in sys.argv else set()
# The negative control must be found, or the check sees nothing.
expect_panic = {"control"}

asm = subprocess.run(["objdump", "-d", "--no-show-raw-insn", "-C", lib],
                     capture_output=True, text=True, check=True).stdout
head = re.compile(r"^([0-9a-f]+) <(.*)>:$")
branch = re.compile(r"^\s*([0-9a-f]+):\s+(call|jmp|j[a-z]+)\s+[0-9a-f]+ <(.*?)(\+0x[0-9a-f]+)?>")
edges = defaultdict(set)
sites = defaultdict(list)  # function -> [(addr, panic callee)]
jumps_to = defaultdict(list)  # address -> [addresses of branches to it]
calls_of = defaultdict(list)  # function -> [(caller, call address)]
direct = re.compile(r"^\s*([0-9a-f]+):\s+(j[a-z]+)\s+([0-9a-f]+) <")
fn = None
functions = set()
PANIC = re.compile(r"core::panicking::|core::slice::index::.*fail|slice_.*_fail|rust_begin_unwind|"
                   r"segloss_panic_path_remains|core::option::unwrap_failed|core::result::unwrap_failed")
for line in asm.splitlines():
    m = head.match(line)
    if m:
        fn = m.group(2)
        functions.add(fn)
        continue
    d = direct.match(line)
    if d:
        jumps_to[d.group(3)].append(d.group(1))
    m = branch.match(line)
    if m and fn and m.group(2) == "call":
        calls_of[m.group(3)].append((fn, m.group(1)))
    if m and fn:
        target = m.group(3)
        if target != fn:
            edges[fn].add(target)
        if PANIC.search(target) and not PANIC.search(fn):
            sites[fn].append((m.group(1), target))

entries = sorted(f for f in functions if re.fullmatch(r"segloss_[a-z_0-9]+", f)
                 and f != "segloss_panic_path_remains")
entries = sorted(set(entries))


def chain(addr):
    out = subprocess.run(["addr2line", "-f", "-i", "-C", "-e", lib, "0x" + addr],
                         capture_output=True, text=True).stdout.splitlines()
    return list(zip(out[0::2], out[1::2]))


def frames(addr, fn, depth=0):
    """The innermost core frames that lead to the panic call at `addr` in `fn`."""
    pairs = chain(addr)
    lib_call = pairs[0][0].split("::")[-1] if pairs else "?"
    for name, loc in pairs:
        if name.startswith("segloss::") or "<segloss::" in name:
            if loc.endswith(":?") and depth < 2 and jumps_to.get(addr):
                # a call site shared by several branches: report the branches
                return set().union(*(frames(j, fn, depth + 1) for j in jumps_to[addr]))
            loc = re.sub(r".*/(core/src/)", r"\1", loc)
            return {f"{name} ({loc}): {lib_call}"}
    # the panic sits in a library function that was not inlined: report its callers
    if depth < 2 and calls_of.get(fn):
        return set().union(*(frames(a, caller, depth + 1) for caller, a in calls_of[fn]))
    return {f"{pairs[0][0] if pairs else fn}"}


failed = False
for e in entries:
    seen, stack, found = set(), [e], []
    while stack:
        f = stack.pop()
        if f in seen:
            continue
        seen.add(f)
        found.extend((f, a) for a, _ in sites.get(f, []))
        stack.extend(t for t in edges.get(f, ()) if not PANIC.search(t))
    where = sorted(set().union(set(), *(frames(a, f) for f, a in found)))
    status = "panic path" if where else "no panic path"
    print(f"{e}: {status}")
    for w in where:
        print(f"    {w}")
    name = e.removeprefix("segloss_")
    if where and name in expect_free:
        failed = True
        print(f"    ERROR: {e} was expected to have no panic path")
    if not where and name in expect_panic:
        failed = True
        print(f"    ERROR: the negative control {e} shows no panic path: the check is blind")
    if not where and expect_free and name not in expect_free | expect_panic:
        print(f"    NOTE: {e} has no panic path any more: add it to PANIC_FREE in check.sh")
sys.exit(1 if failed else 0)
