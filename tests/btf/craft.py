#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Bad kernel BTF for daxtrace's --btf tests, made from a real one.

    craft.py HOW IN OUT

HOW is one of
  unknown-kind   the last type's kind set to 31, as a newer kernel's new
                 BTF kind would be: neither daxtrace nor libbpf knows it
  truncated      the file cut 4 KiB short
  da-fewer       dax_direct_access loses its last parameter (pfn)
  da-retyped     dax_direct_access's pgoff becomes a pointer
IN is raw BTF (/sys/kernel/btf/vmlinux). Exit 1 with a line if IN lacks
what HOW changes.
"""
import struct
import sys

HDR = struct.Struct("<HBBIIIII")
KIND_TAIL = {1: 4, 2: 0, 3: 12, 6: 8, 7: 0, 8: 0, 9: 0, 10: 0, 11: 0, 12: 0,
             14: 4, 16: 0, 17: 4, 18: 0}


def tail(kind, vlen):
    if kind in (4, 5):      # struct, union: members
        return 12 * vlen
    if kind == 6:           # enum
        return 8 * vlen
    if kind == 19:          # enum64
        return 12 * vlen
    if kind == 13:          # func_proto: params
        return 8 * vlen
    if kind == 15:          # datasec
        return 12 * vlen
    return KIND_TAIL[kind]


def parse(raw):
    magic, ver, flags, hlen, toff, tlen, soff, slen = HDR.unpack_from(raw)
    if magic != 0xEB9F:
        sys.exit("craft: not raw BTF")
    base = hlen + toff
    recs, p, end = [None], base, base + tlen
    while p < end:
        name, info, size = struct.unpack_from("<III", raw, p)
        recs.append((p, name, info, size))
        p += 12 + tail(info >> 24 & 0x1F, info & 0xFFFF)
    strs = raw[hlen + soff:hlen + soff + slen]
    return (hlen, toff, tlen, soff, slen), recs, strs


def name_of(strs, off):
    return strs[off:strs.index(b"\0", off)].decode()


def func(recs, strs, want):
    for p, name, info, size in recs[1:]:
        if info >> 24 & 0x1F == 12 and name_of(strs, name) == want:
            return recs[size]   # a FUNC's type: its FUNC_PROTO
    sys.exit("craft: no FUNC %s in this BTF" % want)


def main():
    how, src, dst = sys.argv[1:4]
    raw = bytearray(open(src, "rb").read())
    (hlen, toff, tlen, soff, slen), recs, strs = parse(raw)
    if how == "unknown-kind":
        p, name, info, size = recs[-1]
        struct.pack_into("<I", raw, p + 4, (info & ~(0x1F << 24)) | 31 << 24)
    elif how == "truncated":
        raw = raw[:-4096]
    elif how in ("da-fewer", "da-retyped"):
        p, name, info, size = func(recs, strs, "dax_direct_access")
        vlen = info & 0xFFFF
        if how == "da-fewer":
            at = p + 12 + 8 * (vlen - 1)    # the last parameter's record
            del raw[at:at + 8]
            struct.pack_into("<I", raw, p + 4, info - 1)
            struct.pack_into("<I", raw, 12, tlen - 8)
            if soff > toff:
                struct.pack_into("<I", raw, 16, soff - 8)
        else:
            ptr = next(i for i, r in enumerate(recs) if r and r[2] >> 24 & 0x1F == 2)
            struct.pack_into("<I", raw, p + 12 + 8 * 1 + 4, ptr)
    else:
        sys.exit("craft: unknown HOW %r" % how)
    open(dst, "wb").write(raw)


if __name__ == "__main__":
    main()
