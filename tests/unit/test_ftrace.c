// SPDX-License-Identifier: GPL-2.0
/* The ftrace backend's trace_pipe line parser, fed real-shaped lines. */
#include <errno.h>
#include "ftrace.h"
#include "unit.h"

#define SDEV	((259u << 20) | 1)	/* pmem0.1's kernel dev_t */

static void feed(const struct dt_ftrace_cfg *cfg, struct dt_out *o, int tid,
		 const char *ev, const char *args)
{
	char line[256];

	snprintf(line, sizeof(line),
		 "         daxload-%d     [000] .....     1.000000: %s: (x+0x0/0x10) %s",
		 tid, ev, args);
	dt_ftrace_feed(cfg, o, line);
}

static const struct dt_stats *op_stats(struct dt_snapshot *s, __u32 op)
{
	int i;

	dt_ftrace_tables(s);
	for (i = 0; i < s->nstats; i++)
		if (s->stats[i].key.dev == SDEV && s->stats[i].key.op == op)
			return &s->stats[i].st;
	return NULL;
}

static __u64 reads(void)
{
	struct dt_snapshot s;
	const struct dt_stats *st = op_stats(&s, DT_OP_READ);

	return st ? st->calls : 0;
}

/*
 * Faults through both of the ftrace backend's ways in: the kprobe pair
 * (its size from pe, an order here) and the fs_dax tracepoint, each
 * result read with the shared VM_FAULT bits.
 */
static void test_faults(void)
{
	struct dt_ftrace_cfg cfg = {};
	struct dt_out o = { .f = fopen("/dev/null", "w") };
	char tp_pte[] = "         python3-302     [001] .....    19.500000: dax_pte_fault_done: dev 259:1 ino 0xc shared WRITE address 0x7f0000000000 pgoff 0x3 NOPAGE";
	char tp_pmd[] = "         python3-302     [001] .....    19.600000: dax_pmd_fault_done: dev 259:1 ino 0xc shared WRITE address 0x7f0000000000 pgoff 0x3 SIGBUS";
	const struct dt_stats *st;
	struct dt_snapshot s;
	char flt_e[128];

	snprintf(flt_e, sizeof(flt_e),
		 "pgoff=3 pe=9 mode=33188 rdev=0 sdev=%u ino=12", SDEV);
	feed(&cfg, &o, 7, "flt_e", flt_e);
	feed(&cfg, &o, 7, "flt_x", "ret=256");		/* NOPAGE: done */
	feed(&cfg, &o, 7, "flt_e", flt_e);
	feed(&cfg, &o, 7, "flt_x", "ret=2048");		/* FALLBACK */
	feed(&cfg, &o, 7, "flt_e", flt_e);
	feed(&cfg, &o, 7, "flt_x", "ret=2");		/* SIGBUS */
	dt_ftrace_feed(&cfg, &o, tp_pte);
	dt_ftrace_feed(&cfg, &o, tp_pmd);
	st = op_stats(&s, DT_OP_FAULT);
	EXPECT(st != NULL);
	if (st) {
		EXPECT_EQ(st->calls, 5);
		EXPECT_EQ(st->faults[DT_FAULT_PMD], 1);
		EXPECT_EQ(st->faults[DT_FAULT_PTE], 1);
		EXPECT_EQ(st->fallbacks, 1);
		EXPECT_EQ(st->errors, 2);
		/* a fallback asks the next smaller size: not counted as asked */
		EXPECT_EQ(st->bytes_req, 3 * (2 << 20) + 4096);
		EXPECT_EQ(st->bytes_done, (2 << 20) + 4096);
	}
	fclose(o.f);
}

/*
 * More threads than the backend has state slots, one after another, as
 * an always-on tracer sees them: each read counted. Then as many reads
 * in flight at once as there are slots: the one more is lost, and said.
 */
static void test_thread_churn(void)
{
	struct dt_ftrace_cfg cfg = {};
	struct dt_out o = { .f = fopen("/dev/null", "w") };
	char rw_e[128];
	struct dt_snapshot s;
	int tid;

	snprintf(rw_e, sizeof(rw_e),
		 "pos=0 cnt=4096 dir=0 mode=33188 ino=12 isize=16384 sdev=%u", SDEV);
	for (tid = 1000; tid < 1000 + 3 * 4096; tid++) {
		feed(&cfg, &o, tid, "rw_e", rw_e);
		feed(&cfg, &o, tid, "rw_x", "ret=4096");
	}
	EXPECT_EQ(reads(), 3 * 4096);
	dt_ftrace_tables(&s);
	EXPECT_EQ(s.bpf.map_full, 0);

	for (tid = 100000; tid < 100000 + 4097; tid++)
		feed(&cfg, &o, tid, "rw_e", rw_e);
	for (tid = 100000; tid < 100000 + 4097; tid++)
		feed(&cfg, &o, tid, "rw_x", "ret=4096");
	EXPECT_EQ(reads(), 4 * 4096);
	dt_ftrace_tables(&s);
	EXPECT_EQ(s.bpf.map_full, 1);
	fclose(o.f);
}

int main(void)
{
	char l1[] = "         daxload-235     [001] .....   123.456789: rw_e: (dax_iomap_rw+0x0/0x1f0) pos=0 cnt=8192 dir=0 mode=33188 ino=12 isize=16384";
	char l2[] = "           <...>-77      [000] d..1.     5.000001: rw_x: (ext4_file_read_iter+0x5f/0x1a0 <- dax_iomap_rw) ret=-14";
	char l3[] = "       my-prog x-12      [003] .N...    42.000100: cti_e: (dax_copy_to_iter+0x0/0x60) dd=0xffff888003c1d000 ptr=0x7ffe0000 xptr=5";
	char l4[] = "         python3-302     [001] .....    19.500000: dax_pte_fault_done: dev 259:1 ino 0xc shared WRITE address 0x7f0000000000 pgoff 0x3 NOPAGE";
	char bad1[] = "garbage";
	char bad2[] = "  x-1 [000] .... notatime: ev: a=1";
	unsigned long long v;
	struct dt_tline t;

	EXPECT_EQ(dt_tline_parse(l1, &t), 0);
	EXPECT_STR(t.comm, "daxload");
	EXPECT_EQ(t.pid, 235);
	EXPECT_EQ(t.ts_ns, 123456789000ULL);
	EXPECT_STR(t.event, "rw_e");
	EXPECT_EQ(dt_targ_u64(t.args, "cnt", &v), 0);
	EXPECT_EQ(v, 8192);
	EXPECT_EQ(dt_targ_u64(t.args, "isize", &v), 0);
	EXPECT_EQ(v, 16384);
	EXPECT_EQ(dt_targ_u64(t.args, "size", &v), -ENOENT);	/* not isize's tail */
	/* found by fuzzing: an empty key made strstr loop forever */
	EXPECT_EQ(dt_targ_u64(t.args, "", &v), -EINVAL);

	EXPECT_EQ(dt_tline_parse(l2, &t), 0);
	EXPECT_STR(t.comm, "<...>");
	EXPECT_EQ(t.pid, 77);
	EXPECT_STR(t.event, "rw_x");
	EXPECT_EQ(dt_targ_u64(t.args, "ret", &v), 0);
	EXPECT_EQ((long long)v, -14);

	EXPECT_EQ(dt_tline_parse(l3, &t), 0);
	EXPECT_STR(t.comm, "my-prog x");
	EXPECT_EQ(t.pid, 12);
	EXPECT_EQ(dt_targ_u64(t.args, "ptr", &v), 0);
	EXPECT_EQ(v, 0x7ffe0000);
	EXPECT_EQ(dt_targ_u64(t.args, "dd", &v), 0);
	EXPECT_EQ(v, 0xffff888003c1d000ULL);

	EXPECT_EQ(dt_tline_parse(l4, &t), 0);
	EXPECT_STR(t.event, "dax_pte_fault_done");
	EXPECT_CONTAINS(t.args, "dev 259:1");

	EXPECT(dt_tline_parse(bad1, &t) < 0);
	EXPECT(dt_tline_parse(bad2, &t) < 0);
	test_thread_churn();
	test_faults();
	return unit_done("test_ftrace");
}
