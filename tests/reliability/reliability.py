#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Reliability suite, inside the daxvm guest (tests/reliability/run).

  reliability.py [--kills N] [--soak MINUTES] [TEST...]

bad input, kill cycles, workload safety, concurrency, soak, and the
ASan+UBSan build of daxtrace on the real path. Each test prints its
figures as "figure: ..." lines, collected into tests/RELIABILITY.md.
"""
import argparse
import glob
import hashlib
import json
import mmap
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
import e2e  # noqa: E402
from e2e import DAXLOAD, DAXTRACE, DEVDAX, PMEM, ROOT, check, eq, op_truth  # noqa: E402

SAN = os.path.join(ROOT, "build", "san", "daxtrace")
MNT = os.environ.get("DAXVM_MNT", "/mnt/dax")
figures = []


def figure(text):
    figures.append(text)
    print("figure: " + text, flush=True)


def run(args, **kw):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def bpf_ids():
    """ids of every BPF prog, map and link on the machine."""
    out = {}
    for kind in ("prog", "map", "link"):
        p = run(["bpftool", "-j", kind, "list"], text=True)
        out[kind] = {x["id"] for x in json.loads(p.stdout or "[]")}
    return out


def tracefs_left():
    inst = [i for i in os.listdir("/sys/kernel/tracing/instances") if i.startswith("daxtrace")]
    with open("/sys/kernel/tracing/kprobe_events") as f:
        ev = [l for l in f.read().splitlines() if "daxtrace_" in l]
    return inst + ev


def leaks(base, timeout=10.0):
    """What is left over the baseline; freeing after exit takes an RCU grace."""
    t0 = time.monotonic()
    while True:
        now = bpf_ids()
        left = {k: sorted(now[k] - base[k]) for k in now if now[k] - base[k]}
        tf = tracefs_left()
        if (not left and not tf) or time.monotonic() - t0 > timeout:
            return left, tf
        time.sleep(0.2)


def daxload_bg(*cases):
    return subprocess.Popen([DAXLOAD] + list(cases), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def daxload_done(p, what):
    out, err = p.communicate(timeout=600)
    eq(p.returncode, 0, "%s: daxload verified its data and exited 0 (%s)" % (what, err.strip()))
    return [json.loads(l) for l in out.splitlines()]


# ---- bad input -----------------------------------------------------------

def test_bad_input():
    print("bad input", flush=True)
    base = bpf_ids()
    tmp = tempfile.mkdtemp(prefix="bad-")
    img = os.path.join(tmp, "loop.img")
    with open(img, "wb") as f:
        f.truncate(8 << 20)
    run(["modprobe", "loop"])
    loop = run(["losetup", "-f", "--show", img], text=True).stdout.strip()
    check(loop.startswith("/dev/loop"), "a loop device for the non-DAX block case: %r" % loop)
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    capture_bad = os.path.join(tmp, "bad.json")
    with open(capture_bad, "wb") as f:
        f.write(b'{"type":"stats","events":0,"ringbuf_dropped":0}\n\x7fELF\x02\x01\n')
    capture_trunc = os.path.join(tmp, "trunc.json")
    with open(capture_trunc, "w") as f:
        f.write('{"type":"summary","device":"pmem0.1","op":"read","calls":1,')
    cases = [
        (["-d", "nosuchdev0"], "nosuchdev0"),
        (["-d", "/dev/null"], "'/dev/null' (char 1:3, null) is not a DAX device"),
        (["-d", loop or "/dev/loop0"], "is not a DAX device"),
        (["-d", "/etc/passwd"], "/etc/passwd"),
        (["-d", ""], "empty device name"),
        (["-d", "x" * 100], "too long"),
        (["-d", "dax\x01"], "invalid character"),
        ([b"-d", b"\xff\xfe"], "invalid character"),
        (["-p", "0"], "invalid PID"),
        (["-p", "-1"], "invalid PID"),
        (["-p", "abc"], "invalid PID"),
        (["-p", "99999999999"], "invalid PID"),
        (["-p", ""], "invalid PID"),
        (["-c", ""], "invalid COMM"),
        (["-c", "x" * 40], "invalid COMM"),
        (["0"], "invalid INTERVAL"),
        (["abc"], "invalid INTERVAL"),
        (["-5"], "invalid option"),
        (["1", "0"], "invalid COUNT"),
        (["1", "99999999999999999999"], "invalid COUNT"),
        (["1", "1", "1"], "unexpected argument"),
        (["--bogus"], "unrecognized option"),
        (["--backend", "warp"], "invalid --backend"),
        (["--backend", "ftrace", "--deep"], "need the bpf backend"),
        (["--list-probes", "--metrics", "9479"], "exits at once"),
        (["--rotate-size", "64M"], "need -o FILE"),
        (["--method", "nosuch=fentry"], "nosuch"),
        (["--method", "dax_iomap_rw=warp"], "warp"),
        (["-o", "/proc/nope/x"], "cannot write there"),
        (["-o", ""], "-o '': cannot write there: Invalid argument"),
        (["-o", tmp + "/"], "Is a directory"),
        (["-o", "/sys/kernel/daxtrace.json"], "-o /sys/kernel/daxtrace.json"),
        (["-o", os.path.join(tmp, "c.json"), "--rotate-size", "1"], "invalid --rotate-size"),
        (["-o", os.path.join(tmp, "c.json"), "--rotate-keep", "-1"], "invalid --rotate-keep"),
        (["--metrics", "127.0.0.1:%d" % port], "Address already in use"),
        (["--metrics", "70000"], "invalid port"),
        (["--metrics", "::1:80"], "brackets"),
        (["--metrics-textfile", "/nonexistent/dir/x.prom"], "cannot write there"),
        (["--metrics-textfile", tmp], "Is a directory"),
        (["--btf", "/nonexistent"], "No such file"),
        (["--btf", "/etc/passwd"], "not a BTF file"),
        (["report"], "no capture FILE"),
        (["report", "/nonexistent.json"], "No such file"),
        (["report", capture_bad], ":2: column 1"),
        (["report", capture_trunc], ":1: truncated"),
    ]
    # this kernel's BTF with a kind newer than daxtrace, cut short, or with
    # dax_direct_access's parameters changed (tests/btf/craft.py)
    cases += [(["--btf", path], want) for path, want in e2e.bad_btf_files(tmp)]
    n = 0
    for args, want in cases:
        argv = [DAXTRACE.encode()] + [a if isinstance(a, bytes) else a.encode() for a in args]
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        err = p.stderr.decode(errors="replace")
        lines = [l for l in err.splitlines() if not l.startswith("Try `daxtrace")]
        eq(p.returncode, 2, "exit status 2 for %r (stderr %r)" % (args, err))
        check(len(lines) == 1 and lines[0].startswith("daxtrace") and want in lines[0],
              "one line naming the problem (%r) for %r: %r" % (want, args, err))
        eq(p.stdout, b"", "nothing on stdout for %r" % (args,))
        n += 1
    # not root
    p = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", DAXTRACE,
             "-d", DEVDAX], text=True)
    eq((p.returncode, p.stderr.strip()),
       (2, "daxtrace: must run as root (needs CAP_BPF, CAP_PERFMON and tracefs)"), "not root")
    n += 1
    busy.close()
    if loop:
        run(["losetup", "-d", loop])
    shutil.rmtree(tmp)
    left, tf = leaks(base)
    eq((left, tf), ({}, []), "nothing attached or left after %d bad inputs" % n)
    figure("bad input: %d cases, each exit 2 with a one-line error, %d BPF objects and "
           "%d tracefs objects left" % (n, sum(len(v) for v in left.values()), len(tf)))

    # tracefs missing: mounted by daxtrace itself; bpffs is not needed at all
    run(["umount", "/sys/kernel/tracing"])
    run(["umount", "/sys/fs/bpf"])
    p = run([DAXTRACE, "--list-probes"], text=True)
    eq(p.returncode, 0, "tracefs unmounted: daxtrace mounts it (%s)" % p.stderr.strip())
    check(os.path.exists("/sys/kernel/tracing/events"), "tracefs mounted again")
    p = run([DAXTRACE, "--backend", "ftrace", "--list-probes"], text=True)
    eq(p.returncode, 0, "no bpffs needed (ftrace backend too)")
    run(["mount", "-t", "bpf", "bpf", "/sys/fs/bpf"])


# ---- kill cycles ----------------------------------------------------------

def test_kill_cycles(n):
    print("kill cycles: %d" % n, flush=True)
    rnd = random.Random(1234)
    base = bpf_ids()
    sigs = {"SIGINT": signal.SIGINT, "SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL}
    tally = {}
    phases = {}
    leaked = 0
    hangs = 0
    out = tempfile.NamedTemporaryFile(prefix="kill-", delete=False).name
    for i in range(n):
        backend = "ftrace" if i % 4 == 3 else "bpf"
        sname = rnd.choice(sorted(sigs))
        delay = rnd.uniform(0.0, 6.0)   # start-up is 1-3 s here: all phases get hit
        args = [DAXTRACE, "--backend", backend, "-c", "daxload", "-j", "1"]
        if i % 3 == 1:
            args += ["-s"]
        if i % 5 == 2 and backend == "bpf":
            args += ["--deep"]
        if i % 3 == 2:
            # the exporters too: a listening socket, a textfile, a rotated capture
            args += ["--metrics", "9482", "--metrics-textfile", out + ".prom",
                     "-o", out + ".cap", "--rotate-size", "16K"]
        load = daxload_bg("mt-mix", "mmap-read", "seq-write-4k")
        with open(out, "w") as f:
            p = subprocess.Popen(args, stdout=f, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        text = ""
        for name in (out, out + ".cap"):
            if os.path.exists(name):
                with open(name) as f:
                    text += f.read()
        phase = ("start-up" if '"probes"' not in text else
                 "steady" if '"stats"' not in text else "after a summary")
        p.send_signal(sigs[sname])
        try:
            _, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            hangs += 1
            p.kill()
            p.communicate()
            check(False, "cycle %d: daxtrace hung after %s" % (i, sname))
            continue
        if sname != "SIGKILL" and phase != "start-up":
            eq(p.returncode, 0, "cycle %d: exit status after %s (%s)" % (i, sname, err.strip()))
        check(p.returncode in (0, -sigs[sname]),
              "cycle %d: %s ends daxtrace cleanly: %d %s" % (i, sname, p.returncode, err.strip()))
        daxload_done(load, "cycle %d" % i)
        left, tf = leaks(base)
        if left or tf:
            leaked += 1
            check(False, "cycle %d (%s, %s after %.2f s, %s): left %r %r" %
                  (i, backend, sname, delay, phase, left, tf))
            base = bpf_ids()
        for f in glob.glob(out + ".*"):
            os.unlink(f)
        key = "%s/%s" % (backend, sname)
        tally[key] = tally.get(key, 0) + 1
        phases[phase] = phases.get(phase, 0) + 1
    os.unlink(out)
    figure("kill cycles: %d survived of %d (%s; killed during %s; a third with --metrics, "
           "--metrics-textfile and a rotated -o), %d with leftovers, %d hangs"
           % (n - leaked - hangs, n, ", ".join("%s %d" % kv for kv in sorted(tally.items())),
              ", ".join("%s %d" % kv for kv in sorted(phases.items())), leaked, hangs))


# ---- workload safety --------------------------------------------------------

def write_read_back(path, data):
    """pwrite in uneven chunks, fsync, read back with pread and with mmap."""
    sizes = [4096, 512, 65536, 1 << 20, 3000, 8192]
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    off = i = 0
    while off < len(data):
        n = min(sizes[i % len(sizes)], len(data) - off)
        os.pwrite(fd, data[off:off + n], off)
        off += n
        i += 1
    os.fsync(fd)
    back = bytearray()
    off = i = 0
    while off < len(data):
        n = min(sizes[(i + 3) % len(sizes)], len(data) - off)
        back += os.pread(fd, n, off)
        off += n
        i += 1
    m = mmap.mmap(fd, len(data), mmap.MAP_SHARED, mmap.PROT_READ)
    mapped = bytes(m[:])
    m.close()
    os.close(fd)
    os.unlink(path)
    return hashlib.sha256(bytes(back)).hexdigest(), hashlib.sha256(mapped).hexdigest()


def test_safety():
    print("workload safety", flush=True)
    data = random.Random(7).randbytes(9 << 20)
    want = hashlib.sha256(data).hexdigest()
    path = os.path.join(MNT, "safety.bin")
    got = {"untraced": write_read_back(path, data)}
    for name, args in (("bpf --snoop --deep", ["--backend", "bpf", "-s", "--deep"]),
                       ("ftrace --snoop", ["--backend", "ftrace", "-s"])):
        t = e2e.Trace(args + ["-c", "python3"]).start()
        try:
            got[name] = write_read_back(path, data)
        finally:
            t.stop()
        eq(t.rc, 0, "%s: exit status" % name)
        rd = t.summary(PMEM, "read")
        check(rd and rd["bytes_done"] >= len(data), "%s: the reads were traced" % name)
    for name, (rd, mm) in got.items():
        eq(rd, want, "%s: data read back with pread is what was written" % name)
        eq(mm, want, "%s: data read back through mmap is what was written" % name)
    figure("workload safety: 9 MiB written and read back (pread and mmap) untraced, under "
           "bpf --snoop --deep and under ftrace --snoop: %s" %
           ("identical" if all(v == (want, want) for v in got.values()) else "DIFFERENT"))


# ---- concurrency -------------------------------------------------------------

def test_concurrency():
    print("concurrency: 16 threads on both devices, filtered to one", flush=True)
    for dev in (PMEM, DEVDAX):
        t = e2e.Trace(["-d", dev, "-c", "daxload"]).start()
        try:
            truth = e2e.daxload("mt-both")
        finally:
            t.stop()
        devs = sorted({r["device"] for r in t.of("summary")})
        eq(devs, [dev], "-d %s: summaries only for %s" % (dev, dev))
        if dev == PMEM:
            for op in ("read", "write"):
                w = op_truth(truth, op)
                s = t.summary(PMEM, op)
                eq(s and (s["calls"], s["bytes_done"]), (w["calls"], w["bytes_done"]),
                   "-d %s: %s exact under 16 threads" % (dev, op))
            eq(t.summary(PMEM, "fault"), None, "-d pmem: no fsdax fault in mt-both")
        else:
            f = t.summary(DEVDAX, "fault")
            eq(f and f["pmd"], truth[0]["faults"]["pmd"], "-d %s: PMD faults exact" % dev)
            eq(f and f["pmd"], 8, "-d %s: one PMD fault per devdax thread" % dev)
        eq(t.of("stats")[0]["ringbuf_dropped"], 0, "-d %s: nothing dropped" % dev)
    figure("concurrency: mt-both (8 fsdax rw + 8 devdax fault threads), -d each device: "
           "counts exact for the chosen one, none for the other")


# ---- soak ----------------------------------------------------------------------

def map_entries(ids):
    n = {}
    for i in ids:
        p = run(["bpftool", "-j", "map", "show", "id", str(i)], text=True)
        try:
            info = json.loads(p.stdout)
        except ValueError:
            continue
        if info.get("type") not in ("hash", "lru_hash"):
            continue
        d = run(["bpftool", "-j", "map", "dump", "id", str(i)], text=True)
        try:
            n[info["name"]] = (len(json.loads(d.stdout)), info["max_entries"])
        except ValueError:
            pass
    return n


def test_soak(minutes):
    print("soak: %g minutes" % minutes, flush=True)
    nfail = len(e2e.failures)
    base = bpf_ids()
    d = tempfile.mkdtemp(prefix="soak-")
    cap = os.path.join(d, "cap.json")
    p = subprocess.Popen([DAXTRACE, "-s", "-c", "daxload", "-o", cap, "--rotate-size", "1M",
                          "--rotate-keep", "3", "5"], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    ready = p.stderr.readline()
    check(ready.startswith("daxtrace: capturing"), "soak: ready: " + ready)
    mine = bpf_ids()
    maps = mine["map"] - base["map"]
    rss = []
    entries = []
    truth = []
    stop = threading.Event()

    def sample():
        while not stop.wait(5):
            rss.append(e2e_rss(p.pid))

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    t0 = time.monotonic()
    rounds = 0
    while time.monotonic() - t0 < minutes * 60:
        truth += e2e.daxload("mt-both", "mmap-read", "seq-write-4k")
        rounds += 1
        if rounds == 2:
            entries.append(map_entries(maps))
    entries.append(map_entries(maps))
    stop.set()
    th.join()
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=120)
    eq(p.returncode, 0, "soak: exit status (%s)" % err.strip())
    files = sorted(glob.glob(cap + ".*"), key=lambda n: -int(n.rsplit(".", 1)[1])) + [cap]
    check(len(files) <= 4, "soak: rotation keeps 3 old files + the current (%d)" % len(files))
    rep = run([DAXTRACE, "report", "-j"] + files, text=True)
    eq(rep.returncode, 0, "soak: report over the rotated capture (%s)" % rep.stderr.strip())
    recs = [json.loads(l) for l in rep.stdout.splitlines()]
    summ = {(r["device"], r["op"]): r for r in recs if r["type"] == "summary"}
    for op in ("read", "write"):
        w = op_truth(truth, op)
        s = summ.get((PMEM, op))
        eq(s and (s["calls"], s["bytes_done"]), (w["calls"], w["bytes_done"]),
           "soak: final %s counts exact over %d rounds" % (op, rounds))
    f = summ.get((DEVDAX, "fault"))
    eq(f and f["pmd"], sum(c["faults"]["pmd"] for c in truth if c["case"] == "mt-both"),
       "soak: devdax PMD faults exact")
    stats = [r for r in recs if r["type"] == "stats"][0]
    # the ring buffer's pages fault in as it first wraps: baseline after 30 s
    warm = rss[min(len(rss) - 1, max(len(rss) // 5, 6))] if rss else 0
    end = rss[-1] if rss else 0
    check(rss and end <= warm * 1.10, "soak: RSS flat within 10%%: %d -> %d KiB" % (warm, end))
    if len(entries) == 2:
        eq(entries[1], entries[0], "soak: BPF hash map entries stable once the mix was seen")
        for name, (cnt, mx) in entries[1].items():
            check(cnt <= mx, "soak: map %s within max_entries (%d/%d)" % (name, cnt, mx))
    left, tf = leaks(base)
    eq((left, tf), ({}, []), "soak: nothing left after exit")
    shutil.rmtree(d)
    figure("soak: %g min, %d workload rounds (mt-both + mmap-read + seq-write-4k), %d events, "
           "%d ring-buffer drops (counted), RSS %d KiB after warm-up -> %d KiB at the end, "
           "hash map entries %s, final counts exact: %s" %
           (minutes, rounds, stats["events"], stats["ringbuf_dropped"], warm, end,
            json.dumps(entries[-1] if entries else {}, sort_keys=True),
            "yes" if len(e2e.failures) == nfail else "NO"))


def e2e_rss(pid):
    try:
        return max(e2e.rss_kib(pid), 0)
    except OSError:
        return 0


# ---- the sanitizer build on the real path ------------------------------------------

def test_sanitized():
    print("ASan+UBSan daxtrace on the real DAX path", flush=True)
    if not os.path.exists(SAN):
        check(False, "no %s (make SANITIZE=1 build/san/daxtrace)" % SAN)
        return
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:exitcode=99",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:exitcode=98")
    reports = 0
    runs = 0
    tmp = tempfile.mkdtemp(prefix="san-")
    cap = os.path.join(tmp, "cap.json")
    for backend in ("bpf", "ftrace"):
        args = [SAN, "--backend", backend, "-c", "daxload", "-j", "--metrics", "9480",
                "-o", cap, "--rotate-size", "16K", "1"]
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env)
        line = p.stderr.readline()
        while line and "capturing" not in line:
            line = p.stderr.readline()
        truth = e2e.daxload("seq-read-4k", "short-copy", "mmap-read")
        time.sleep(1.5)
        try:
            body = subprocess.run(["python3", "-c", "import urllib.request;print(urllib.request."
                                   "urlopen('http://127.0.0.1:9480/metrics').read().decode())"],
                                  stdout=subprocess.PIPE, text=True).stdout
        except Exception:
            body = ""
        check("daxtrace_ops_total" in body, "san %s: /metrics served" % backend)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=120)
        runs += 1
        bad = [l for l in err.splitlines() if "Sanitizer" in l or "runtime error" in l]
        reports += len(bad)
        eq((p.returncode, bad), (0, []), "san %s: exit 0, no sanitizer report" % backend)
        files = sorted(glob.glob(cap + ".*"), key=lambda n: -int(n.rsplit(".", 1)[1])) + [cap]
        r = run([SAN, "report", "-j"] + files, text=True, env=env)
        runs += 1
        bad = [l for l in r.stderr.splitlines() if "Sanitizer" in l or "runtime error" in l]
        reports += len(bad)
        eq((r.returncode, bad), (0, []), "san %s: report exit 0, no sanitizer report" % backend)
        summ = [json.loads(l) for l in r.stdout.splitlines()]
        rd = [s for s in summ if s["type"] == "summary" and s["device"] == PMEM
              and s["op"] == "read"]
        eq(rd and rd[0]["calls"], op_truth(truth, "read")["calls"],
           "san %s: read calls exact through capture and report" % backend)
        for f in files:
            os.unlink(f)
    for args in (["-d", "nosuch0"], ["--metrics", "0"], ["report", "/etc/passwd"]):
        r = run([SAN] + args, text=True, env=env)
        runs += 1
        bad = [l for l in r.stderr.splitlines() if "Sanitizer" in l or "runtime error" in l]
        reports += len(bad)
        eq((r.returncode, bad), (2, []), "san: bad input %r" % args)
    shutil.rmtree(tmp)
    figure("sanitizers: %d runs of the ASan+UBSan daxtrace in the guest (bpf and ftrace "
           "tracing, /metrics, -o rotation, report, bad input): %d reports" % (runs, reports))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kills", type=int, default=100)
    ap.add_argument("--soak", type=float, default=30, metavar="MINUTES")
    ap.add_argument("tests", nargs="*")
    a = ap.parse_args()
    tests = [("bad_input", test_bad_input), ("sanitized", test_sanitized),
             ("safety", test_safety), ("concurrency", test_concurrency),
             ("kill_cycles", lambda: test_kill_cycles(a.kills)),
             ("soak", lambda: test_soak(a.soak))]
    # the per-test hang limit must cover the longest test: soak or kill cycles
    limit = 420 + int(a.soak * 60) + a.kills * 15
    return e2e.run_tests("reliability", tests, a.tests, limit)


if __name__ == "__main__":
    sys.exit(main())
