#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Attach/detach cycles for the panic study, inside the daxvm guest
(tests/reliability/panic-study boots the guest and reads what this prints).

  panic_cycles.py --tracer daxtrace|bpftrace|empty --cycles N [--first I]

Runs N cycles of one tracer on daxtrace's default hooks while a pread loop
reads a file on the DAX mount: start the tracer, wait until it is attached,
let it trace for a moment, SIGINT it, wait for it to exit. Each attach and
detach makes the kernel patch its own text (the BPF trampolines), which is
what the study is about.

Prints "panic-cycles: cycle I done" after each cycle (I counts from
--first, so a study that rebooted after a crash keeps one numbering).
Exit 0 after N cycles; 3 when the kernel logged an oops, a BUG or a WARN
(the rest of this boot's cycles would run on a tainted kernel: the host
reboots instead); 4 when a tracer did not attach or exit in time; 1 on
any other failure, said on one line.
"""
import argparse
import json
import os
import random
import re
import selectors
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from e2e import read_proc, thread_lines  # noqa: E402

MNT = os.environ.get("DAXVM_MNT", "/mnt/dax")
BINARY = {"daxtrace": os.path.join(ROOT, "build", "daxtrace"),
          # the empty build: daxtrace's own loading and attaching, every hot
          # program empty (bench/bench.mk, made on the host by panic-study)
          "empty": os.path.join(ROOT, "build", "bench", "cost-0", "daxtrace")}
# Under TCG on a busy 2-core host bpftrace's start-up (LLVM) takes tens of
# seconds; a tracer slower than this is stuck, not slow.
ATTACH_LIMIT = 240
EXIT_LIMIT = 120
# bpftrace's exit is a second or two here; past this, a missed SIGINT
RESIGNAL = 15
MISSED_SIGINT = [0]
# what the kernel prints when something went wrong (as daxvm's kwarn)
KERNEL_BAD = re.compile(r"WARNING:|BUG:|Oops|general protection|kernel BUG|"
                        r"watchdog: |rcu: INFO|blocked for more than")


def say(msg):
    print("panic-cycles: " + msg, flush=True)


def fail(code, msg):
    say(msg)
    sys.exit(code)


# daxtrace's program names say what kind of hook each is (bpf/dax_trace.bpf.c)
BT_KIND = {"fe_": "kfunc", "fx_": "kretfunc", "kp_": "kprobe", "kr_": "kretprobe"}
BT_TP = {"tp_pte_done": "tracepoint:fs_dax:dax_pte_fault_done",
         "tp_pmd_done": "tracepoint:fs_dax:dax_pmd_fault_done"}


def bt_same_hooks():
    """A bpftrace script of empty programs on exactly the hooks daxtrace
    attaches on this kernel, of the same kinds (fentry, fexit, kprobe,
    kretprobe, tracepoint), from its "probes" record: bpftrace then makes
    the kernel patch the same text daxtrace does. bench.bt_empty() has the
    fentry targets only; a kprobe is an int3 patched in too. One daxtrace
    attach and detach, before the cycles."""
    p = subprocess.Popen([BINARY["daxtrace"], "--backend", "bpf", "-j"], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline()
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=EXIT_LIMIT)
    if not line:
        fail(1, "daxtrace printed no probes record (exit %s)" % p.returncode)
    probes = []
    for t in json.loads(line)["targets"]:
        for prog in t.get("programs", []) if t["attached"] else []:
            if prog in BT_TP:
                probes.append(BT_TP[prog])
            elif prog[:3] in BT_KIND:
                kind = BT_KIND[prog[:3]]
                # bpftrace names a module's function for fentry only
                mod = t.get("module") + ":" if t.get("module") and "func" in kind else ""
                probes.append("%s:%s%s" % (kind, mod, t["target"]))
            else:
                fail(1, "daxtrace program %s: no bpftrace probe for it" % prog)
    # the raw tracepoint (--deep only) never comes up in the default mode
    probes = sorted(set(probes))
    return " ".join(p + " {}" for p in probes), len(probes)


def kernel_bad_lines():
    out = subprocess.run(["dmesg"], stdout=subprocess.PIPE, text=True).stdout
    return [l for l in out.splitlines() if KERNEL_BAD.search(l)]


def dump_dmesg(base):
    """The kernel's log from the first complaint after the base-th, to
    stderr for the host: the console shows only KERN_ERR and worse
    (loglevel=4), so a WARN is missing there."""
    log = subprocess.run(["dmesg"], stdout=subprocess.PIPE, text=True).stdout.splitlines()
    start = [l for l in log if "daxvm: command start" in l][:1]
    seen, at = 0, 0
    for j, l in enumerate(log):
        if KERNEL_BAD.search(l):
            seen += 1
            if seen > base:
                at = j
                break
    # the start line tells the host this oops came while cycling
    out = start + log[max(at - 5, 0):at + 300]
    print("\n".join("[dmesg] " + l for l in out), file=sys.stderr, flush=True)


def start_reader():
    """A pread loop on a DAX file, in its own process (the cycle loop must
    not share a GIL with it), so the hooks fire while they are patched."""
    path = os.path.join(MNT, "panic-study.dat")
    with open(path, "wb") as f:
        f.write(os.urandom(1 << 20))
    code = ("import os\nfd = os.open(%r, os.O_RDONLY)\noff = 0\n"
            "while True:\n    os.pread(fd, 4096, off)\n    off = (off + 4096) %% (1 << 20)\n" % path)
    return subprocess.Popen([sys.executable, "-c", code])


def attach_fds(pid):
    n = 0
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return 0
    for fd in fds:
        try:
            n += os.readlink("/proc/%d/fd/%s" % (pid, fd)) in ("anon_inode:bpf_link",
                                                               "anon_inode:[perf_event]")
        except OSError:
            pass
    return n


def wait_until(pred, limit, proc):
    t0 = time.monotonic()
    while not pred():
        if proc.poll() is not None:
            return "exited with %d" % proc.returncode
        if time.monotonic() - t0 > limit:
            return "timeout"
        time.sleep(0.05)
    return None


def cycle(i, tracer, bt_prog, hold):
    """One attach/detach; None, or (exit code, why) when it went wrong."""
    if tracer == "bpftrace":
        p = subprocess.Popen(["bpftrace", "-e", bt_prog[0]], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        # attached once every probe holds its fd: a BPF link (fentry) or a
        # perf event (kprobe, tracepoint); bench.Tracer waits the same way
        why = wait_until(lambda: attach_fds(p.pid) >= bt_prog[1], ATTACH_LIMIT, p)
    else:
        # --backend bpf: under auto a refused build would fall back to
        # ftrace, and the study would cycle kprobes instead of trampolines
        p = subprocess.Popen([BINARY[tracer], "--backend", "bpf", "-j"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        # -j prints the "probes" record once everything is attached; read
        # with a limit: a line, or the process gone, or nothing in time
        sel = selectors.DefaultSelector()
        sel.register(p.stdout, selectors.EVENT_READ)
        why = "timeout" if not sel.select(ATTACH_LIMIT) else None
        if why is None and not p.stdout.readline():
            why = "exited with %s" % p.wait()
    if why:
        p.kill()
        err = p.communicate()[1] or ""
        code = 4 if why == "timeout" else 1
        return code, "%s did not attach: %s %s" % (tracer, why, err.strip()[-200:])
    time.sleep(hold)
    p.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    while True:
        try:
            _, err = p.communicate(timeout=RESIGNAL if tracer == "bpftrace" else EXIT_LIMIT)
            break
        except subprocess.TimeoutExpired:
            pass
        if tracer == "bpftrace" and time.monotonic() - t0 < EXIT_LIMIT and \
                read_proc("/proc/%d/wchan" % p.pid) == "do_epoll_wait":
            # bpftrace (0.17) now and then misses a SIGINT and sleeps in
            # epoll_wait() for good, its only thread in user space's wait:
            # a tracer's own bug, not a detach that hangs. Said, counted,
            # and signalled again.
            MISSED_SIGINT[0] += 1
            say("bpftrace missed SIGINT in cycle %d, sleeping in epoll_wait: sent again" % i)
            p.send_signal(signal.SIGINT)
            continue
        for line in thread_lines(p.pid):
            say("  " + line)
        p.kill()
        p.communicate()
        return 4, "%s still running %d s after SIGINT" % (tracer, EXIT_LIMIT)
    if p.returncode != 0:
        return 1, "%s exited %d after SIGINT: %s" % (tracer, p.returncode,
                                                     (err or "").strip()[-200:])
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tracer", choices=["daxtrace", "bpftrace", "empty"], required=True)
    ap.add_argument("--cycles", type=int, required=True)
    ap.add_argument("--first", type=int, default=1)
    a = ap.parse_args()
    for b in ([BINARY[a.tracer]] if a.tracer in BINARY else []):
        if not os.access(b, os.X_OK):
            fail(1, "no %s (the host builds it)" % b)
    # what the kernel has said so far (boot included) is the host's to
    # count from the console, not a reason to stop here
    base = len(kernel_bad_lines())
    bt_prog = None
    if a.tracer == "bpftrace":
        bt_prog = bt_same_hooks()
        say("bpftrace on %d hooks: %s" % (bt_prog[1], bt_prog[0]))
    reader = start_reader()
    # seeded by the first cycle's number: a rerun detaches at the same moments
    rnd = random.Random(a.first)
    for i in range(a.first, a.first + a.cycles):
        if reader.poll() is not None:
            fail(1, "cycle %d: the read loop exited with %d" % (i, reader.returncode))
        # up to 2 s traced: detach lands at varied points of the reads
        r = cycle(i, a.tracer, bt_prog, rnd.uniform(0.0, 2.0))
        # the kernel first: a tracer killed by an oops is the oops's doing
        if len(kernel_bad_lines()) > base:
            dump_dmesg(base)
            fail(3, "cycle %d: the kernel logged an oops, BUG or WARN%s" %
                 (i, " (%s)" % r[1] if r else ""))
        if r:
            fail(r[0], "cycle %d: %s" % (i, r[1]))
        say("cycle %d done" % i)
    if MISSED_SIGINT[0]:
        say("bpftrace missed SIGINT %d times in %d cycles (sent again each time)" %
            (MISSED_SIGINT[0], a.cycles))
    reader.kill()
    reader.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
