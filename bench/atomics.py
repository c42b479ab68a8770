# SPDX-License-Identifier: GPL-2.0
"""Atomic read-modify-write instructions in a loaded BPF program.

The bench dumps each program's xlated instructions (what the verifier
left, the JIT's input: `bpftool prog dump xlated id N file F`) and counts
the BPF_STX | BPF_ATOMIC instructions (lock add/and/or/xor, their fetch
forms, xchg, cmpxchg) on the paths from the program's entry to an exit.
A branch can skip an atomic, so a program's count per run is a range:
the fewest and the most on any path, calls into subprograms (global
functions) included with their own range. Equal ends mean every run
executes exactly that many. Helpers' own atomics (a ring buffer's spin
lock) are not BPF instructions and are not counted here.

No kernel is needed to test it: parse() and per_run() take bytes.
"""
import struct

BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_ALU, BPF_JMP, BPF_JMP32, BPF_ALU64 = range(8)
BPF_ATOMIC = 0xc0
BPF_PSEUDO_CALL = 1
BPF_PSEUDO_FUNC = 4
# atomic-mode operations that are no read-modify-write (6.15+)
LOAD_ACQ, STORE_REL = 0x100, 0x110


class Insn:
    __slots__ = ("code", "dst", "src", "off", "imm")

    def __init__(self, code, regs, off, imm):
        self.code, self.dst, self.src = code, regs & 0xf, regs >> 4
        self.off, self.imm = off, imm

    @property
    def cls(self):
        return self.code & 7

    @property
    def op(self):
        return self.code & 0xf0

    def is_atomic_rmw(self):
        return (self.cls == BPF_STX and self.code & 0xe0 == BPF_ATOMIC and
                self.imm not in (LOAD_ACQ, STORE_REL))


def parse(raw):
    """The 8-byte instructions of raw (little-endian, as on x86)."""
    return [Insn(*struct.unpack_from("<BBhi", raw, i)) for i in range(0, len(raw) - 7, 8)]


def _call_target(pc, ins, n):
    """A BPF-to-BPF call's target. Once JITed, the kernel keeps the
    relative offset in off and the subprogram's index in imm (verifier.c,
    jit_subprogs()); before, the offset is in imm."""
    for rel in ((ins.off, ins.imm) if ins.off else (ins.imm,)):
        t = pc + rel + 1
        if 0 <= t < n:
            return t
    return None


def per_run(insns):
    """(fewest, most) atomic RMW instructions from insns[0] to an exit;
    most is None when an atomic sits in a loop (no bound from the code)."""
    n = len(insns)
    memo = {}

    def succ(pc):
        ins = insns[pc]
        if ins.code == (BPF_LD | 0x18):          # ld_imm64: two slots
            return [pc + 2]
        if ins.cls not in (BPF_JMP, BPF_JMP32):
            return [pc + 1]
        if ins.op == 0x90:                       # exit
            return []
        if ins.op == 0x80:                       # call: returns here
            return [pc + 1]
        if ins.op == 0x00:                       # ja (gotol in JMP32)
            return [pc + 1 + (ins.imm if ins.cls == BPF_JMP32 else ins.off)]
        return [pc + 1, pc + 1 + ins.off]

    def func(entry):
        if entry in memo:
            return memo[entry]
        memo[entry] = (0, 0)                     # no recursion in BPF
        # the blocks reachable from entry, weighted: an atomic 1, a call
        # its callee's range
        nodes, stack = set(), [entry]
        while stack:
            pc = stack.pop()
            if pc in nodes or not 0 <= pc < n:
                continue
            nodes.add(pc)
            stack.extend(succ(pc))
        w = {}
        for pc in nodes:
            ins = insns[pc]
            if ins.is_atomic_rmw():
                w[pc] = (1, 1)
            elif ins.code == (BPF_LD | 0x18) and ins.src == BPF_PSEUDO_FUNC:
                # a callback handed to a helper (bpf_find_vma()'s): it
                # runs at most once there, or not at all
                t = pc + ins.imm + 1
                w[pc] = (0, func(t)[1]) if 0 <= t < n else (0, None)
            elif ins.code == (BPF_JMP | 0x80) and ins.src == BPF_PSEUDO_CALL:
                t = _call_target(pc, ins, n)
                w[pc] = func(t) if t is not None else (0, None)
            else:
                w[pc] = (0, 0)
        exits = [pc for pc in nodes if not succ(pc)]
        # fewest: shortest path (weights >= 0), Bellman-Ford style
        INF = float("inf")
        lo = {pc: INF for pc in nodes}
        lo[entry] = w[entry][0]
        changed = True
        while changed:
            changed = False
            for pc in nodes:
                if lo[pc] == INF:
                    continue
                for s in succ(pc):
                    if s in nodes and lo[pc] + w[s][0] < lo[s]:
                        lo[s] = lo[pc] + w[s][0]
                        changed = True
        fewest = min((lo[pc] for pc in exits), default=0)
        # most: longest path, back edges (loops) left out; an atomic in a
        # loop has no bound from the code
        post, onpath, seen, back = [], set(), {entry}, set()
        work = [(entry, iter(succ(entry)))]
        onpath.add(entry)
        while work:
            pc, it = work[-1]
            s = next(it, None)
            if s is None:
                work.pop()
                onpath.discard(pc)
                post.append(pc)
            elif s in nodes:
                if s in onpath:
                    back.add((pc, s))
                elif s not in seen:
                    seen.add(s)
                    onpath.add(s)
                    work.append((s, iter(succ(s))))
        hi, unbounded = {}, False
        for pc in post:
            own = w[pc][1]
            if own is None:
                unbounded = True
            hi[pc] = (own or 0) + max((hi[s] for s in succ(pc)
                                       if s in hi and (pc, s) not in back), default=0)
        most = hi.get(entry, 0)
        if back and _atomic_in_cycle(nodes, succ, w):
            unbounded = True
        memo[entry] = (int(fewest) if fewest != INF else 0,
                       None if unbounded else most)
        return memo[entry]

    return func(0) if n else (0, 0)


def _atomic_in_cycle(nodes, succ, w):
    """Whether an instruction with a weight sits on a cycle (Tarjan's
    strongly connected components, iteratively)."""
    index, low, on, st, comp_of = {}, {}, set(), [], {}
    counter = [0]
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter([s for s in succ(root) if s in nodes]))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        st.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            nxt = next(it, None)
            if nxt is not None:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    st.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter([s for s in succ(nxt) if s in nodes])))
                elif nxt in on:
                    low[v] = min(low[v], index[nxt])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    x = st.pop()
                    on.discard(x)
                    comp.append(x)
                    if x == v:
                        break
                cyclic = len(comp) > 1 or v in succ(v)
                if cyclic and any(w[x] != (0, 0) for x in comp):
                    return True
    return False


def _selftest():
    """python3 bench/atomics.py: the counting rules on hand-made code."""
    def i(code, dst=0, src=0, off=0, imm=0):
        return struct.pack("<BBhi", code, dst | src << 4, off, imm)
    add, ex, jeq, mov, call = 0xdb, 0x95, 0x15, 0xb7, 0x85
    cases = [
        # a branch skips one; a call (JITed: off relative) adds two
        ([i(mov), i(jeq, 1, 0, 1), i(add, 1, 2), i(call, 0, 1, 1, 5), i(ex),
          i(add, 1, 2), i(add, 1, 2), i(ex)], (2, 3)),
        ([i(mov), i(add, 1, 2), i(jeq, 1, 0, -2), i(ex)], (1, None)),   # in a loop
        ([i(mov), i(jeq, 1, 0, -2), i(add, 1, 2), i(ex)], (1, 1)),      # after one
        ([i(add, 1, 2, 0, 0x100), i(ex)], (0, 0)),                     # load-acquire
        ([i(0x18), i(0), i(add, 1, 2), i(ex)], (1, 1)),                # ld_imm64
        ([i(add, 1, 2, 0, 0xf1), i(0xc3, 1, 2, 0, 0xe1), i(ex)], (2, 2)),  # cmpxchg, xchg
    ]
    for n, (code, want) in enumerate(cases):
        got = per_run(parse(b"".join(code)))
        assert got == want, "case %d: %s, want %s" % (n, got, want)
    print("atomics.py: %d cases passed" % len(cases))


if __name__ == "__main__":
    _selftest()
