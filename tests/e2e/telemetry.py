#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Telemetry end-to-end tests, inside the daxvm guest (tests/e2e/run).

A real Prometheus (Debian's package, from the shared host root) scrapes
daxtrace --metrics on loopback while daxload runs; its HTTP API must then
hold the workload's exact counts. Also: promtool accepts the exposition,
the endpoint survives abusive clients with tracing exact and memory flat,
the textfile is written atomically, and an -o capture with rotation reads
back through `daxtrace report` to the same numbers.
"""
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import e2e  # noqa: E402
from e2e import (BACKEND, DAXTRACE, FS, FTRACE, METHOD, PMEM, check, daxload, eq,  # noqa: E402
                 op_truth)

PORT = 9479
PROM_PORT = 9090


def http_get(path, port=PORT, headers=None, timeout=10):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path),
                                 headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


def samples(text):
    """{'name{labels}': value} from a text exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, val = line.rsplit(" ", 1)
        out[key] = float(val)
    return out


class Exporter:
    """daxtrace --metrics, started and ready (every probe attached)."""

    def __init__(self, extra=()):
        self.proc = subprocess.Popen([DAXTRACE] + BACKEND + ["--metrics", str(PORT),
                                      "-c", "daxload", "-j"] + list(extra),
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        first = self.proc.stdout.readline()
        if not first:
            raise RuntimeError("daxtrace --metrics exited: " + self.proc.stderr.read())
        eq(json.loads(first)["type"], "probes", "first record is the probes record")
        # stdout must keep draining, or a full pipe would stall daxtrace
        self.lines = []
        self.t = threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True)
        self.t.start()

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=60)
        self.t.join(timeout=10)
        err = self.proc.stderr.read()
        eq(self.proc.returncode, 0, "daxtrace --metrics exit status (stderr: %s)" % err.strip())
        return [json.loads(l) for l in self.lines]


def settled(truth, port_path="/metrics"):
    """Scrape until every op reaches the workload's call count: the ftrace
    backend counts from trace_pipe, which lags the workload a little."""
    t0 = time.monotonic()
    while True:
        body = http_get(port_path)[2]
        s = samples(body)
        done = True
        for op in ("read", "write"):
            lbl = 'device="%s",op="%s",' % (PMEM, op)
            n = sum(v for k, v in s.items() if k.startswith("daxtrace_ops_total{" + lbl))
            done = done and n >= op_truth(truth, op)["calls"]
        if done or time.monotonic() - t0 > 30:
            return body, s
        time.sleep(0.2)


def expect_workload(s, truth, what):
    """The exposition s holds exactly what daxload did on PMEM."""
    for op in ("read", "write"):
        want = op_truth(truth, op)
        lbl = 'device="%s",op="%s"' % (PMEM, op)
        got_calls = sum(v for k, v in s.items()
                        if k.startswith("daxtrace_ops_total{" + lbl + ","))
        eq(got_calls, want["calls"], "%s: %s ops_total summed over results" % (what, op))
        eq(s.get('daxtrace_ops_total{%s,result="ok"}' % lbl), want["calls"] - want["short"],
           "%s: %s ok" % (what, op))
        eq(s.get('daxtrace_bytes_total{%s,kind="requested"}' % lbl), want["bytes_requested"],
           "%s: %s bytes requested" % (what, op))
        eq(s.get('daxtrace_bytes_total{%s,kind="done"}' % lbl), want["bytes_done"],
           "%s: %s bytes done" % (what, op))
        eq(s.get('daxtrace_returned_bytes_count{%s}' % lbl), want["calls"],
           "%s: %s returned_bytes_count" % (what, op))
        eq(s.get('daxtrace_returned_bytes_sum{%s}' % lbl), want["bytes_done"],
           "%s: %s returned_bytes_sum" % (what, op))
        # the BPF backend's default mode times no read or write: no series,
        # not zeros (--telemetry's are timed, and ftrace's records)
        eq(s.get('daxtrace_latency_seconds_count{%s}' % lbl), want["calls"] if FTRACE else None,
           "%s: %s latency_seconds_count" % (what, op))
    fails = {k: v for k, v in s.items() if k.startswith("daxtrace_check_failures_total") and v}
    eq(fails, {}, what + ": no check failed")
    eq(s.get("daxtrace_ringbuf_dropped_total"), 0, what + ": nothing dropped")


WORK = ["seq-read-4k", "seq-write-4k"]


def no_kernel_address(body, what):
    """/metrics and the textfile are for anyone who may scrape or read
    them: no address of any kind, hex or a kernel half's decimal."""
    m = re.search(r"0x[0-9a-fA-F]+|\b[0-9]{15,}\b", body)
    check(m is None, "%s holds no address: %r" % (what, m and m.group(0)))


def test_exposition():
    print("metrics exposition, promtool, OpenMetrics", flush=True)
    ex = Exporter()
    try:
        truth = daxload(*WORK)
        body, _ = settled(truth)
        status, ctype, _ = http_get("/metrics")
        eq(status, 200, "/metrics status")
        eq(ctype, "text/plain; version=0.0.4; charset=utf-8", "text format content type")
        expect_workload(samples(body), truth, "text exposition")
        s = samples(body)
        check(any(k.startswith("daxtrace_build_info{version=") for k in s), "build_info present")
        no_kernel_address(body, "/metrics")
        if not FTRACE:
            eq(s.get('daxtrace_probe_attached{target="dax_iomap_rw",method="%s"}' % METHOD),
               1, "probe_attached dax_iomap_rw by %s" % METHOD)
            # skipped runs: a measured series per attached target, none lost here
            eq(s.get('daxtrace_kernel_skipped_runs_total{target="dax_iomap_rw"}'),
               e2e.skipped_zero(METHOD), "kernel_skipped_runs dax_iomap_rw")
        p = subprocess.run(["promtool", "check", "metrics"], input=body, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        eq((p.returncode, p.stdout.strip()), (0, ""), "promtool check metrics: no error, no lint")
        status, ctype, om = http_get("/metrics", headers={
            "Accept": "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"})
        eq(ctype, "application/openmetrics-text; version=1.0.0; charset=utf-8",
           "OpenMetrics content type")
        check(om.endswith("# EOF\n"), "OpenMetrics ends with # EOF")
        eq(samples(om.replace("# EOF\n", "")).get(
            'daxtrace_ops_total{device="%s",op="read",result="ok"}' % PMEM),
           samples(body).get('daxtrace_ops_total{device="%s",op="read",result="ok"}' % PMEM),
           "OpenMetrics and text agree")
        for path, want in (("/", 200), ("/nope", 404)):
            try:
                eq(http_get(path)[0], want, "GET %s" % path)
            except urllib.error.HTTPError as e:
                eq(e.code, want, "GET %s" % path)
        # counters never reset: a second workload adds to the first
        truth2 = daxload(*WORK)
        twice = [dict(c, ops=[dict(o, calls=2 * o["calls"], short=2 * o["short"])
                              for o in c["ops"]]) for c in truth2]
        _, s2 = settled(twice)
        eq(s2.get('daxtrace_ops_total{device="%s",op="read",result="ok"}' % PMEM),
           2 * op_truth(truth2, "read")["calls"], "counters accumulate across scrapes")
    finally:
        ex.stop()


def prom_query(q):
    url = "/api/v1/query?" + urllib.parse.urlencode({"query": q})
    _, _, body = http_get(url, port=PROM_PORT)
    res = json.loads(body)
    if res["status"] != "success":
        raise RuntimeError("query %s: %s" % (q, body))
    return res["data"]["result"]


def prom_value(q):
    r = prom_query(q)
    return float(r[0]["value"][1]) if r else None


def test_prometheus():
    print("a real Prometheus scrapes daxtrace", flush=True)
    if not shutil.which("prometheus"):
        check(False, "prometheus is not installed (make deps)")
        return
    d = tempfile.mkdtemp(prefix="prom-")
    with open(os.path.join(d, "prometheus.yml"), "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "scrape_configs:\n  - job_name: daxtrace\n"
                "    static_configs:\n      - targets: ['127.0.0.1:%d']\n" % PORT)
    ex = Exporter()
    prom = subprocess.Popen(["prometheus", "--config.file=" + os.path.join(d, "prometheus.yml"),
                             "--storage.tsdb.path=" + os.path.join(d, "data"),
                             "--web.listen-address=127.0.0.1:%d" % PROM_PORT,
                             "--log.level=warn"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        up = None
        for _ in range(240):
            try:
                up = prom_value('up{job="daxtrace"}')
                if up == 1:
                    break
            except Exception:
                pass
            time.sleep(0.5)
        eq(up, 1, "Prometheus scrapes daxtrace (up == 1)")
        truth = daxload(*WORK)
        want = op_truth(truth, "read")
        q = 'sum(daxtrace_ops_total{device="%s",op="read"})' % PMEM
        got = None
        for _ in range(120):
            got = prom_value(q)
            if got == want["calls"]:
                break
            time.sleep(0.5)
        eq(got, want["calls"], "Prometheus: read ops of the workload")
        time.sleep(2.5)	# two more scrapes: the value must not move
        for op in ("read", "write"):
            w = op_truth(truth, op)
            lbl = 'device="%s",op="%s"' % (PMEM, op)
            eq(prom_value('sum(daxtrace_ops_total{%s})' % lbl), w["calls"],
               "Prometheus: %s ops" % op)
            eq(prom_value('daxtrace_bytes_total{%s,kind="done"}' % lbl), w["bytes_done"],
               "Prometheus: %s bytes done" % op)
            eq(prom_value('daxtrace_bytes_total{%s,kind="requested"}' % lbl),
               w["bytes_requested"], "Prometheus: %s bytes requested" % op)
            eq(prom_value('daxtrace_latency_seconds_count{%s}' % lbl),
               w["calls"] if FTRACE else None, "Prometheus: %s latency histogram count" % op)
            eq(prom_value('daxtrace_returned_bytes_bucket{%s,le="+Inf"}' % lbl), w["calls"],
               "Prometheus: %s returned_bytes +Inf bucket" % op)
        eq(prom_value('sum(daxtrace_check_failures_total)'), 0, "Prometheus: no check failed")
        eq(prom_value('daxtrace_ringbuf_dropped_total'), 0, "Prometheus: nothing dropped")
        check(prom_value('count(daxtrace_build_info)') == 1, "Prometheus: build_info")
        # a 4 KiB read returns 4096 bytes: the median sits in the 8191 bucket
        eq(prom_value('histogram_quantile(0.5, daxtrace_returned_bytes_bucket{device="%s",op="read"})'
                      % PMEM) <= 8191, True, "Prometheus: histogram_quantile works")
    finally:
        prom.terminate()
        try:
            prom.wait(timeout=30)
        except subprocess.TimeoutExpired:
            prom.kill()
        ex.stop()
        shutil.rmtree(d, ignore_errors=True)


def raw_request(data, timeout=20):
    """Send bytes, return what came back (b'' if the server hung up)."""
    s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
    out = b""
    try:
        s.sendall(data)
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass    # the server hung up first (ENOTCONN): read what it sent
        while True:
            b = s.recv(65536)
            if not b:
                return out
            out += b
    except (ConnectionResetError, BrokenPipeError):
        return out
    finally:
        s.close()


def test_robustness():
    print("endpoint robustness: 50 concurrent, slow client, 1 MiB request", flush=True)
    ex = Exporter()
    pid = ex.proc.pid
    try:
        results = []

        def scrape():
            try:
                results.append(http_get("/metrics", timeout=60)[0])
            except Exception as e:
                results.append(repr(e))

        def storm():
            ts = [threading.Thread(target=scrape) for _ in range(50)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()

        # the baseline is after the tracer has seen the workload's files
        # (per-file rows, their paths) and the allocator a storm: what
        # grows past it is the abuse's
        warm = daxload(*WORK)
        storm()
        rss0 = e2e.rss_kib(pid)
        eq(results, [200] * 50, "50 concurrent scrapes all answered")

        # a client that sends one byte a second, held open during a workload
        slow = socket.create_connection(("127.0.0.1", PORT), timeout=30)
        stop = threading.Event()
        dropped = []

        def drip():
            req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n" + b"X: " + b"y" * 100
            for i in range(len(req)):
                if stop.is_set():
                    return
                try:
                    slow.send(req[i:i + 1])
                except OSError:
                    dropped.append(i)
                    return
                time.sleep(1)

        dt = threading.Thread(target=drip, daemon=True)
        dt.start()
        results.clear()
        truth = warm + daxload(*WORK)
        storm()
        eq(results, [200] * 50, "scrapes answered while a slow client holds a slot")
        # the 1 MiB request line: refused, nothing buffered beyond the slot
        big = raw_request(b"GET /" + b"a" * (1 << 20) + b" HTTP/1.1\r\n\r\n")
        check(big == b"" or big.startswith(b"HTTP/1.1 431"),
              "1 MiB request line refused: %r" % big[:40])
        eq(raw_request(b"\x00\x01garbage\r\n\r\n")[:12], b"HTTP/1.1 400", "binary request: 400")
        resp = raw_request(b"DELETE /metrics HTTP/1.1\r\n\r\n")
        check(resp.startswith(b"HTTP/1.1 405") and b"\r\nAllow: GET, HEAD\r\n" in resp,
              "DELETE: 405 with Allow: %r" % resp[:120])
        for _ in range(3):
            results.clear()
            storm()
        eq(results, [200] * 50, "scrapes still answered after the abuse")
        _, s = settled(truth)
        expect_workload(s, truth, "tracing under scrape load")
        # the slow client is cut at the request deadline (3 s), not served forever
        t0 = time.monotonic()
        while not dropped and time.monotonic() - t0 < 30:
            time.sleep(0.5)
        stop.set()
        try:
            slow.settimeout(5)
            got = slow.recv(100)
        except OSError:
            got = b""
        eq(got, b"", "slow client disconnected at the deadline")
        slow.close()
        rss1 = e2e.rss_kib(pid)
        print("  RSS after warm-up %d KiB, after abuse %d KiB" % (rss0, rss1), flush=True)
        check(rss1 - rss0 <= 256,
              "memory flat: RSS %d -> %d KiB" % (rss0, rss1))
        eq(e2e.thp_state(pid), ("0", 0), "no transparent huge pages (THP_enabled, AnonHugePages)")
    finally:
        ex.stop()


def test_textfile():
    print("--metrics-textfile", flush=True)
    d = tempfile.mkdtemp(prefix="tf-")
    path = os.path.join(d, "daxtrace.prom")
    p = subprocess.Popen([DAXTRACE] + BACKEND + ["--metrics-textfile", path, "-c", "daxload",
                          "-j", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p.stdout.readline()
    truth = daxload(*WORK)
    time.sleep(1.5)
    check(os.path.exists(path), "textfile written while running")
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=60)
    eq(p.returncode, 0, "textfile run exit status")
    with open(path) as f:
        body = f.read()
    expect_workload(samples(body), truth, "textfile")
    r = subprocess.run(["promtool", "check", "metrics"], input=body, text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    eq(r.returncode, 0, "promtool accepts the textfile: " + r.stdout)
    no_kernel_address(body, "textfile")
    eq(sorted(os.listdir(d)), ["daxtrace.prom"], "no temporary file left")
    # INTERVAL COUNT: daxtrace ends on its own; the textfile still gets the end state
    os.unlink(path)
    p = subprocess.Popen([DAXTRACE] + BACKEND + ["--metrics-textfile", path, "-c", "daxload",
                          "-j", "1", "6"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    p.stdout.readline()
    truth = daxload(*WORK)
    p.communicate(timeout=60)
    eq(p.returncode, 0, "textfile INTERVAL COUNT exit status")
    with open(path) as f:
        expect_workload(samples(f.read()), truth, "textfile after INTERVAL COUNT")
    shutil.rmtree(d)


def test_capture_report():
    print("-o capture with rotation -> daxtrace report", flush=True)
    d = tempfile.mkdtemp(prefix="cap-")
    cap = os.path.join(d, "cap.json")
    p = subprocess.Popen([DAXTRACE] + BACKEND + ["-o", cap, "--rotate-size", "64K",
                          "--rotate-keep", "1000", "-s", "-c", "daxload", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready = p.stderr.readline()
    check(ready.startswith("daxtrace: capturing to " + cap), "capture ready line: " + ready)
    truth = daxload("seq-read-4k", "seq-write-4k", "mmap-read")
    time.sleep(1.5)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    eq(p.returncode, 0, "capture run exit status: " + err)
    eq(out, "", "nothing on stdout with -o")
    rotated = sorted(glob.glob(cap + ".*"), key=lambda n: -int(n.rsplit(".", 1)[1]))
    check(len(rotated) >= 2, "capture rotated (%d files)" % (len(rotated) + 1))
    files = rotated + [cap]
    # they hold kernel addresses (kaddr): owner-only, rotated files too
    eq({f: oct(os.stat(f).st_mode & 0o777) for f in files},
       {f: "0o600" for f in files}, "capture files are mode 0600")
    for f in files[:-1]:
        check(64 * 1024 <= os.path.getsize(f) < 64 * 1024 + 4096,
              "rotated at the first record past 64K: %s is %d bytes" % (f, os.path.getsize(f)))
    # the live summary: the last snapshot in the capture
    recs = []
    for f in files:
        with open(f) as fh:
            recs += [json.loads(l) for l in fh]
    stats = [i for i, r in enumerate(recs) if r["type"] == "stats"]
    last, prev = stats[-1], (stats[-2] if len(stats) > 1 else -1)
    live = [r for r in recs[prev + 1:last] if r["type"] in ("summary", "check", "media_error")]
    nev = sum(1 for r in recs if r["type"] == "event")
    eq(recs[last]["events"], nev, "every snooped event is in the capture")
    rep = subprocess.run([DAXTRACE, "report", "-j"] + files, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    eq(rep.returncode, 0, "report -j exit status: " + rep.stderr)
    back = [json.loads(l) for l in rep.stdout.splitlines()]
    back_sum = [r for r in back if r["type"] in ("summary", "check", "media_error")]
    eq(len([r for r in back if r["type"] == "event"]), nev, "report re-emits every event")
    eq(sorted(json.dumps(r, sort_keys=True) for r in back_sum),
       sorted(json.dumps(r, sort_keys=True) for r in live),
       "report -j == the live final summary")
    for op in ("read", "write"):
        want = op_truth(truth, op)
        got = [r for r in back_sum if r["type"] == "summary" and r["device"] == PMEM
               and r["op"] == op]
        eq(got and got[0]["calls"], want["calls"], "report: %s calls == daxload" % op)
        eq(got and got[0]["bytes_done"], want["bytes_done"], "report: %s bytes == daxload" % op)
    txt = subprocess.run([DAXTRACE, "report", "--no-hist"] + files, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    eq(txt.returncode, 0, "report (text) exit status")
    check("\nChecks\n" in txt.stdout and "1 run, %d files" % len(files) in txt.stdout,
          "text report has the checks table and the run count")
    # a truncated capture is refused with its line number
    # (rotation runs after a record, so the newest file may still be empty)
    with open([f for f in files if os.path.getsize(f)][-1]) as fh:
        lines = fh.read().splitlines(True)
    bad = os.path.join(d, "bad.json")
    with open(bad, "w") as fh:
        fh.write("".join(lines[:-1]) + lines[-1][:10])
    r = subprocess.run([DAXTRACE, "report", bad], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    eq(r.returncode, 2, "truncated capture: exit 2")
    check(":%d: truncated" % len(lines) in r.stderr, "truncated capture: line number: " + r.stderr)
    shutil.rmtree(d)


def main():
    tests = [test_exposition, test_textfile, test_capture_report, test_robustness]
    if not FTRACE:
        tests.insert(1, test_prometheus)
    return e2e.run_tests("telemetry (%s, %s backend)" % (FS, "ftrace" if FTRACE else "bpf"),
                         [(fn.__name__, fn) for fn in tests], sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
