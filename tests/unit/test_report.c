// SPDX-License-Identifier: GPL-2.0
/*
 * The check predicates (the same code the BPF programs run), histogram
 * buckets, names and the text/JSON output, fed constructed records.
 */
#include <stdlib.h>
#include "report.h"
#include "dax_checks.h"
#include "dax_facts.h"
#include "unit.h"

#define POB	0xffff888000000000ULL	/* page_offset_base, 4-level */
#define POB5	0xff11000000000000ULL	/* and 5-level */
#define H4	DT_KERNEL_HALF
#define H5	DT_KERNEL_HALF_L5
#define M4	DT_DIRECT_MAP_MAX
#define M5	DT_DIRECT_MAP_MAX_L5

static const struct dt_dev devs[] = {
	{ .name = "dax0.0", .kdev = (252u << 20) | 0 },
	{ .name = "pmem0.1", .kdev = (259u << 20) | 1,
	  .info = { .uuid = "bce7d439-4566-4d36-8294-a055d1ccacdb",
		    .uuid_of = DT_UUID_NAMESPACE } },
};
static const struct dt_names names = { devs, 2 };

/* Run fn into a memory stream and hand back the text. */
static char *capture(bool json, void (*fn)(const struct dt_out *, const void *),
		     const void *arg)
{
	struct dt_out o = { .json = json, .names = &names, .hist = true,
			    .targets = dt_targets, .states = dt_states,
			    .ntargets = DT_NTARGETS };
	char *buf = NULL;
	size_t len = 0;

	o.f = open_memstream(&buf, &len);
	fn(&o, arg);
	fclose(o.f);
	return buf;
}

static void do_event(const struct dt_out *o, const void *e)
{
	dt_event_print(o, e);
}

/* The event printed as text or JSON has (has != 0) or lacks what. */
#define EXPECT_EVENT(json, e, has, what) do {				\
	char *out_ = capture((json), do_event, (e));			\
									\
	if (has)							\
		EXPECT_CONTAINS(out_, (what));				\
	else								\
		EXPECT(!strstr(out_, (what)));				\
	free(out_);							\
} while (0)

static void do_summary(const struct dt_out *o, const void *s)
{
	dt_summary_print(o, s);
}

static void test_checks(void)
{
	int eof;

	EXPECT_EQ(dt_check_ret_range(1, 4), DT_PASS);
	EXPECT_EQ(dt_check_ret_range(4, 4), DT_PASS);
	EXPECT_EQ(dt_check_ret_range(5, 4), DT_FAIL);
	EXPECT_EQ(dt_check_ret_range(0, 4), DT_FAIL);
	EXPECT_EQ(dt_check_ret_range(-5, 4), DT_PASS);	/* EIO */
	EXPECT_EQ(dt_check_ret_range(-133, 4), DT_PASS);	/* EHWPOISON */
	EXPECT_EQ(dt_check_ret_range(-999, 4), DT_FAIL);

	/* the RFC: a physical address handed back as kaddr */
	EXPECT_EQ(dt_check_kaddr_kernel(1, 2, 0x240000000ULL, H4), DT_FAIL);
	EXPECT_EQ(dt_check_kaddr_kernel(1, 2, POB + 0x240000000ULL, H4), DT_PASS);
	EXPECT_EQ(dt_check_kaddr_kernel(1, -5, 0, H4), DT_NA);
	EXPECT_EQ(dt_check_kaddr_kernel(0, 2, 0, H4), DT_NA);
	/* 5-level paging: the direct map lies below 4-level's kernel half */
	EXPECT_EQ(dt_check_kaddr_kernel(1, 2, POB5 + 0x240000000ULL, H5), DT_PASS);
	EXPECT_EQ(dt_check_kaddr_kernel(1, 2, POB5 + 0x240000000ULL, H4), DT_FAIL);
	EXPECT_EQ(dt_check_kaddr_kernel(1, 2, 0x240000000ULL, H5), DT_FAIL);
	EXPECT_EQ(dt_check_kaddr_kernel(1, 2, 0x00ffffffffffffffULL, H5), DT_FAIL);

	EXPECT_EQ(dt_check_kaddr_pfn(POB, M4, POB + 0x1234000, 0x1234), DT_PASS);
	/* pfn_t flag bits (PFN_DEV|PFN_MAP) do not change the pfn */
	EXPECT_EQ(dt_check_kaddr_pfn(POB, M4, POB + 0x1234000,
				     0x1234 | (3ULL << 62)), DT_PASS);
	/* the multi-range bug: kaddr off by the gap between ranges */
	EXPECT_EQ(dt_check_kaddr_pfn(POB, M4, POB + 0x1234000 + (1 << 28), 0x1234),
		  DT_FAIL);
	EXPECT_EQ(dt_check_kaddr_pfn(POB, M4, 0xffffc90000000000ULL, 0x1234), DT_NA);
	EXPECT_EQ(dt_check_kaddr_pfn(POB, M4, 0x1234000, 0x1234), DT_NA);
	EXPECT_EQ(dt_check_kaddr_pfn(0, M4, POB, 0), DT_NA);
	/* 5-level: 100 TiB into the direct map is still in it */
	EXPECT_EQ(dt_check_kaddr_pfn(POB5, M5, POB5 + (100ULL << 40),
				     (100ULL << 40) >> 12), DT_PASS);
	EXPECT_EQ(dt_check_kaddr_pfn(POB5, M4, POB5 + (100ULL << 40),
				     (100ULL << 40) >> 12), DT_NA);

	EXPECT_EQ(dt_check_rw(1, 0, 8192, 8192, 16384, &eof), DT_PASS);
	EXPECT_EQ(eof, 0);
	EXPECT_EQ(dt_check_rw(1, 0, 8192, 4096, 16384, &eof), DT_FAIL);
	EXPECT_EQ(dt_check_rw(1, 12288, 8192, 4096, 16384, &eof), DT_PASS);
	EXPECT_EQ(eof, 1);
	EXPECT_EQ(dt_check_rw(1, 16384, 4096, 0, 16384, &eof), DT_PASS);
	EXPECT_EQ(dt_check_rw(0, 12288, 8192, 4096, 16384, &eof), DT_FAIL);
	EXPECT_EQ(dt_check_rw(1, 0, 4096, -5, 16384, &eof), DT_NA);

	EXPECT_EQ(dt_check_progress(4096, 0), DT_PASS);
	EXPECT_EQ(dt_check_progress(0, 0), DT_FAIL);
	/* a read that crosses i_size ends with an iteration at it */
	EXPECT_EQ(dt_check_progress(0, 1), DT_PASS);
	EXPECT_EQ(dt_check_progress(-5, 0), DT_NA);
	/* 6.15+: what moved, else ->status, as ->processed was */
	EXPECT_EQ(dt_iter_progress(4096, 0), 4096);
	EXPECT_EQ(dt_iter_progress(0, 0), 0);
	EXPECT_EQ(dt_iter_progress(0, -14), -14);
	/* moved, then failed: the bytes, as dax_iomap_iter() returned */
	EXPECT_EQ(dt_iter_progress(8192, -5), 8192);
	/* the old semantics' bytes in ->status: iomap_iter() says -EIO */
	EXPECT_EQ(dt_iter_progress(0, 4096), -5);
	EXPECT_EQ(dt_iter_progress(4096, 4096), 4096);
	/* back is not forward */
	EXPECT_EQ(dt_iter_progress(-4096, 0), 0);
	EXPECT_EQ(dt_check_progress(dt_iter_progress(0, 0), 0), DT_FAIL);
	EXPECT_EQ(dt_check_progress(dt_iter_progress(0, -14), 0), DT_NA);
	EXPECT_EQ(dt_check_copy(8192, 8192), DT_PASS);
	EXPECT_EQ(dt_check_copy(8192, 4096), DT_FAIL);
}

/* Every bucket edge against the definition: the highest bit set. */
static void test_log2_edges(void)
{
	unsigned int b, want, bad = 0;
	__u64 v;
	int d;

	for (b = 0; b < 64; b++) {
		for (d = -1; d <= 1; d++) {
			v = (1ULL << b) + d;
			want = 63 - __builtin_clzll(v | 1);
			if (want > DT_HIST_SLOTS - 1)
				want = DT_HIST_SLOTS - 1;
			if (dt_log2_slot(v) != want)
				bad++;
		}
	}
	EXPECT_EQ(bad, 0);
}

static void test_buckets_and_names(void)
{
	char buf[64];

	EXPECT_EQ(dt_log2_slot(0), 0);
	EXPECT_EQ(dt_log2_slot(1), 0);
	EXPECT_EQ(dt_log2_slot(2), 1);
	EXPECT_EQ(dt_log2_slot(3), 1);
	EXPECT_EQ(dt_log2_slot(4096), 12);
	EXPECT_EQ(dt_log2_slot(8191), 12);
	EXPECT_EQ(dt_log2_slot(1ULL << 39), 39);
	EXPECT_EQ(dt_log2_slot(~0ULL), DT_HIST_SLOTS - 1);

	EXPECT_STR(dt_errno_name(DT_OP_READ, 5, buf, sizeof(buf)), "EIO");
	EXPECT_STR(dt_errno_name(DT_OP_DIRECT_ACCESS, 133, buf, sizeof(buf)), "EHWPOISON");
	EXPECT_STR(dt_errno_name(DT_OP_READ, 999, buf, sizeof(buf)), "E999");
	EXPECT_STR(dt_errno_name(DT_OP_FAULT, 2, buf, sizeof(buf)), "VM_FAULT_SIGBUS");
	EXPECT_STR(dt_errno_name(DT_OP_FAULT, 0x12, buf, sizeof(buf)),
		   "VM_FAULT_SIGBUS|VM_FAULT_HWPOISON");
	EXPECT_STR(dt_op_name(DT_OP_COPY_TO_ITER), "copy_to_iter");
	EXPECT_STR(dt_op_name(99), "?");
	EXPECT_STR(dt_check_name(DT_CHK_DA_KADDR_KERNEL), "direct_access.kaddr_kernel");
	EXPECT_STR(dt_variant_name(DT_VAR_COPY_MC_TO_ITER), "_copy_mc_to_iter");
	EXPECT_STR(dt_dev_label(&names, (259u << 20) | 1, buf, sizeof(buf)), "pmem0.1");
	EXPECT_STR(dt_dev_label(&names, (8u << 20) | 3, buf, sizeof(buf)), "8:3");
}

static void test_json_str(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	dt_json_str(f, "a\"b\\c\n\x01\xff");
	fclose(f);
	EXPECT_STR(buf, "\"a\\\"b\\\\c\\u000a\\u0001\\u00ff\"");
	free(buf);

	/* UTF-8 as it is; a sequence cut short, or overlong, byte by byte */
	f = open_memstream(&buf, &len);
	dt_json_str(f, "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x82 \xc0\xaf");
	fclose(f);
	EXPECT_STR(buf, "\"\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \\u00e2\\u0082 \\u00c0\\u00af\"");
	free(buf);
}

static void test_hist(void)
{
	__u64 slots[DT_HIST_SLOTS] = {};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	slots[12] = 10;
	slots[13] = 5;
	dt_hist_text(f, slots, DT_HIST_SLOTS, "bytes");
	fclose(f);
	EXPECT_CONTAINS(buf, "4096 -> 8191       : 10       |******************************|");
	EXPECT_CONTAINS(buf, "8192 -> 16383      : 5        |***************               |");
	free(buf);

	/* the last slot is open-ended */
	memset(slots, 0, sizeof(slots));
	slots[DT_HIST_SLOTS - 1] = 1;
	f = open_memstream(&buf, &len);
	dt_hist_text(f, slots, DT_HIST_SLOTS, "ns");
	fclose(f);
	EXPECT_CONTAINS(buf, "549755813888 -> inf        : 1        |");
	free(buf);
}

/* The RFC's failure as daxtrace must show it: a copy that declined. */
static void test_short_copy_event(void)
{
	struct dt_event e = {
		.kind = DT_REC_EVENT, .op = DT_OP_COPY_TO_ITER, .pid = 42,
		.tid = 42, .comm = "famfs", .dev = (252u << 20),
		.why = DT_EV_SHORT | DT_EV_CHECK,
		.check_fail = 1U << DT_CHK_COPY_COMPLETE,
		.flags = DT_F_DA_LINKED | DT_F_KADDR | DT_F_KADDR_BAD |
			 DT_F_UADDR, .pos = 0x10, .asked = 8192, .ret = 0,
		.da_pgoff = 0x10, .da_ret = 2, .kaddr = 0x240010000ULL,
		.addr = 0x240010000ULL, .variant = DT_VAR_COPY_MC_TO_ITER,
		.side = DT_SIDE_SOURCE, .user_addr = 0x7f0000001000ULL,
	};
	char *out;

	out = capture(false, do_event, &e);
	EXPECT_CONTAINS(out, "famfs        42      dax0.0    copy_to_iter");
	EXPECT_CONTAINS(out, "copy.complete FAIL");
	EXPECT_CONTAINS(out, "copy_to_iter copied 0 of 8192 via _copy_mc_to_iter (from dax flags); source-side");
	EXPECT_CONTAINS(out, "kaddr 0x240010000 came from direct_access(pgoff 0x10) = 2 pages -- kaddr is NOT a kernel address");
	free(out);

	out = capture(true, do_event, &e);
	EXPECT_CONTAINS(out, "{\"type\":\"event\",");
	EXPECT_CONTAINS(out, "\"device\":\"dax0.0\",\"uuid\":null,\"op\":\"copy_to_iter\",\"why\":[\"short\",\"check\"],\"offset\":65536,\"asked\":8192,\"got\":0,\"errno\":null,\"checks_failed\":[\"copy.complete\"]");
	EXPECT_CONTAINS(out, "\"variant\":\"_copy_mc_to_iter\",\"variant_from\":\"dax_flags\",\"side\":\"source\"");
	EXPECT_CONTAINS(out, "\"user_addr\":\"0x7f0000001000\",\"direct_access\":{\"pgoff\":16,\"ret\":2,\"kaddr\":\"0x240010000\",\"kaddr_kernel\":false}");
	EXPECT(out[strlen(out) - 1] == '\n');
	free(out);

	/* what was not measured is null, not 0 (here: the ftrace backend) */
	e.flags = DT_F_DA_LINKED;
	EXPECT_EVENT(true, &e, 1, "\"user_addr\":null,\"direct_access\":{\"pgoff\":16,\"ret\":2,\"kaddr\":\"0x240010000\",\"kaddr_kernel\":null}");
	EXPECT_EVENT(false, &e, 0, "NOT a kernel address");

	e.flags = DT_F_DA_LINKED | DT_F_KADDR | DT_F_UADDR;
	e.op = DT_OP_DIRECT_ACCESS;
	e.why = DT_EV_CHECK;
	e.check_fail = 1U << DT_CHK_DA_KADDR_KERNEL;
	e.asked = 2;
	e.ret = 2;
	EXPECT_EVENT(false, &e, 1, "direct_access.kaddr_kernel FAIL");
	EXPECT_EVENT(false, &e, 1, "kaddr 0x240010000 (NOT a kernel address)");
	EXPECT_EVENT(false, &e, 0, "driver returned");
	EXPECT_EVENT(true, &e, 1, "\"pgoff\":16,\"nr_pages\":2,\"driver_ret\":null,\"kaddr\":\"0x240010000\",\"pfn\":null");
	/* the driver said 0 pages, direct_access passed on 2: shown */
	e.flags |= DT_F_DRV;
	e.drv_ret = 0;
	EXPECT_EVENT(false, &e, 1, ", driver returned 0");
	EXPECT_EVENT(true, &e, 1, "\"driver_ret\":0,");
	/* an error: kaddr was not read */
	e.flags = 0;
	e.why = DT_EV_ERROR;
	e.check_fail = 0;
	e.ret = -5;
	EXPECT_EVENT(true, &e, 1, "\"driver_ret\":null,\"kaddr\":null,\"pfn\":null");
	EXPECT_EVENT(false, &e, 0, "kaddr");

	e.op = DT_OP_READ;
	e.why = DT_EV_ERROR;
	e.check_fail = 0;
	e.ret = -5;
	out = capture(true, do_event, &e);
	EXPECT_CONTAINS(out, "\"errno\":\"EIO\"");
	free(out);
}

/* A fault.size failure: its evidence in text and JSON; none unjudged. */
static void test_fault_size_event(void)
{
	struct dt_event e = {
		.kind = DT_REC_EVENT, .op = DT_OP_FAULT, .pid = 42, .tid = 43,
		.comm = "daxload", .dev = (259u << 20) | 1, .why = DT_EV_CHECK,
		.check_fail = 1U << DT_CHK_FAULT_SIZE,
		.flags = DT_F_FALLBACK | DT_F_FSZ, .pos = 2 << 20, .asked = 2 << 20,
		.ret = DT_VMF_FALLBACK, .ino = 12, .fault_size = DT_FAULT_PMD,
		.vm_start = 0x7f0000000000ULL, .vm_end = 0x7f0000400000ULL,
		.address = 0x7f0000200000ULL, .best = DT_FAULT_PMD,
		.size_why = DT_FSZ_KERNEL,
	};

	EXPECT_EVENT(false, &e, 1, "daxload      42      pmem0.1   fault(pmd)");
	EXPECT_EVENT(false, &e, 1, "fault.size FAIL");
	EXPECT_EVENT(false, &e, 1, "    -> pmd fault fell back at 0x7f0000200000 (file offset 0x200000, "
		     "ino 12, path not resolved) in VMA 0x7f0000000000-0x7f0000400000: a pmd was possible\n");
	EXPECT_EVENT(true, &e, 1, "\"checks_failed\":[\"fault.size\"]");
	EXPECT_EVENT(true, &e, 1, "\"size\":\"pmd\",\"fallback\":true,\"ino\":12,\"path\":null,"
		     "\"fault_size\":{\"best\":\"pmd\",\"why\":[\"kernel\"],"
		     "\"address\":\"0x7f0000200000\",\"vm_start\":\"0x7f0000000000\","
		     "\"vm_end\":\"0x7f0000400000\"}}");
	EXPECT_EVENT(false, &e, 0, "THP off");
	/* a PTE where a PMD was possible, in a process that turned THP off */
	e.flags = DT_F_FSZ;
	e.fault_size = DT_FAULT_PTE;
	e.size_why = DT_FSZ_THPOFF;
	EXPECT_EVENT(false, &e, 1, "    -> pte fault mapped at 0x7f0000200000 (file offset 0x200000, "
		     "ino 12, path not resolved) in VMA 0x7f0000000000-0x7f0000400000: a pmd was possible, "
		     "but the process turned THP off (PR_SET_THP_DISABLE)\n");
	EXPECT_EVENT(true, &e, 1, "\"why\":[\"thp_disabled\"]");
	/* a pass seen with --snoop: what kept it from a PMD */
	e.why = DT_EV_SNOOP;
	e.check_fail = 0;
	e.flags = DT_F_FSZ;
	e.fault_size = DT_FAULT_PTE;
	e.best = DT_FAULT_PTE;
	e.size_why = DT_FSZ_VMA | DT_FSZ_FELL;
	EXPECT_EVENT(true, &e, 1, "\"why\":[\"vma\",\"fell_back\"]");
	EXPECT_EVENT(false, &e, 0, "was possible");
	/* the tracepoint fallback judged nothing */
	e.flags = 0;
	EXPECT_EVENT(true, &e, 1, "\"fault_size\":null}");
}

static void test_summary(void)
{
	struct dt_stat_ent st[2] = {};
	struct dt_err_ent er[1] = {};
	struct dt_chk_ent ck[1] = {};
	struct dt_media_ent md[1] = {};
	struct dt_snapshot s = {
		.stats = st, .nstats = 2, .errs = er, .nerrs = 1,
		.chks = ck, .nchks = 1, .media = md, .nmedia = 1, .events = 7,
	};
	char *out;

	/* unsorted on purpose: output is ordered by device, then op */
	st[0].key = (struct dt_key){ (259u << 20) | 1, DT_OP_READ };
	st[0].st.calls = 3;
	st[0].st.bytes_req = 12288;
	st[0].st.bytes_done = 8192;
	st[0].st.shorts = 0;
	st[0].st.errors = 1;
	st[0].st.len_hist[12] = 2;
	st[1].key = (struct dt_key){ 252u << 20, DT_OP_FAULT };
	st[1].st.calls = 3;
	st[1].st.faults[DT_FAULT_PMD] = 2;
	st[1].st.fallbacks = 1;
	er[0].key = (struct dt_err_key){ (259u << 20) | 1, DT_OP_READ, 5, 0 };
	er[0].n = 1;
	ck[0].key = (struct dt_chk_key){ (259u << 20) | 1, DT_CHK_RW_COMPLETE };
	ck[0].v.n[DT_PASS] = 2;
	md[0].key = (struct dt_media_key){ (259u << 20) | 1, 0, 0x2a };
	md[0].n = 1;
	dt_snapshot_sort(&s);
	EXPECT_EQ(s.stats[0].key.op, DT_OP_FAULT);

	out = capture(true, do_summary, &s);
	EXPECT_CONTAINS(out, "{\"type\":\"summary\",\"device\":\"dax0.0\",\"uuid\":null,\"op\":\"fault\",\"calls\":3,\"bytes_requested\":0,\"bytes_done\":0,\"short\":0,\"errors\":{},\"latency_ns_total\":0,\"pte\":0,\"pmd\":2,\"pud\":0,\"fallback\":1,\"len_hist\":[],\"lat_hist_ns\":[]}\n");
	EXPECT_CONTAINS(out, "{\"type\":\"summary\",\"device\":\"pmem0.1\",\"uuid\":\"bce7d439-4566-4d36-8294-a055d1ccacdb\",\"op\":\"read\",\"calls\":3,\"bytes_requested\":12288,\"bytes_done\":8192,\"short\":0,\"errors\":{\"EIO\":1},\"latency_ns_total\":0,\"len_hist\":[[4096,2]],\"lat_hist_ns\":[]}\n");
	EXPECT_CONTAINS(out, "{\"type\":\"check\",\"device\":\"pmem0.1\",\"uuid\":\"bce7d439-4566-4d36-8294-a055d1ccacdb\",\"check\":\"rw.complete\",\"pass\":2,\"fail\":0,\"na\":0}\n");
	EXPECT_CONTAINS(out, "{\"type\":\"media_error\",\"device\":\"pmem0.1\",\"uuid\":\"bce7d439-4566-4d36-8294-a055d1ccacdb\",\"pgoff\":42,\"offset\":172032,\"count\":1}\n");
	EXPECT_CONTAINS(out, "{\"type\":\"stats\",\"events\":7,\"ringbuf_dropped\":0,\"map_full\":0,\"thread_overflow\":0,\"top_files\":0,\"files_counted\":null,\"file_map_full\":null,\"kernel_skipped_total\":0,\"kernel_skipped\":{},\"kernel_skipped_unread\":[],\"counts_may_be_short\":false}\n");
	free(out);
	out = capture(false, do_summary, &s);
	EXPECT(!strstr(out, "skipped"));
	free(out);

	/* runs the kernel skipped: by target where measured, never silent */
	s.skipped[DT_TGT_RW] = 866;
	s.skipped[DT_TGT_DA] = 41;
	s.skipped[DT_TGT_COPY_TO] = 0;
	s.skipped[DT_TGT_COPY_FROM] = 5;	/* not measured: never shown */
	s.skipped_known = 1U << DT_TGT_RW | 1U << DT_TGT_DA | 1U << DT_TGT_COPY_TO;
	out = capture(true, do_summary, &s);
	EXPECT_CONTAINS(out, ",\"kernel_skipped_total\":907,\"kernel_skipped\":{\"dax_iomap_rw\":866,\"dax_direct_access\":41,\"dax_copy_to_iter\":0},\"kernel_skipped_unread\":[],\"counts_may_be_short\":true}\n");
	free(out);
	out = capture(false, do_summary, &s);
	EXPECT_CONTAINS(out, "907 runs skipped by the kernel (counts above are short by them): dax_iomap_rw 866, dax_direct_access 41\n");
	EXPECT(!strstr(out, "may be short"));
	free(out);
	memset(s.skipped, 0, sizeof(s.skipped));

	/* none skipped where measured, but some targets unread: in doubt, said */
	s.skipped_unread = 1U << DT_TGT_COPY_FROM | 1U << DT_TGT_FAULT;
	out = capture(true, do_summary, &s);
	EXPECT_CONTAINS(out, "\"kernel_skipped_total\":0,\"kernel_skipped\":{\"dax_iomap_rw\":0,\"dax_direct_access\":0,\"dax_copy_to_iter\":0},\"kernel_skipped_unread\":[\"dax_copy_from_iter\",\"dax_iomap_fault\"],\"counts_may_be_short\":true}\n");
	free(out);
	out = capture(false, do_summary, &s);
	EXPECT_CONTAINS(out, "\ncounts above may be short: the runs the kernel skipped cannot be read (n/a) for dax_copy_from_iter, dax_iomap_fault\n");
	EXPECT(!strstr(out, "runs skipped by the kernel"));
	free(out);
	/* all measured, none skipped: exact, and nothing said */
	s.skipped_unread = 0;
	out = capture(true, do_summary, &s);
	EXPECT_CONTAINS(out, "\"counts_may_be_short\":false}\n");
	free(out);
	out = capture(false, do_summary, &s);
	EXPECT(!strstr(out, "short"));
	free(out);
	s.skipped_known = 0;

	out = capture(false, do_summary, &s);
	EXPECT_CONTAINS(out, "Device pmem0.1");
	EXPECT_CONTAINS(out, "errors: EIO=1");
	EXPECT_CONTAINS(out, "pte=0 pmd=2 pud=0 fallback=1");
	EXPECT_CONTAINS(out, "rw.complete                       2       0       0");
	EXPECT_CONTAINS(out, "0x2a000");
	EXPECT_CONTAINS(out, "7 events, 0 lost");
	/* no latency measured (no entry program): no average, no histogram */
	EXPECT_CONTAINS(out, "  read                   3        12288         8192       0          - errors");
	EXPECT(!strstr(out, "nsecs"));
	/* sorted: [1] is the read now */
	st[1].st.lat_hist[10] = 2;
	st[1].st.lat_sum_ns = 3000;
	free(out);
	out = capture(false, do_summary, &s);
	EXPECT_CONTAINS(out, "read                   3        12288         8192       0        1.5 errors");
	EXPECT_CONTAINS(out, "fault                  3            0            0       0          - pte");
	free(out);
}

/* The checks table is summed per device from every op's verdicts. */
static void test_checks_from_stats(void)
{
	struct dt_stat_ent st[3] = {};
	struct dt_snapshot s = { .stats = st, .nstats = 3 };

	st[0].key = (struct dt_key){ 7, DT_OP_DIRECT_ACCESS };
	st[0].st.chk[DT_CHK_DA_RET_RANGE][DT_PASS] = 3;
	st[0].st.chk[DT_CHK_DA_KADDR_PFN][DT_NA] = 3;
	st[1].key = (struct dt_key){ 7, DT_OP_COPY_TO_ITER };
	st[1].st.chk[DT_CHK_COPY_COMPLETE][DT_PASS] = 2;
	st[1].st.chk[DT_CHK_COPY_COMPLETE][DT_FAIL] = 1;
	st[2].key = (struct dt_key){ 9, DT_OP_DIRECT_ACCESS };
	st[2].st.chk[DT_CHK_DA_RET_RANGE][DT_FAIL] = 4;
	EXPECT_EQ(dt_snapshot_checks(&s), 0);
	dt_snapshot_sort(&s);
	EXPECT_EQ(s.nchks, 4);
	EXPECT_EQ(s.chks[0].key.dev, 7);
	EXPECT_EQ(s.chks[0].key.check, DT_CHK_DA_RET_RANGE);
	EXPECT_EQ(s.chks[0].v.n[DT_PASS], 3);
	EXPECT_EQ(s.chks[1].key.check, DT_CHK_DA_KADDR_PFN);
	EXPECT_EQ(s.chks[1].v.n[DT_NA], 3);
	EXPECT_EQ(s.chks[2].key.check, DT_CHK_COPY_COMPLETE);
	EXPECT_EQ(s.chks[2].v.n[DT_FAIL], 1);
	EXPECT_EQ(s.chks[3].key.dev, 9);
	EXPECT_EQ(s.chks[3].v.n[DT_FAIL], 4);
	free(s.chks);
}

/*
 * A per-CPU value summed as bpf_read.c sums stats, errors and histogram
 * buckets: every CPU's word counts, none twice, whatever the CPU count.
 */
static void test_percpu_sum(void)
{
	/* 3 CPUs, 2 words each: CPU c's word i is 10^(2c+i) */
	const __u64 v[6] = { 1, 10, 100, 1000, 10000, 100000 };
	__u64 out[2] = { 7, 7 };

	dt_percpu_sum(out, v, 3, 2);
	EXPECT_EQ(out[0], 10101);
	EXPECT_EQ(out[1], 101010);
	dt_percpu_sum(out, v, 1, 2);	/* one CPU: its words as they are */
	EXPECT_EQ(out[0], 1);
	EXPECT_EQ(out[1], 10);
	dt_percpu_sum(out, v, 6, 1);	/* one word, 6 CPUs */
	EXPECT_EQ(out[0], 111111);
}

static void do_probes(const struct dt_out *o, const void *table)
{
	dt_print_probes(o, "bpf", false, table != NULL);
}

/*
 * --telemetry's probes record, --list-probes and header say what it does
 * not see, from the targets it leaves off; the default profile sees all.
 * The states are what probing sets on a fentry kernel.
 */
static void test_telemetry_unseen(void)
{
	struct dt_target_state saved[DT_NTARGETS];
	char *j, *t, *h, *d;
	int i;

	memcpy(saved, dt_states, sizeof(saved));
	for (i = 0; i < DT_NTARGETS; i++) {
		dt_states[i].method = (dt_targets[i].flags & DT_T_TEL) ? DT_M_FENTRY : DT_M_OFF;
		dt_states[i].attached = dt_states[i].method == DT_M_FENTRY;
	}
	dt_telemetry = true;
	j = capture(true, do_probes, NULL);
	t = capture(false, do_probes, "table");
	h = capture(false, do_probes, NULL);
	dt_telemetry = false;
	d = capture(true, do_probes, NULL);
	EXPECT_CONTAINS(j, "\"profile\":\"telemetry\",\"not_seen\":[\"iomap iterations");
	EXPECT_CONTAINS(j, "the kaddr checks");
	EXPECT_CONTAINS(j, "copy variants, short copies and their side (copy.complete)");
	EXPECT_CONTAINS(j, "the driver's own direct_access return");
	EXPECT_CONTAINS(j, "fault latency and fault.size");
	EXPECT_CONTAINS(j, "\"counters\":\"per-cpu\",\"hot_path_atomics\":[]");
	EXPECT_CONTAINS(t, "--telemetry does not see:\n  - iomap iterations");
	EXPECT_CONTAINS(t, "no atomic instruction per operation");
	EXPECT_CONTAINS(h, "the kaddr checks");
	EXPECT_CONTAINS(d, "\"profile\":\"diagnosis\",\"not_seen\":[]");
	EXPECT_CONTAINS(d, "\"hot_path_atomics\":[\"thread slot overflow");
	free(j);
	free(t);
	free(h);
	free(d);
	memcpy(dt_states, saved, sizeof(saved));
}

int main(void)
{
	test_percpu_sum();
	test_telemetry_unseen();
	test_checks_from_stats();
	test_checks();
	test_log2_edges();
	test_buckets_and_names();
	test_json_str();
	test_hist();
	test_short_copy_event();
	test_fault_size_event();
	test_summary();
	return unit_done("test_report");
}
