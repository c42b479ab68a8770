#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""daxtrace overhead benchmark. Runs in the daxvm guest (bench/run).

Every figure is a ratio measured side by side in this one boot: the
configurations alternate (A B C ... then reversed) over ROUNDS rounds and
the median and spread of each are reported. No figure is compared with a
fixed threshold here: targets are printed beside the figures and judged by
reading the table.

Every figure also goes to the JSON file BENCH_JSON names (bench/run keeps
one per kernel); `bench.py --compare FILE...` prints them side by side,
one column per kernel, on the host.
"""
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atomics  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.path.join(ROOT, "build")
DAXTRACE = os.environ.get("BENCH_DAXTRACE", os.path.join(B, "daxtrace"))
LOOP = os.path.join(B, "preadloop")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
REPS = int(os.environ.get("BENCH_REPS", "3"))
OPS4K = int(os.environ.get("BENCH_OPS", "20000"))
MNT = os.environ.get("DAXVM_MNT", "/mnt/dax")

SECTIONS = set(os.environ.get("BENCH_SECTIONS", "1,2,3,4,5,6,7").split(","))
CLOCK = "/sys/devices/system/clocksource/clocksource0/current_clocksource"
# reads per atomics count (bpf_stats on): run counts, not timed
ATOMIC_OPS = 2000
# how long a tracer may take to attach, in guest seconds
START_LIMIT = 600

# Every figure of this run, by key, for BENCH_JSON and --compare: a
# number, or a string saying why there is none ("n/a: ...").
FIG = {}


def na(why):
    return "n/a: " + why


def is_na(v):
    return isinstance(v, str)


class Unavailable(Exception):
    """A configuration that cannot run here, and why (one line)."""


def daxtrace_hooks(args=(), binary=None):
    """(function, module or None, entry kind, exit kind) for every target
    daxtrace attaches with args (default mode: none), from its own "probes"
    record, each kind bpftrace's name for the kind of program daxtrace
    attaches there (kfunc, kprobe, kretfunc, kretprobe, tracepoint) or
    None: a floor runs empty programs on exactly these. Raises Unavailable when
    this build refuses args (exit 2, "unrecognized option")."""
    p = subprocess.Popen([binary or DAXTRACE, "-j"] + list(args), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line:
        _, err = p.communicate(timeout=120)
        if p.returncode == 2 and "unrecognized option" in err:
            raise Unavailable("not in this build")
        raise Unavailable("daxtrace %s exits %d: %s" %
                          (" ".join(args), p.returncode, first_line(err)))
    rec = json.loads(line)
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=120)
    hooks = []
    for t in rec["targets"]:
        progs = t.get("programs", []) if t["attached"] else []
        kinds = {BT_KIND[x[:3]] for x in progs if x[:3] in BT_KIND}
        entry = [k for k in ("kfunc", "kprobe") if k in kinds]
        exit_ = [k for k in ("kretfunc", "kretprobe") if k in kinds]
        if entry or exit_:
            hooks.append((t["target"], t.get("module"), entry[0] if entry else None,
                          exit_[0] if exit_ else None))
        for x in progs:
            if x in BT_TP:
                hooks.append((BT_TP[x], None, "tracepoint", None))
    return hooks


# daxtrace's program names say what kind of hook each is
# (bpf/dax_trace.bpf.c): bpftrace's probe of the same kind
BT_KIND = {"fe_": "kfunc", "fx_": "kretfunc", "kp_": "kprobe", "kr_": "kretprobe"}
BT_TP = {"tp_pte_done": "fs_dax:dax_pte_fault_done",
         "tp_pmd_done": "fs_dax:dax_pmd_fault_done"}


def first_line(text):
    """The line of a tool's stderr that says what went wrong."""
    lines = [l.strip() for l in (text or "").splitlines() if l.strip()]
    for l in lines:
        if re.search(r"error|fail|cannot|not supported|unknown|invalid", l, re.I):
            return l
    return lines[0] if lines else "no message"


def bt_probe(kind, func, mod):
    # bpftrace names a module's function for kfunc/kretfunc only
    return "%s:%s%s" % (kind, mod + ":" if mod and "func" in kind else "", func)


def bt_empty(hooks):
    out = []
    for func, mod, entry, exit_ in hooks:
        for kind in (entry, exit_):
            if kind:
                out.append(bt_probe(kind, func, mod) + " {}")
    return " ".join(out)


def bt_nprobes(script):
    """How many probes a script attaches: bpftrace holds a BPF link (kfunc)
    or a perf event (kprobe, tracepoint) for each once attached."""
    return len(re.findall(r"^\s*(?:kfunc|kretfunc|kprobe|kretprobe|tracepoint):",
                          script.replace("} ", "}\n"), re.M))


# What daxtrace's default mode keeps, on the same hooks: per op calls,
# bytes asked and done, short count, log2 histograms of returned length,
# and the latency of faults (the default mode times nothing else);
# the driver's own return for direct_access. Where daxtrace takes kprobes
# (7.x, preemptible), an exit cannot read the arguments: the entry, which
# daxtrace attaches there too, keeps what the exit needs, as daxtrace does.
def bt_equiv(hooks):
    by = {f: (m, e, x) for f, m, e, x in hooks}
    drv = [(f, m, x) for f, m, e, x in hooks if f.endswith("_direct_access") and
           f != "dax_direct_access" and x]
    s = ""
    if "dax_iomap_rw" in by:
        _, e, x = by["dax_iomap_rw"]
        asked = "args->iter->count" if e == "kfunc" else "((struct iov_iter *)arg1)->count"
        s += """
%s:dax_iomap_rw { @rs[tid] = 1; @rasked[tid] = %s; }
%s:dax_iomap_rw /@rs[tid]/ {
    @rw_calls = count(); @rw_asked = sum(@rasked[tid]); @rw_bytes = sum(retval > 0 ? retval : 0);
    if (retval < @rasked[tid]) { @rw_short = count(); }
    @rw_len = hist(retval);
    delete(@rs[tid]); delete(@rasked[tid]);
}
""" % (e, asked, x)
    if "dax_direct_access" in by:
        _, e, x = by["dax_direct_access"]
        if x == "kretfunc":
            s += "kretfunc:dax_direct_access {\n    @da_asked = sum(args->nr_pages); "\
                 "if (retval < args->nr_pages) { @da_short = count(); }\n"
        else:
            s += "kprobe:dax_direct_access { @danr[tid] = arg2; }\n" \
                 "kretprobe:dax_direct_access {\n    @da_asked = sum(@danr[tid]); " \
                 "if (retval < @danr[tid]) { @da_short = count(); } delete(@danr[tid]);\n"
        s += "    @da_calls = count(); @da_len = hist(retval);\n"
        if drv:
            s += "    @da_drv = hist(@drv[tid]); delete(@drv[tid]);\n"
        s += "}\n"
    for f, tag in (("dax_copy_to_iter", "c"), ("dax_copy_from_iter", "w")):
        if f not in by:
            continue
        _, e, x = by[f]
        if x == "kretfunc":
            s += "kretfunc:%s {\n    @%s_asked = sum(args->bytes); " \
                 "if (retval < args->bytes) { @%s_short = count(); }\n" % (f, tag, tag)
        else:
            s += ("kprobe:%s { @%sb[tid] = arg3; }\n"
                  "kretprobe:%s {\n    @%s_asked = sum(@%sb[tid]); "
                  "if (retval < @%sb[tid]) { @%s_short = count(); } delete(@%sb[tid]);\n" %
                  (f, tag, f, tag, tag, tag, tag, tag))
        s += "    @%s_calls = count(); @%s_bytes = sum(retval); @%s_len = hist(retval);\n}\n" % \
            (tag, tag, tag)
    for f, m, e, x in hooks:
        if f.endswith("fault") and e and x:
            s += ("%s { @fs[tid] = nsecs; }\n%s /@fs[tid]/ { @f_calls = count(); "
                  "@f_lat = hist(nsecs - @fs[tid]); delete(@fs[tid]); }\n" %
                  (bt_probe(e, f, m), bt_probe(x, f, m)))
        elif e == "tracepoint":
            s += "tracepoint:%s { @f_calls = count(); }\n" % f
    for f, m, x in drv:
        s += bt_probe(x, f, m) + " { @drv[tid] = retval; }\n"
    return s


def tracing_progs():
    out = subprocess.run(["bpftool", "prog", "list", "-j"], stdout=subprocess.PIPE,
                         text=True).stdout
    # fentry/fexit programs are "tracing", kprobes (7.x) "kprobe"
    return [p for p in json.loads(out or "[]")
            if p.get("type") in ("tracing", "kprobe", "tracepoint", "raw_tracepoint")]


class Tracer:
    """A tracer process, started and known to be attached. A tracer that
    does not get there raises Unavailable with its own first error line."""

    def __init__(self, kind, args, binary=None):
        self.kind, self.args, self.p, self.startup = kind, args, None, None
        self.binary = binary or DAXTRACE    # daxtrace: which build

    def _failed(self, what):
        """Unavailable, with what the tracer said on stderr."""
        try:
            self.p.kill()
        except OSError:
            pass
        self.p.wait(timeout=120)
        self.err.seek(0)
        return Unavailable("%s: %s" % (what, first_line(self.err.read())))

    def start(self):
        self.err = tempfile.TemporaryFile("w+")
        t0 = time.monotonic()
        if self.kind == "daxtrace":
            self.p = subprocess.Popen([self.binary] + self.args, stdout=subprocess.PIPE,
                                      stderr=self.err, text=True)
            line = self.p.stdout.readline()       # printed once all is attached
            if not line:
                raise self._failed("daxtrace %s exits %s" % (" ".join(self.args),
                                                              self.p.wait(timeout=120)))
            # a build the kernel refuses falls back to ftrace under auto:
            # its figure would be the other backend's, not measured as said
            want = "ftrace" if "ftrace" in self.args else "bpf"
            try:
                got = json.loads(line).get("backend", want)
            except ValueError:
                got = want
            if got != want:
                self.p.kill()
                raise RuntimeError("%s ran the %s backend, not %s" % (self.binary, got, want))
            # keep the pipe drained so --snoop never blocks on it
            self.drain = subprocess.Popen(["cat"], stdin=self.p.stdout,
                                          stdout=subprocess.DEVNULL)
        else:
            self.p = subprocess.Popen(["bpftrace", "-e", self.args], stdout=subprocess.DEVNULL,
                                      stderr=self.err)
            # bpftrace says "Attaching" before it is attached: wait for its
            # links, which exist once a program is attached (its programs
            # appear earlier, at load). Counted in its /proc fd table, not
            # with bpftool: on one vCPU a bpftool poll would take CPU from
            # the bpftrace it waits for.
            while not bt_attached(self.p.pid, self.args):
                if self.p.poll() is not None:
                    raise self._failed("bpftrace exits %d" % self.p.returncode)
                if time.monotonic() - t0 > START_LIMIT:
                    raise self._failed("bpftrace not attached after %d s" % START_LIMIT)
                time.sleep(0.05)
        self.startup = time.monotonic() - t0
        self.cpu = cpu_seconds(self.p.pid)
        return self

    def stop(self):
        rss = peak_rss(self.p.pid)
        self.p.send_signal(signal.SIGINT)
        try:
            self.p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            # the loop is measured already; a tracer slow to exit (seen once
            # with bpftrace under TCG) is said and killed, not waited for
            print("  (%s still running 120 s after SIGINT: killed)" % self.kind,
                  file=sys.stderr, flush=True)
            self.p.kill()
            self.p.wait(timeout=120)
        if self.kind == "daxtrace":
            self.drain.wait(timeout=60)
        self.err.close()
        return rss


def usable(make):
    """None when the tracer make() gives starts here; else why not."""
    try:
        make().start().stop()
        return None
    except Unavailable as e:
        return str(e)


def bt_attached(pid, script):
    """Whether bpftrace (pid) has attached every probe of script: a kfunc
    holds a BPF link once attached; a kprobe or tracepoint a perf event,
    but bpftrace opens perf events for its output buffer too, so those
    are asked of the kernel (bpftool perf list), only once there are
    enough perf event fds for them."""
    nfunc = len(re.findall(r"(?:^|\s)k(?:ret)?func:", script))
    nperf = bt_nprobes(script) - nfunc
    if link_fds(pid) < nfunc:
        return False
    if not nperf:
        return True
    if link_fds(pid, "anon_inode:[perf_event]") < nperf:
        return False
    out = subprocess.run(["bpftool", "perf", "list", "-j"], stdout=subprocess.PIPE,
                         text=True).stdout
    return sum(e.get("pid") == pid for e in json.loads(out or "[]")) >= nperf


def link_fds(pid, kind="anon_inode:bpf_link"):
    """How many BPF links (or other kind of anon inode) pid holds open."""
    n = 0
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return 0
    for fd in fds:
        try:
            n += os.readlink("/proc/%d/fd/%s" % (pid, fd)) == kind
        except OSError:
            pass
    return n


def cpu_seconds(pid):
    """User + system time of pid so far, its threads and the children it
    has waited for included (bpftrace runs some): unlike the elapsed
    time, not inflated by anything else the guest runs meanwhile (the poll
    that waits for bpftrace's links, say) nor by waits for 9p I/O, which
    under icount jump the guest clock to its next timer. /proc/PID/stat
    truncates user and system time each to a clock tick (10 ms: a tenth
    of daxtrace's start-up), so the live threads' run time comes from
    their schedstat, in ns; the larger figure is kept (stat's also counts
    threads that have exited)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = [int(x) for x in f.read().rsplit(")", 1)[1].split()[11:15]]
    tck = os.sysconf("SC_CLK_TCK")
    live = 0
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                live += int(f.read().split()[0])
        except OSError:     # the thread has just exited: stat's figure has it
            pass
    return max(sum(fields) / tck, live / 1e9 + sum(fields[2:]) / tck)


def peak_rss(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            m = re.search(r"VmHWM:\s+(\d+) kB", f.read())
            return int(m.group(1)) if m else None
    except OSError:
        return None


# The file bench/lockcount.c's QEMU plugin writes at the end of every
# loop: the atomic instructions the guest executed in it, kernel and user
LOCKCOUNT = os.environ.get("BENCH_LOCKCOUNT")
LAST_LOCKS = {}


def loop(path, bs, ops, rate=0):
    if LOCKCOUNT and os.path.exists(LOCKCOUNT):
        os.unlink(LOCKCOUNT)
    out = subprocess.run([LOOP, path, str(bs), str(ops)] + ([str(rate)] if rate else []),
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    LAST_LOCKS.clear()
    if LOCKCOUNT:
        try:
            with open(LOCKCOUNT) as f:
                for l in f:
                    k, v = l.split()
                    LAST_LOCKS[k] = int(v) / ops
        except OSError:
            pass
    return json.loads(out)["ns_per_op"]


def kernel_locks():
    """The kernel's atomic RMW instructions per op of the last loop, as the
    QEMU plugin counted them, or why there is no count."""
    if not LOCKCOUNT:
        return na("no QEMU plugin (bench/lockcount.c)")
    return LAST_LOCKS.get("kernel", na("the plugin wrote no count"))


def make_file(path, size):
    with open(path, "wb") as f:
        chunk = bytes(range(256)) * 4096
        for _ in range(size // len(chunk)):
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())


def run_configs(configs, path, bs, ops, count_atomics=False):
    """Per round and configuration, the best of REPS loops of ops/REPS:
    host noise only ever adds time. Reported: the median over rounds.
    configs: (key, label, tracer) with tracer None (untraced), a function
    making a Tracer, or a string saying why it cannot run (skipped). With
    count_atomics, each tracer's atomics per read are counted in round 0,
    after its timed loops (section 1)."""
    res = {key: [] for key, _, t in configs if not is_na(t)}
    order = [c for c in configs if not is_na(c[2])]
    atoms = {}
    for r in range(ROUNDS):
        for key, _, tracer in (order if r % 2 == 0 else order[::-1]):
            before = prog_ids() if count_atomics and r == 0 else None
            t = tracer() if tracer else None
            if t:
                t.start()
            loop(path, bs, max(ops // 20, 10))      # warm up
            res[key].append(min(loop(path, bs, max(ops // REPS, 10))
                                for _ in range(REPS)))
            if before is not None:
                locks = kernel_locks()         # of the last timed loop
                atoms[key] = (locks, atomics_per_read(before, path, bs) if t else None)
            if t:
                t.stop()
    return res, atoms


def med(xs):
    return statistics.median(xs)


def spread(xs):
    m = med(xs)
    return 100.0 * (max(xs) - min(xs)) / m if m else 0.0


def table(title, configs, res, base="untraced"):
    """Prints the table; returns each configuration's median, or its n/a."""
    b = med(res[base])
    print("\n%s (median of %d rounds, alternating; each the best of %d loops)" %
          (title, ROUNDS, REPS))
    print("  %-36s %12s %8s %10s" % ("configuration", "ns/op", "spread", "overhead"))
    out = {}
    for key, label, t in configs:
        if is_na(t):
            print("  %-36s %s" % (label, t))
            out[key] = t
            continue
        xs = res[key]
        print("  %-36s %12.0f %7.1f%% %+9.1f%%" % (label, med(xs), spread(xs),
                                                   100.0 * (med(xs) - b) / b))
        out[key] = med(xs)
    return out


def prog_ids():
    return {p["id"] for p in all_progs()}


def all_progs():
    out = subprocess.run(["bpftool", "prog", "list", "-j"], stdout=subprocess.PIPE,
                         text=True).stdout
    return json.loads(out or "[]")


XLATED = {}


def prog_atomics(p):
    """(fewest, most) atomic RMW instructions per run of loaded program p,
    from its xlated instructions (bench/atomics.py); by tag, which is the
    same for the same program in every run."""
    key = p.get("tag") or p["id"]
    if key not in XLATED:
        with tempfile.NamedTemporaryFile() as f:
            subprocess.run(["bpftool", "prog", "dump", "xlated", "id", str(p["id"]),
                            "file", f.name], check=True, stdout=subprocess.DEVNULL)
            XLATED[key] = atomics.per_run(atomics.parse(f.read()))
    return XLATED[key]


def atomics_per_read(before, path, bs, ops=ATOMIC_OPS):
    """Atomic RMW instructions per read of the programs loaded since
    before: each program's runs per read (kernel.bpf_stats_enabled over
    ops reads) times its atomics per run. Returns (fewest, most or None,
    rows): most is None when an atomic sits in a loop."""
    subprocess.run(["sysctl", "-qw", "kernel.bpf_stats_enabled=1"], check=True)
    try:
        loop(path, bs, ops)
    finally:
        subprocess.run(["sysctl", "-qw", "kernel.bpf_stats_enabled=0"], check=True)
    lo, hi, rows = 0.0, 0.0, []
    for p in all_progs():
        if p["id"] in before or not p.get("run_cnt"):
            continue
        a, b = prog_atomics(p)
        per = p["run_cnt"] / ops
        lo += per * a
        hi = None if hi is None or b is None else hi + per * b
        rows.append((p.get("name", "?"), per, a, b))
    return lo, hi, sorted(rows)


def fmt_atomics(a):
    lo, hi, _ = a
    if hi is None:
        return "%.2f or more (an atomic in a loop)" % lo
    return "%.2f" % lo if abs(hi - lo) < 0.005 else "%.2f to %.2f" % (lo, hi)


def ratio(x, y):
    """x / y, or why not."""
    if is_na(x):
        return x
    if is_na(y):
        return y
    return x / y if y > 0 else na("denominator not above 0")


def show_ratio(label, v, fmt="%.2fx", target=None, ok=None):
    """One ratio line, with its target and whether it is met."""
    if is_na(v):
        txt = v
    else:
        txt = fmt % v
        if target:
            txt += " (target %s: %s)" % (target, "met" if ok(v) else "missed")
    print("  %-52s %s" % (label + ":", txt))


def header():
    print("kernel %s, %s, %d rounds, clocksource %s" %
          (os.uname().release, os.environ.get("DAXVM_FS", "?"), ROUNDS,
           open(CLOCK).read().strip()))
    if os.environ.get("BENCH_CLOCK", "icount") == "icount":
        print("guest clock: QEMU icount, one nanosecond per guest instruction executed:\n"
              "every ns below is an instruction, free of host noise")


# The configurations of section 1, in the order they run and print
READ_CONFIGS = [
    ("untraced", "a untraced"),
    ("floor", "b empty BPF programs (floor)"),
    ("default", "c daxtrace (default)"),
    ("snoop", "d daxtrace --snoop"),
    ("deep", "e daxtrace --deep"),
    ("bpftrace", "f bpftrace equivalent"),
    ("ftrace", "g daxtrace --backend ftrace"),
    ("telemetry", "h daxtrace --telemetry"),
    ("tfloor", "i empty programs, --telemetry's hooks"),
    ("tbound", "j --telemetry's lower bound (bare)"),
    ("dbound", "k default's lower bound (bare)"),
]
# Targets, judged by reading: (what, figure, bound, direction)
TARGETS = {
    "default/floor": ("daxtrace default overhead / the floor's", 2.0),
    "default/bpftrace": ("daxtrace default overhead / bpftrace's", 0.25),
    "telemetry/untraced": ("--telemetry over untraced", 0.20),
    "telemetry/tfloor": ("--telemetry overhead / its hooks' floor's", 1.3),
}
# The same targets for rows k and j, the least the default mode's and
# --telemetry's programs must do: where one is past a target, no way of
# doing that mode's work meets it
BOUNDS = {
    "dbound/floor": ("its lower bound / the floor's", "default/floor"),
    "dbound/bpftrace": ("its lower bound / bpftrace's", "default/bpftrace"),
    "tbound/untraced": ("its lower bound over untraced", "telemetry/untraced"),
    "tbound/tfloor": ("its lower bound / its hooks' floor's", "telemetry/tfloor"),
}


def hooks_text(hooks):
    return ", ".join("%s(%s)" % (f, "+".join((["entry"] if e else []) + (["exit"] if x else [])))
                     for f, m, e, x in hooks)


def read_configs(hooks, env):
    """Section 1's configurations: (key, label, Tracer maker or n/a)."""
    dt = lambda *a: lambda: Tracer("daxtrace", ["-j"] + list(a))
    bt = lambda s: lambda: Tracer("bpftrace", s)
    make = {"untraced": None, "default": dt(), "snoop": dt("-s"), "deep": dt("--deep"),
            "ftrace": dt("--backend", "ftrace")}
    make["floor"] = env["floor"]
    make["bpftrace"] = bt(bt_equiv(hooks)) if env["bpftrace"] is None else na(env["bpftrace"])
    make["telemetry"] = (na(env["telemetry"]) if is_na_reason(env["telemetry"])
                         else dt("--telemetry"))
    make["tfloor"] = env["tfloor"]
    make["tbound"] = env["tbound"]
    make["dbound"] = env["dbound"]
    labels = dict(READ_CONFIGS)
    if env.get("floor_label"):
        labels["floor"] = env["floor_label"]
    return [(k, labels[k], make[k]) for k, _ in READ_CONFIGS]


def is_na_reason(v):
    return isinstance(v, str)


def sect_read_path(daxfile, hooks, env):
    """1. The DAX pread loops, every configuration alternating."""
    print("\nfloor and bpftrace use daxtrace's default-mode hooks: %s" % hooks_text(hooks))
    if env["floor_note"]:
        print(env["floor_note"])
    if not is_na_reason(env["telemetry"]):
        print("--telemetry's hooks, its floor's: %s" % hooks_text(env["telemetry"]))
        print("j, --telemetry's lower bound: the bare build (build/bench/%s) with --telemetry,\n"
              "  the same kind of hook, whose programs only read the read's device and two\n"
              "  clocks (the start kept in the thread's slot) and count its latency and length,\n"
              "  one atomic add each in a global array: the least the profile's per-device\n"
              "  histograms need, so no way of doing its work meets a target this row is past"
              % BARE)
    print("k, the default mode's lower bound: the bare build on the default hooks, the same\n"
          "  programs less the clocks (the default mode does not time a read), plus the\n"
          "  RFC's kaddr check on the copy's address and a copy's\n"
          "  completeness, one atomic counter each, the exits of direct_access and the\n"
          "  driver empty: the least for what daxtrace exists for")
    configs = read_configs(hooks, env)
    # long runs: a round of one configuration must outlast the host's noise
    for bs, ops, tag in ((4096, 5 * OPS4K, "4k"), (1 << 20, max(OPS4K // 20, 50), "1m")):
        res, atoms = run_configs(configs, daxfile, bs, ops, count_atomics=(bs == 4096))
        m = table("1. DAX pread loop, %d bytes, %d ops" % (bs, ops), configs, res)
        a = m["untraced"]
        ov = {k: (v - a) / a if not is_na(v) else v for k, v in m.items()}
        for k, v in m.items():
            FIG["%s.%s" % (tag, k)] = v
            FIG["%s.%s.over" % (tag, k)] = ov[k]
        r = {"default/floor": ratio(ov["default"], ov["floor"]),
             "default/bpftrace": ratio(ov["default"], ov["bpftrace"]),
             "dbound/floor": ratio(ov["dbound"], ov["floor"]),
             "dbound/bpftrace": ratio(ov["dbound"], ov["bpftrace"]),
             "telemetry/untraced": ov["telemetry"],
             "telemetry/tfloor": ratio(ov["telemetry"], ov["tfloor"]),
             "tbound/untraced": ov["tbound"],
             "tbound/tfloor": ratio(ov["tbound"], ov["tfloor"])}
        for k, v in r.items():
            FIG["%s.%s" % (tag, k)] = v
            if k in BOUNDS:
                show_bound(k, v)
                continue
            what, bound = TARGETS[k]
            if k == "telemetry/untraced":
                show_ratio(what, v if is_na(v) else 100 * v, "%+.1f %%",
                           "<= +%d %%" % (100 * bound), lambda x, b=bound: x <= 100 * b)
            else:
                show_ratio(what, v, "%.2fx", "<= %.2gx" % bound, lambda x, b=bound: x <= b)
        if atoms:
            show_atomics(configs, atoms)


def show_bound(key, v):
    """A lower bound's line: whether the target it bounds can be met."""
    what, target = BOUNDS[key]
    bound = TARGETS[target][1]
    pct = target.endswith("/untraced")
    if is_na(v):
        show_ratio(what, v)
        return
    past = v > bound
    txt = ("%+.1f %%" % (100 * v)) if pct else "%.2fx" % v
    tgt = ("+%d %%" % (100 * bound)) if pct else "%.2gx" % bound
    print("  %-52s %s (target %s: %s)" % (what + ":", txt, tgt,
          "unreachable, the least the profile must do is past it" if past
          else "within reach"))


def nonneg_zero(x):
    """x, with a difference below the printed precision shown as +0.00,
    not -0.00"""
    return 0.0 if abs(x) < 0.005 else x


def show_atomics(configs, atoms):
    """Section 1's atomics per read: counted by the QEMU plugin in the
    guest kernel (everything a read runs there: the kernel's own, the
    BPF programs', trampolines', helpers' and kprobes'), and what the
    BPF programs' own code holds."""
    print("\n  atomic RMW instructions per 4 KiB read (x86 LOCK-prefixed or XCHG with memory):\n"
          "  executed: counted in the guest kernel by a QEMU plugin (bench/lockcount.c) over\n"
          "    the last timed loop: the kernel's own, the BPF programs', the trampolines',\n"
          "    the helpers' and the kprobes'; added: over untraced;\n"
          "  in BPF code: BPF_STX|BPF_ATOMIC in each program's xlated code, the fewest and the\n"
          "    most on any path through it, times its runs per read (bpf_stats, %d reads)"
          % ATOMIC_OPS)
    print("  %-36s %10s %8s   %s" % ("configuration", "executed", "added", "in BPF code"))
    base = atoms.get("untraced", (None, None))[0]
    for key, label, t in configs:
        if is_na(t):
            print("  %-36s %s" % (label, t))
            FIG["atomics.%s" % key] = t
            continue
        locks, static = atoms[key]
        if is_na(locks):
            ex, add = locks, ""
        else:
            ex = "%.2f" % locks
            add = "%+.2f" % nonneg_zero(locks - base) if not is_na(base) else ""
        st = "none (no BPF)" if static is None else \
            ("no BPF program ran" if not static[2] else fmt_atomics(static))
        print("  %-36s %10s %8s   %s" % (label, ex, add, st))
        FIG["atomics.%s" % key] = locks if is_na(locks) or is_na(base) else locks - base
        FIG["atomics.%s.executed" % key] = locks
        if static is not None:
            lo, hi, rows = static
            FIG["atomics.%s.bpf_code" % key] = fmt_atomics(static)
            if key == "default":
                for name, per, lo1, hi1 in rows:
                    print("    %-16s %5.2f runs/read x %s atomics/run in its code" %
                          (name, per, lo1 if lo1 == hi1 else "%s-%s" % (lo1, hi1)))


def sect_non_dax():
    """2. non-DAX I/O: daxtrace default must not fire there at all."""
    dt = lambda: Tracer("daxtrace", ["-j"])
    tmpf = "/tmp/bench.dat"
    make_file(tmpf, 16 << 20)
    subprocess.run(["modprobe", "loop"], check=False)
    img, mnt = "/tmp/ext4.img", "/tmp/ext4nodax"
    os.makedirs(mnt, exist_ok=True)
    subprocess.run(["truncate", "-s", "64M", img], check=True)
    subprocess.run(["mkfs.ext4", "-q", "-F", img], check=True)
    subprocess.run(["mount", "-o", "loop", img, mnt], check=True)
    extf = os.path.join(mnt, "bench.dat")
    make_file(extf, 16 << 20)
    for label, path in (("tmpfs", tmpf), ("ext4 without dax", extf)):
        configs = [("untraced", "a untraced", None), ("default", "c daxtrace (default)", dt)]
        m = table("2. non-DAX pread loop on %s, 4096 bytes, %d ops" % (label, OPS4K),
                  configs, run_configs(configs, path, 4096, OPS4K)[0])
        tag = "nondax.%s" % label.split()[0]
        FIG[tag + ".over"] = (m["default"] - m["untraced"]) / m["untraced"]
        # below TCG's noise, the exact answer: how often daxtrace ran there
        runs = prog_runs(lambda: loop(path, 4096, OPS4K))
        # the thread-exit program runs per exiting thread, not per read:
        # the loop's own exit, the sysctl's around it
        io = [r for r in runs if r.get("name") != "rt_thread_exit"]
        FIG[tag + ".runs"] = sum(r["run_cnt"] for r in io)
        print("  daxtrace's I/O programs ran %d times during %d reads on %s "
              "(kernel.bpf_stats_enabled); its thread-exit program %d times (threads "
              "that exited meanwhile)" % (FIG[tag + ".runs"], OPS4K, label,
                                          sum(r["run_cnt"] for r in runs) - FIG[tag + ".runs"]))
    subprocess.run(["umount", mnt], check=False)


def sect_capacity(daxfile):
    """3. --snoop event capacity and exact drop accounting."""
    # First the highest paced rate with zero drops,
    # read from the exporter's own counter between steps; then full speed,
    # where the drop count must match the records made exactly.
    port = 9481
    t = Tracer("daxtrace", ["-j", "-s", "-c", "preadloop", "--metrics", str(port)]).start()

    def drops():
        body = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port).read().decode()
        m = re.search(r"^daxtrace_ringbuf_dropped_total (\S+)$", body, re.M)
        return int(float(m.group(1)))

    full = 1e9 / loop(daxfile, 4096, OPS4K)      # unpaced, traced: the ceiling
    lo, hi, steps = 0, int(full), []
    rate = hi
    for _ in range(7):
        n = max(2 * rate, 1000)                   # about 2 s per step
        d0 = drops()
        ns = loop(daxfile, 4096, n, rate)
        time.sleep(0.5)                           # let the consumer catch up
        lost = drops() - d0
        steps.append((rate, 1e9 / ns, lost))
        if lost == 0:
            lo = rate
            if rate == hi:
                break
        else:
            hi = rate
        rate = (lo + hi) // 2
        if hi - lo < max(100, hi // 50):
            break
    t.stop()
    print("\n3. --snoop event capacity (3 records per 4 KiB read; 2 s per step; "
          "traced loop ceiling %.0f reads/s):" % full)
    for r, got, lost in steps:
        print("   asked %6d reads/s, ran %6.0f/s: %d records dropped" % (r, got, lost))
    FIG["snoop.zero_drop_reads_s"] = lo
    print("   highest rate with zero drops: %d reads/s (%d records/s)%s" %
          (lo, 3 * lo, " = the loop's own ceiling: never dropped" if lo == int(full) else ""))

    t = Tracer("daxtrace", ["-j", "-s", "-c", "preadloop"])
    t.p = subprocess.Popen([t.binary] + t.args, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
    t.p.stdout.readline()
    n = OPS4K * 5
    ns = loop(daxfile, 4096, n)
    t.p.send_signal(signal.SIGINT)
    out, _ = t.p.communicate(timeout=600)
    recs = [json.loads(l) for l in out.splitlines()]
    got = sum(1 for r in recs if r["type"] == "event" and r["op"] == "read")
    st = [r for r in recs if r["type"] == "stats"][0]
    print("   past it, unpaced: %d reads at %.0f ops/s -> %d read events, "
          "%d records dropped (counted by the BPF side)" % (n, 1e9 / ns, got, st["ringbuf_dropped"]))
    # each 4 KiB read inside one block makes 3 records: read, direct_access, copy
    made = sum(1 for r in recs if r["type"] == "event")
    FIG["snoop.accounting"] = ("exact" if made + st["ringbuf_dropped"] == 3 * n
                               else "MISMATCH")
    print("   records received + dropped = %d; records made by %d reads (3 each) = %d: %s" %
          (made + st["ringbuf_dropped"], n, 3 * n,
           "exact" if made + st["ringbuf_dropped"] == 3 * n else "MISMATCH"))



def installed(path, name):
    """path copied to the guest's own tmpfs, as an installed tool would be:
    the project share is 9p with cache=none, so every exec from it pages the
    binary in from the host again, while bpftrace and every library come
    from the host root, mounted cache=loose."""
    dst = os.path.join("/tmp", name)
    shutil.copy(path, dst)
    return dst


def sect_startup_memory(hooks, env):
    """4. start-up and 5. memory."""
    empty = bench_build(EMPTY)
    paths = {"daxtrace": installed(DAXTRACE, "daxtrace-bench")}
    tracers = [("daxtrace", ["-j"])]
    if env["bpftrace"] is None:
        tracers.append(("bpftrace", bt_equiv(hooks)))
    if os.access(empty, os.X_OK):
        paths["empty"] = installed(empty, "daxtrace-empty")
        tracers.append(("empty", ["-j"]))
    else:
        print("\n   (no build with every hot program empty: %s)" % make_cmd(EMPTY))
    runs = {k: [] for k, _ in tracers}

    def one(kind, arg):
        x = Tracer("bpftrace" if kind == "bpftrace" else "daxtrace", arg, paths.get(kind))
        x.start()
        return x, x.stop()

    for kind, arg in tracers:    # warm the page cache: not counted
        one(kind, arg)
    for r in range(3):
        for kind, arg in (tracers if r % 2 == 0 else tracers[::-1]):
            x, rss = one(kind, arg)
            runs[kind].append((x.startup, x.cpu, rss))
    el = {k: med([a for a, _, _ in v]) for k, v in runs.items()}
    cpu = {k: med([c for _, c, _ in v]) for k, v in runs.items()}
    nobt = na("bpftrace: " + env["bpftrace"]) if env["bpftrace"] else None
    FIG["startup.daxtrace_cpu_s"] = cpu["daxtrace"]
    FIG["startup.bpftrace_cpu_s"] = cpu.get("bpftrace", nobt)
    FIG["startup.ratio"] = ratio(cpu["daxtrace"], cpu.get("bpftrace", nobt))
    FIG["startup.empty_cpu_s"] = cpu.get("empty", na("no empty build"))
    print("\n4. start-up, exec to attached (median of 3, alternating, after a warm-up run"
          " of each;\n   daxtrace run from the guest's tmpfs, as installed):")
    if nobt:
        print("   CPU, exec to attached: daxtrace %.3f s, bpftrace %s" % (cpu["daxtrace"], nobt))
        print("   elapsed:               daxtrace %.2f s: not judged" % el["daxtrace"])
    else:
        print("   CPU, exec to attached: daxtrace %.3f s, bpftrace %.3f s (ratio %.3f): the figure judged" %
              (cpu["daxtrace"], cpu["bpftrace"], cpu["daxtrace"] / cpu["bpftrace"]))
        print("   elapsed:               daxtrace %.2f s, bpftrace %.2f s (ratio %.2f): not judged,\n"
              "   under icount a wait for 9p I/O jumps the guest clock to its next timer" %
              (el["daxtrace"], el["bpftrace"], el["daxtrace"] / el["bpftrace"]))
    if "empty" in runs:
        print("   daxtrace with every hot program empty (build/bench/%s; the fault programs,\n"
              "   which a read never runs, keep theirs): elapsed %.2f s, CPU %.3f s: the kernel's\n"
              "   attach and load cost for these hooks, and daxtrace's own set-up" %
              (EMPTY, el["empty"], cpu["empty"]))
    for kind in paths:
        # where it goes: daxtrace -v times each phase, elapsed and CPU
        err = subprocess.run([paths[kind], "-v", "--list-probes"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True).stderr
        lines = [l.replace("daxtrace: ", "") for l in err.splitlines()
                 if re.match(r"daxtrace: (.* took \d+ ms|attached after)", l)]
        print("   %s -v, one run: %s" % ("daxtrace" if kind == "daxtrace" else
                                        "the empty build", "; ".join(lines)))
    for k, v in runs.items():
        print("   %s runs: %s" % (k, ", ".join("%.2f s (CPU %.3f s, peak RSS %d KiB)" % r
                                              for r in v)))
    FIG["rss.daxtrace_kib"] = max(x for _, _, x in runs["daxtrace"])
    FIG["rss.bpftrace_kib"] = (max(x for _, _, x in runs["bpftrace"]) if "bpftrace" in runs
                               else nobt)
    print("5. peak RSS: daxtrace %s KiB, bpftrace %s (the most of 3 runs)" %
          (FIG["rss.daxtrace_kib"], FIG["rss.bpftrace_kib"] if nobt else
           "%s KiB" % FIG["rss.bpftrace_kib"]))
    before = {p["id"] for p in tracing_progs()}
    x = Tracer("daxtrace", ["-j"]).start()
    maps = json.loads(subprocess.run(["bpftool", "map", "list", "-j"],
                                     stdout=subprocess.PIPE, text=True).stdout)
    # the maps daxtrace's programs use, as the kernel lists them
    ids = {i for p in tracing_progs() if p["id"] not in before for i in p.get("map_ids", [])}
    mine = [m for m in maps if m["id"] in ids]
    x.stop()
    FIG["maps.count"] = len(mine)
    FIG["maps.kib"] = sum(m.get("bytes_memlock", 0) for m in mine) // 1024
    print("   daxtrace BPF maps: %d maps, %d KiB memlock (all fixed max_entries)" %
          (FIG["maps.count"], FIG["maps.kib"]))



def prog_runs(work):
    """daxtrace's programs with the kernel's own run counts and times over
    work(), which returns ns per op."""
    before = {p["id"] for p in tracing_progs()}
    x = Tracer("daxtrace", ["-j"]).start()
    subprocess.run(["sysctl", "-qw", "kernel.bpf_stats_enabled=1"], check=True)
    try:
        work()
    finally:
        subprocess.run(["sysctl", "-qw", "kernel.bpf_stats_enabled=0"], check=True)
    progs = [p for p in tracing_progs() if p["id"] not in before]
    x.stop()
    for p in progs:
        p.setdefault("run_cnt", 0)
        p.setdefault("run_time_ns", 0)
    return progs


def sect_per_program(daxfile):
    """6. where the default mode's time goes."""
    # the kernel's own per-program accounting over one traced 4 KiB loop
    got = {}
    progs = [p for p in prog_runs(lambda: got.setdefault("ns", loop(daxfile, 4096, OPS4K)))
             if p["run_cnt"]]
    ns = got["ns"]
    total = sum(p.get("run_time_ns", 0) for p in progs)
    print("\n6. default mode, per program (bpf_stats, %d reads of 4 KiB at %.0f ns/op):" %
          (OPS4K, ns))
    for p in sorted(progs, key=lambda p: -p.get("run_time_ns", 0)):
        print("   %-12s %7d runs %7.0f ns/run %7.0f ns/read" %
              (p["name"], p["run_cnt"], p["run_time_ns"] / p["run_cnt"],
               p["run_time_ns"] / OPS4K))
    FIG["perprog.bodies_per_read"] = total / OPS4K
    print("   program bodies: %.0f ns per read (%.0f%% of the traced op)" %
          (total / OPS4K, 100.0 * total / OPS4K / ns))


# Bench-only daxtrace builds (bench/bench.mk, made by bench/run): the
# product's user space with a BPF object from bench/bpf/. cost-N: the read
# path's programs do only the parts of the default mode's work in bit mask
# N (bench/bpf/cost.bpf.c, PART_*); cost-0 has every hot program empty.
# Not tracers.
EMPTY = "cost-0"
# (parts, the build it is measured over, what): a part's cost is its
# build's instructions per read less its base build's
PARTS = [(1, 0, "per-thread state: the slot's 4 look-ups"),
         (4, 0, "the kaddr check, on the copy's addr argument"),
         (33, 1, "the driver's return, via the thread's state"),
         (8, 0, "counters and histograms"),
         (16, 0, "check verdict counters (5 per read)"),
         (65, 1, "the device of direct_access and copy"),
         (37, 0, "the three helper costs together (1+4+32)"),
         (125, 0, "all six together")]
# the least a tracer of the same hooks can do (bench/bpf/bare.bpf.c)
BARE = "bare"


def bench_build(name):
    return os.path.join(B, "bench", name, "daxtrace")


def bench_builds():
    """Every bench build section 7 runs, for bench/run to make."""
    masks = sorted({m for m, _, _ in PARTS} | {b for _, b, _ in PARTS})
    return ["cost-%d" % m for m in masks] + [BARE]


def make_cmd(name):
    path = os.path.relpath(bench_build(name), ROOT)
    if name.startswith("cost-"):
        return "make BENCH_BPF=cost BENCH_PARTS=%s %s" % (name[5:], path)
    return "make BENCH_BPF=%s %s" % (name, path)


def sect_cost_model(daxfile, hooks, env):
    """7. what each part of the default mode costs, by builds doing only it."""
    print("\n7. cost model: guest instructions per 4 KiB read; builds whose programs do one part\n"
          "   of the default mode's work with daxtrace's own helpers, each over the build it adds to;\n"
          "   atomics: the atomic RMW instructions per read it adds to the kernel's (as in section 1)")
    if os.environ.get("BENCH_CLOCK", "icount") != "icount":
        print("   (needs BENCH_CLOCK=icount: the differences are below the host clock's noise)")
        return
    def one(tracer):
        t = tracer() if tracer else None
        if t:
            t.start()
        loop(daxfile, 4096, max(OPS4K // 10, 10))
        ns = loop(daxfile, 4096, OPS4K)
        locks = kernel_locks()
        if t:
            t.stop()
        return ns, locks

    def added(locks):
        return locks if is_na(locks) or is_na(base_locks) else \
            "%+.2f" % nonneg_zero(locks - base_locks)

    base, base_locks = one(None)
    if is_na(env["floor"]):
        print("   floor: %s" % env["floor"])
        return
    floor, fa = one(env["floor"])
    floor -= base
    full, da = one(lambda: Tracer("daxtrace", ["-j"]))
    full -= base
    FIG["cost.untraced"], FIG["cost.floor"], FIG["cost.default"] = base, floor, full
    print("   untraced %.0f; over it: floor (empty programs) +%.0f, daxtrace default +%.0f" %
          (base, floor, full))
    print("   atomics added per read: floor %s, daxtrace default %s" % (added(fa), added(da)))
    t = TARGETS["default/floor"][1]
    print("   %.1fx the floor leaves daxtrace's programs %.0f instructions; they use %.0f" %
          (t, floor * (t - 1), full - floor))
    over, atoms = {}, {}

    def over_base(name):
        if name not in over:
            path = bench_build(name)
            if os.access(path, os.X_OK):
                ns, atoms[name] = one(lambda: Tracer("daxtrace", ["-j"], path))
                over[name] = ns - base
            else:
                over[name] = None
        return over[name]

    empty = over_base(EMPTY)
    if empty is None:
        print("   (no empty build: %s)" % make_cmd(EMPTY))
        return
    FIG["cost.empty"] = empty
    print("   every hot program empty (%s): +%.0f, the floor's +%.0f: the method checked" %
          (EMPTY, empty, floor))
    kprobes = sorted({f for f, m, e, x in hooks if "kprobe" in (e or "") + (x or "")})
    if kprobes:
        # bench/bpf/cost.bpf.c and bare.bpf.c give their parts to the
        # fentry/fexit programs only; their kprobes are common.bpf.h's
        # empty ones, so every build would measure as the empty one
        why = na("the cost builds do their parts in fentry/fexit programs only; "
                 "daxtrace takes kprobes on this kernel (%s)" % ", ".join(kprobes))
        print("   parts and the bare tracer: %s" % why)
        for mask, _, _ in PARTS:
            FIG["cost.part%d" % mask] = why
        FIG["cost.rest"] = FIG["cost.bare/floor"] = why
        return
    print("   %-48s %10s %10s %8s" % ("part", "over base", "its cost", "atomics"))
    for mask, under, what in PARTS:
        ns, ns0 = over_base("cost-%d" % mask), over_base("cost-%d" % under)
        if ns is None or ns0 is None:
            print("   %-48s (no build: %s)" % (what, make_cmd("cost-%d" % mask)))
            continue
        FIG["cost.part%d" % mask] = ns - ns0
        FIG["cost.part%d.atomics" % mask] = added(atoms["cost-%d" % mask])
        print("   %-48s %+10.0f %10.0f %8s" % (what, ns, ns - ns0, added(atoms["cost-%d" % mask])))
    if over.get("cost-125") is not None:
        FIG["cost.rest"] = full - over["cost-125"]
        print("   the rest, no part of the six (the programs' own work): %.0f" %
              (full - over["cost-125"]))
    ns = over_base(BARE)
    if ns is None:
        print("   bare tracer: no build (%s)" % make_cmd(BARE))
        return
    FIG["cost.bare/floor"] = ns / floor
    print("   a bare tracer of the same hooks (build/bench/%s, section 1's row k): per device\n"
          "   the read's length histogram, the kaddr check and a copy's\n"
          "   completeness, nothing else: +%.0f over untraced, %.0f more than the\n"
          "   floor: %.2fx the floor's overhead; atomics added per read %s" %
          (BARE, ns, ns - floor, ns / floor, added(atoms[BARE])))


def bare_run(args, mode_hooks):
    """Rows j and k: the bare build (bench/bpf/bare.bpf.c) with args."""
    if is_na_reason(mode_hooks):
        return na(mode_hooks)
    bare = bench_build(BARE)
    if not os.access(bare, os.X_OK):
        return na("no bare build (%s)" % make_cmd(BARE))
    make = lambda: Tracer("daxtrace", ["-j"] + args, bare)
    why = usable(make)
    return make if why is None else na("bare build %s: %s" % (" ".join(args), why))


def environment(hooks):
    """What can run on this kernel and build: bpftrace (the floor and the
    equivalent script), --telemetry and its floor. A floor without
    bpftrace is the empty build (build/bench/cost-0), which section 7
    checks against bpftrace's empty programs where both run."""
    env = {"floor_note": None}
    env["bpftrace"] = usable(lambda: Tracer("bpftrace", bt_equiv(hooks)))
    bt_floor = usable(lambda: Tracer("bpftrace", bt_empty(hooks)))
    empty = bench_build(EMPTY)
    if not os.access(empty, os.X_OK):
        empty_why = "no empty build (%s)" % make_cmd(EMPTY)
    else:
        empty_why = usable(lambda: Tracer("daxtrace", ["-j"], empty))
    FIG["floor.method"] = "bpftrace, empty programs"
    if bt_floor is None:
        env["floor"] = lambda: Tracer("bpftrace", bt_empty(hooks))
    elif empty_why is None:
        env["floor"] = lambda: Tracer("daxtrace", ["-j"], empty)
        env["floor_label"] = "b empty build cost-0 (floor)"
        FIG["floor.method"] = "the empty build cost-0"
        env["floor_note"] = ("bpftrace cannot run here (%s): the floor is the empty build "
                             "build/bench/%s instead" % (bt_floor, EMPTY))
    else:
        env["floor"] = na("bpftrace: %s; empty build: %s" % (bt_floor, empty_why))
        FIG["floor.method"] = env["floor"]
    try:
        env["telemetry"] = daxtrace_hooks(["--telemetry"])
    except Unavailable as e:
        env["telemetry"] = str(e)
    t = env["telemetry"]
    if is_na_reason(t):
        env["tfloor"] = na(t)
    elif bt_floor is None:
        env["tfloor"] = lambda: Tracer("bpftrace", bt_empty(t))
    elif empty_why is None and usable(lambda: Tracer("daxtrace", ["-j", "--telemetry"], empty)) is None:
        env["tfloor"] = lambda: Tracer("daxtrace", ["-j", "--telemetry"], empty)
    else:
        why = usable(lambda: Tracer("daxtrace", ["-j", "--telemetry"], empty)) \
            if empty_why is None else empty_why
        env["tfloor"] = na("bpftrace: %s; empty build --telemetry: %s" % (bt_floor, why))
    env["tbound"] = bare_run(["--telemetry"], t)
    env["dbound"] = bare_run([], hooks)
    for k, what in (("bpftrace", "bpftrace equivalent"),):
        if env[k] is not None:
            print("%s: n/a: %s" % (what, env[k]))
    return env


def main():
    if os.environ.get("BENCH_CLOCKSOURCE"):
        with open(CLOCK, "w") as f:
            f.write(os.environ["BENCH_CLOCKSOURCE"])
    header()
    FIG["kernel"] = os.uname().release
    daxfile = os.path.join(MNT, "bench.dat")
    make_file(daxfile, 64 << 20)
    hooks = daxtrace_hooks()
    env = environment(hooks)
    try:
        if "1" in SECTIONS:
            sect_read_path(daxfile, hooks, env)
        if "2" in SECTIONS:
            sect_non_dax()
        if "3" in SECTIONS:
            sect_capacity(daxfile)
        if "4" in SECTIONS or "5" in SECTIONS:
            sect_startup_memory(hooks, env)
        if "6" in SECTIONS:
            sect_per_program(daxfile)
        if "7" in SECTIONS:
            sect_cost_model(daxfile, hooks, env)
    finally:
        if os.environ.get("BENCH_JSON"):
            with open(os.environ["BENCH_JSON"], "w") as f:
                json.dump(FIG, f, indent=1, sort_keys=True)
    return 0


# The side-by-side table (--compare): (label, key, format). A format
# "ins+" prints the figure with its overhead over untraced beside it.
COMPARE_ROWS = [
    ("4 KiB DAX pread, instructions per read", None, None),
    ("untraced", "4k.untraced", "ins"),
] + [(label[2:], "4k." + k, "ins+") for k, label in READ_CONFIGS[1:]] + [
    ("the floor is made by", "floor.method", "str"),
    ("default / floor (target <= 2.0x)", "4k.default/floor", "x"),
    ("default / bpftrace (target <= 0.25x)", "4k.default/bpftrace", "x"),
    ("--telemetry over untraced (target <= +20 %)", "4k.telemetry/untraced", "pct"),
    ("--telemetry / its floor (target <= 1.3x)", "4k.telemetry/tfloor", "x"),
    ("default's lower bound / floor", "4k.dbound/floor", "x"),
    ("default's lower bound / bpftrace", "4k.dbound/bpftrace", "x"),
    ("--telemetry's lower bound over untraced", "4k.tbound/untraced", "pct"),
    ("--telemetry's lower bound / its floor", "4k.tbound/tfloor", "x"),
    ("atomic RMW instructions per 4 KiB read, executed in the kernel (added)", None, None),
] + [(label[2:], "atomics.%s.executed" % k, "atom") for k, label in READ_CONFIGS] + [
    ("in default's BPF code (fewest to most on a path)", "atomics.default.bpf_code", "str"),
    ("1 MiB DAX pread, instructions per read", None, None),
    ("untraced", "1m.untraced", "ins"),
] + [(label[2:], "1m." + k, "ins+") for k, label in READ_CONFIGS[1:]] + [
    ("default / floor", "1m.default/floor", "x"),
    ("default / bpftrace", "1m.default/bpftrace", "x"),
    ("--telemetry over untraced", "1m.telemetry/untraced", "pct"),
    ("--telemetry / its floor", "1m.telemetry/tfloor", "x"),
    ("default's lower bound / floor", "1m.dbound/floor", "x"),
    ("default's lower bound / bpftrace", "1m.dbound/bpftrace", "x"),
    ("--telemetry's lower bound over untraced", "1m.tbound/untraced", "pct"),
    ("--telemetry's lower bound / its floor", "1m.tbound/tfloor", "x"),
    ("non-DAX reads, default mode", None, None),
    ("tmpfs: overhead", "nondax.tmpfs.over", "pct"),
    ("tmpfs: daxtrace I/O program runs", "nondax.tmpfs.runs", "int"),
    ("ext4 without dax: overhead", "nondax.ext4.over", "pct"),
    ("ext4 without dax: I/O program runs", "nondax.ext4.runs", "int"),
    ("--snoop", None, None),
    ("highest rate with zero drops, reads/s", "snoop.zero_drop_reads_s", "int"),
    ("records received + dropped = made", "snoop.accounting", "str"),
    ("start-up, memory", None, None),
    ("start-up CPU, daxtrace (s)", "startup.daxtrace_cpu_s", "s"),
    ("start-up CPU, bpftrace (s)", "startup.bpftrace_cpu_s", "s"),
    ("start-up, daxtrace / bpftrace (target <= 0.1x)", "startup.ratio", "x3"),
    ("start-up CPU, empty build (s)", "startup.empty_cpu_s", "s"),
    ("peak RSS daxtrace (KiB)", "rss.daxtrace_kib", "int"),
    ("peak RSS bpftrace (KiB)", "rss.bpftrace_kib", "int"),
    ("BPF maps", "maps.count", "int"),
    ("BPF maps memlock (KiB)", "maps.kib", "int"),
    ("default mode's program bodies, ns/read (bpf_stats)", "perprog.bodies_per_read", "ins"),
    ("cost model (section 7), instructions per read", None, None),
    ("floor, over untraced", "cost.floor", "ins"),
    ("empty build, over untraced", "cost.empty", "ins"),
    ("daxtrace default, over untraced", "cost.default", "ins"),
] + [(what, "cost.part%d" % m, "ins") for m, _, what in PARTS] + [
    ("the rest (the programs' own work)", "cost.rest", "ins"),
    ("bare tracer / floor", "cost.bare/floor", "x"),
]


def cell(figs, key, kind):
    v = figs.get(key)
    if v is None:
        return "-"                         # not measured in this run
    if isinstance(v, str):
        return v
    if kind == "ins":
        return "%.0f" % v
    if kind == "ins+":
        o = figs.get(key + ".over")
        return "%.0f (%+.1f %%)" % (v, 100 * o) if isinstance(o, (int, float)) else "%.0f" % v
    if kind == "x":
        return "%.2fx" % v
    if kind == "x3":
        return "%.3fx" % v
    if kind == "pct":
        return "%+.1f %%" % (100 * v)
    if kind == "s":
        return "%.3f" % v
    if kind == "atom":
        a = figs.get(key.replace(".executed", ""))
        return "%.2f (%+.2f)" % (v, nonneg_zero(a)) if isinstance(a, (int, float)) else "%.2f" % v
    return "%d" % v if kind == "int" else str(v)


def compare(paths, md=False):
    """Every figure of each kernel's BENCH_JSON, side by side."""
    runs = [json.load(open(p)) for p in paths]
    heads = [r.get("kernel", os.path.basename(p)) for r, p in zip(runs, paths)]
    if md:
        print("| | %s |" % " | ".join(heads))
        print("|---|%s" % "---|" * len(heads))
        for label, key, kind in COMPARE_ROWS:
            if key is None:
                print("| **%s** |%s" % (label, " |" * len(heads)))
            else:
                print("| %s | %s |" % (label, " | ".join(cell(r, key, kind) for r in runs)))
        return 0
    w, notes = 24, []
    print("%-52s %s" % ("", " ".join("%-*s" % (w, h) for h in heads)))
    for label, key, kind in COMPARE_ROWS:
        if key is None:
            print("\n%s" % label)
            continue
        cells = []
        for h, r in zip(heads, runs):
            c = cell(r, key, kind)
            if len(c) > w:
                # one note for each reason, however many rows it holds for
                text = "%s: %s" % (h, c)
                if text not in notes:
                    notes.append(text)
                n = notes.index(text) + 1
                c = "n/a (note %d)" % n if c.startswith("n/a") else "see note %d" % n
            cells.append("%-*s" % (w, c))
        print(("  %-50s %s" % (label, " ".join(cells))).rstrip())
    if notes:
        print()
        for i, n in enumerate(notes, 1):
            print("note %d: %s" % (i, n))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] in ("--compare", "--compare-md"):
        sys.exit(compare(sys.argv[2:], md=sys.argv[1] == "--compare-md"))
    sys.exit(main())
