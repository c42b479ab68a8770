#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""daxtrace end-to-end tests. Run inside the daxvm guest (tests/e2e/run).

Every case starts daxtrace, waits for its "probes" record (printed only
once everything is attached), runs one daxload case, stops daxtrace with
SIGINT and compares its JSON with daxload's own ground truth, exactly.
"""
import faulthandler
import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DAXTRACE = os.path.join(ROOT, "build", "daxtrace")
DAXLOAD = os.path.join(ROOT, "build", "daxload")
DEVDAX = os.environ.get("DAXVM_DEVDAX", "dax0.0")
PMEM = os.environ.get("DAXVM_PMEM", "pmem0.1")
FS = os.environ.get("DAXVM_FS", "ext4")
# E2E_BACKEND=ftrace runs the same suite through the ftrace backend; what
# that backend cannot measure is skipped where noted (BPF-only below).
FTRACE = os.environ.get("E2E_BACKEND") == "ftrace"
BACKEND = ["--backend", "ftrace"] if FTRACE else []
MNT = os.environ.get("DAXVM_MNT", "/mnt/dax")


def preempt_model():
    """The kernel's preemption model, read here, not from daxtrace: the
    bracketed mode of sched/preempt ("none (voluntary) full" -> voluntary)."""
    try:
        with open("/sys/kernel/debug/sched/preempt") as f:
            m = re.search(r"\((\w+)\)", f.read())
    except OSError:
        return None
    return m.group(1) if m else None


PREEMPT = preempt_model()
# A preempted fentry program is skipped for the CPU's other tasks: where
# tracing programs can be preempted, the BPF backend takes kprobes.
PREEMPTIBLE = PREEMPT in ("full", "lazy", "rt")
METHOD = "kprobe" if FTRACE or PREEMPTIBLE else "fentry"
# The kernel reports a kprobe's own misses (a kretprobe out of instances)
# through bpf_link_info from 6.7 on; before, a kprobe target's skipped runs
# cannot be read.
KPROBE_MISSED = tuple(map(int, re.match(r"(\d+)\.(\d+)", os.uname().release).groups())) >= (6, 7)


def skipped_zero(method):
    """A target's skipped runs with nothing skipped: 0 where they can be
    read, None (never a 0 nobody measured) where they cannot. The ftrace
    backend reads its kprobe events' misses from kprobe_profile; its
    tracepoints have none to read."""
    if FTRACE:
        return 0 if method == "kprobe" else None
    if method == "kprobe" and not KPROBE_MISSED:
        return None
    return 0


def may_be_short(t, case):
    """The stats record says whether its counts may be short: some runs
    skipped, or some attached target's skips unreadable (kernel_skipped_unread,
    exactly those the probes record has null for)."""
    st = t.of("stats")[-1]
    unread = sorted(x["target"] for x in t.of("probes")[0]["targets"]
                    if x["attached"] and x.get("skipped") is None)
    eq(sorted(st["kernel_skipped_unread"]), unread, case + ": targets whose skips are unread")
    eq(st["counts_may_be_short"], bool(st["kernel_skipped_total"] or unread),
       case + ": counts_may_be_short")

failures = []
passes = 0


def check(cond, what):
    global passes
    if cond:
        passes += 1
    else:
        failures.append(what)
        print("  FAIL: " + what, flush=True)


def eq(got, want, what):
    check(got == want, "%s: got %r, want %r" % (what, got, want))


class Trace:
    """One daxtrace run, parsed."""

    def __init__(self, args):
        self.args = args
        self.records = []
        self.stderr = ""
        self.rc = None
        self.proc = None
        self.startup = None
        self.early_err = ""

    def start(self):
        t0 = time.monotonic()
        self.proc = subprocess.Popen([DAXTRACE, "-j"] + BACKEND + self.args,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.ready_line()
        if not line:
            self.rc = self.proc.wait()
            self.stderr = self.early_err + self.proc.stderr.read()
            raise RuntimeError("daxtrace %s exited %d before attaching: %s" %
                               (" ".join(self.args), self.rc, self.stderr.strip()))
        self.startup = time.monotonic() - t0
        rec = json.loads(line)
        self.records.append(rec)
        # a BPF run that fell back to ftrace would pass most tests unseen
        args = BACKEND + self.args
        want = args[args.index("--backend") + 1] if "--backend" in args else "bpf"
        if rec.get("backend") not in (want, None) and want != "auto":
            self.proc.kill()
            raise RuntimeError("daxtrace %s ran the %s backend, not %s: %s" %
                               (" ".join(self.args), rec.get("backend"), want,
                                self.early_err.strip()))
        return self

    def ready_line(self, limit=300):
        """The first stdout line, read unbuffered while stderr is drained:
        a daxtrace blocked on a full stderr pipe must not look like a hang."""
        out, err = self.proc.stdout.fileno(), self.proc.stderr.fileno()
        line, errs, fds = b"", b"", [out, err]
        deadline = time.monotonic() + limit
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0:
                self.proc.kill()
                raise RuntimeError("daxtrace %s: no probes record in %d s" %
                                   (" ".join(self.args), limit))
            ready, _, _ = select.select(fds, [], [], left)
            if err in ready:
                b = os.read(err, 65536)
                errs += b
                if not b:
                    fds.remove(err)
            if out in ready:
                b = os.read(out, 1)
                if not b:
                    break
                line += b
        self.early_err = errs.decode(errors="replace")
        return line.decode()

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        out, err = self.proc.communicate(timeout=120)
        self.rc = self.proc.returncode
        self.stderr = self.early_err + err
        for line in out.splitlines():
            self.records.append(json.loads(line))
        return self

    def of(self, typ):
        return [r for r in self.records if r["type"] == typ]

    def summary(self, dev, op):
        for r in self.of("summary"):
            if r["device"] == dev and r["op"] == op:
                return r
        return None

    def checks(self, dev):
        return {r["check"]: r for r in self.of("check") if r["device"] == dev}

    def events(self, op=None):
        return [r for r in self.of("event") if op is None or r["op"] == op]


def rss_kib(pid):
    """Resident KiB from a walk of the page tables (smaps_rollup). VmRSS
    comes from counters each thread batches (6.1: 64 faults at a time), and
    lagged the page tables by 2 MiB here, then caught up: a false growth."""
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith("Rss:"):
                return int(line.split()[1])
    return -1


def thp_state(pid):
    """(THP_enabled, AnonHugePages KiB) of a process. daxtrace opts out of
    transparent huge pages: one in its heap of a few MB added 2 MiB to RSS
    in one run in five or so."""
    with open("/proc/%d/status" % pid) as f:
        enabled = [l.split()[1] for l in f if l.startswith("THP_enabled:")]
    with open("/proc/%d/smaps_rollup" % pid) as f:
        huge = [int(l.split()[1]) for l in f if l.startswith("AnonHugePages:")]
    return (enabled[0] if enabled else None, huge[0] if huge else None)


def daxload(*cases):
    p = subprocess.run([DAXLOAD] + list(cases), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("daxload %s failed (%d): %s" % (cases, p.returncode, p.stderr))
    return [json.loads(l) for l in p.stdout.splitlines()]


def traced(cases, args=None, procs=1):
    """cases run by daxload under daxtrace, in procs processes one after another."""
    t = Trace((args or ["-c", "daxload"])).start()
    try:
        truth = []
        for _ in range(procs):
            truth += daxload(*cases)
    finally:
        t.stop()
    eq(t.rc, 0, "daxtrace exit status")
    st = t.of("stats")
    check(len(st) == 1 and st[0]["ringbuf_dropped"] == 0 and st[0]["map_full"] == 0,
          "no ring-buffer drops or full maps: %r" % st)
    return t, truth


def op_truth(truth, op):
    calls = req = done = short = 0
    errors = {}
    for c in truth:
        for o in c["ops"]:
            if o["op"] != op:
                continue
            calls += o["calls"]
            req += o["bytes_requested"]
            done += o["bytes_done"]
            short += o["short"]
            for k, v in o["errors"].items():
                errors[k] = errors.get(k, 0) + v
    return dict(calls=calls, bytes_requested=req, bytes_done=done, short=short,
                errors=errors)


def compare_rw(t, truth, case):
    for op in ("read", "write"):
        want = op_truth(truth, op)
        got = t.summary(PMEM, op)
        if want["calls"] == 0:
            check(got is None, "%s: no %s summary expected, got %r" % (case, op, got))
            continue
        if got is None:
            check(False, "%s: no %s summary for %s" % (case, op, PMEM))
            continue
        for k in ("calls", "bytes_requested", "bytes_done", "short", "errors"):
            eq(got[k], want[k], "%s: %s %s" % (case, op, k))


def lat_count(summary):
    """Calls whose latency was measured: the latency histogram's total."""
    return sum(n for _, n in summary["lat_hist_ns"]) if summary else None


def no_failed_checks(t, case, allowed=()):
    for name, c in t.checks(PMEM).items():
        if name not in allowed:
            eq(c["fail"], 0, "%s: check %s fail count" % (case, name))


# daxtrace -v: where the kernel symbols came from
SYMBOLS_FROM = r"symbols: \d+ in kernel BTF, \d+ (asked of the kernel|from /proc/kallsyms)"


def test_list_probes():
    print("list-probes", flush=True)
    p = subprocess.run([DAXTRACE, "--list-probes", "-j", "-v"] + BACKEND, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    eq(p.returncode, 0, "--list-probes exit status")
    # start-up: symbols from BTF and the kernel's own look-up, /proc/kallsyms not read
    eq(re.findall(SYMBOLS_FROM, p.stderr), ["asked of the kernel"],
       "-v: where the symbols came from")
    rec = json.loads(p.stdout.splitlines()[0])
    eq(rec["backend"], "ftrace" if FTRACE else "bpf", "backend")
    t = {x["target"]: x for x in rec["targets"]}
    for name in ("dax_iomap_rw", "dax_direct_access", "pmem_dax_direct_access",
                 "dax_copy_to_iter", "dax_copy_from_iter", "dax_iomap_fault",
                 "dev_dax_huge_fault"):
        check(t[name]["attached"] and t[name]["method"] == METHOD,
              "%s attached by %s: %r" % (name, METHOD, t[name]))
        # measured from the start: a number, never an unmeasured 0
        eq(t[name].get("skipped"), skipped_zero(t[name]["method"]),
           "%s: runs skipped so far" % name)
    eq(rec.get("preempt"), PREEMPT, "the preemption model daxtrace found")
    # a module's function names its module (what bench.py's floor attaches to)
    eq([t[n].get("module") for n in ("dax_iomap_rw", "pmem_dax_direct_access",
                                      "dev_dax_huge_fault")],
       [None, "nd_pmem", "device_dax"], "targets' modules")
    if FTRACE:
        cov = json.loads(p.stdout.splitlines()[1])
        eq(sorted(cov["unavailable_checks"]), ["direct_access.kaddr_kernel",
           "direct_access.kaddr_pfn", "iter.progress"], "ftrace: checks it cannot make")
        eq(os.listdir("/sys/kernel/tracing/instances"), [], "ftrace: no instance left")
        with open("/sys/kernel/tracing/kprobe_events") as f:
            eq(f.read(), "", "ftrace: no kprobe event left")
    else:
        # CO-RE relocated against the minimal BTF, and the first load took it
        core = re.findall(r"CO-RE: relocating against (\d+) kernel types .*: the (\d+) "
                          r"that go by the names of the object's (\d+) relocation roots",
                          p.stderr)
        check(len(core) == 1 and all(int(x) > 0 for x in core[0]),
              "-v: CO-RE's minimal BTF: %r" % core)
        check("optimistic load refused" not in p.stderr, "-v: the first load succeeded")
        # attach ids and CO-RE's types handed over: libbpf reads no kernel BTF of its own
        check("libbpf did not parse the kernel's BTF" in p.stderr,
              "-v: libbpf left the kernel's BTF alone")
        # the raw BTF reader on a kernel with module BTF (the host has none)
        u = subprocess.run([os.path.join(ROOT, "build", "test_core_btf")],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        check(u.returncode == 0 and re.search(r"module \S+'s BTF read split", u.stdout) and
              re.search(r"test_core_btf: \d+ checks, 0 failed", u.stdout),
              "test_core_btf in the guest: %s" % u.stdout[-600:])
        # default mode: entry programs only where latency is kept
        eq([t[n].get("programs") for n in ("dax_iomap_rw", "dax_direct_access",
                                           "pmem_dax_direct_access", "dax_copy_to_iter")],
           [["kp_rw", "kr_rw"], ["kp_da", "kr_da"], ["kr_drv_pmem"], ["kp_copy_to", "kr_copy_to"]]
           if PREEMPTIBLE else [["fe_rw", "fx_rw"], ["fx_da"], ["fx_drv_pmem"], ["fx_copy_to"]],
           "default mode's BPF programs (%s preemption)" % PREEMPT)
    if not FTRACE and rec["kernel"].startswith("6.1."):
        eq(t["dax_iomap_iter"]["method"], "absent", "dax_iomap_iter on 6.1")
        eq(t["dax_iomap_iter"]["attached"], False, "dax_iomap_iter attached on 6.1")
    for name in ("_copy_to_iter", "_copy_mc_to_iter", "copy_mc_to_user"):
        eq(t[name]["method"], "off", "%s without --deep" % name)
    # kptr_restrict=2: the kernel's symbol look-up says -EPERM, /proc/kallsyms
    # shows zeros; presence then comes from BTF, and the choices stay the same
    with open("/proc/sys/kernel/kptr_restrict") as f:
        saved = f.read()
    try:
        with open("/proc/sys/kernel/kptr_restrict", "w") as f:
            f.write("2")
        r = subprocess.run([DAXTRACE, "--list-probes", "-j", "-v"] + BACKEND,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        with open("/proc/sys/kernel/kptr_restrict", "w") as f:
            f.write(saved)
    eq(r.returncode, 0, "--list-probes exit status, kptr_restrict=2")
    eq(re.findall(SYMBOLS_FROM, r.stderr), ["from /proc/kallsyms"],
       "-v, kptr_restrict=2: the look-up refused")
    def choices(targets):   # the ftrace backend's notes name its instance, per pid
        return {x["target"]: [x["method"], x["attached"], x.get("module"),
                              re.sub(r"daxtrace_\d+", "daxtrace_PID", x["note"])]
                for x in targets}
    eq(choices(json.loads(r.stdout.splitlines()[0])["targets"]), choices(t.values()),
       "targets with kptr_restrict=2")


def test_rw_cases():
    for case in ("seq-read-4k", "seq-write-4k", "seq-read-1m", "seq-write-1m",
                 "rand-read-4k", "rand-write-4k", "rand-read-1m", "rand-write-1m",
                 "readv", "writev", "mt-mix"):
        print(case, flush=True)
        t, truth = traced([case])
        compare_rw(t, truth, case)
        rd = op_truth(truth, "read")
        wr = op_truth(truth, "write")
        cti = t.summary(PMEM, "copy_to_iter")
        cfi = t.summary(PMEM, "copy_from_iter")
        if rd["calls"]:
            eq(cti and cti["bytes_done"], rd["bytes_done"], case + ": copy_to_iter bytes")
            if truth[0].get("read_extents") is not None:
                eq(cti and cti["calls"], sum(c["read_extents"] for c in truth),
                   case + ": copy_to_iter calls == extents read")
            eq(cti and cti["variants"], {"_copy_mc_to_iter": cti and cti["calls"]},
               case + ": pmem copies use _copy_mc_to_iter (DAXDEV_NOMC)")
        eq(cfi and cfi["bytes_done"], wr["bytes_done"], case + ": copy_from_iter bytes")
        da = t.summary(PMEM, "direct_access")
        eq(da and da["errors"], {}, case + ": direct_access errors")
        # the BPF backend's default mode times no read or write (--deep and
        # -s do) and says so instead of printing zeros; ftrace's records
        # carry their times
        for op in ("read", "write"):
            sm = t.summary(PMEM, op)
            if sm:
                eq(lat_count(sm), sm["calls"] if FTRACE else 0,
                   case + ": %s latency %s" % (op, "measured" if FTRACE else "not measured"))
                # one size of read per case (of write too, where no set-up
                # file is written first), never short: all in that size's bucket
                if op == "write" and case not in ("seq-write-4k", "seq-write-1m", "writev"):
                    continue
                per = sm["bytes_requested"] // sm["calls"]
                eq(sm["len_hist"], [[1 << (per.bit_length() - 1), sm["calls"]]],
                   case + ": %s length histogram" % op)
        # nor direct_access or a copy, not even where kprobes have an
        # entry probe for the arguments
        if not FTRACE:
            for name, sm in (("direct_access", da), ("copy_to_iter", cti),
                             ("copy_from_iter", cfi)):
                if sm:
                    eq(lat_count(sm), 0, case + ": %s latency not measured" % name)
        no_failed_checks(t, case)
        ck = t.checks(PMEM)
        eq(ck["rw.complete"]["pass"], rd["calls"] + wr["calls"], case + ": rw.complete pass")
        eq(ck["direct_access.ret_range"]["pass"], da["calls"], case + ": ret_range pass")
        if FTRACE:
            eq(ck["direct_access.kaddr_kernel"]["na"], da["calls"],
               case + ": ftrace reports kaddr_kernel as n/a, never as passed")
        else:
            eq(ck["direct_access.kaddr_kernel"]["pass"], da["calls"],
               case + ": kaddr_kernel pass == direct_access calls")
        eq(t.events(), [], case + ": no anomaly events")


def test_read_eof():
    # reads that meet i_size: short, not broken; no anomaly for either
    case = "read-eof"
    print(case, flush=True)
    t, truth = traced([case])
    compare_rw(t, truth, case)
    rd = op_truth(truth, "read")
    eq((rd["calls"], rd["bytes_done"], rd["short"]), (2, 10000, 2), case + ": the workload")
    ck = t.checks(PMEM)
    eq(ck["rw.complete"]["pass"], rd["calls"] + op_truth(truth, "write")["calls"],
       case + ": rw.complete pass, EOF included")
    no_failed_checks(t, case)
    cti = t.summary(PMEM, "copy_to_iter")
    eq(cti and (cti["calls"], cti["bytes_done"]), (1, 10000),
       case + ": one copy, none at i_size")
    eq(t.events(), [], case + ": no anomaly events")


def test_paging():
    # The kernel half and the direct map move with 5-level paging (the
    # --la57 run): kaddr_kernel must pass there too, and still fail a
    # physical address (test_kmod's phys_kaddr, in the same runs).
    if FTRACE:
        return
    la57 = os.environ.get("E2E_LA57") == "1"
    with open("/proc/cpuinfo") as f:
        flags = f.read().split()
    eq("la57" in flags, la57, "paging: the CPU has LA57 in the --la57 run only")
    t, truth = traced(["seq-read-4k", "mmap-read"], ["-s", "-c", "daxload"])
    compare_rw(t, truth, "paging")
    da = t.summary(PMEM, "direct_access")
    das = t.events("direct_access")
    eq(len(das), da["calls"], "paging: -s, an event per direct_access")
    # the faults ask for a pfn, not always a kaddr: those are n/a
    kaddrs = [int(e["kaddr"], 16) for e in das if e["kaddr"]]
    check(len(kaddrs) >= op_truth(truth, "read")["calls"], "paging: a kaddr per read at least")
    if la57:
        lo, hi = 0xff11000000000000, 0xff91000000000000	# mm.rst, 5-level
    else:
        lo, hi = 0xffff888000000000, 0xffffc88000000000	# mm.rst, 4-level
    check(kaddrs and all(lo <= k < hi for k in kaddrs),
          "paging: kaddrs in the %s-level direct map: %s" %
          (5 if la57 else 4, sorted({hex(k) for k in kaddrs})[:3]))
    ck = t.checks(PMEM)
    kk = ck["direct_access.kaddr_kernel"]
    eq((kk["pass"], kk["fail"], kk["na"]), (len(kaddrs), 0, da["calls"] - len(kaddrs)),
       "paging: kaddr_kernel passes every kaddr, n/a for the others")
    # -s times every read, as the default mode does not, and its events say
    rd, rds = t.summary(PMEM, "read"), t.events("read")
    eq((lat_count(rd), len(rds)), (op_truth(truth, "read")["calls"],) * 2,
       "paging: -s times every read, an event each")
    eq([e["lat_ns"] is None for e in rds], [False] * len(rds), "paging: -s read events' lat_ns")
    faults = truth[1]["faults"]
    eq(ck["direct_access.kaddr_pfn"]["fail"], 0, "paging: kaddr_pfn fails")
    check(ck["direct_access.kaddr_pfn"]["pass"] >= faults["pte"] + faults["pmd"],
          "paging: kaddr_pfn judged on every fault")


def test_short_copy():
    case = "short-copy"
    print(case, flush=True)
    t, truth = traced([case])
    compare_rw(t, truth, case)
    ev = truth[0]["events"][0]
    asked, got = ev["asked"], ev["got"]
    reads = t.events("read")
    eq(len(reads), 1, case + ": one read event")
    r = reads[0]
    eq((r["asked"], r["got"], r["checks_failed"], r["eof"]),
       (asked, got, ["rw.complete"], False), case + ": read event")
    copies = [e for e in t.events("copy_to_iter") if e["seq"] == r["seq"]]
    check(len(copies) >= 1, case + ": copy events tied to the read")
    # The first copy is asked the whole read and stops at the fault...
    eq((copies[0]["asked"], copies[0]["got"]), (asked, got), case + ": first copy")
    # ...every later retry starts at the faulting byte and copies nothing.
    for c in copies[1:]:
        eq((c["asked"], c["got"]), (asked - got, 0), case + ": retried copy")
    eq(sum(c["got"] for c in copies), got, case + ": copies sum to the read")
    for c in copies:
        # ftrace reads the VMA from /proc after the fact: the task may be gone
        check(c["side"] == "user" or (FTRACE and c["side"] == "unknown"),
              case + ": short copy is user-side: %r" % c["side"])
        check(c["direct_access"] is not None, case + ": copy tied to its direct_access")
        eq(c["direct_access"] and c["direct_access"]["kaddr_kernel"], None if FTRACE else True,
           case + ": its direct_access's kaddr verdict (ftrace: not made)")
        # pmem maps whole pages: the kaddr is page-aligned, a retried copy's
        # addr is not (bpf: worked out from the copy's addr and the read's pos)
        if not FTRACE:
            kaddr = c["direct_access"] and int(c["direct_access"]["kaddr"], 16)
            eq((kaddr or 1) % 4096, 0, case + ": its direct_access's kaddr, page-aligned: %r" % c)
        eq(c["variant"], "_copy_mc_to_iter", case + ": copy variant")
    uaddrs = {c["user_addr"] for c in copies}
    eq(len(uaddrs), 1, case + ": every copy stopped at the same user byte")
    ck = t.checks(PMEM)
    eq(ck["copy.complete"]["fail"], len(copies), case + ": copy.complete fails")
    eq(ck["rw.complete"]["fail"], 1, case + ": rw.complete fails")
    cti = t.summary(PMEM, "copy_to_iter")
    if not FTRACE:
        eq(cti["short_side"], {"user": len(copies), "source": 0, "unknown": 0},
           case + ": short sides")


def test_media_error():
    case = "media-error"
    print(case, flush=True)
    t, truth = traced([case])
    compare_rw(t, truth, case)
    ev = truth[0]["events"][0]
    phys = ev["phys"]
    me = t.of("media_error")
    eq([(m["device"], m["offset"], m["count"]) for m in me], [(PMEM, phys, 1)],
       case + ": media error at the file's physical offset")
    da = t.summary(PMEM, "direct_access")
    eq(sum(da["errors"].values()), 1, case + ": one direct_access error")
    reads = [e for e in t.events("read") if e["errno"]]
    eq([(e["offset"], e["errno"]) for e in reads], [(ev["off"], ev["errno"])],
       case + ": the failed read, as the workload saw it")
    das = [e for e in t.events("direct_access") if e["errno"]]
    eq([e["offset"] for e in das], [phys], case + ": failed direct_access offset")
    eq(t.checks(PMEM)["direct_access.ret_range"]["fail"], 0, case + ": errno is a known code")
    if FTRACE:
        test_stale_instance()


def test_faults():
    for case in ("mmap-read", "mmap-write", "mmap-pmd", "devdax-mmap"):
        print(case, flush=True)
        t, truth = traced([case])
        compare_rw(t, truth, case)
        dev = DEVDAX if case == "devdax-mmap" else PMEM
        f = t.summary(dev, "fault")
        want = truth[0]["faults"]
        check(f is not None, case + ": fault summary on " + dev)
        if f:
            eq((f["pte"], f["pmd"]), (want["pte"], want["pmd"]), case + ": faults")
            eq(f["errors"], {}, case + ": fault errors")
        other = PMEM if dev == DEVDAX else DEVDAX
        eq(t.summary(other, "fault"), None, case + ": no faults on " + other)
        # fault.size: mmap-read/-write map 1 MiB, where no PMD fits (pass);
        # mmap-pmd falls back once per chunk no aligned extent backs (fail)
        ck = t.checks(dev).get("fault.size")
        fails = 2 - want["pmd"] if case == "mmap-pmd" else 0
        check(ck is not None, case + ": fault.size record")
        if f and ck:
            eq((ck["pass"], ck["fail"], ck["na"]),
               (want["pte"] + want["pmd"], fails, f["fallback"] - fails),
               case + ": fault.size pass, fail, n/a")
        if case != "devdax-mmap" and not FTRACE:
            ck = t.checks(PMEM)
            eq(ck["direct_access.kaddr_pfn"]["fail"], 0, case + ": kaddr_pfn fails")
            check(ck["direct_access.kaddr_pfn"]["pass"] >= want["pte"] + want["pmd"],
                  case + ": kaddr_pfn checked on every fault")


def test_fault_size():
    """fault.size against daxload's ground truth. fault-size: a 2 MiB
    chunk one aligned extent backs maps a PMD (pass), a chunk with a hole
    falls back where the VMA and i_size allowed a PMD (fail), the PTE
    faults after it pass; a mapping one page off a 2 MiB boundary tries
    PMDs that fall back (n/a) and its PTE faults pass; with THP disabled
    the first PTE fault under an empty PMD fails, naming the switch. Every other fallback is
    a PUD try (n/a). devdax-mmap: 2 MiB devdax maps PMDs (pass)."""
    print("fault.size", flush=True)
    t, truth = traced(["fault-size"])
    want, faults = truth[0]["fault_size"], truth[0]["faults"]
    f = t.summary(PMEM, "fault")
    ck = t.checks(PMEM).get("fault.size")
    check(f is not None and ck is not None, "fault-size: fault summary and fault.size record")
    if not f or not ck:
        return
    eq((f["pte"], f["pmd"]), (faults["pte"], faults["pmd"]), "fault-size: faults")
    eq(f["errors"], {}, "fault-size: fault errors")
    eq((ck["pass"], ck["fail"]), (want["pass"], want["fail"]), "fault-size: pass, fail")
    eq(ck["na"], f["fallback"] - want["fail_fallbacks"],
       "fault-size: n/a (fallbacks as they should)")
    fails = [e for e in t.events("fault") if "fault.size" in e["checks_failed"]]
    got = sorted((e["size"], e["fallback"], e["offset"]) for e in fails)
    exp = [("pmd", True, 2 << 20), ("pte", False, 0)]
    if faults["pmd"] == 0:  # the first chunk's extent was not aligned either
        exp.append(("pmd", True, 0))
    eq(got, sorted(exp), "fault-size: failure events (size, fallback, file offset)")
    for e in fails:
        eq((e["comm"], e["pid"], e["ino"]), ("daxload", truth[0]["pid"], want["ino"]),
           "fault-size: failure event names the process and the inode")
        fs = e["fault_size"]
        # the PTE one is daxload's THP-disabled stretch, and says so
        eq((fs["best"], fs["why"]), ("pmd", ["thp_disabled" if e["size"] == "pte" else "kernel"]),
           "fault-size: failure's best and reason")
        addr, start = int(fs["address"], 16), int(fs["vm_start"], 16)
        eq(addr - start, e["offset"], "fault-size: address - vm_start is the file offset")

    t, truth = traced(["devdax-mmap"])
    f = t.summary(DEVDAX, "fault")
    ck = t.checks(DEVDAX).get("fault.size")
    check(f is not None and ck is not None, "devdax-mmap: fault summary and fault.size record")
    if f and ck:
        eq((ck["pass"], ck["fail"], ck["na"]), (truth[0]["faults"]["pmd"], 0, f["fallback"]),
           "devdax-mmap: fault.size pass, fail, n/a")


def test_fault_size_pud():
    """A 1 GiB device-dax (run :devdax1g only): the one store per 2 MiB
    of a 1 GiB mapping takes one PUD fault, which maps the largest page
    there is: fault.size passes it, and nothing steps down."""
    print("fault.size, 1 GiB device-dax", flush=True)
    with open("/sys/bus/dax/devices/%s/align" % DEVDAX) as f:
        align = int(f.read())
    eq(align, 1 << 30, "devdax1g: %s is 1 GiB-aligned" % DEVDAX)
    t, truth = traced(["devdax-mmap-1g"])
    f = t.summary(DEVDAX, "fault")
    ck = t.checks(DEVDAX).get("fault.size")
    check(f is not None and ck is not None, "devdax-mmap-1g: fault summary and fault.size record")
    if not f or not ck:
        return
    want = truth[0]["faults"]
    eq((f["pte"], f["pmd"], f["pud"], f["fallback"]), (want["pte"], want["pmd"], want["pud"], 0),
       "devdax-mmap-1g: faults by size")
    eq((f["calls"], f["bytes_done"]), (1, 1 << 30), "devdax-mmap-1g: one fault mapped 1 GiB")
    eq((ck["pass"], ck["fail"], ck["na"]), (1, 0, 0), "devdax-mmap-1g: fault.size pass, fail, n/a")


def per_file_metrics(path):
    """daxtrace_file_* series of a metrics textfile: {(name, ino, op): value},
    and each inode's path label."""
    out, paths = {}, {}
    with open(path) as f:
        body = f.read()
    for line in body.splitlines():
        m = re.match(r'(daxtrace_file_\w+)\{device="([^"]*)",ino="(\d+)",path="([^"]*)"'
                     r'(?:,op="(\w+)")?\} (\d+)$', line)
        if m and m.group(2) == PMEM:
            out[(m.group(1), int(m.group(3)), m.group(5))] = int(m.group(6))
            paths[int(m.group(3))] = m.group(4)
    return out, paths


def test_per_file():
    """The per-file view against daxload per-file's own per-file counts
    (reads, writes, bytes, errors per file), exactly; the short copies
    against copy.complete's failures (the run's only short copies are in
    file .1's reads), faults and PTE fallbacks against the --snoop events
    of that inode; each path resolved on the mount. devdax-mmap in the
    same run: device-dax has no files, so no file records for it. The
    same records in the metrics (the textfile written at exit), in `daxtrace
    report` of the run's JSON, and report --top-files 1's choice."""
    case = "per-file"
    print(case, flush=True)
    # the textfile, written at exit: a scrape while --snoop's records wait
    # in the stdout pipe (read at stop) would wait for them
    mfile = tempfile.mktemp(suffix=".prom")
    t = Trace(["-c", "daxload", "-s", "--metrics-textfile", mfile]).start()
    try:
        truth = daxload("--keep", case, "devdax-mmap")
        files = truth[0]["files"]
    finally:
        t.stop()
    scraped, mpaths = per_file_metrics(mfile)
    os.unlink(mfile)
    for f in files:
        try:
            os.unlink(f["path"])
        except OSError:
            pass
    eq(t.rc, 0, case + ": daxtrace exit status")
    st = t.of("stats")
    eq(len(st), 1, case + ": one stats record")
    if not st:
        return
    st = st[0]
    eq((st["ringbuf_dropped"], st["map_full"]), (0, 0), case + ": no drops, no full maps")
    eq((st["top_files"], st["files_counted"], st["file_map_full"]), (10, 3, 0),
       case + ": stats: top_files, files_counted, file_map_full")
    recs = {r["ino"]: r for r in t.of("file") if r["device"] == PMEM}
    eq(sorted(recs), sorted(f["ino"] for f in files), case + ": a file record per file")
    eq([r for r in t.of("file") if r["device"] == DEVDAX], [],
       case + ": device-dax faults have no file")
    ev = t.events()
    copies_failed = t.checks(PMEM)["copy.complete"]["fail"]
    fsum = t.summary(PMEM, "fault")
    for i, f in enumerate(files):
        r = recs.get(f["ino"])
        if not r:
            continue
        what = "%s: file .%d" % (case, i)
        eq(r["path"], f["path"], what + " path")
        eq((r["reads"], r["writes"], r["bytes_read"], r["bytes_written"], r["errors"]),
           (f["reads"], f["writes"], f["bytes_read"], f["bytes_written"], f["errors"]),
           what + " reads, writes, bytes read, bytes written, errors")
        eq((r["ops"], r["bytes"]), (r["reads"] + r["writes"] + r["faults"],
                                    r["bytes_read"] + r["bytes_written"]), what + " sums")
        mine = [e for e in ev if e["device"] == PMEM and e.get("ino") == f["ino"]]
        eq(r["reads"], len([e for e in mine if e["op"] == "read"]), what + " reads = its read events")
        eq(r["faults"], len([e for e in mine if e["op"] == "fault"]),
           what + " faults = its fault events")
        fb = len([e for e in mine if e["op"] == "fault" and e["size"] == "pmd" and e["fallback"]])
        eq(r["pte_fallbacks"], fb, what + " PTE fallbacks = its PMD fallback events")
        if i == 1:
            check(copies_failed >= 2, what + ": a short read and an EFAULT, 2+ short copies")
            eq(r["short_copies"], copies_failed, what + " short copies = copy.complete fails")
            eq(r["top"], ["ops", "bytes", "errors", "short_copies"], what + " top")
        else:
            eq(r["short_copies"], 0, what + " short copies")
        if i == 2:
            eq(r["faults"], fsum and fsum["calls"], what + " faults = the device's fault calls")
            check(r["pte_fallbacks"] >= 1, what + ": the PMD try fell back")
            eq(len([e for e in mine if e["op"] == "fault" and e["size"] == "pte"
                    and not e["fallback"]]), f["pte"], what + " PTE faults")
        else:
            eq(r["faults"], 0, what + " faults")
        # the metrics, as written at exit
        for name, op, key in (("daxtrace_file_ops_total", "read", "reads"),
                              ("daxtrace_file_ops_total", "write", "writes"),
                              ("daxtrace_file_ops_total", "fault", "faults"),
                              ("daxtrace_file_bytes_total", "read", "bytes_read"),
                              ("daxtrace_file_bytes_total", "write", "bytes_written"),
                              ("daxtrace_file_errors_total", None, "errors"),
                              ("daxtrace_file_short_copies_total", None, "short_copies"),
                              ("daxtrace_file_pte_fallbacks_total", None, "pte_fallbacks")):
            eq(scraped.get((name, f["ino"], op)), r[key], what + " metric %s %s" % (name, op or ""))
        eq(mpaths.get(f["ino"]), f["path"], what + " metric path label")
    # fault.size: the PMD try in file .2 fell back where a PMD was possible
    fails = [e for e in t.events("fault") if "fault.size" in e["checks_failed"]
             and e["device"] == PMEM]
    check(len(fails) >= 1, case + ": a fault.size failure in file .2")
    for e in fails:
        eq((e["ino"], e.get("path")), (files[2]["ino"], files[2]["path"]),
           case + ": fault.size failure names the file by path")
    # daxtrace report of the run's JSON lines
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as cap:
        for rec in t.records:
            cap.write(json.dumps(rec, separators=(",", ":")) + "\n")
    try:
        rep = subprocess.run([DAXTRACE, "report", "-j", cap.name], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        eq(rep.returncode, 0, case + ": report -j exit status: " + rep.stderr.strip())
        back = {r["ino"]: r for r in map(json.loads, rep.stdout.splitlines())
                if r["type"] == "file" and r["device"] == PMEM}
        eq(back, recs, case + ": report -j gives the same file records")
        rep = subprocess.run([DAXTRACE, "report", "-j", "--top-files", "1", cap.name],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        top1 = {r["ino"]: r["top"] for r in map(json.loads, rep.stdout.splitlines())
                if r["type"] == "file" and r["device"] == PMEM}
        eq(top1, {files[0]["ino"]: ["bytes"], files[1]["ino"]: ["errors", "short_copies"],
                  files[2]["ino"]: ["ops", "pte_fallbacks"]},
           case + ": report --top-files 1: the top file by each rank")
        rep = subprocess.run([DAXTRACE, "report", "--no-hist", cap.name],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        r0 = recs.get(files[0]["ino"])
        if r0:
            line = "  %9d %8d %8d %8d %12d %6d %6d %6d  %s\n" % (
                r0["ops"], r0["reads"], r0["writes"], r0["faults"], r0["bytes"], 0, 0, 0,
                files[0]["path"])
            check(line in rep.stdout, case + ": report's text has file .0's line %r:\n%s"
                  % (line, rep.stdout))
        check("Files on %s: top 10 by ops" % PMEM in rep.stdout, case + ": report's files header")
        check("files counted: 3, ops not counted per file (files map full): 0" in rep.stdout,
              case + ": report's files line")
        check(("(file offset 0, ino %d, %s)" % (files[2]["ino"], files[2]["path"]))
              in rep.stdout, case + ": report's fault.size line names the path")
    finally:
        os.unlink(cap.name)

    # --top-files 0: nothing counted per file, nothing made up
    t = Trace(["-c", "daxload", "--top-files", "0"]).start()
    try:
        daxload("seq-read-4k")
    finally:
        t.stop()
    st = t.of("stats")
    eq([(s["top_files"], s["files_counted"], s["file_map_full"]) for s in st], [(0, None, None)],
       "--top-files 0: stats record")
    eq(t.of("file"), [], "--top-files 0: no file records")


def test_filter():
    print("-d filtering", flush=True)
    for dev, other in ((DEVDAX, PMEM), (PMEM, DEVDAX), ("/dev/" + PMEM, DEVDAX)):
        t, truth = traced(["seq-read-4k", "devdax-mmap"], ["-d", dev, "-c", "daxload"])
        name = dev.replace("/dev/", "")
        devices = {r["device"] for r in t.of("summary")}
        eq(devices, {name}, "-d %s: only %s in the summaries" % (dev, name))
        if name == PMEM:
            eq(t.summary(PMEM, "read")["calls"], op_truth(truth, "read")["calls"],
               "-d %s: reads" % dev)
        else:
            eq(t.summary(DEVDAX, "fault")["pmd"], 2, "-d %s: devdax faults" % dev)


def test_thread_slots():
    """A thread keeps slot tid % --thread-slots from its first op until it
    exits; a thread whose slot another live thread holds keeps its ops in
    task storage. held-read keeps one read in flight while its main thread
    does 256 more; the main thread's writes come first, so with one slot
    the held reader's read is the one op in task storage. Two held-read
    processes in one run: two, as the first main thread's exit frees the
    slot for the second's (were it kept, every op of the second process
    would be in task storage)."""
    if FTRACE:
        return
    print("thread slots", flush=True)
    kprobes = []
    for target in ("dax_iomap_rw", "dax_direct_access", "pmem_dax_direct_access",
                   "dax_copy_to_iter", "dax_copy_from_iter"):
        kprobes += ["--method", target + "=kprobe"]
    # kprobes: entry programs too, which must find the read already kept in
    # task storage rather than count ops of their own there
    for slots, procs, force in ((None, 1, []), ("1", 1, []), ("1", 2, []), ("1", 1, kprobes)):
        case = "held-read x%d, %s thread slots%s" % (procs, slots or "default",
                                                     force and ", kprobes" or "")
        args = force + (["--thread-slots", slots] if slots else []) + ["-s", "-c", "daxload"]
        t, truth = traced(["held-read"], args, procs)
        compare_rw(t, truth, case)
        eq(t.of("stats")[0]["thread_overflow"], procs if slots else 0,
           case + ": ops in task storage")
        rw = t.events("read") + t.events("write")
        eq(len(t.events("read")), op_truth(truth, "read")["calls"], case + ": read events")
        keys = {(e["tid"], e["seq"]) for e in rw}
        eq(len(keys), len(rw), case + ": (tid, seq) of reads and writes unique")
        eq(len({e["tid"] for e in t.events("read")}), 2 * procs, case + ": reading threads")
        for op in ("direct_access", "copy_to_iter", "copy_from_iter"):
            ev = t.events(op)
            untied = [e for e in ev if (e["tid"], e["seq"]) not in keys]
            eq(untied, [], case + ": every %s tied to its thread's read/write" % op)
        eq(sum(e["got"] for e in t.events("copy_to_iter")),
           op_truth(truth, "read")["bytes_done"], case + ": copies sum to the reads")
        no_failed_checks(t, case)
    for slots in ("1", "2"):
        case = "mt-both, %s thread slot(s)" % slots
        t, truth = traced(["mt-both"], ["--thread-slots", slots, "-c", "daxload"])
        compare_rw(t, truth, case)
        f = t.summary(DEVDAX, "fault")
        eq(f and f["pmd"], truth[0]["faults"]["pmd"], case + ": devdax PMD faults")
    for bad in ("0", "3", "131072", "x"):
        p = subprocess.run([DAXTRACE, "--thread-slots", bad], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        eq((p.returncode, p.stderr.count("\n"), p.stdout), (2, 1, ""),
           "--thread-slots %s: one-line error, exit 2" % bad)


def tracefs_clean(timeout=60):
    """Wait until no daxtrace instance or kprobe event is left. Removing
    each kprobe event waits for the kernel to patch its text back, which
    a guest whose 2 vCPUs share a host thread on a busy host has taken
    over 10 s to do for all of them."""
    t0 = time.monotonic()
    while True:
        inst = [i for i in os.listdir("/sys/kernel/tracing/instances") if i.startswith("daxtrace")]
        with open("/sys/kernel/tracing/kprobe_events") as f:
            ev = [l for l in f.read().splitlines() if "daxtrace_" in l]
        if (not inst and not ev) or time.monotonic() - t0 > timeout:
            return inst, ev
        time.sleep(0.1)


def test_stale_instance():
    print("ftrace: SIGKILL leaves nothing behind", flush=True)
    # the sentinel removes what a SIGKILLed run made
    t = Trace([]).start()
    t.proc.kill()
    t.proc.wait()
    err = t.early_err + t.proc.stderr.read()
    eq(tracefs_clean(), ([], []), "SIGKILL: the sentinel removed instance and kprobe events")
    check("run %d was killed: removed" % t.proc.pid in err, "the sentinel says so: %r" % err)
    # sentinel killed too: the next run removes the leftovers, and says so
    t = Trace([]).start()
    with open("/proc/%d/task/%d/children" % (t.proc.pid, t.proc.pid)) as f:
        kids = [int(x) for x in f.read().split()]
    eq(len(kids), 1, "one sentinel process")
    for k in kids:
        os.kill(k, signal.SIGKILL)
    t.proc.kill()
    t.proc.wait()
    left = os.listdir("/sys/kernel/tracing/instances")
    eq(left, ["daxtrace-%d" % t.proc.pid], "SIGKILL of both leaves the instance")
    p = subprocess.run([DAXTRACE, "--backend", "ftrace", "--list-probes"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    eq(p.returncode, 0, "next run after SIGKILL")
    check("removed the tracing instance and" in p.stderr and
          "killed run %d" % t.proc.pid in p.stderr,
          "the stale run is named: %r" % p.stderr)
    eq(tracefs_clean(0), ([], []), "stale instance and kprobe events removed")


def test_methods():
    if FTRACE:
        return
    print("kprobe and tracepoint fallbacks", flush=True)
    force = []
    for target in ("dax_iomap_rw", "dax_direct_access", "pmem_dax_direct_access",
                   "dax_copy_to_iter", "dax_copy_from_iter", "dev_dax_huge_fault"):
        force += ["--method", target + "=kprobe"]
    force += ["--method", "dax_iomap_fault=tracepoint"]
    t, truth = traced(["seq-read-4k", "short-copy", "mmap-read"], force + ["-c", "daxload"])
    meth = {x["target"]: x["method"] for x in t.of("probes")[0]["targets"]}
    eq(meth["dax_iomap_rw"], "kprobe", "forced kprobe")
    eq(meth["dax_iomap_fault"], "tracepoint", "forced tracepoint")
    compare_rw(t, truth, "kprobe")
    f = t.summary(PMEM, "fault")
    eq(f and f["pte"], 256, "tracepoint fallback: pte faults")
    ck = t.checks(PMEM)
    eq(ck["copy.complete"]["fail"], 2, "kprobe: short copies")
    eq([e["side"] for e in t.events("copy_to_iter")], ["user", "user"],
       "kprobe: short copies are user-side")


TRAMPFILL = os.path.join(ROOT, "build", "trampfill")


class Fill:
    """Another tracer's fexit programs on a function's trampoline, filling
    it up to LEAVE free slots (tests/trampfill.c finds the limit)."""

    def __init__(self, func, leave=0):
        self.args = [TRAMPFILL, func, str(leave)]
        self.p = None
        self.held = 0

    def __enter__(self):
        self.p = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        if not line.startswith("held "):
            self.p.kill()
            raise RuntimeError("%s: %s" % (" ".join(self.args), self.p.stderr.read()))
        self.held = int(line.split()[1])
        return self

    def __exit__(self, *exc):
        self.p.stdin.close()
        try:
            self.p.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def test_full_trampoline():
    """Other tracers hold a function's trampoline. Where daxtrace's programs
    do not fit, the optimistic start is refused at attach, the retry's test
    programs (as many as daxtrace puts there) do not fit either, and that
    target takes a kprobe; where they fit, nothing changes."""
    if FTRACE:
        return
    if PREEMPTIBLE:
        full_trampoline_preemptible()
        return
    print("full trampolines: a kprobe where daxtrace's programs do not fit", flush=True)
    for leave in (0, 1):	# dax_iomap_rw takes two: fentry and fexit
        case = "dax_iomap_rw's trampoline with %d free" % leave
        with Fill("dax_iomap_rw", leave) as f:
            check(f.held > 0, "%s: trampfill holds %d" % (case, f.held))
            t, truth = traced(["seq-read-4k", "short-copy"], ["-v", "-c", "daxload"])
        tg = {x["target"]: x for x in t.of("probes")[0]["targets"]}
        eq((tg["dax_iomap_rw"]["method"], tg["dax_iomap_rw"]["note"]),
           ("kprobe", "fentry refused"), case + ": dax_iomap_rw, with the reason")
        eq(tg["dax_direct_access"]["method"], "fentry", case + ": the others keep fentry")
        check("optimistic load refused" in t.stderr, case + ": -v, the first start refused")
        # the retry has no minimal BTF: libbpf parses the kernel's for CO-RE
        check("libbpf parsed the kernel's BTF itself" in t.stderr,
              case + ": -v, the retry's load went by the kernel's BTF")
        compare_rw(t, truth, case)
        eq(t.checks(PMEM)["copy.complete"]["fail"], 2, case + ": short copies")
    # dax_direct_access takes one (fexit) in default mode: it fits
    case = "dax_direct_access's trampoline with 1 free"
    with Fill("dax_direct_access", 1):
        t, truth = traced(["seq-read-4k"], ["-v", "-c", "daxload"])
    tg = {x["target"]: x for x in t.of("probes")[0]["targets"]}
    eq(tg["dax_direct_access"]["method"], "fentry", case + ": fexit fits")
    check("optimistic load refused" not in t.stderr, case + ": no retry")
    compare_rw(t, truth, case)
    progs = subprocess.run(["bpftool", "prog", "list"], stdout=subprocess.PIPE,
                           text=True).stdout
    check("fe_rw" not in progs and "dt_probe" not in progs and "trampfill" not in progs,
          "no BPF program left after the retries")


def full_trampoline_preemptible():
    """A preemptible kernel: daxtrace takes kprobes and no trampoline slot,
    so a full trampoline changes nothing and no start is refused."""
    print("full trampoline, %s preemption: kprobes, no trampoline used" % PREEMPT, flush=True)
    case = "dax_iomap_rw's trampoline full, %s preemption" % PREEMPT
    with Fill("dax_iomap_rw", 0) as f:
        check(f.held > 0, "%s: trampfill holds %d" % (case, f.held))
        t, truth = traced(["seq-read-4k", "short-copy"], ["-v", "-c", "daxload"])
    tg = {x["target"]: x for x in t.of("probes")[0]["targets"]}
    eq([tg[n]["method"] for n in ("dax_iomap_rw", "dax_direct_access")], ["kprobe", "kprobe"],
       case + ": kprobes")
    check("optimistic load refused" not in t.stderr, case + ": no retry")
    compare_rw(t, truth, case)
    eq(t.checks(PMEM)["copy.complete"]["fail"], 2, case + ": short copies")


def fio_reads(jobs, ios):
    """psync 4 KiB random reads of a file on the DAX mount, JOBS processes
    of IOS reads each; fio's own count of the reads it issued."""
    path = os.path.join(MNT, "fio.dat")
    p = subprocess.run(["fio", "--name=r", "--filename=" + path, "--size=8M",
                        "--rw=randread", "--bs=4k", "--ioengine=psync",
                        "--numjobs=%d" % jobs, "--number_ios=%d" % ios, "--norandommap",
                        "--group_reporting", "--output-format=json"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("fio failed (%d): %s" % (p.returncode, p.stderr))
    return json.loads(p.stdout[p.stdout.index("{"):])["jobs"][0]["read"]["total_ios"]


def test_concurrency():
    """Concurrent readers on every kernel: each read counted once. With
    fentry forced, a preemptible kernel skips some runs, and none silently:
    for a target traced by one program (fexit only: direct_access, the
    copies), what daxtrace counted plus the runs it says the kernel skipped
    is exactly what fio issued. dax_iomap_rw's two programs share state
    (an exit can find what a skipped one left) and give the ops inside a
    read their context, so with them forced each op missing from a count is
    matched by a skipped run reported for dax_iomap_rw or for its own target."""
    if FTRACE:
        return
    print("4 fio jobs: exact counts (%s preemption)" % PREEMPT, flush=True)
    with open(os.path.join(MNT, "fio.dat"), "wb") as f:
        f.write(b"\xa5" * (8 << 20))
    one = (("direct_access", "dax_direct_access"), ("copy_to_iter", "dax_copy_to_iter"))
    for case, forced in (("default", ()), ("fexit forced", one),
                         ("fentry+fexit forced", (("read", "dax_iomap_rw"),))):
        args = sum((["--method", tg + "=fentry"] for _, tg in forced), [])
        t = Trace(args + ["-c", "fio"]).start()
        try:
            issued = fio_reads(4, 1500)
        finally:
            t.stop()
        eq(issued, 6000, case + ": fio issued")
        eq(t.rc, 0, case + ": daxtrace exit status")
        st = t.of("stats")[-1]
        skipped = st["kernel_skipped"]
        meth = {x["target"]: x["method"] for x in t.of("probes")[0]["targets"]}
        for op, tg in (("read", "dax_iomap_rw"),) + one:
            got = t.summary(PMEM, op)
            calls = got["calls"] if got else 0
            what = "%s: %s counted %d, skipped %r" % (case, op, calls, skipped.get(tg))
            rw_forced = ("read", "dax_iomap_rw") in forced
            if not PREEMPTIBLE or ((op, tg) not in forced and not rw_forced):
                eq((calls, skipped.get(tg)), (issued, skipped_zero(meth[tg])), what + ": exact")
            elif not rw_forced:
                eq(calls + skipped.get(tg, -1), issued, what + ": counted + skipped")
            else:
                # a read whose rw entry was skipped has no context for its
                # direct_access and copy either: theirs are rw's skips too
                seen = skipped.get("dax_iomap_rw", 0) + (skipped.get(tg) or 0)
                check(calls <= issued and issued - calls <= seen,
                      what + ": every missing %s reported (rw's and its own skips: %d)" %
                      (op, seen))
        eq(st["kernel_skipped_total"], sum(skipped.values()), case + ": skipped total")
        eq((st["ringbuf_dropped"], st["map_full"]), (0, 0), case + ": no other loss")
        may_be_short(t, case)
    os.unlink(os.path.join(MNT, "fio.dat"))


def test_migration():
    """daxload mt-migrate: mt-both's 16 threads on both devices (8 reading
    and writing fsdax files, 8 faulting devdax) while each moves between
    CPU 0 and 1 every 4 ops and the main thread moves them all meanwhile,
    so threads move inside reads, writes and faults. By default every op is
    counted once and nothing is skipped. With dax_copy_to_iter forced onto
    fentry (its fexit: one program; a preemptible kernel then skips runs),
    what daxtrace counted plus the runs it says the kernel skipped is
    exactly the reads done: a loss is never silent."""
    print("16 threads moved between CPUs (%s preemption)" % PREEMPT, flush=True)
    runs = [("default", [])]
    if not FTRACE:
        runs.append(("copy_to_iter forced to fentry", ["--method", "dax_copy_to_iter=fentry"]))
    for case, force in runs:
        case = "mt-migrate, " + case
        t, truth = traced(["mt-migrate"], force + ["-c", "daxload"])
        check(truth[0]["cpu_moves"] > 0,
              "%s: threads moved between CPUs (%r times)" % (case, truth[0]["cpu_moves"]))
        st = t.of("stats")[-1]
        skipped = st["kernel_skipped"]
        meth = {x["target"]: x["method"] for x in t.of("probes")[0]["targets"]}
        reads = op_truth(truth, "read")["calls"]
        cti = t.summary(PMEM, "copy_to_iter")
        calls = cti["calls"] if cti else 0
        got = (calls, skipped.get("dax_copy_to_iter"))
        print("  %s: %d CPU moves; %d reads, copy_to_iter counted %d, skipped %r" %
              (case, truth[0]["cpu_moves"], reads, calls, got[1]), flush=True)
        if force:
            check(got[1] is not None and calls + got[1] == reads,
                  "%s: copy_to_iter counted + skipped %r == reads %d" % (case, got, reads))
        else:
            eq(got, (reads, skipped_zero(meth["dax_copy_to_iter"])),
               case + ": copy_to_iter counted, skipped")
        for tg in ("dax_iomap_rw", "dev_dax_huge_fault"):
            eq(skipped.get(tg), skipped_zero(meth[tg]), "%s: %s skipped" % (case, tg))
        compare_rw(t, truth, case)
        f = t.summary(DEVDAX, "fault")
        eq(f and f["pmd"], truth[0]["faults"]["pmd"], case + ": devdax PMD faults")
        no_failed_checks(t, case)
        may_be_short(t, case)


def test_deep():
    if FTRACE:
        return
    print("--deep", flush=True)
    t, truth = traced(["seq-read-4k", "short-copy", "read-eof"], ["--deep", "-c", "daxload"])
    meth = {x["target"]: x for x in t.of("probes")[0]["targets"]}
    eq(meth["dax_iomap_iter"]["method"] in ("fentry", "kprobe", "tracepoint"), True,
       "--deep traces iterations")
    it = t.summary(PMEM, "iter")
    rd = op_truth(truth, "read")
    extents = sum(c["read_extents"] for c in truth)
    check(it is not None and it["calls"] >= extents, "--deep: iterations >= extents read")
    ck = t.checks(PMEM)
    # the short read's second iteration returns -EFAULT: n/a, not a fail;
    # read-eof's iterations at i_size return 0: they pass
    eq(ck["iter.progress"]["fail"], 0, "--deep: iter.progress fails")
    eq([(e["offset"], e["got"], e["errno"], e["checks_failed"]) for e in t.events("iter")],
       [(4096, -14, "EFAULT", [])], "--deep: the one iteration event, short-copy's second")
    copies = t.events("copy_to_iter")
    check(copies and all(c["variant_from"] == "measured" for c in copies),
          "--deep: copy variant measured: %r" % [c.get("variant_from") for c in copies])
    eq(rd["calls"], t.summary(PMEM, "read")["calls"], "--deep: reads")
    for op in ("read", "direct_access", "copy_to_iter"):
        sm = t.summary(PMEM, op)
        eq(lat_count(sm), sm and sm["calls"], "--deep: every %s timed" % op)
    prog = {x["target"]: x.get("programs") for x in t.of("probes")[0]["targets"]}
    eq(prog["dax_direct_access"], ["kp_da", "kr_da"] if PREEMPTIBLE else ["fe_da", "fx_da"],
       "--deep: direct_access entry + exit")


def test_bad_input():
    print("bad input", flush=True)
    bad = [["-d", "nosuchdev0"], ["-d", "/dev/null"], ["-d", "/etc/passwd"],
           ["-d", ""], ["-d", "x" * 100], ["-d", "dax\x01"], ["-p", "0"],
           ["-p", "-1"], ["-p", "abc"], ["-p", "99999999999"], ["-c", ""],
           ["-c", "x" * 40], ["0"], ["abc"], ["1", "0"], ["1", "1", "1"],
           ["--method", "nosuch=fentry"], ["--method", "dax_iomap_rw=warp"],
           ["--btf", "/nonexistent"], ["--backend", "warp"],
           ["--backend", "ftrace", "--deep"], ["--bogus"]]
    for args in bad:
        p = subprocess.run([DAXTRACE] + args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        lines = p.stderr.strip().splitlines()
        eq(p.returncode, 2, "exit status for %r" % args)
        check(len(lines) >= 1 and lines[0].startswith("daxtrace: ") or "--bogus" in args,
              "one-line error for %r: %r" % (args, p.stderr))
        eq(p.stdout, "", "nothing on stdout for %r" % args)
    # a bad --method is refused before -o makes its file
    cap = "/tmp/e2e-badmethod.json"
    if os.path.exists(cap):
        os.unlink(cap)
    p = subprocess.run([DAXTRACE, "-o", cap, "--method", "foo=bar"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    eq((p.returncode, os.path.exists(cap)), (2, False), "bad --method: exit 2, no -o file made")
    if not FTRACE:
        # a BTF without the kernel's types (the probe object's own): CO-RE
        # cannot relocate and the kernel refuses the load, after start-up
        wrong = ["--btf", os.path.join(ROOT, "build", "probe.bpf.o"), "--list-probes"]
        p = subprocess.run([DAXTRACE, "--backend", "bpf"] + wrong, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        last = p.stderr.strip().splitlines()[-1:]
        eq((p.returncode, p.stdout), (1, ""), "--btf without the kernel's types: exit 1")
        check(last and last[0].startswith("daxtrace: failed to load BPF programs: "),
              "--btf without the kernel's types: the error last: %r" % last)
        p = subprocess.run([DAXTRACE] + wrong, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        check(p.returncode == 0 and "using the ftrace backend" in p.stderr and
              "backend ftrace" in p.stdout,
              "--btf without the kernel's types, auto backend: ftrace (%d %r)" %
              (p.returncode, p.stderr[-200:]))
        # ...but not with --deep, which ftrace cannot do: said, exit 1
        p = subprocess.run([DAXTRACE, "--deep"] + wrong, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        last = p.stderr.strip().splitlines()[-1:]
        eq((p.returncode, p.stdout), (1, ""), "--deep, BPF refused, auto backend: exit 1")
        check(last and last[0].startswith("daxtrace: --deep and --method need the bpf backend"),
              "--deep, BPF refused, auto backend: says why: %r" % last)
    progs = subprocess.run(["bpftool", "prog", "list"], stdout=subprocess.PIPE,
                           text=True).stdout
    for name in ("fe_rw", "fx_da", "fe_copy_to", "kp_rw", "kr_da", "probe_fentry"):
        check(name not in progs, "no BPF program %s left after bad input" % name)


def nothing_left(case):
    """No BPF program of daxtrace's, no kprobe event or instance of its."""
    progs = subprocess.run(["bpftool", "prog", "list"], stdout=subprocess.PIPE,
                           text=True).stdout
    for name in ("fe_rw", "fx_da", "fe_copy_to", "kp_rw", "kr_da", "probe_fentry"):
        check(name not in progs, "%s: no BPF program %s left" % (case, name))
    eq(tracefs_clean(), ([], []), "%s: no daxtrace instance or kprobe event left" % case)


BAD_BTF = (("unknown-kind", "is of BTF kind 31, which daxtrace does not know"),
           ("truncated", "(cut short?)"),
           ("da-fewer", "dax_direct_access(struct dax_device *, integer, integer, integer, "
                        "pointer) has changed: daxtrace's programs read (struct dax_device *, "
                        "integer, integer, integer, pointer, pointer)"),
           ("da-retyped", "dax_direct_access(struct dax_device *, pointer, integer, integer, "
                          "pointer, pointer) has changed"))


def bad_btf_files(tmp):
    """This kernel's BTF made bad in each way of tests/btf/craft.py:
    [(path, what the error must say)]."""
    out = []
    for how, want in BAD_BTF:
        path = os.path.join(tmp, how + ".btf")
        subprocess.run([sys.executable, os.path.join(ROOT, "tests", "btf", "craft.py"), how,
                        "/sys/kernel/btf/vmlinux", path], check=True)
        out.append((path, want))
    return out


def test_bad_btf():
    """BTF from a newer kernel than daxtrace knows (an unknown kind), cut
    short, or where dax_direct_access kept its name but not its parameters
    (BTF libbpf reads well): each refused in one line naming what, exit 2,
    nothing attached. Made from this kernel's own BTF."""
    print("bad --btf", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for path, want in bad_btf_files(tmp):
            p = subprocess.run([DAXTRACE, "--btf", path, "-c", "daxload"] + BACKEND,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=120)
            lines = p.stderr.splitlines()
            eq((p.returncode, p.stdout, len(lines)), (2, "", 1), "--btf %s: exit 2, one line" % path)
            check(lines and lines[0].startswith("daxtrace: --btf %s: " % path) and want in lines[0],
                  "--btf %s: names what (%r): %r" % (path, want, p.stderr))
    nothing_left("bad --btf")


def test_clean_exit():
    print("clean detach", flush=True)
    t = Trace(["-c", "daxload"]).start()
    t.proc.send_signal(signal.SIGTERM)
    out, err = t.proc.communicate(timeout=60)
    eq(t.proc.returncode, 0, "SIGTERM exit status")
    check('"type":"stats"' in out, "SIGTERM prints the final summary")
    progs = subprocess.run(["bpftool", "prog", "list"], stdout=subprocess.PIPE,
                           text=True).stdout
    check(not any(n in progs for n in ("fe_rw", "fx_copy_to", "kp_rw", "kr_copy_to")),
          "no BPF program left after SIGTERM")
    if FTRACE:
        eq(os.listdir("/sys/kernel/tracing/instances"), [], "SIGTERM: no instance left")
        with open("/sys/kernel/tracing/kprobe_events") as f:
            eq(f.read(), "", "SIGTERM: no kprobe event left")
    print("  start-up to attached: %.2f s" % t.startup, flush=True)
    # INTERVAL COUNT: two summaries, then a clean exit on its own
    t = Trace(["-c", "daxload", "1", "2"]).start()
    out, err = t.proc.communicate(timeout=120)
    eq(t.proc.returncode, 0, "INTERVAL COUNT exit status")
    eq(out.count('"type":"stats"'), 2, "INTERVAL COUNT: two summaries")


# built for each kernel of the matrix (tests/kmod/build): this guest's
KMOD = os.path.join(ROOT, "build", "kmod", os.uname().release, "daxfault.ko")
KMODIO = os.path.join(ROOT, "build", "kmodio")
KPARAM = "/sys/module/daxfault/parameters/"
KDEV = "/dev/daxfault0"
KSIZE = 2 << 20


def pattern(off, n):
    return bytes(((off + i) * 7 + 3) & 255 for i in range(n))


def kset(name, value):
    with open(KPARAM + name, "w") as f:
        f.write(str(value))


def kmod_run(mode, snoop=False, io=None):
    """Ground truth of a fixed I/O mix on /dev/daxfault0 in one fault mode,
    done by build/kmodio (see there why not by this process); io: its
    arguments, if not the usual mix."""
    kset("mode", "none")
    fd = os.open(KDEV, os.O_RDWR)
    try:
        os.pwrite(fd, pattern(0, KSIZE), 0)
    finally:
        os.close(fd)
    kset("mode", mode)
    args = ["-d", "daxfault0", "-c", "kmodio"] + (["-s"] if snoop else [])
    t = Trace(args).start()
    # short_len and errno make the fault SIGBUS: no mmap there
    if io is None:
        io = [] if mode in ("short_len", "errno") else ["--mmap"]
    p = subprocess.Popen([KMODIO] + io,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
    finally:
        t.stop()    # kmodio lives on until its events are all read
        out, err = p.communicate(timeout=60)
    eq(p.returncode, 0, mode + ": kmodio exit status: " + err.strip())
    truth = json.loads(line) if line else {}
    for k in ("head", "cross"):
        if k in truth:
            truth[k] = tuple(truth[k])
    eq(t.rc, 0, mode + ": daxtrace exit status")
    eq({r["device"] for r in t.of("summary")}, {"daxfault0"}, mode + ": -d daxfault0 only")
    return t, truth


def test_kmod():
    print("fault-injecting driver", flush=True)
    subprocess.run(["rmmod", "daxfault"], stderr=subprocess.DEVNULL)
    p = subprocess.run(["insmod", KMOD], stderr=subprocess.PIPE, text=True)
    eq(p.returncode, 0, "insmod daxfault.ko: " + p.stderr.strip())
    try:
        with open(KPARAM + "mode", "w") as f:
            f.write("bogus")
        check(False, "bad mode name accepted")
    except OSError as e:
        eq(e.errno, 22, "bad mode name -> EINVAL")
    p = subprocess.run([DAXTRACE, "-j", "--list-probes", "-d", "daxfault0"],
                       stdout=subprocess.PIPE, text=True)
    tg = {x["target"]: x for x in json.loads(p.stdout)["targets"]}
    if FTRACE:
        p = subprocess.run([DAXTRACE, "-j", "--list-probes", "-d", "daxfault0"] + BACKEND,
                           stdout=subprocess.PIPE, text=True)
        tg = {x["target"]: x for x in json.loads(p.stdout.splitlines()[0])["targets"]}
    check(tg["dev_dax_direct_access"]["attached"],
          "the module's dev_dax_direct_access is probed: %r" % tg["dev_dax_direct_access"])
    # daxfault.ko has no BTF here: found by the kernel's look-up, named by /proc/modules
    eq(tg["dev_dax_direct_access"].get("module"), "daxfault", "dev_dax_direct_access's module")
    if not FTRACE:
        # a kprobe that says why (where kprobes do not come first anyway)
        if not PREEMPTIBLE:
            eq(tg["dev_dax_direct_access"]["note"],
               "no BTF for it (a module built without): kprobe, its parameters unchecked",
               "dev_dax_direct_access without BTF: the note")
        # fentry forced on it: one line naming the module, exit 1, nothing left
        p = subprocess.run([DAXTRACE, "--method", "dev_dax_direct_access=fentry", "-d", "daxfault0"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        eq((p.returncode, p.stdout, p.stderr),
           (1, "", "daxtrace: --method dev_dax_direct_access=fentry: dev_dax_direct_access has no "
                   "BTF (module daxfault was built without BTF), and fentry needs it\n"),
           "fentry forced on a module without BTF: refused, one line")
        nothing_left("fentry forced on a module without BTF")

    # none: everything right, counts exact
    t, truth = kmod_run("none")
    eq(truth, {"head": (8192, True), "cross": (8192, True), "write": 4096,
               "mmap": [True, True]}, "none: I/O results")
    rd = t.summary("daxfault0", "read")
    eq((rd["calls"], rd["bytes_requested"], rd["bytes_done"]), (2, 16384, 16384), "none: reads")
    wr = t.summary("daxfault0", "write")
    eq((wr["calls"], wr["bytes_done"]), (1, 4096), "none: writes")
    da = t.summary("daxfault0", "direct_access")
    # head: 1 call; cross: one per range; write: 1; two faults: 1 each
    eq(da["calls"], 6, "none: direct_access calls")
    cti = t.summary("daxfault0", "copy_to_iter")
    eq((cti["calls"], cti["bytes_done"]), (3, 16384), "none: copy_to_iter")
    eq(cti["variants"], {"_copy_mc_to_iter": 3}, "none: NOMC device copies with _copy_mc_to_iter")
    eq(t.summary("daxfault0", "copy_from_iter")["variants"],
       {"_copy_from_iter_flushcache": 1}, "none: NOCACHE device writes with flushcache")
    for name, c in t.checks("daxfault0").items():
        eq(c["fail"], 0, "none: %s fail" % name)
    if not FTRACE:
        eq(t.checks("daxfault0")["direct_access.kaddr_pfn"]["pass"], 2, "none: kaddr_pfn on faults")
    eq(t.events(), [], "none: no anomalies")

    # phys_kaddr: the RFC. mmap works, read() and write() fail.
    t, truth = kmod_run("phys_kaddr")
    eq(truth, {"head": (-14, None), "cross": (-14, None), "write": -14,
               "mmap": [True, True]}, "phys_kaddr: what the kernel returns")
    da = t.summary("daxfault0", "direct_access")
    ck = t.checks("daxfault0")["direct_access.kaddr_kernel"]
    if FTRACE:
        eq((ck["fail"], ck["pass"], ck["na"]), (0, 0, da["calls"]),
           "phys_kaddr: ftrace cannot see kaddr: n/a, never passed")
    else:
        eq((ck["fail"], ck["pass"]), (da["calls"], 0),
           "phys_kaddr: every kaddr is not a kernel address")
    copies = t.events("copy_to_iter") + t.events("copy_from_iter")
    eq(len(copies), 3, "phys_kaddr: three declined copies (two reads, one write)")
    for c in copies:
        eq((c["got"], c["side"]), (0, "source"), "phys_kaddr: copy declined source-side")
        check(c["direct_access"] is not None and
              int(c["direct_access"]["kaddr"], 16) == int(c["addr"], 16) and
              int(c["addr"], 16) < 0xffff800000000000,
              "phys_kaddr: copy tied to the direct_access that gave its kaddr: %r" % c)
        eq(c["direct_access"] and c["direct_access"]["kaddr_kernel"], None if FTRACE else False,
           "phys_kaddr: the copy's direct_access failed kaddr_kernel (ftrace: not judged)")
    eq([c["variant"] for c in t.events("copy_to_iter")], ["_copy_mc_to_iter"] * 2,
       "phys_kaddr: which copy variant declined")
    eq(sorted(e["errno"] for e in t.events("read") + t.events("write")),
       ["EFAULT"] * 3, "phys_kaddr: read/write errors as the workload saw them")

    # phys_kaddr again, but the caller has memory at that address: the write
    # "succeeds" into the caller's own memory, and only daxtrace says why
    t, truth = kmod_run("phys_kaddr", io=["--scribble"])
    eq(truth, {"write": 4096, "landed": 4096},
       "phys_kaddr: the write lands in the caller's own memory at the physical address")
    wr = t.summary("daxfault0", "write")
    eq((wr["calls"], wr["bytes_done"], wr["errors"]), (1, 4096, {}),
       "phys_kaddr, caller mapped there: the write looks fine")
    eq(t.checks("daxfault0")["copy.complete"]["fail"], 0,
       "phys_kaddr, caller mapped there: the copy completes")
    ck = t.checks("daxfault0")["direct_access.kaddr_kernel"]
    if FTRACE:
        eq((ck["fail"], ck["pass"], ck["na"]), (0, 0, 1), "scribble: ftrace: n/a")
    else:
        eq((ck["fail"], ck["pass"]), (1, 0), "scribble: kaddr_kernel names the bug")
        eq([e["checks_failed"] for e in t.events()], [["direct_access.kaddr_kernel"]],
           "scribble: the one anomaly is the direct_access")

    # wrong_offset: kaddr off by the hole on the second range
    t, truth = kmod_run("wrong_offset")
    eq(truth, {"head": (8192, True), "cross": (8192, False), "write": 4096,
               "mmap": [True, True]}, "wrong_offset: the cross-range read is corrupt")
    if not FTRACE:
        ck = t.checks("daxfault0")["direct_access.kaddr_pfn"]
        eq((ck["pass"], ck["fail"]), (1, 1), "wrong_offset: kaddr_pfn fails on the second range")
        bad = [e for e in t.events("direct_access")
               if "direct_access.kaddr_pfn" in e["checks_failed"]]
        eq([e["offset"] for e in bad], [300 * 4096], "wrong_offset: the failing page")

    # short_len: "no pages available" becomes -ERANGE in dax_direct_access
    t, truth = kmod_run("short_len")
    eq(truth, {"head": (-34, None), "cross": (-34, None), "write": -34},
       "short_len: I/O results")
    da = t.summary("daxfault0", "direct_access")
    eq(da["errors"], {"ERANGE": da["calls"]}, "short_len: every direct_access fails ERANGE")
    eq(da["calls"], 3, "short_len: direct_access calls")
    eq([e["driver_ret"] for e in t.events("direct_access")], [0, 0, 0],
       "short_len: the driver returned 0 pages")

    # over_len: clamped by dax_direct_access, but the driver's answer shows
    t, truth = kmod_run("over_len", snoop=True)
    eq(truth["cross"], (8192, False), "over_len: copy ran past the range")
    das = t.events("direct_access")
    check(das and all(e["driver_ret"] == e["nr_pages"] + 1 for e in das),
          "over_len: driver returned nr_pages + 1: %r" % [(e["nr_pages"], e["driver_ret"]) for e in das])
    eq(t.checks("daxfault0")["direct_access.ret_range"]["fail"], 0,
       "over_len: dax_direct_access clamped it")

    # errno: -EIO on page 0, counted as a media error at offset 0
    kset("err_pgoff", 0)
    kset("err_errno", 5)
    t, truth = kmod_run("errno")
    eq(truth, {"head": (-5, None), "cross": (8192, True), "write": 4096}, "errno: I/O results")
    eq(t.summary("daxfault0", "direct_access")["errors"], {"EIO": 1}, "errno: EIO counted")
    eq([(e["got"], e["kaddr"], e["pfn"]) for e in t.events("direct_access")], [(-5, None, None)],
       "errno: the failed direct_access wrote no kaddr or pfn: null, not 0")
    eq([(m["device"], m["offset"], m["count"]) for m in t.of("media_error")],
       [("daxfault0", 0, 1)], "errno: media error offset")
    kset("mode", "none")
    eq(subprocess.run(["rmmod", "daxfault"]).returncode, 0, "rmmod daxfault")


FSDEVFS = os.path.join(os.path.dirname(KMOD), "fsdevfs.ko")
DAX_DRIVERS = "/sys/bus/dax/drivers/"


def sysfs_write(path, value):
    with open(path, "w") as f:
        f.write(value)


def dax_driver(dev):
    """The driver dev is bound to on the dax bus, None if unbound."""
    try:
        return os.path.basename(os.readlink("/sys/bus/dax/devices/%s/driver" % dev))
    except OSError:
        return None


def fsdev_restore(dev, mnt):
    """Undo test_fsdev whatever it got to: unmount, unload, and hand dev
    back to device_dax, as the other tests use it."""
    if mnt:
        subprocess.run(["umount", mnt], stderr=subprocess.DEVNULL)
        os.rmdir(mnt)
    subprocess.run(["rmmod", "fsdevfs"], stderr=subprocess.DEVNULL)
    if dax_driver(dev) == "fsdev_dax":
        sysfs_write(DAX_DRIVERS + "fsdev_dax/unbind", dev)
    if os.path.exists(DAX_DRIVERS + "fsdev_dax/remove_id"):
        try:
            sysfs_write(DAX_DRIVERS + "fsdev_dax/remove_id", dev)
        except OSError:
            pass    # not an id of fsdev_dax's
    if dax_driver(dev) is None:
        sysfs_write(DAX_DRIVERS + "device_dax/bind", dev)


def test_fsdev():
    """fsdev_dax (7.1+): fs-dax on the character dax device, used as famfs
    uses it by tests/kmod/fsdevfs.c (fs_dax_get(), files interleaved in
    2 MiB strips). daxtrace -d dax0.0 must count its reads, writes,
    direct_access calls (fsdev_dax_direct_access's) and faults exactly."""
    # modprobe -n: the module is there to load (the rig's modprobe knows
    # where the guest kernel's modules are; modinfo does not)
    have = os.path.isdir(DAX_DRIVERS + "fsdev_dax") or subprocess.run(
        ["modprobe", "-n", "fsdev_dax"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL).returncode == 0
    if not have:
        print("fsdev_dax: SKIPPED, kernel %s has no fsdev_dax (merged in 7.1; "
              "in Debian's 7.2 and 7.3)" % os.uname().release, flush=True)
        return
    print("fsdev_dax: %s in fsdev mode, fsdevfs on it" % DEVDAX, flush=True)
    mnt = None
    try:
        p = subprocess.run(["modprobe", "fsdev_dax"], stderr=subprocess.PIPE, text=True)
        eq(p.returncode, 0, "modprobe fsdev_dax: " + p.stderr.strip())
        # the dax bus gives fsdev_dax a device by id only (bind: ENODEV)
        if dax_driver(DEVDAX) == "device_dax":
            sysfs_write(DAX_DRIVERS + "device_dax/unbind", DEVDAX)
        sysfs_write(DAX_DRIVERS + "fsdev_dax/new_id", DEVDAX)
        eq(dax_driver(DEVDAX), "fsdev_dax", DEVDAX + " bound to fsdev_dax")
        with open("/sys/bus/dax/devices/%s/dev" % DEVDAX) as f:
            devt = f.read().strip()
        st = os.stat("/dev/" + DEVDAX)
        eq("%d:%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)), devt,
           "/dev/%s is the fsdev device" % DEVDAX)
        # fsdev mode: the character device has no read of its own
        fd = os.open("/dev/" + DEVDAX, os.O_RDONLY)
        try:
            os.read(fd, 4096)
            check(False, "read() of /dev/%s in fsdev mode succeeded" % DEVDAX)
        except OSError as e:
            eq(e.errno, 22, "read() of /dev/%s in fsdev mode: EINVAL" % DEVDAX)
        finally:
            os.close(fd)

        p = subprocess.run(["insmod", FSDEVFS], stderr=subprocess.PIPE, text=True)
        eq(p.returncode, 0, "insmod %s (tests/kmod/build): %s" % (FSDEVFS, p.stderr.strip()))
        mnt = tempfile.mkdtemp(prefix="fsdevfs.")
        p = subprocess.run(["mount", "-t", "fsdevfs", "/dev/" + DEVDAX, mnt],
                           stderr=subprocess.PIPE, text=True)
        eq(p.returncode, 0, "mount -t fsdevfs /dev/%s: %s" % (DEVDAX, p.stderr.strip()))
        eq(sorted(os.listdir(mnt)), ["f0", "f1", "f2"], "fsdevfs's files")
        eq(os.stat(mnt + "/f0").st_dev, st.st_rdev, "fsdevfs files on the dax device's dev_t")
        d = devices_cmd("%s in fsdev mode, fsdevfs mounted" % DEVDAX).get(DEVDAX, {})
        eq((d.get("mode"), d.get("driver"), d.get("mount"), d.get("problem")),
           ("fsdev", "fsdev_dax", {"path": mnt, "fstype": "fsdevfs", "dax": "fs"}, None),
           "devices: %s in fsdev mode with fsdevfs on it" % DEVDAX)
        eq([(x["op"], x["target"]) for x in d.get("traced") or []],
           [("read/write", "dax_iomap_rw"), ("direct_access", "dax_direct_access"),
            ("direct_access (driver)", "fsdev_dax_direct_access"),
            ("copy_to_iter", "dax_copy_to_iter"), ("copy_from_iter", "dax_copy_from_iter"),
            ("fault", "dax_iomap_fault")], "devices: what is traced on the fsdev device")

        p = subprocess.run([DAXTRACE, "-j", "--list-probes", "-d", DEVDAX] + BACKEND,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        eq(p.returncode, 0, "--list-probes -d %s: %s" % (DEVDAX, p.stderr.strip()))
        tg = {x["target"]: x for x in json.loads(p.stdout.splitlines()[0])["targets"]}
        fs = tg.get("fsdev_dax_direct_access", {})
        check(fs.get("attached") and fs.get("method") == METHOD and
              fs.get("module") == "fsdev_dax",
              "--list-probes: fsdev_dax_direct_access attached by %s: %r" % (METHOD, fs))

        # -s: every direct_access as an event, with the driver's own answer
        t, truth = traced(["--dir", mnt, "fsdev-mix"], ["-d", DEVDAX, "-s"])
        want = truth[0]
        eq({r["device"] for r in t.of("summary")}, {DEVDAX}, "fsdev: -d %s only" % DEVDAX)
        for op in ("read", "write"):
            w, g = op_truth(truth, op), t.summary(DEVDAX, op)
            for k in ("calls", "bytes_requested", "bytes_done", "short", "errors"):
                eq(g and g[k], w[k], "fsdev: %s %s" % (op, k))
        rd, wr = op_truth(truth, "read"), op_truth(truth, "write")
        faults = want["faults"]["pte"] + want["faults"]["pmd"]
        da = t.summary(DEVDAX, "direct_access")
        eq(da and (da["calls"], da["errors"]), (want["direct_access"], {}),
           "fsdev: direct_access calls (one per strip of each read and write, one per fault)")
        cti, cfi = t.summary(DEVDAX, "copy_to_iter"), t.summary(DEVDAX, "copy_from_iter")
        eq(cti and (cti["calls"], cti["bytes_done"], cti["variants"]),
           (want["read_extents"], rd["bytes_done"], {"_copy_mc_to_iter": want["read_extents"]}),
           "fsdev: copy_to_iter, one per strip read")
        wstrips = want["direct_access"] - want["read_extents"] - faults
        eq(cfi and (cfi["calls"], cfi["bytes_done"], cfi["variants"]),
           (wstrips, wr["bytes_done"], {"_copy_from_iter_flushcache": wstrips}),
           "fsdev: copy_from_iter, one per strip written")
        f = t.summary(DEVDAX, "fault")
        eq(f and (f["pte"], f["pmd"], f["errors"]),
           (want["faults"]["pte"], want["faults"]["pmd"], {}), "fsdev: faults by size")
        for name, c in t.checks(DEVDAX).items():
            eq(c["fail"], 0, "fsdev: check %s fail count" % name)
        if not FTRACE:
            eq(t.checks(DEVDAX)["direct_access.kaddr_pfn"]["pass"], faults,
               "fsdev: kaddr_pfn checked on every fault")
        das = t.events("direct_access")
        eq(len(das), want["direct_access"], "fsdev: -s: an event per direct_access")
        odd = [e for e in das if e["device"] != DEVDAX or e["driver_ret"] is None or
               e["driver_ret"] != e["got"] or e["got"] <= 0]
        eq(odd[:3], [], "fsdev: each direct_access also seen returning from "
           "fsdev_dax_direct_access, with the same answer")
    finally:
        fsdev_restore(DEVDAX, mnt)
    eq(dax_driver(DEVDAX), "device_dax", DEVDAX + " back on device_dax")
    t = daxload("--devdax", "/dev/" + DEVDAX, "devdax-mmap")
    eq(t[0]["faults"]["pmd"], 2, "/dev/%s works as devdax again" % DEVDAX)


def sysfs_read(path):
    with open(path) as f:
        return f.read().strip()


def ndctl_namespaces():
    p = subprocess.run(["ndctl", "list", "-N"], stdout=subprocess.PIPE, text=True)
    j = json.loads(p.stdout or "[]")
    return j if isinstance(j, list) else [j]


def expected_info():
    """device -> the labels its daxtrace_device_info must carry: the uuid
    and alignment as ndctl lists them, the rest read from sysfs here."""
    want = {}
    for n in ndctl_namespaces():
        if n.get("chardev") == DEVDAX:
            d = "/sys/bus/dax/devices/" + DEVDAX
            want[DEVDAX] = {"device": DEVDAX, "mode": "devdax", "driver": dax_driver(DEVDAX),
                            "size": sysfs_read(d + "/size"), "align": str(n.get("align")),
                            "numa_node": sysfs_read(d + "/numa_node"), "uuid": n.get("uuid"),
                            "uuid_source": "namespace"}
        if n.get("blockdev") == PMEM:
            b = "/sys/class/block/" + PMEM
            want[PMEM] = {"device": PMEM, "mode": "fsdax",
                          "driver": os.path.basename(os.readlink(b + "/device/driver")),
                          "size": str(int(sysfs_read(b + "/size")) * 512),
                          "align": str(n.get("align")),
                          "numa_node": sysfs_read(b + "/device/numa_node"),
                          "uuid": n.get("uuid"), "uuid_source": "namespace"}
    return want


def device_info_series(body):
    """device -> labels of each daxtrace_device_info sample in a scrape."""
    out = {}
    for line in body.splitlines():
        m = re.match(r"daxtrace_device_info\{(.*)\} 1$", line)
        if m:
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(1)))
            out[labels.get("device")] = labels
    return out


def scrape_once(port, extra=()):
    """Start daxtrace --metrics, scrape /metrics once, stop it."""
    import urllib.request
    tr = subprocess.Popen([DAXTRACE, "--metrics", str(port)] + BACKEND + list(extra),
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    body = None
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                            timeout=10) as r:
                    body = r.read().decode()
                break
            except OSError:
                if tr.poll() is not None:
                    break
                time.sleep(0.5)
    finally:
        tr.send_signal(signal.SIGINT)
        tr.wait(timeout=60)
    eq(tr.returncode, 0, "daxtrace --metrics exit status: " + tr.stderr.read().strip())
    return body or ""


def test_device_info():
    """daxtrace_device_info: one series per device, its labels exactly what
    ndctl and sysfs say; the uuid in the JSON records naming a device."""
    print("device identity: daxtrace_device_info and JSON uuid", flush=True)
    want = expected_info()
    eq(sorted(want), sorted([DEVDAX, PMEM]), "ndctl lists both namespaces")
    for dev, w in want.items():
        check(re.match(r"^[0-9a-f-]{36}$", w["uuid"] or "") is not None,
              "ndctl gives %s a uuid: %r" % (dev, w["uuid"]))
    got = device_info_series(scrape_once(9481))
    for dev, w in want.items():
        eq(got.get(dev), w, "daxtrace_device_info of " + dev)
    t, _ = traced(["seq-read-4k"], ["-d", PMEM])
    eq({(r["device"], r["uuid"]) for r in t.of("summary") + t.of("check")},
       {(PMEM, want[PMEM]["uuid"])}, "JSON: %s's summary and check records carry its uuid" % PMEM)
    t, _ = traced(["--devdax", "/dev/" + DEVDAX, "devdax-mmap"], ["-d", DEVDAX, "-s"])
    recs = t.of("summary") + t.of("check") + t.events()
    check(len(t.events()) > 0, "devdax -s: events printed")
    eq({(r["device"], r["uuid"]) for r in recs}, {(DEVDAX, want[DEVDAX]["uuid"])},
       "JSON: %s's summary, check and event records carry its uuid" % DEVDAX)


def devices_cmd(what):
    """daxtrace devices -j, parsed: device -> its record; the text output
    is printed for the log (the README's and man page's example)."""
    p = subprocess.run([DAXTRACE, "devices"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    eq(p.returncode, 0, "%s: daxtrace devices exit status: %s" % (what, p.stderr.strip()))
    print("  daxtrace devices (%s):\n    %s" % (what, p.stdout.rstrip().replace("\n", "\n    ")),
          flush=True)
    p = subprocess.run([DAXTRACE, "devices", "-j"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    eq(p.returncode, 0, "%s: daxtrace devices -j exit status: %s" % (what, p.stderr.strip()))
    recs = [json.loads(l) for l in p.stdout.splitlines()]
    devs = {r["device"]: r for r in recs if r["type"] == "device"}
    eq([r for r in recs if r["type"] == "devices"],
       [{"type": "devices", "count": len(devs),
         "problems": sum(1 for r in devs.values() if r["problem"])}],
       what + ": the closing devices record")
    return devs


def run_fix(fix):
    """Run the fix daxtrace devices printed (a shell command, with an
    aside in parentheses at its end); its exit status."""
    cmd = re.sub(r"\s*\([^()]*\)$", "", fix)
    p = subprocess.run(["sh", "-c", cmd], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    print("  ran the fix: %s -> %d %s" % (cmd, p.returncode, p.stdout.strip()[:200]), flush=True)
    return p.returncode


def mount_opts(mnt):
    """(fstype, super options) of the mount on mnt."""
    with open("/proc/self/mountinfo") as f:
        for line in f:
            a, b = line.split(" - ")
            if a.split()[4] == mnt:
                return b.split()[0], b.split()[2]
    return None, None


def test_devices_cmd():
    """daxtrace devices: each device as ndctl and sysfs describe it, its
    mount, what can be traced; each misconfiguration the rig can make
    named, and the fix it prints put right."""
    print("daxtrace devices", flush=True)
    want = expected_info()
    method = "kprobe" if PREEMPTIBLE else "fentry"
    devs = devices_cmd("as the rig made them")
    eq(sorted(d for d in devs if d in (DEVDAX, PMEM)), sorted([DEVDAX, PMEM]), "both devices listed")
    for dev, w in want.items():
        g = devs.get(dev, {})
        got = {k: g.get(k) for k in ("mode", "driver", "uuid", "uuid_source")}
        got.update({k: str(g.get(k)) for k in ("size", "align", "numa_node")})
        got["device"] = g.get("device")
        eq(got, w, "devices: %s as ndctl and sysfs say" % dev)
        eq((g.get("problem"), g.get("fix")), (None, None), "devices: nothing wrong with " + dev)
    d, p = devs.get(DEVDAX, {}), devs.get(PMEM, {})
    eq(d.get("mount"), None, DEVDAX + ": nothing mounted")
    eq(d.get("traced"), [{"op": "fault", "target": "dev_dax_huge_fault", "method": method}],
       DEVDAX + ": faults traced, by " + method)
    eq(p.get("mount"), {"path": MNT, "fstype": FS, "dax": "always"}, PMEM + "'s mount")
    eq([(t["op"], t["target"], t["method"]) for t in p.get("traced") or []][:2],
       [("read/write", "dax_iomap_rw", method), ("direct_access", "dax_direct_access", method)],
       PMEM + ": reads, writes and direct_access traced")
    with open("/sys/class/block/%s/dev" % PMEM) as f:
        eq(p.get("dev"), f.read().strip(), PMEM + "'s major:minor")

    # system-ram (kmem): the famfs issues' segfaults and ENXIO. daxctl 76
    # refuses where the kernel onlines hot-added memory itself (7.3's
    # policy): it onlines the memory itself with that policy off.
    subprocess.run(["modprobe", "kmem"])
    auto = "/sys/devices/system/memory/auto_online_blocks"
    policy = sysfs_read(auto)
    sysfs_write(auto, "offline")
    try:
        r = subprocess.run(["daxctl", "reconfigure-device", "--mode=system-ram", DEVDAX],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        eq(r.returncode, 0, "daxctl reconfigure-device --mode=system-ram: " + r.stdout.strip()[-200:])
        sysfs_write(auto, policy)
        d = devices_cmd("%s in system-ram mode" % DEVDAX).get(DEVDAX, {})
        eq((d.get("mode"), d.get("driver"), d.get("traced")), ("system-ram", "kmem", []),
           DEVDAX + " in system-ram mode, nothing traced")
        eq(d.get("problem"), "%s is in system-ram mode: no DAX I/O reaches it" % DEVDAX,
           "system-ram: the problem named")
        eq(run_fix(d.get("fix") or "false"), 0, "system-ram: the printed fix runs")
    finally:
        sysfs_write(auto, policy)
        if dax_driver(DEVDAX) != "device_dax":
            subprocess.run(["daxctl", "reconfigure-device", "--mode=devdax", "-f", DEVDAX],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    eq(dax_driver(DEVDAX), "device_dax", "system-ram: the fix put %s back on device_dax" % DEVDAX)

    # no driver bound
    sysfs_write(DAX_DRIVERS + "device_dax/unbind", DEVDAX)
    try:
        d = devices_cmd("%s unbound" % DEVDAX).get(DEVDAX, {})
        eq((d.get("mode"), d.get("driver"), d.get("traced")), ("unbound", None, []),
           DEVDAX + " unbound, nothing traced")
        check((d.get("problem") or "").startswith("%s has no driver bound" % DEVDAX),
              "unbound: the problem named: %r" % d.get("problem"))
        eq(run_fix(d.get("fix") or "false"), 0, "unbound: the printed fix runs")
    finally:
        if dax_driver(DEVDAX) is None:
            sysfs_write(DAX_DRIVERS + "device_dax/bind", DEVDAX)
    eq(dax_driver(DEVDAX), "device_dax", "unbound: the fix bound %s to device_dax" % DEVDAX)

    # fsdax: nothing mounted, then mounted without dax=always
    fstype, opts = mount_opts(MNT)
    eq(subprocess.run(["umount", MNT]).returncode, 0, "umount " + MNT)
    try:
        p = devices_cmd("%s unmounted" % PMEM).get(PMEM, {})
        eq((p.get("mount"), p.get("problem")),
           (None, "%s is an fsdax namespace with no file system mounted: no DAX I/O reaches it"
            % PMEM), "unmounted fsdax: the problem named")
        eq(subprocess.run(["mount", "-o", "dax=never",
                           "/dev/" + PMEM, MNT]).returncode, 0, "mount -o dax=never")
        p = devices_cmd("%s mounted dax=never" % PMEM).get(PMEM, {})
        eq((p.get("mount") or {}).get("dax"), "never", "dax=never seen in the mount options")
        eq(p.get("problem"), "%s is mounted on %s (%s) with DAX off: every file uses the page cache"
           % (PMEM, MNT, FS), "dax=never: the problem named")
        eq(run_fix(p.get("fix") or "false"), 0, "dax=never: the printed fix runs")
    finally:
        if mount_opts(MNT)[0] is None:
            subprocess.run(["mount", "-o", "dax", "/dev/" + PMEM, MNT])
    eq(mount_opts(MNT)[0], fstype, MNT + " mounted again")
    check("dax=always" in mount_opts(MNT)[1].split(","),
          "the fix mounted %s with dax=always: %r" % (MNT, mount_opts(MNT)))
    p = devices_cmd("put right").get(PMEM, {})
    eq(p.get("problem"), None, "after the fixes: nothing wrong with " + PMEM)


def rules_metrics():
    with open(os.path.join(ROOT, "contrib", "prometheus", "daxtrace.rules.yml")) as f:
        return {n for line in f if not line.lstrip().startswith("#")
                for n in re.findall(r"\bdaxtrace_[a-z0-9_]+", line)}


def test_rule_metrics():
    """Every metric the alerting rules name (contrib/prometheus) is in a
    live scrape of a workload that makes each alert's series move; the
    scrape is kept in build/ to refresh tests/prometheus/scrape-*.prom."""
    print("alerting rules' metrics in a live scrape", flush=True)
    sys.path.insert(0, os.path.join(ROOT, "tests", "prometheus"))
    import capture
    body, rc, err = capture.scrape_with_workload()
    eq(rc, 0, "daxtrace --metrics exit status: " + err)
    with open(os.path.join(ROOT, "build", "scrape-%s%s.prom" %
                           (os.uname().release, "-ftrace" if FTRACE else "")), "w") as f:
        f.write(body)
    names = {re.split(r"[{ ]", l)[0] for l in body.splitlines() if l and l[0] != "#"}
    for n in sorted(rules_metrics()):
        check(n in names, "rules' metric %s is in the scrape" % n)
    vals = {}
    for l in body.splitlines():
        if l and l[0] != "#":
            k, v = l.rsplit(" ", 1)
            vals[k] = float(v)
    eq(vals.get('daxtrace_media_errors_total{device="daxfault0"}'), 1,
       "one media error (EIO on page 0)")
    if not FTRACE:
        eq(vals.get('daxtrace_check_failures_total{device="daxfault0",'
                    'check="direct_access.kaddr_kernel"}'), 3,
           "phys_kaddr: three direct_access calls failed kaddr_kernel")
        eq(vals.get('daxtrace_short_copies_total{device="daxfault0",side="source"}'), 3,
           "phys_kaddr: three copies declined source-side")

TEL_UNSEEN = ("the kaddr checks", "copy variants", "direct_access: its calls and errors as such")


def fault_sums(truth):
    """pte and pmd faults daxload made, per device: its cases' own counts."""
    out = {}
    for c in truth:
        # mt-both and mt-migrate fault on device-dax only
        dev = DEVDAX if c["case"].startswith(("devdax", "mt-both", "mt-migrate")) else PMEM
        pte, pmd = out.get(dev, (0, 0))
        out[dev] = (pte + c["faults"]["pte"], pmd + c["faults"]["pmd"])
    return out


def telemetry_compare(t, truth, case):
    """Everything --telemetry keeps, against daxload's ground truth: reads
    and writes by result (calls, bytes asked and done, short, errors by
    errno), every one timed and in the length histogram; faults by size
    with no errors; nothing of what it does not trace."""
    compare_rw(t, truth, case)
    for op in ("read", "write"):
        sm = t.summary(PMEM, op)
        if sm:
            eq(lat_count(sm), sm["calls"], case + ": every %s timed" % op)
            eq(sum(n for _, n in sm["len_hist"]), sm["calls"],
               case + ": every %s in the length histogram" % op)
    for dev, (pte, pmd) in fault_sums(truth).items():
        f = t.summary(dev, "fault")
        if pte + pmd == 0:
            continue
        check(f is not None, case + ": fault summary on " + dev)
        if f:
            eq((f["pte"], f["pmd"], f["errors"]), (pte, pmd, {}),
               case + ": %s faults pte, pmd, errors" % dev)
    for op in ("direct_access", "copy_to_iter", "copy_from_iter", "iter"):
        eq(t.summary(PMEM, op), None, case + ": no %s summary" % op)
    # reads and writes: none; the fault exits keep fault.size's record
    # (kprobes: the default's pair judges it, fentry's counts it n/a)
    checks = {r["check"] for r in t.of("check")}
    check(checks <= {"fault.size"},
          case + ": no check of what it does not trace: %r" % sorted(checks))
    st = t.of("stats")[-1]
    eq(st["kernel_skipped_total"], 0, case + ": no run skipped")


def test_telemetry_profile():
    """--telemetry: only dax_iomap_rw and the fault handlers attached; each
    metric it keeps exact against daxload, under 16 threads moved between
    CPUs too; what it does not see said in --list-probes, the probes
    record and /metrics."""
    if FTRACE:
        p = subprocess.run([DAXTRACE, "--telemetry"] + BACKEND, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        eq((p.returncode, p.stderr.count("\n"), p.stdout), (2, 1, ""),
           "--telemetry with the ftrace backend: one-line error, exit 2")
        return
    print("--telemetry (%s preemption)" % PREEMPT, flush=True)
    for bad in (["--deep"], ["-s"]):
        p = subprocess.run([DAXTRACE, "--telemetry"] + bad, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
        eq((p.returncode, p.stderr.count("\n"), p.stdout), (2, 1, ""),
           "--telemetry %s: one-line error, exit 2" % bad[0])
    p = subprocess.run([DAXTRACE, "--telemetry", "--list-probes", "-j"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    eq(p.returncode, 0, "--telemetry --list-probes -j exit status")
    rec = json.loads(p.stdout.splitlines()[0])
    eq(rec.get("profile"), "telemetry", "probes record: the profile")
    eq(rec.get("counters"), "per-cpu", "probes record: counters per CPU")
    tg = {x["target"]: x for x in rec["targets"]}
    eq(sorted(n for n, x in tg.items() if x["attached"]),
       ["dax_iomap_fault", "dax_iomap_rw", "dev_dax_huge_fault"], "--telemetry: what it attaches")
    for n in ("dax_direct_access", "pmem_dax_direct_access", "dax_copy_to_iter",
              "dax_copy_from_iter"):
        check(tg[n]["method"] == "off" and tg[n]["note"].startswith("--telemetry does not see"),
              "--telemetry: %s off, and said why: %r" % (n, tg[n]))
    for w in TEL_UNSEEN:
        check(any(w in x for x in rec.get("not_seen", [])),
              "probes record not_seen names %s: %r" % (w, rec.get("not_seen")))
    if PREEMPTIBLE:
        eq([tg[n].get("programs") for n in ("dax_iomap_rw", "dax_iomap_fault")],
           [["kp_rw_t", "kr_rw_t"], ["kp_fault", "kr_fault"]], "--telemetry's programs (kprobes)")
        eq(len(rec["hot_path_atomics"]), 1, "kprobes: the thread slot overflow's atomic is said")
    else:
        eq([tg[n].get("programs") for n in ("dax_iomap_rw", "dax_iomap_fault",
                                            "dev_dax_huge_fault")],
           [["fe_rw_t", "fx_rw_t"], ["fx_fault_t"], ["fx_devfault_t"]], "--telemetry's programs")
        eq(rec["hot_path_atomics"], [], "--telemetry: no atomic on the hot path")
    p = subprocess.run([DAXTRACE, "--telemetry", "--list-probes"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    check(p.returncode == 0 and "--telemetry does not see:" in p.stdout and
          all(w in p.stdout for w in TEL_UNSEEN),
          "--list-probes text says what --telemetry does not see: %s" % p.stdout[-900:])
    p = subprocess.run([DAXTRACE, "--list-probes", "-j"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    d = json.loads(p.stdout.splitlines()[0])
    eq((d.get("profile"), d.get("not_seen"), len(d.get("hot_path_atomics", []))),
       ("diagnosis", [], 1), "default profile: sees all; the slot overflow's atomic said")

    # every metric it keeps, with errors, shorts and faults of both kinds
    cases = ["seq-read-4k", "seq-write-4k", "readv", "writev", "short-copy", "read-eof",
             "rw-efault", "mmap-read", "devdax-mmap"]
    tf = os.path.join(tempfile.mkdtemp(), "tel.prom")
    t = Trace(["--telemetry", "--metrics-textfile", tf, "-c", "daxload"]).start()
    try:
        progs = subprocess.run(["bpftool", "prog", "list"], stdout=subprocess.PIPE,
                               text=True).stdout
        eq("rt_thread_exit" in progs, PREEMPTIBLE,
           "--telemetry: the thread-exit program only where its programs keep "
           "thread slots (kprobes)")
        with open(tf) as f:
            prom = f.read()
        truth = daxload(*cases)
    finally:
        t.stop()
    eq(t.rc, 0, "--telemetry: exit status")
    rd, wr = op_truth(truth, "read"), op_truth(truth, "write")
    # the workload has what each metric needs to move
    eq((rd["errors"], wr["errors"]), ({"EFAULT": 1}, {"EFAULT": 1}), "truth: one EFAULT each")
    eq(rd["short"], 3, "truth: short reads (short-copy, read-eof's two)")
    telemetry_compare(t, truth, "--telemetry")
    check('daxtrace_profile_info{profile="telemetry"} 1' in prom,
          "/metrics: the profile")
    for w in TEL_UNSEEN:
        check(re.search(r'daxtrace_not_seen_info\{what="[^"]*%s' % re.escape(w), prom),
              "/metrics: not seen: %s" % w)
    # fallbacks have no ground truth of daxload's (where a mapping lands
    # decides them): the default profile, tracing the same run beside it,
    # must count the same faults by size and result
    d = Trace(["-c", "daxload"]).start()
    try:
        t2 = Trace(["--telemetry", "-c", "daxload"]).start()
        try:
            truth2 = daxload("mmap-read", "mmap-pmd", "devdax-mmap")
        finally:
            t2.stop()
    finally:
        d.stop()
    telemetry_compare(t2, truth2, "--telemetry beside the default profile")
    for dev in (PMEM, DEVDAX):
        a, b = d.summary(dev, "fault"), t2.summary(dev, "fault")
        check(a is not None, "default profile: %s faults" % dev)
        eq(b and (b["pte"], b["pmd"], b["fallback"], b["errors"]),
           a and (a["pte"], a["pmd"], a["fallback"], a["errors"]),
           "--telemetry: %s faults by size and result, as the default profile's beside it" % dev)
    # exact length histograms: one size of read per case
    t3, truth3 = traced(["seq-read-4k", "readv"], ["--telemetry", "-c", "daxload"])
    telemetry_compare(t3, truth3, "--telemetry, seq-read-4k + readv")
    sm = t3.summary(PMEM, "read")
    eq(sm and sm["len_hist"], [[4096, 1024], [8192, 64]], "--telemetry: read length histogram")
    # -d: the device memo keeps a device not wanted out, faults too
    t5, truth5 = traced(["seq-read-4k", "devdax-mmap"], ["--telemetry", "-d", PMEM, "-c", "daxload"])
    compare_rw(t5, truth5, "--telemetry -d " + PMEM)
    eq(t5.summary(DEVDAX, "fault"), None, "--telemetry -d %s: no %s faults" % (PMEM, DEVDAX))
    t6, truth6 = traced(["seq-read-4k", "devdax-mmap"], ["--telemetry", "-d", DEVDAX, "-c", "daxload"])
    f6 = t6.summary(DEVDAX, "fault")
    eq((t6.summary(PMEM, "read"), f6 and f6["pmd"]),
       (None, fault_sums(truth6)[DEVDAX][1]), "--telemetry -d %s: its faults only" % DEVDAX)
    # 16 threads moved between CPUs: per-CPU counters summed exactly
    t4, truth4 = traced(["mt-migrate"], ["--telemetry", "-c", "daxload"])
    check(truth4[0]["cpu_moves"] > 0, "mt-migrate: threads moved (%r)" % truth4[0]["cpu_moves"])
    telemetry_compare(t4, truth4, "--telemetry, mt-migrate")


def proc_table():
    """(pid, comm, state, cmdline) of every process but this one."""
    rows = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        rows.append((int(d), comm, st[st.rindex(")") + 2], cmd))
    return rows


def read_proc(path):
    """A /proc file's text, or why it could not be read."""
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError as e:
        return "(%s)" % e.strerror


def sigint_state(status):
    """Where SIGINT stands for a thread, from its /proc status: a tracer
    that outlives SIGINT has it pending and blocked, ignored, or caught
    and not acted on."""
    masks = dict(re.findall(r"^(SigPnd|ShdPnd|SigBlk|SigIgn|SigCgt):\s*([0-9a-f]+)$",
                            status, re.M))
    if len(masks) < 5:
        return "SIGINT: (no signal masks in status)"
    bit = 1 << (signal.SIGINT - 1)
    said = [w for k, w in (("SigPnd", "pending"), ("ShdPnd", "pending for the process"),
                           ("SigBlk", "blocked"), ("SigIgn", "ignored"),
                           ("SigCgt", "caught")) if int(masks[k], 16) & bit]
    return "SIGINT: " + (", ".join(said) if said else "default action, not pending")


def thread_lines(pid):
    """Each thread of pid: its state, wchan and kernel stack, so a hang can
    be told from a slow exit (user space, or which kernel function)."""
    try:
        tids = sorted(os.listdir("/proc/%d/task" % pid), key=int)
    except OSError:
        return []
    lines = []
    for tid in tids:
        t = "/proc/%d/task/%s/" % (pid, tid)
        state = read_proc(t + "stat").rsplit(")", 1)[-1].split()[:1]
        lines.append("thread %s %s state %s wchan %s" % (tid, read_proc(t + "comm"),
                                                         "".join(state), read_proc(t + "wchan")))
        lines.append("  " + sigint_state(read_proc(t + "status")))
        lines += ["  " + l for l in read_proc(t + "stack").splitlines()]
    return lines


def hang_report(name, limit):
    """Say where a test hung, then kill what it waits on so it fails and
    the run goes on: a hang must cost one test, not the guest's timeout."""
    print("  HANG: %s still running after %d s; Python stacks:" % (name, limit),
          file=sys.stderr, flush=True)
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    # an oops kills only its thread: the process then waits for it forever
    log = subprocess.run(["dmesg"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         text=True).stdout.splitlines()
    for line in log[-20:]:
        print("  HANG: dmesg: " + line, file=sys.stderr, flush=True)
    ours = ("daxtrace", "daxload", "fio", "bpftrace", "insmod", "rmmod")
    for pid, comm, state, cmd in proc_table():
        if not comm.startswith(ours):
            continue
        print("  HANG: pid %d %s state %s: %s" % (pid, comm, state, cmd),
              file=sys.stderr, flush=True)
        # every thread's: a process waits in one while another is stuck
        for line in thread_lines(pid):
            print("        " + line, file=sys.stderr, flush=True)
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


def run_tests(label, tests, only, limit=int(os.environ.get("E2E_TEST_TIMEOUT", "420"))):
    """Run (name, fn) pairs (those named in only, if any), then the tally.
    Shared by e2e.py, telemetry.py and reliability.py. A test still running
    after limit seconds gets hang_report(); one that then still does not
    return ends the run (its own process is stuck, nothing else will finish)."""
    for name in set(only) - {n for n, _ in tests}:
        check(False, "no test named %s" % name)
    for name, fn in tests:
        if only and name not in only:
            continue
        t0 = time.monotonic()
        dog = threading.Timer(limit, hang_report, (name, limit))
        dog.daemon = True
        dog.start()
        last = threading.Timer(limit + 60, lambda: (
            print("  HANG: %s did not return after its processes were killed" % name,
                  file=sys.stderr, flush=True), os._exit(3)))
        last.daemon = True
        last.start()
        try:
            fn()
        except Exception as e:  # a crash in one test must not hide the others
            traceback.print_exc()
            check(False, "%s raised %s: %s" % (name, type(e).__name__, e))
        finally:
            dog.cancel()
            last.cancel()
        print("  (%s: %.0f s)" % (name, time.monotonic() - t0), flush=True)
    print("%s: %d checks passed, %d failed" % (label, passes, len(failures)))
    return 1 if failures else 0


def test_bench_builds():
    """The bench's own builds (make bench-daxtrace: every cost-model part
    mask and the bare tracer, as bench/run makes them) load on this kernel,
    and the two the bench also runs with --telemetry do so that way too:
    compiling is not enough, since a build the verifier refuses makes make
    bench fail an hour in, or leaves one of its rows n/a. The file system
    does not matter to it: ext4's runs only."""
    if FTRACE or FS != "ext4":
        return
    print("bench builds load", flush=True)
    sys.path.insert(0, os.path.join(ROOT, "bench"))
    import bench
    runs = [(b, []) for b in bench.bench_builds()]
    runs += [("cost-0", ["--telemetry"]), (bench.BARE, ["--telemetry"])]
    for b, args in runs:
        what = " ".join([b] + args)
        p = subprocess.run([os.path.join(ROOT, "build", "bench", b, "daxtrace"),
                            "--backend", "bpf", "-j"] + args + ["1", "1"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        last = p.stderr.strip().splitlines()[-1:] or [""]
        eq((p.returncode, last[0] if p.returncode else ""), (0, ""),
           "%s: loads and attaches with the bpf backend" % what)
        probes = [json.loads(l) for l in p.stdout.splitlines() if '"probes"' in l]
        eq([r.get("backend") for r in probes[:1]], ["bpf"], "%s: its probes record" % what)


def main():
    tests = [test_list_probes, test_bench_builds, test_rw_cases, test_read_eof, test_paging, test_short_copy,
             test_faults, test_fault_size, test_per_file,
             test_filter, test_thread_slots, test_concurrency, test_migration, test_methods,
             test_full_trampoline, test_deep,
             test_bad_input, test_bad_btf, test_clean_exit, test_kmod, test_fsdev, test_device_info,
             test_rule_metrics, test_telemetry_profile, test_devices_cmd, test_media_error]
    if "test_fault_size_pud" in sys.argv[1:]:    # a 1 GiB devdax only
        tests.append(test_fault_size_pud)
    return run_tests("e2e (%s, %s backend)" % (FS, "ftrace" if FTRACE else "bpf"),
                     [(fn.__name__, fn) for fn in tests], sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
