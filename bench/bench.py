#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""daxtrace overhead benchmark. Runs in the daxvm guest (bench/run).

Every figure is a ratio measured side by side in this one boot: the
configurations alternate (A B C ... then reversed) over ROUNDS rounds and
the median and spread of each are reported. No figure is compared with a
fixed threshold here: targets are judged by reading the table.
"""
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

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


def daxtrace_hooks():
    """(function, module or None, entry?, exit?) for every program daxtrace
    attaches in default mode, from its own "probes" record: the floor runs
    empty programs on exactly these."""
    p = subprocess.Popen([DAXTRACE, "-j"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    rec = json.loads(p.stdout.readline())
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=120)
    hooks = []
    for t in rec["targets"]:
        progs = t.get("programs", [])
        if not t["attached"] or t["method"] != "fentry":
            continue
        hooks.append((t["target"], t.get("module"),
                      any(x.startswith("fe_") for x in progs),
                      any(x.startswith("fx_") for x in progs)))
    return hooks


def bt_probe(kind, func, mod):
    return "%s:%s%s" % (kind, mod + ":" if mod else "", func)


def bt_empty(hooks):
    out = []
    for func, mod, entry, exit_ in hooks:
        if entry:
            out.append(bt_probe("kfunc", func, mod) + " {}")
        if exit_:
            out.append(bt_probe("kretfunc", func, mod) + " {}")
    return " ".join(out)


# What daxtrace's default mode keeps, on the same hooks: per op calls,
# bytes asked and done, short count, log2 histograms of returned length,
# and latency where daxtrace has an entry program (read/write, faults);
# the driver's own return for direct_access.
def bt_equiv(hooks):
    drv = [(f, m) for f, m, e, x in hooks if f.endswith("_direct_access") and
           f != "dax_direct_access"]
    s = """
kfunc:dax_iomap_rw { @rs[tid] = nsecs; @rasked[tid] = args->iter->count; }
kretfunc:dax_iomap_rw /@rs[tid]/ {
    @rw_calls = count(); @rw_asked = sum(@rasked[tid]); @rw_bytes = sum(retval > 0 ? retval : 0);
    if (retval < @rasked[tid]) { @rw_short = count(); }
    @rw_len = hist(retval); @rw_lat = hist(nsecs - @rs[tid]);
    delete(@rs[tid]); delete(@rasked[tid]);
}
kretfunc:dax_direct_access {
    @da_calls = count(); @da_asked = sum(args->nr_pages); @da_len = hist(retval);
    if (retval < args->nr_pages) { @da_short = count(); }
    @da_drv = hist(@drv[tid]); delete(@drv[tid]);
}
kretfunc:dax_copy_to_iter {
    @c_calls = count(); @c_asked = sum(args->bytes); @c_bytes = sum(retval);
    if (retval < args->bytes) { @c_short = count(); }
    @c_len = hist(retval);
}
kretfunc:dax_copy_from_iter {
    @w_calls = count(); @w_asked = sum(args->bytes); @w_bytes = sum(retval);
    if (retval < args->bytes) { @w_short = count(); }
    @w_len = hist(retval);
}
"""
    for f, m, e, x in hooks:
        if f.endswith("fault"):
            s += ("%s { @fs[tid] = nsecs; }\n%s /@fs[tid]/ { @f_calls = count(); "
                  "@f_lat = hist(nsecs - @fs[tid]); delete(@fs[tid]); }\n" %
                  (bt_probe("kfunc", f, m), bt_probe("kretfunc", f, m)))
    for f, m in drv:
        s += bt_probe("kretfunc", f, m) + " { @drv[tid] = retval; }\n"
    return s


def tracing_progs():
    out = subprocess.run(["bpftool", "prog", "list", "-j"], stdout=subprocess.PIPE,
                         text=True).stdout
    return [p for p in json.loads(out or "[]") if p.get("type") == "tracing"]


class Tracer:
    """A tracer process, started and known to be attached."""

    def __init__(self, kind, args, binary=None):
        self.kind, self.args, self.p, self.startup = kind, args, None, None
        self.binary = binary or DAXTRACE    # daxtrace: which build

    def start(self):
        t0 = time.monotonic()
        if self.kind == "daxtrace":
            self.p = subprocess.Popen([self.binary] + self.args, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True)
            line = self.p.stdout.readline()       # printed once all is attached
            if not line:
                raise RuntimeError("daxtrace did not start")
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
                                      stderr=subprocess.DEVNULL)
            # bpftrace says "Attaching" before it is attached: wait for its
            # links, which exist once a program is attached (its programs
            # appear earlier, at load). Counted in its /proc fd table, not
            # with bpftool: on one vCPU a bpftool poll would take CPU from
            # the bpftrace it waits for.
            want = len(re.findall(r"\bk(?:ret)?func:", self.args))
            while link_fds(self.p.pid) < want:
                if self.p.poll() is not None:
                    raise RuntimeError("bpftrace exited: %d" % self.p.returncode)
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
        return rss


def link_fds(pid):
    """How many BPF links pid holds open."""
    n = 0
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return 0
    for fd in fds:
        try:
            n += os.readlink("/proc/%d/fd/%s" % (pid, fd)) == "anon_inode:bpf_link"
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


def loop(path, bs, ops, rate=0):
    out = subprocess.run([LOOP, path, str(bs), str(ops)] + ([str(rate)] if rate else []),
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    return json.loads(out)["ns_per_op"]


def make_file(path, size):
    with open(path, "wb") as f:
        chunk = bytes(range(256)) * 4096
        for _ in range(size // len(chunk)):
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())


def run_configs(configs, path, bs, ops):
    """Per round and configuration, the best of REPS loops of ops/REPS:
    host noise only ever adds time. Reported: the median over rounds."""
    res = {name: [] for name, _ in configs}
    order = list(configs)
    for r in range(ROUNDS):
        for name, tracer in (order if r % 2 == 0 else order[::-1]):
            t = tracer() if tracer else None
            if t:
                t.start()
            loop(path, bs, max(ops // 20, 10))      # warm up
            res[name].append(min(loop(path, bs, max(ops // REPS, 10))
                                 for _ in range(REPS)))
            if t:
                t.stop()
    return res


def med(xs):
    return statistics.median(xs)


def spread(xs):
    m = med(xs)
    return 100.0 * (max(xs) - min(xs)) / m if m else 0.0


def table(title, res, base="a untraced"):
    b = med(res[base])
    print("\n%s (median of %d rounds, alternating; each the best of %d loops)" %
          (title, ROUNDS, REPS))
    print("  %-30s %12s %8s %10s" % ("configuration", "ns/op", "spread", "overhead"))
    for name, xs in res.items():
        print("  %-30s %12.0f %7.1f%% %+9.1f%%" % (name, med(xs), spread(xs),
                                                   100.0 * (med(xs) - b) / b))
    return {k: med(v) for k, v in res.items()}


def header():
    print("kernel %s, %s, %d rounds, clocksource %s" %
          (os.uname().release, os.environ.get("DAXVM_FS", "?"), ROUNDS,
           open(CLOCK).read().strip()))
    if os.environ.get("BENCH_CLOCK", "icount") == "icount":
        print("guest clock: QEMU icount, one nanosecond per guest instruction executed:\n"
              "every ns below is an instruction, free of host noise")


def sect_read_path(daxfile, hooks):
    """1. The DAX pread loops, every configuration alternating."""
    dt = lambda *a: lambda: Tracer("daxtrace", ["-j"] + list(a))
    bt = lambda s: lambda: Tracer("bpftrace", s)
    print("\nfloor and bpftrace use daxtrace's default-mode hooks: %s" %
          ", ".join("%s(%s)" % (f, "+".join((["entry"] if e else []) + (["exit"] if x else [])))
                    for f, m, e, x in hooks))
    configs = [("a untraced", None),
               ("b empty BPF programs (floor)", bt(bt_empty(hooks))),
               ("c daxtrace (default)", dt()),
               ("d daxtrace --snoop", dt("-s")),
               ("e daxtrace --deep", dt("--deep")),
               ("f bpftrace equivalent", bt(bt_equiv(hooks))),
               ("g daxtrace --backend ftrace", dt("--backend", "ftrace"))]
    # long runs: a round of one configuration must outlast the host's noise
    for bs, ops in ((4096, 5 * OPS4K), (1 << 20, max(OPS4K // 20, 50))):
        m = table("1. DAX pread loop, %d bytes, %d ops" % (bs, ops),
                  run_configs(configs, daxfile, bs, ops))
        a = m["a untraced"]
        ov = {k: (v - a) / a for k, v in m.items()}
        print("  daxtrace default overhead / empty-program overhead: %s" %
              ("%.2fx" % (ov["c daxtrace (default)"] / ov["b empty BPF programs (floor)"])
               if ov["b empty BPF programs (floor)"] > 0 else "n/a (floor not measurable)"))
        print("  daxtrace default overhead / bpftrace overhead:      %s" %
              ("%.2fx" % (ov["c daxtrace (default)"] / ov["f bpftrace equivalent"])
               if ov["f bpftrace equivalent"] > 0 else "n/a"))


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
        table("2. non-DAX pread loop on %s, 4096 bytes, %d ops" % (label, OPS4K),
              run_configs([("a untraced", None), ("c daxtrace (default)", dt)],
                          path, 4096, OPS4K))
        # below TCG's noise, the exact answer: how often daxtrace ran there
        runs = prog_runs(lambda: loop(path, 4096, OPS4K))
        print("  daxtrace's BPF programs ran %d times during %d reads on %s "
              "(kernel.bpf_stats_enabled)" % (sum(r["run_cnt"] for r in runs), OPS4K, label))
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


def sect_startup_memory(hooks):
    """4. start-up and 5. memory."""
    empty = bench_build(EMPTY)
    paths = {"daxtrace": installed(DAXTRACE, "daxtrace-bench")}
    tracers = [("daxtrace", ["-j"]), ("bpftrace", bt_equiv(hooks))]
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
    print("\n4. start-up, exec to attached (median of 3, alternating, after a warm-up run"
          " of each;\n   daxtrace run from the guest's tmpfs, as installed):")
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
    print("5. peak RSS: daxtrace %s KiB, bpftrace %s KiB (the most of 3 runs)" %
          (max(x for _, _, x in runs["daxtrace"]), max(x for _, _, x in runs["bpftrace"])))
    before = {p["id"] for p in tracing_progs()}
    x = Tracer("daxtrace", ["-j"]).start()
    maps = json.loads(subprocess.run(["bpftool", "map", "list", "-j"],
                                     stdout=subprocess.PIPE, text=True).stdout)
    # the maps daxtrace's programs use, as the kernel lists them
    ids = {i for p in tracing_progs() if p["id"] not in before for i in p.get("map_ids", [])}
    mine = [m for m in maps if m["id"] in ids]
    x.stop()
    print("   daxtrace BPF maps: %d maps, %d KiB memlock (all fixed max_entries)" %
          (len(mine), sum(m.get("bytes_memlock", 0) for m in mine) // 1024))



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
PARTS = [(1, 0, "per-thread state: slot claimed, 4 look-ups, freed"),
         (2, 0, "2 clock reads (the read's latency)"),
         (4, 0, "the read of *kaddr (void ** argument)"),
         (32, 0, "the driver's return, via a per-CPU slot"),
         (8, 0, "counters and histograms"),
         (16, 0, "check verdict counters (5 per read)"),
         (65, 1, "the device of direct_access and copy"),
         (39, 0, "the four helper costs together (1+2+4+32)"),
         (127, 0, "all seven together")]
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


def sect_cost_model(daxfile, hooks):
    """7. what each part of the default mode costs, by builds doing only it."""
    print("\n7. cost model: guest instructions per 4 KiB read; builds whose programs do one part\n"
          "   of the default mode's work with daxtrace's own helpers, each over the build it adds to")
    if os.environ.get("BENCH_CLOCK", "icount") != "icount":
        print("   (needs BENCH_CLOCK=icount: the differences are below the host clock's noise)")
        return
    def one(tracer):
        t = tracer() if tracer else None
        if t:
            t.start()
        loop(daxfile, 4096, max(OPS4K // 10, 10))
        ns = loop(daxfile, 4096, OPS4K)
        if t:
            t.stop()
        return ns

    base = one(None)
    floor = one(lambda: Tracer("bpftrace", bt_empty(hooks))) - base
    full = one(lambda: Tracer("daxtrace", ["-j"])) - base
    print("   untraced %.0f; over it: floor (empty programs) +%.0f, daxtrace default +%.0f" %
          (base, floor, full))
    print("   1.5x the floor leaves daxtrace's programs %.0f instructions; they use %.0f" %
          (floor / 2, full - floor))
    over = {}

    def over_base(name):
        if name not in over:
            path = bench_build(name)
            over[name] = (one(lambda: Tracer("daxtrace", ["-j"], path)) - base
                          if os.access(path, os.X_OK) else None)
        return over[name]

    empty = over_base(EMPTY)
    if empty is None:
        print("   (no empty build: %s)" % make_cmd(EMPTY))
        return
    print("   every hot program empty (%s): +%.0f, the floor's +%.0f: the method checked" %
          (EMPTY, empty, floor))
    print("   %-48s %10s %10s" % ("part", "over base", "its cost"))
    for mask, under, what in PARTS:
        ns, ns0 = over_base("cost-%d" % mask), over_base("cost-%d" % under)
        if ns is None or ns0 is None:
            print("   %-48s (no build: %s)" % (what, make_cmd("cost-%d" % mask)))
            continue
        print("   %-48s %+10.0f %10.0f" % (what, ns, ns - ns0))
    if over.get("cost-127") is not None:
        print("   the rest, no part of the seven (the programs' own work): %.0f" %
              (full - over["cost-127"]))
    ns = over_base(BARE)
    if ns is None:
        print("   bare tracer: no build (%s)" % make_cmd(BARE))
        return
    print("   a bare tracer of the same hooks (build/bench/%s): the read's latency histogram\n"
          "   and the kaddr check, nothing else: +%.0f over untraced, %.0f more than the\n"
          "   floor: %.2fx the floor's overhead" % (BARE, ns, ns - floor, ns / floor))


def main():
    if os.environ.get("BENCH_CLOCKSOURCE"):
        with open(CLOCK, "w") as f:
            f.write(os.environ["BENCH_CLOCKSOURCE"])
    header()
    daxfile = os.path.join(MNT, "bench.dat")
    make_file(daxfile, 64 << 20)
    hooks = daxtrace_hooks()
    if "1" in SECTIONS:
        sect_read_path(daxfile, hooks)
    if "2" in SECTIONS:
        sect_non_dax()
    if "3" in SECTIONS:
        sect_capacity(daxfile)
    if "4" in SECTIONS or "5" in SECTIONS:
        sect_startup_memory(hooks)
    if "6" in SECTIONS:
        sect_per_program(daxfile)
    if "7" in SECTIONS:
        sect_cost_model(daxfile, hooks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
