// SPDX-License-Identifier: GPL-2.0
/*
 * The ftrace backend's handlers, fed the trace_pipe lines of whole
 * scenarios: the tables they fill must hold exactly what the BPF
 * programs would count for the same calls.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/types.h>
#include "daxtrace.h"
#include "dax_checks.h"
#include "dax_facts.h"
#include "ftrace_handlers.h"
#include "unit.h"

#define SDEV	((259u << 20) | 1)	/* pmem0.1's kernel dev_t: the file system's */
#define SDEV2	((259u << 20) | 2)
#define DAXDEV	((253u << 20) | 0)	/* the dax device's own */
#define REG	"mode=33188"		/* S_IFREG | 0644 */

/* Not daxtrace's default numbering: the handlers must use the kernel's. */
static const struct dt_fkernel kern = {
	.iter_ubuf = 5, .iter_iovec = 1,
	.dd_alive = 1, .dd_nocache = 5, .dd_nomc = 6,
};
#define ALIVE	(1u << 1)
#define NOMC	(1u << 6)

static struct dt_ftrace_cfg cfg;
static struct dt_out out;
static char *evbuf;		/* the JSON event records of a scenario */
static size_t evlen;

/* A scenario starts from empty tables; its events go to evbuf. */
static void begin(void)
{
	if (out.f)
		fclose(out.f);
	free(evbuf);
	evbuf = NULL;
	out = (struct dt_out){ .f = open_memstream(&evbuf, &evlen), .json = true };
	dt_fh_start(&cfg, &out, &kern);
	dt_fh_reset();
}

/* The events so far. */
static const char *events(void)
{
	fflush(out.f);
	return evbuf ? evbuf : "";
}

/* One kprobe event line of thread tid at us microseconds. */
static void ev(int tid, unsigned long long us, const char *name, const char *fmt, ...)
{
	char line[512], args[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(line, sizeof(line),
		 "         daxload-%d     [000] .....  %llu.%06llu: %s: (x+0x0/0x10) %s",
		 tid, us / 1000000, us % 1000000, name, args);
	dt_fh_line(line);
}

/* The handlers' tables; only the files are the snapshot's, and unused here. */
static void tables(struct dt_snapshot *s)
{
	dt_fh_tables(s);
	free(s->files);
	s->files = NULL;
}

static const struct dt_stats *stats(__u32 dev, __u32 op)
{
	struct dt_snapshot s;
	int i;

	tables(&s);
	for (i = 0; i < s.nstats; i++)
		if (s.stats[i].key.dev == dev && s.stats[i].key.op == op)
			return &s.stats[i].st;
	return NULL;
}

static int nstats(void)
{
	struct dt_snapshot s;

	tables(&s);
	return s.nstats;
}

/* A check's count of verdict v on dev. */
static __u64 verdicts(__u32 dev, __u32 check, __u32 v)
{
	struct dt_snapshot s;
	int i;

	tables(&s);
	for (i = 0; i < s.nchks; i++)
		if (s.chks[i].key.dev == dev && s.chks[i].key.check == check)
			return s.chks[i].v.n[v];
	return 0;
}

static __u64 errors(__u32 dev, __u32 op, __s32 err)
{
	struct dt_snapshot s;
	int i;

	tables(&s);
	for (i = 0; i < s.nerrs; i++)
		if (s.errs[i].key.dev == dev && s.errs[i].key.op == op &&
		    s.errs[i].key.err == err)
			return s.errs[i].n;
	return 0;
}

static __u64 media(__u32 dev, __u64 pgoff)
{
	struct dt_snapshot s;
	int i;

	tables(&s);
	for (i = 0; i < s.nmedia; i++)
		if (s.media[i].key.dev == dev && s.media[i].key.pgoff == pgoff)
			return s.media[i].n;
	return 0;
}

static __u64 hist_sum(const __u64 *h)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < DT_HIST_SLOTS; i++)
		n += h[i];
	return n;
}

/* Every counter of a stats row a scenario asserts. */
struct want {
	__u64 calls, oks, shorts, errors, req, done, lat;
};

#define EXPECT_STATS(st, ...) do {					\
	const struct dt_stats *_s = (st);				\
	const struct want _w = { __VA_ARGS__ };				\
	EXPECT(_s != NULL);						\
	if (_s) {							\
		EXPECT_EQ(_s->calls, _w.calls);				\
		EXPECT_EQ(_s->oks, _w.oks);				\
		EXPECT_EQ(_s->shorts, _w.shorts);			\
		EXPECT_EQ(_s->errors, _w.errors);			\
		EXPECT_EQ(_s->bytes_req, _w.req);			\
		EXPECT_EQ(_s->bytes_done, _w.done);			\
		EXPECT_EQ(_s->lat_sum_ns, _w.lat);			\
	}								\
} while (0)

static void rw_entry(int tid, unsigned long long us, __u32 dev, int write,
		     __u64 pos, __u64 cnt, __u64 isize)
{
	ev(tid, us, "rw_e", "pos=%llu cnt=%llu dir=%d " REG " rdev=0 sdev=%u ino=12 isize=%llu",
	   (unsigned long long)pos, (unsigned long long)cnt, write, dev,
	   (unsigned long long)isize);
}

static void da_entry(int tid, unsigned long long us, __u64 pgoff, __s64 nr)
{
	ev(tid, us, "da_e", "dd=0xffff888003c1d000 pgoff=%llu nr=%lld rdev=%u",
	   (unsigned long long)pgoff, (long long)nr, DAXDEV);
}

static void copy_entry(int tid, unsigned long long us, __u64 pgoff, __u64 bytes,
		       __u64 flags, __u64 uaddr)
{
	ev(tid, us, "cti_e", "dd=0xffff888003c1d000 pgoff=%llu addr=0xffff888100%03llx000 "
	   "bytes=%llu flags=%llu rdev=%u ity=5 ioff=16 ptr=0x%llx ibase=0x0",
	   (unsigned long long)pgoff, (unsigned long long)pgoff, (unsigned long long)bytes,
	   (unsigned long long)flags, DAXDEV, (unsigned long long)(uaddr - 16));
}

/*
 * A read of two pages: one direct_access, two copies, each counted once
 * with its latency, every check passed, on the file system's device.
 */
static void test_whole_read(void)
{
	const struct dt_stats *st;

	begin();
	rw_entry(1, 100, SDEV, 0, 0, 8192, 16384);
	da_entry(1, 110, 0, 2);
	ev(1, 113, "da_x", "ret=2");
	copy_entry(1, 120, 0, 4096, ALIVE, 0x1000);
	ev(1, 124, "cti_x", "ret=4096");
	copy_entry(1, 130, 1, 4096, ALIVE | NOMC, 0x2000);
	ev(1, 135, "cti_x", "ret=4096");
	ev(1, 150, "rw_x", "ret=8192");

	EXPECT_EQ(nstats(), 3);
	EXPECT_STATS(stats(SDEV, DT_OP_READ), .calls = 1, .oks = 1, .req = 8192,
		     .done = 8192, .lat = 50000);
	EXPECT_STATS(stats(SDEV, DT_OP_DIRECT_ACCESS), .calls = 1, .oks = 1,
		     .req = 8192, .done = 8192, .lat = 3000);
	st = stats(SDEV, DT_OP_COPY_TO_ITER);
	EXPECT_STATS(st, .calls = 2, .oks = 2, .req = 8192, .done = 8192, .lat = 9000);
	if (st) {
		/* the variant from the kernel's flag bits, not the defaults */
		EXPECT_EQ(st->variant[DT_VAR_COPY_TO_ITER], 1);
		EXPECT_EQ(st->variant[DT_VAR_COPY_MC_TO_ITER], 1);
		EXPECT_EQ(st->len_hist[12], 2);		/* 4096 = 2^12 */
		EXPECT_EQ(st->short_side[DT_SIDE_USER] + st->short_side[DT_SIDE_SOURCE], 0);
	}
	EXPECT_EQ(verdicts(SDEV, DT_CHK_RW_COMPLETE, DT_PASS), 1);
	EXPECT_EQ(verdicts(SDEV, DT_CHK_DA_RET_RANGE, DT_PASS), 1);
	EXPECT_EQ(verdicts(SDEV, DT_CHK_COPY_COMPLETE, DT_PASS), 2);
	/* a kretprobe cannot read *kaddr: n/a, never passed */
	EXPECT_EQ(verdicts(SDEV, DT_CHK_DA_KADDR_KERNEL, DT_NA), 1);
	EXPECT_EQ(verdicts(SDEV, DT_CHK_DA_KADDR_KERNEL, DT_PASS), 0);
	EXPECT_EQ(verdicts(SDEV, DT_CHK_DA_KADDR_PFN, DT_NA), 1);
	EXPECT_STR(events(), "");	/* nothing went wrong: no event */

	/* at i_size a short read passes, and says eof */
	begin();
	cfg.snoop = true;
	rw_entry(1, 100, SDEV, 0, 12288, 8192, 16384);
	ev(1, 110, "rw_x", "ret=4096");
	cfg.snoop = false;
	EXPECT_STATS(stats(SDEV, DT_OP_READ), .calls = 1, .shorts = 1, .req = 8192,
		     .done = 4096, .lat = 10000);
	EXPECT_EQ(verdicts(SDEV, DT_CHK_RW_COMPLETE, DT_PASS), 1);
	EXPECT_CONTAINS(events(), "\"eof\":true");

	/* a short write is a failure wherever it stops */
	begin();
	rw_entry(1, 100, SDEV, 1, 12288, 8192, 16384);
	ev(1, 110, "rw_x", "ret=4096");
	EXPECT_STATS(stats(SDEV, DT_OP_WRITE), .calls = 1, .shorts = 1, .req = 8192,
		     .done = 4096, .lat = 10000);
	EXPECT_EQ(stats(SDEV, DT_OP_READ), NULL);
	EXPECT_EQ(verdicts(SDEV, DT_CHK_RW_COMPLETE, DT_FAIL), 1);
	EXPECT_CONTAINS(events(), "\"checks_failed\":[\"rw.complete\"]");
}

/*
 * A copy that stops short, once where the user buffer is there (the
 * source side declined), once where it is not mapped at all.
 */
static void test_short_copy(void)
{
	static char buf[8192];	/* writable memory of this process */
	const struct dt_stats *st;
	int me = getpid();
	char want[64];

	begin();
	rw_entry(me, 100, SDEV, 0, 0, 8192, 16384);
	da_entry(me, 110, 0, 2);
	ev(me, 112, "da_x", "ret=2");
	copy_entry(me, 120, 1, 4096, ALIVE, (uintptr_t)buf);
	ev(me, 130, "cti_x", "ret=100");
	ev(me, 140, "rw_x", "ret=4196");
	st = stats(SDEV, DT_OP_COPY_TO_ITER);
	EXPECT_STATS(st, .calls = 1, .shorts = 1, .req = 4096, .done = 100, .lat = 10000);
	if (st) {
		EXPECT_EQ(st->short_side[DT_SIDE_SOURCE], 1);
		EXPECT_EQ(st->short_side[DT_SIDE_USER], 0);
	}
	EXPECT_EQ(verdicts(SDEV, DT_CHK_COPY_COMPLETE, DT_FAIL), 1);
	EXPECT_EQ(verdicts(SDEV, DT_CHK_RW_COMPLETE, DT_FAIL), 1);
	EXPECT_STATS(stats(SDEV, DT_OP_READ), .calls = 1, .shorts = 1, .req = 8192,
		     .done = 4196, .lat = 40000);
	EXPECT_CONTAINS(events(), "\"side\":\"source\"");
	snprintf(want, sizeof(want), "\"user_addr\":\"%#llx\"",
		 (unsigned long long)(uintptr_t)buf + 100);
	EXPECT_CONTAINS(events(), want);
	/* tied to the direct_access whose pages it copied */
	EXPECT_CONTAINS(events(), "\"direct_access\":{\"pgoff\":0,\"ret\":2");

	begin();
	copy_entry(me, 100, 0, 4096, ALIVE, 0x10);	/* page 0: never mapped */
	ev(me, 105, "cti_x", "ret=0");
	/* outside any read: the dax device's own, and no context */
	st = stats(DAXDEV, DT_OP_COPY_TO_ITER);
	EXPECT_STATS(st, .calls = 1, .shorts = 1, .req = 4096, .done = 0, .lat = 5000);
	if (st)
		EXPECT_EQ(st->short_side[DT_SIDE_USER], 1);
	EXPECT_CONTAINS(events(), "\"side\":\"user\"");
}

/* direct_access errors: counted by errno, EIO/EHWPOISON as media errors. */
static void test_da_error(void)
{
	const struct dt_stats *st;

	begin();
	rw_entry(1, 100, SDEV, 0, 0, 4096, 16384);
	da_entry(1, 110, 7, 4);
	ev(1, 111, "da_x", "ret=-5");
	ev(1, 120, "rw_x", "ret=-5");
	st = stats(SDEV, DT_OP_DIRECT_ACCESS);
	EXPECT_STATS(st, .calls = 1, .errors = 1, .req = 4 * 4096, .done = 0, .lat = 1000);
	EXPECT_EQ(errors(SDEV, DT_OP_DIRECT_ACCESS, 5), 1);
	EXPECT_EQ(media(SDEV, 7), 1);
	/* a known errno is in range */
	EXPECT_EQ(verdicts(SDEV, DT_CHK_DA_RET_RANGE, DT_PASS), 1);
	EXPECT_STATS(stats(SDEV, DT_OP_READ), .calls = 1, .errors = 1, .req = 4096,
		     .done = 0, .lat = 20000);
	EXPECT_EQ(errors(SDEV, DT_OP_READ, 5), 1);
	EXPECT_EQ(verdicts(SDEV, DT_CHK_RW_COMPLETE, DT_NA), 1);

	/* ERANGE is no media error; more pages than asked is out of range */
	begin();
	rw_entry(1, 100, SDEV, 0, 0, 4096, 16384);
	da_entry(1, 110, 3, 2);
	ev(1, 111, "da_x", "ret=-34");
	da_entry(1, 112, 3, 2);
	ev(1, 113, "da_x", "ret=3");
	da_entry(1, 114, 3, 2);
	ev(1, 115, "da_x", "ret=-133");
	ev(1, 120, "rw_x", "ret=4096");
	EXPECT_STATS(stats(SDEV, DT_OP_DIRECT_ACCESS), .calls = 3, .oks = 1, .errors = 2,
		     .req = 3 * 8192, .done = 3 * 4096, .lat = 3000);
	EXPECT_EQ(errors(SDEV, DT_OP_DIRECT_ACCESS, 34), 1);
	EXPECT_EQ(errors(SDEV, DT_OP_DIRECT_ACCESS, 133), 1);
	EXPECT_EQ(media(SDEV, 3), 1);
	EXPECT_EQ(verdicts(SDEV, DT_CHK_DA_RET_RANGE, DT_PASS), 2);
	EXPECT_EQ(verdicts(SDEV, DT_CHK_DA_RET_RANGE, DT_FAIL), 1);
	EXPECT_CONTAINS(events(), "\"checks_failed\":[\"direct_access.ret_range\"]");
}

/* A driver's return belongs to the direct_access it returned inside. */
static void test_driver_return(void)
{
	begin();
	cfg.snoop = true;
	da_entry(1, 100, 0, 4);
	ev(1, 101, "drv_x", "ret=8");		/* pmem: pages to the device's end */
	ev(1, 102, "da_x", "ret=4");
	da_entry(1, 110, 4, 4);			/* no driver probe fired */
	ev(1, 112, "da_x", "ret=4");
	ev(1, 120, "drv_x", "ret=-6");		/* outside any direct_access */
	cfg.snoop = false;
	/* counted once each, on the dax device: no read around them */
	EXPECT_EQ(nstats(), 1);
	EXPECT_STATS(stats(DAXDEV, DT_OP_DIRECT_ACCESS), .calls = 2, .oks = 2,
		     .req = 8 * 4096, .done = 8 * 4096, .lat = 4000);
	EXPECT_CONTAINS(events(), "\"nr_pages\":4,\"driver_ret\":8,");
	EXPECT_CONTAINS(events(), "\"pgoff\":4,\"nr_pages\":4,\"driver_ret\":null");
	EXPECT(!strstr(events(), "-6"));
}

/* A dax_pmd_fault_done line with this result. */
static void fault_line(const char *result)
{
	char line[256];

	snprintf(line, sizeof(line), "         python3-302     [001] .....    19.600000: "
		 "dax_pmd_fault_done: dev 259:1 ino 0xc shared WRITE address 0x7f0000000000 "
		 "pgoff 0x3 %s", result);
	dt_fh_line(line);
}

/*
 * A fault of each size, by the kprobe pair (6.1's page_entry_size and
 * later kernels' order alike) and by the fs_dax tracepoints, with each
 * result read through the shared VM_FAULT bits.
 */
static void test_faults(void)
{
	char tp_pte[] = "         python3-302     [001] .....    19.500000: dax_pte_fault_done: dev 259:1 ino 0xc shared WRITE address 0x7f0000000000 pgoff 0x3 NOPAGE";
	char tp_pmd[] = "         python3-302     [001] .....    19.600000: dax_pmd_fault_done: dev 259:1 ino 0xc shared WRITE address 0x7f0000000000 pgoff 0x3 SIGBUS";
	char tp_fb[] = "         python3-302     [001] .....    19.700000: dax_pmd_fault_done: dev 259:1 ino 0xc shared WRITE address 0x7f0000000000 pgoff 0x3 FALLBACK";
	static const unsigned int pe[] = { 0, 1, 2, 9, 18 };
	const struct dt_stats *st;
	unsigned int i;

	begin();
	for (i = 0; i < sizeof(pe) / sizeof(pe[0]); i++) {
		ev(7, 1000 + 10 * i, i < 3 ? "flt_e" : "dflt_e",
		   "pgoff=3 pe=%u " REG " rdev=0 sdev=%u ino=12", pe[i], SDEV);
		ev(7, 1000 + 10 * i + 2, i < 3 ? "flt_x" : "dflt_x", "ret=256");	/* NOPAGE */
	}
	st = stats(SDEV, DT_OP_FAULT);
	EXPECT_STATS(st, .calls = 5, .req = 4096 + 2 * (2 << 20) + 2 * (1ULL << 30),
		     .done = 4096 + 2 * (2 << 20) + 2 * (1ULL << 30), .lat = 5 * 2000);
	if (st) {
		EXPECT_EQ(st->faults[DT_FAULT_PTE], 1);
		EXPECT_EQ(st->faults[DT_FAULT_PMD], 2);
		EXPECT_EQ(st->faults[DT_FAULT_PUD], 2);
		EXPECT_EQ(st->len_hist[21], 2);
		EXPECT_EQ(st->lat_hist[10], 5);		/* 2000 ns */
	}

	begin();
	ev(7, 100, "flt_e", "pgoff=3 pe=9 " REG " rdev=0 sdev=%u ino=12", SDEV);
	ev(7, 101, "flt_x", "ret=2048");		/* FALLBACK */
	ev(7, 102, "flt_e", "pgoff=3 pe=0 " REG " rdev=0 sdev=%u ino=12", SDEV);
	ev(7, 104, "flt_x", "ret=2");			/* SIGBUS */
	dt_fh_line(tp_pte);
	dt_fh_line(tp_pmd);
	dt_fh_line(tp_fb);
	st = stats(SDEV, DT_OP_FAULT);
	/* a fallback asks the next smaller size: not counted as asked */
	EXPECT_STATS(st, .calls = 5, .errors = 2, .req = 4096 + 4096 + (2 << 20),
		     .done = 4096, .lat = 1000 + 2000);
	if (st) {
		EXPECT_EQ(st->fallbacks, 2);
		EXPECT_EQ(st->faults[DT_FAULT_PTE], 1);
		EXPECT_EQ(st->faults[DT_FAULT_PMD], 0);
		/* the tracepoints carry no latency: only the kprobe pairs' */
		EXPECT_EQ(st->lat_hist[9], 1);
		EXPECT_EQ(st->lat_hist[10], 1);
		EXPECT_EQ(hist_sum(st->lat_hist), 2);
	}
	EXPECT_EQ(errors(SDEV, DT_OP_FAULT, DT_VMF_SIGBUS), 2);

	/* each result name a whole word, several joined by '|' */
	begin();
	fault_line("SIGSEGV");
	fault_line("HWPOISON_LARGE");
	fault_line("HWPOISON");
	fault_line("NOPAGE|FALLBACK");
	fault_line("OOM|FALLBACK");
	fault_line("NOPAGE|LOCKED");
	st = stats(SDEV, DT_OP_FAULT);
	EXPECT_STATS(st, .calls = 6, .errors = 4, .req = 4 * (2 << 20) + (2 << 20),
		     .done = 2 << 20);
	if (st) {
		EXPECT_EQ(st->fallbacks, 1);
		EXPECT_EQ(st->faults[DT_FAULT_PMD], 1);
	}
	EXPECT_EQ(errors(SDEV, DT_OP_FAULT, DT_VMF_SIGSEGV), 1);
	EXPECT_EQ(errors(SDEV, DT_OP_FAULT, DT_VMF_HWPOISON_LARGE), 1);
	EXPECT_EQ(errors(SDEV, DT_OP_FAULT, DT_VMF_HWPOISON), 1);
	EXPECT_EQ(errors(SDEV, DT_OP_FAULT, DT_VMF_OOM), 1);

	/* device-dax: the character device's own number */
	begin();
	ev(8, 100, "dflt_e", "pgoff=0 pe=1 mode=8576 rdev=%u sdev=5 ino=3", DAXDEV);
	ev(8, 105, "dflt_x", "ret=256");
	EXPECT_EQ(nstats(), 1);
	EXPECT_STATS(stats(DAXDEV, DT_OP_FAULT), .calls = 1, .req = 2 << 20,
		     .done = 2 << 20, .lat = 5000);
}

/* A fault kprobe entry with fault.size's fetches: a 4 MiB shared VMA. */
#define GEOM	"vs=0x7f0000000000 ve=0x7f0000400000 vf=0xfb ff=0 isz=4194304"

static void flt(int tid, unsigned long long us, __u32 dev, unsigned int pe,
		unsigned long long addr, unsigned long long pmd, unsigned int ret)
{
	ev(tid, us, "flt_e", "pgoff=%llu pe=%u " REG " rdev=0 sdev=%u ino=12 addr=%#llx "
	   GEOM " pmd=%#llx", (addr - 0x7f0000000000ULL) >> 12, pe, dev, addr, pmd);
	ev(tid, us + 1, "flt_x", "ret=%u", ret);
}

/*
 * fault.size from the kprobe event's fetches, as BPF judges it: a PMD
 * fallback where the VMA and i_size allowed one fails, the PTE fault
 * after it and those under the page table then pass, a PTE fault under
 * an empty PMD with no fallback before fails. No fetches, or a
 * tracepoint: n/a, never a pass. Device-dax by its sysfs alignment.
 */
static void test_fault_size(void)
{
	char tp[] = "         python3-302     [001] .....    19.500000: dax_pte_fault_done: dev 259:1 ino 0xc shared WRITE address 0x7f0000000000 pgoff 0x3 NOPAGE";
	struct dt_fkernel k = kern;

	begin();
	flt(9, 100, SDEV, 1, 0x7f0000200000ULL, 0, 0x800);		/* FALLBACK */
	flt(9, 110, SDEV, 0, 0x7f0000200000ULL, 0, 0x100);		/* NOPAGE */
	flt(9, 120, SDEV, 0, 0x7f0000201000ULL, 0x10a2c3067ULL, 0x100);
	flt(9, 130, SDEV, 0, 0x7f0000000000ULL, 0, 0x100);
	EXPECT_EQ(verdicts(SDEV, DT_CHK_FAULT_SIZE, DT_FAIL), 2);
	EXPECT_EQ(verdicts(SDEV, DT_CHK_FAULT_SIZE, DT_PASS), 2);
	EXPECT_EQ(verdicts(SDEV, DT_CHK_FAULT_SIZE, DT_NA), 0);
	EXPECT_CONTAINS(events(), "\"why\":[\"check\"],\"offset\":2097152");
	EXPECT_CONTAINS(events(), "\"size\":\"pmd\",\"fallback\":true,\"ino\":12,\"path\":null,"
			"\"fault_size\":{\"best\":\"pmd\",\"why\":[\"kernel\"],"
			"\"address\":\"0x7f0000200000\",\"vm_start\":\"0x7f0000000000\","
			"\"vm_end\":\"0x7f0000400000\"}");
	EXPECT_CONTAINS(events(), "\"size\":\"pte\",\"fallback\":false,\"ino\":12,\"path\":null,"
			"\"fault_size\":{\"best\":\"pmd\",\"why\":[\"kernel\"],"
			"\"address\":\"0x7f0000000000\"");

	/* a process with THP off (mm flag bit 24): the PTE fails, saying so */
	begin();
	ev(9, 100, "flt_e", "pgoff=0 pe=0 " REG " rdev=0 sdev=%u ino=12 "
	   "addr=0x7f0000000000 " GEOM " pmd=0 mmf=0x10000cd", SDEV);
	ev(9, 101, "flt_x", "ret=256");
	EXPECT_EQ(verdicts(SDEV, DT_CHK_FAULT_SIZE, DT_FAIL), 1);
	EXPECT_CONTAINS(events(), "\"fault_size\":{\"best\":\"pmd\",\"why\":[\"thp_disabled\"]");

	/* nothing fetched (tracepoint, or BTF without the fields): n/a */
	begin();
	ev(7, 100, "flt_e", "pgoff=3 pe=0 " REG " rdev=0 sdev=%u ino=12", SDEV);
	ev(7, 101, "flt_x", "ret=256");
	dt_fh_line(tp);
	EXPECT_EQ(verdicts(SDEV, DT_CHK_FAULT_SIZE, DT_NA), 2);
	EXPECT_EQ(verdicts(SDEV, DT_CHK_FAULT_SIZE, DT_PASS), 0);

	/* 2 MiB device-dax: the PUD try steps down, the PMD passes */
	k.ndevdax = 1;
	k.devdax[0] = DAXDEV;
	k.devdax_align[0] = 2 << 20;
	begin();
	dt_fh_start(&cfg, &out, &k);
	ev(8, 100, "dflt_e", "pgoff=0 pe=2 mode=8576 rdev=%u sdev=5 ino=3 addr=0x7f0000000000 "
	   GEOM " pmd=0", DAXDEV);
	ev(8, 101, "dflt_x", "ret=2048");
	ev(8, 102, "dflt_e", "pgoff=0 pe=1 mode=8576 rdev=%u sdev=5 ino=3 addr=0x7f0000000000 "
	   GEOM " pmd=0", DAXDEV);
	ev(8, 103, "dflt_x", "ret=256");
	EXPECT_EQ(verdicts(DAXDEV, DT_CHK_FAULT_SIZE, DT_NA), 1);
	EXPECT_EQ(verdicts(DAXDEV, DT_CHK_FAULT_SIZE, DT_PASS), 1);
	EXPECT_EQ(verdicts(DAXDEV, DT_CHK_FAULT_SIZE, DT_FAIL), 0);
	/* fs-dax on that device (fsdev): a file's rules, i_size among them */
	ev(8, 110, "dflt_e", "pgoff=0 pe=1 " REG " rdev=0 sdev=%u ino=3 addr=0x7f0000000000 "
	   "vs=0x7f0000000000 ve=0x7f0000400000 vf=0xfb ff=0 isz=4096 pmd=0", DAXDEV);
	ev(8, 111, "dflt_x", "ret=2048");
	EXPECT_EQ(verdicts(DAXDEV, DT_CHK_FAULT_SIZE, DT_NA), 2);
	EXPECT_EQ(verdicts(DAXDEV, DT_CHK_FAULT_SIZE, DT_FAIL), 0);
	dt_fh_start(&cfg, &out, &kern);
}

/* Two threads' reads interleaved: each op belongs to its own thread's. */
static void test_interleaved(void)
{
	begin();
	rw_entry(1, 100, SDEV, 0, 0, 4096, 16384);
	rw_entry(2, 101, SDEV2, 0, 0, 8192, 65536);
	da_entry(1, 102, 0, 1);
	da_entry(2, 103, 5, 2);
	ev(2, 104, "da_x", "ret=-5");
	ev(1, 105, "da_x", "ret=1");
	copy_entry(1, 106, 0, 4096, ALIVE, 0x1000);
	ev(1, 108, "cti_x", "ret=4096");
	ev(2, 109, "rw_x", "ret=-5");
	ev(1, 110, "rw_x", "ret=4096");
	EXPECT_EQ(nstats(), 5);
	EXPECT_STATS(stats(SDEV, DT_OP_READ), .calls = 1, .oks = 1, .req = 4096,
		     .done = 4096, .lat = 10000);
	EXPECT_STATS(stats(SDEV2, DT_OP_READ), .calls = 1, .errors = 1, .req = 8192,
		     .lat = 8000);
	EXPECT_STATS(stats(SDEV, DT_OP_DIRECT_ACCESS), .calls = 1, .oks = 1,
		     .req = 4096, .done = 4096, .lat = 3000);
	EXPECT_STATS(stats(SDEV2, DT_OP_DIRECT_ACCESS), .calls = 1, .errors = 1,
		     .req = 8192, .lat = 1000);
	EXPECT_STATS(stats(SDEV, DT_OP_COPY_TO_ITER), .calls = 1, .oks = 1,
		     .req = 4096, .done = 4096, .lat = 2000);
	EXPECT_EQ(media(SDEV2, 5), 1);
	EXPECT_EQ(media(SDEV, 5), 0);
	EXPECT_EQ(errors(SDEV2, DT_OP_READ, 5), 1);
	EXPECT_EQ(errors(SDEV, DT_OP_READ, 5), 0);
}

/* An exit whose entry was not seen counts nothing; nor does a second exit. */
static void test_missing_entry(void)
{
	begin();
	ev(3, 100, "rw_x", "ret=4096");
	ev(3, 101, "da_x", "ret=1");
	ev(3, 102, "cti_x", "ret=4096");
	ev(3, 103, "flt_x", "ret=256");
	EXPECT_EQ(nstats(), 0);

	rw_entry(3, 200, SDEV, 0, 0, 4096, 16384);
	ev(3, 210, "rw_x", "ret=4096");
	ev(3, 220, "rw_x", "ret=4096");
	da_entry(3, 230, 0, 1);
	ev(3, 231, "da_x", "ret=1");
	ev(3, 232, "da_x", "ret=1");
	/* an entry seen again before its exit: the later one is timed */
	rw_entry(3, 300, SDEV, 0, 0, 4096, 16384);
	rw_entry(3, 305, SDEV, 0, 0, 4096, 16384);
	ev(3, 310, "rw_x", "ret=4096");
	EXPECT_EQ(nstats(), 2);
	EXPECT_STATS(stats(SDEV, DT_OP_READ), .calls = 2, .oks = 2, .req = 8192,
		     .done = 8192, .lat = 10000 + 5000);
	/* outside a read now: the dax device's */
	EXPECT_STATS(stats(DAXDEV, DT_OP_DIRECT_ACCESS), .calls = 1, .oks = 1,
		     .req = 4096, .done = 4096, .lat = 1000);
}

/* -d: another device's calls are not counted, nor their ops inside. */
static void test_dev_filter(void)
{
	struct dt_dev d = { .kdev = SDEV2 };

	cfg.devs = &d;
	cfg.ndevs = 1;
	begin();
	rw_entry(1, 100, SDEV, 0, 0, 4096, 16384);
	da_entry(1, 101, 0, 1);
	ev(1, 102, "da_x", "ret=1");
	ev(1, 103, "rw_x", "ret=4096");
	rw_entry(1, 110, SDEV2, 0, 0, 4096, 16384);
	ev(1, 113, "rw_x", "ret=4096");
	EXPECT_EQ(nstats(), 1);
	EXPECT_STATS(stats(SDEV2, DT_OP_READ), .calls = 1, .oks = 1, .req = 4096,
		     .done = 4096, .lat = 3000);
	cfg.devs = NULL;
	cfg.ndevs = 0;
}

/*
 * More threads than the backend has state slots, one after another, as
 * an always-on tracer sees them: each read counted. Then as many reads
 * in flight at once as there are slots: the one more is lost, and said.
 */
static void test_thread_churn(void)
{
	const struct dt_stats *st;
	struct dt_snapshot s;
	int tid;

	begin();
	for (tid = 1000; tid < 1000 + 3 * 4096; tid++) {
		rw_entry(tid, 100, SDEV, 0, 0, 4096, 16384);
		ev(tid, 101, "rw_x", "ret=4096");
	}
	st = stats(SDEV, DT_OP_READ);
	EXPECT_EQ(st ? st->calls : 0, 3 * 4096);
	tables(&s);
	EXPECT_EQ(s.bpf.map_full, 0);

	for (tid = 100000; tid < 100000 + 4097; tid++)
		rw_entry(tid, 200, SDEV, 0, 0, 4096, 16384);
	for (tid = 100000; tid < 100000 + 4097; tid++)
		ev(tid, 201, "rw_x", "ret=4096");
	st = stats(SDEV, DT_OP_READ);
	EXPECT_EQ(st ? st->calls : 0, 4 * 4096);
	tables(&s);
	EXPECT_EQ(s.bpf.map_full, 1);

	/* an exit takes no slot: with all of them busy, none is lost */
	for (tid = 100000; tid < 100000 + 4096; tid++)
		rw_entry(tid, 300, SDEV, 0, 0, 4096, 16384);
	ev(5, 301, "rw_x", "ret=4096");
	tables(&s);
	EXPECT_EQ(s.bpf.map_full, 1);
}

/* A file's row in the handlers' files table: NULL if it has none. */
static int file_of(__u32 dev, __u64 ino, struct dt_file_val *v, __u64 *counted,
		   __u64 *full)
{
	struct dt_snapshot s;
	int i, found = 0;

	dt_fh_tables(&s);
	for (i = 0; i < s.nfiles; i++) {
		if (s.files[i].key.dev == dev && s.files[i].key.ino == ino) {
			*v = s.files[i].v;
			found = 1;
		}
	}
	*counted = s.files_counted;
	*full = s.bpf.file_full;
	free(s.files);
	return found;
}

/*
 * Per-file counters from the same lines: a read with a short copy and a
 * write that failed on one file, a PMD fallback and a PTE fault on
 * another (one through the fs_dax tracepoint), and a device-dax fault,
 * which has no file. --top-files 0 counts none.
 */
static void test_files(void)
{
	char tp_fb[] = "         python3-302     [001] .....    19.700000: dax_pmd_fault_done: dev 259:1 ino 0xd shared WRITE address 0x7f0000000000 pgoff 0x3 FALLBACK";
	static char buf[8192];
	struct dt_file_val v;
	__u64 counted, full;
	int me = getpid();

	begin();
	out.top_files = 10;
	rw_entry(me, 100, SDEV, 0, 0, 8192, 16384);		/* ino 12 */
	da_entry(me, 110, 0, 2);
	ev(me, 112, "da_x", "ret=2");
	copy_entry(me, 120, 0, 8192, ALIVE, (uintptr_t)buf);
	ev(me, 130, "cti_x", "ret=100");
	copy_entry(me, 131, 0, 8092, ALIVE, (uintptr_t)buf + 100);
	ev(me, 132, "cti_x", "ret=0");
	ev(me, 140, "rw_x", "ret=100");
	rw_entry(me, 200, SDEV, 1, 0, 4096, 16384);
	ev(me, 210, "rw_x", "ret=-28");
	rw_entry(me, 300, SDEV, 0, 0, 4096, 16384);
	ev(me, 310, "rw_x", "ret=4096");
	ev(7, 400, "flt_e", "pgoff=3 pe=9 " REG " rdev=0 sdev=%u ino=13", SDEV);
	ev(7, 401, "flt_x", "ret=2048");			/* FALLBACK */
	ev(7, 402, "flt_e", "pgoff=3 pe=0 " REG " rdev=0 sdev=%u ino=13", SDEV);
	ev(7, 404, "flt_x", "ret=256");				/* NOPAGE */
	dt_fh_line(tp_fb);
	/* device-dax: its inode is the character device's */
	ev(7, 500, "dflt_e", "pgoff=0 pe=1 mode=8576 rdev=%u sdev=5 ino=99", DAXDEV);
	ev(7, 502, "dflt_x", "ret=256");

	EXPECT(file_of(SDEV, 12, &v, &counted, &full));
	EXPECT_EQ(v.reads, 2);
	EXPECT_EQ(v.writes, 1);
	EXPECT_EQ(v.faults, 0);
	EXPECT_EQ(v.bytes_read, 4196);
	EXPECT_EQ(v.bytes_written, 0);
	EXPECT_EQ(v.errors, 1);
	EXPECT_EQ(v.short_copies, 2);
	EXPECT_EQ(v.pte_fallbacks, 0);
	EXPECT(file_of(SDEV, 13, &v, &counted, &full));
	EXPECT_EQ(v.reads + v.writes, 0);
	EXPECT_EQ(v.faults, 3);
	EXPECT_EQ(v.pte_fallbacks, 2);
	EXPECT_EQ(v.errors, 0);
	EXPECT(!file_of(DAXDEV, 99, &v, &counted, &full));
	EXPECT_EQ(counted, 2);
	EXPECT_EQ(full, 0);

	/* bounded: past DT_FILES files, an op's file is not counted, and says so */
	begin();
	out.top_files = 10;
	for (int i = 0; i < DT_FILES + 3; i++) {
		ev(me, 100 + 2 * i, "rw_e", "pos=0 cnt=4096 dir=0 " REG " rdev=0 sdev=%u ino=%d isize=8192",
		   SDEV, 1000 + i);
		ev(me, 101 + 2 * i, "rw_x", "ret=4096");
	}
	EXPECT(file_of(SDEV, 1000, &v, &counted, &full));
	EXPECT(!file_of(SDEV, 1000 + DT_FILES, &v, &counted, &full));
	EXPECT_EQ(counted, DT_FILES);
	EXPECT_EQ(full, 3);
	EXPECT_STATS(stats(SDEV, DT_OP_READ), .calls = DT_FILES + 3, .oks = DT_FILES + 3,
		     .req = 4096ULL * (DT_FILES + 3), .done = 4096ULL * (DT_FILES + 3),
		     .lat = 1000ULL * (DT_FILES + 3));

	begin();	/* out.top_files 0 */
	rw_entry(me, 100, SDEV, 0, 0, 4096, 16384);
	ev(me, 110, "rw_x", "ret=4096");
	EXPECT(!file_of(SDEV, 12, &v, &counted, &full));
	EXPECT_EQ(counted, 0);
}

int main(void)
{
	test_whole_read();
	test_short_copy();
	test_da_error();
	test_driver_return();
	test_faults();
	test_fault_size();
	test_interleaved();
	test_missing_entry();
	test_dev_filter();
	test_thread_churn();
	test_files();
	fclose(out.f);
	free(evbuf);
	return unit_done("test_ftrace_handlers");
}
