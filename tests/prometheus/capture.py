#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Capture a real /metrics scrape in the daxvm guest, for the alerting
rules' tests (tests/prometheus/run):

    tests/vm/daxvm --kernel 6.1 -- python3 tests/prometheus/capture.py OUT

daxtrace --metrics runs while the workload hits every family an alert
reads: reads, writes and PTE faults on the fsdax namespace, PMD faults on
the devdax one, and the fault-injecting driver (tests/kmod) handing out a
physical address as kaddr (check failures, source-side short copies) and
EIO on page 0 (a media error). OUT gets the scrape as served, untouched.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import e2e  # noqa: E402
from e2e import DAXLOAD, DAXTRACE, DEVDAX, KMOD, KMODIO, MNT, kset, pattern  # noqa: E402
from telemetry import http_get  # noqa: E402

PORT = 9479


def kmodio(mode, io):
    kset("mode", "none")
    fd = os.open(e2e.KDEV, os.O_RDWR)
    try:
        os.pwrite(fd, pattern(0, e2e.KSIZE), 0)
    finally:
        os.close(fd)
    kset("mode", mode)
    p = subprocess.Popen([KMODIO] + io, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    print("kmodio %s: %s" % (mode, p.stdout.readline().strip()), file=sys.stderr)
    time.sleep(1)    # the ftrace backend reads the user side after the fact
    p.communicate(timeout=60)
    kset("mode", "none")


def scrape_with_workload():
    """The /metrics body of a daxtrace that saw the whole workload."""
    subprocess.run(["rmmod", "daxfault"], stderr=subprocess.DEVNULL)
    subprocess.run(["insmod", KMOD], check=True)
    tr = subprocess.Popen([DAXTRACE, "--metrics", str(PORT)] + e2e.BACKEND,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):
            try:
                http_get("/metrics")
                break
            except OSError:
                time.sleep(0.5)
        subprocess.run([DAXLOAD, "--dir", MNT, "seq-read-4k", "seq-write-4k", "mmap-read",
                        "mmap-pmd"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([DAXLOAD, "--devdax", "/dev/" + DEVDAX, "devdax-mmap"],
                       check=True, stdout=subprocess.DEVNULL)
        kmodio("phys_kaddr", [])
        kset("err_pgoff", 0)
        kset("err_errno", 5)
        kmodio("errno", [])
        time.sleep(2)
        body = http_get("/metrics")[2]
    finally:
        tr.send_signal(2)
        tr.wait(timeout=60)
        subprocess.run(["rmmod", "daxfault"], stderr=subprocess.DEVNULL)
    return body, tr.returncode, tr.stderr.read().strip()


def main():
    out = sys.argv[1]
    body, rc, err = scrape_with_workload()
    with open(out, "w") as f:
        f.write(body)
    print("capture: %d lines to %s (daxtrace exit %d: %s)" % (len(body.splitlines()), out, rc, err))
    return 0


if __name__ == "__main__":
    sys.exit(main())
