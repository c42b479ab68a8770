// SPDX-License-Identifier: GPL-2.0
/* The kernel facts both backends share (include/dax_facts.h). */
#include <stddef.h>
#include <linux/types.h>
#include "daxtrace.h"
#include "dax_checks.h"
#include "dax_facts.h"
#include "unit.h"

#define BIT(n)	(1ULL << (n))

#define TO	DT_OP_COPY_TO_ITER
#define FROM	DT_OP_COPY_FROM_ITER
#define ALIVE	BIT(DT_DAXDEV_ALIVE)

static void test_copy_variant(void)
{
	static const struct {
		__u32 op;
		__u64 flags;
		__u32 alive, nocache, nomc, want;
	} c[] = {
		/* a dead device copies nothing, whatever else is set */
		{ TO, 0, 0, 3, 4, DT_VAR_DEAD },
		{ FROM, BIT(3) | BIT(4), 0, 3, 4, DT_VAR_DEAD },
		/* to the iterator: the machine-check-safe copy with NOMC */
		{ TO, ALIVE, 0, 3, 4, DT_VAR_COPY_TO_ITER },
		{ TO, ALIVE | BIT(4), 0, 3, 4, DT_VAR_COPY_MC_TO_ITER },
		{ TO, ALIVE | BIT(3), 0, 3, 4, DT_VAR_COPY_TO_ITER },
		/* from the iterator: flushing the cache with NOCACHE */
		{ FROM, ALIVE, 0, 3, 4, DT_VAR_COPY_FROM_ITER },
		{ FROM, ALIVE | BIT(3), 0, 3, 4, DT_VAR_COPY_FROM_ITER_FLUSHCACHE },
		{ FROM, ALIVE | BIT(4), 0, 3, 4, DT_VAR_COPY_FROM_ITER },
		/* the kernel's numbering is used, not the one daxtrace knows */
		{ TO, BIT(1) | BIT(6), 1, 5, 6, DT_VAR_COPY_MC_TO_ITER },
		{ TO, ALIVE | BIT(6), 1, 5, 6, DT_VAR_DEAD },
		{ FROM, BIT(1) | BIT(5), 1, 5, 6, DT_VAR_COPY_FROM_ITER_FLUSHCACHE },
	};
	unsigned int i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		EXPECT_EQ(dt_copy_variant(c[i].op, c[i].flags, c[i].alive, c[i].nocache,
					  c[i].nomc), c[i].want);
}

static void test_fault_size(void)
{
	/* enum page_entry_size (6.1) */
	EXPECT_EQ(dt_fault_size(0), DT_FAULT_PTE);
	EXPECT_EQ(dt_fault_size(1), DT_FAULT_PMD);
	EXPECT_EQ(dt_fault_size(2), DT_FAULT_PUD);
	/* a page order (later kernels) */
	EXPECT_EQ(dt_fault_size(9), DT_FAULT_PMD);
	EXPECT_EQ(dt_fault_size(18), DT_FAULT_PUD);
	/* anything else is taken as a PTE fault */
	EXPECT_EQ(dt_fault_size(3), DT_FAULT_PTE);
	EXPECT_EQ(dt_fault_size(12), DT_FAULT_PTE);

	EXPECT_EQ(dt_fault_bytes(DT_FAULT_PTE), 4096);
	EXPECT_EQ(dt_fault_bytes(DT_FAULT_PMD), 2 << 20);
	EXPECT_EQ(dt_fault_bytes(DT_FAULT_PUD), 1 << 30);
	EXPECT_EQ(dt_fault_bytes(dt_fault_size(9)), 2 << 20);
}

static void test_vm_fault_bits(void)
{
	/* VM_FAULT_ERROR of include/linux/mm_types.h */
	EXPECT_EQ(DT_VMF_ERROR, 0x73);
	EXPECT(!(DT_VMF_FALLBACK & DT_VMF_ERROR));
	/* VM_FAULT_NOPAGE (0x100) and _LOCKED (0x200) are successes */
	EXPECT(!(0x100 & DT_VMF_ERROR));
	EXPECT(!(0x200 & DT_VMF_ERROR));
	EXPECT_EQ(0x802 & DT_VMF_ERROR, DT_VMF_SIGBUS);

	EXPECT_EQ(dt_fault_result(0), DT_FAULT_RES_DONE);
	EXPECT_EQ(dt_fault_result(0x100), DT_FAULT_RES_DONE);
	EXPECT_EQ(dt_fault_result(DT_VMF_FALLBACK), DT_FAULT_RES_FALLBACK);
	/* an error with a fallback is an error */
	EXPECT_EQ(dt_fault_result(DT_VMF_FALLBACK | DT_VMF_SIGBUS), DT_FAULT_RES_ERROR);
	EXPECT_EQ(dt_fault_result(DT_VMF_HWPOISON_LARGE), DT_FAULT_RES_ERROR);
}

/*
 * The calls rule: whatever a call returned, it adds one to exactly one
 * of the counters dt_stats_calls() sums.
 */
static void test_op_counter(void)
{
	static const struct {
		__u64 asked;
		__s64 ret;
		size_t want;	/* offsetof the counter */
	} c[] = {
		{ 4096, 4096, offsetof(struct dt_stats, oks) },
		{ 4096, 8192, offsetof(struct dt_stats, oks) },	/* more is not short */
		{ 0, 0, offsetof(struct dt_stats, oks) },
		{ 4096, 100, offsetof(struct dt_stats, shorts) },
		{ 4096, 0, offsetof(struct dt_stats, shorts) },
		{ 4096, -14, offsetof(struct dt_stats, errors) },
		{ 0, -5, offsetof(struct dt_stats, errors) },
	};
	struct dt_stats st;
	unsigned int i;
	__u64 *n;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&st, 0, sizeof(st));
		n = dt_op_counter(&st, c[i].asked, c[i].ret);
		EXPECT_EQ((char *)n - (char *)&st, c[i].want);
		(*n)++;
		EXPECT_EQ(dt_stats_calls(&st), 1);
	}
}

static void test_fault_counter(void)
{
	static const struct {
		__u32 ret, size;
		size_t want;
		__u64 asked, mapped;
	} c[] = {
		{ 0x100, DT_FAULT_PTE, offsetof(struct dt_stats, faults[DT_FAULT_PTE]), 4096, 4096 },
		{ 0, DT_FAULT_PMD, offsetof(struct dt_stats, faults[DT_FAULT_PMD]), 2 << 20, 2 << 20 },
		{ 0x100, DT_FAULT_PUD, offsetof(struct dt_stats, faults[DT_FAULT_PUD]), 1 << 30, 1 << 30 },
		/* a fallback asks nothing here: the smaller size asks again */
		{ DT_VMF_FALLBACK, DT_FAULT_PMD, offsetof(struct dt_stats, fallbacks), 0, 0 },
		{ DT_VMF_SIGBUS, DT_FAULT_PTE, offsetof(struct dt_stats, errors), 4096, 0 },
		{ DT_VMF_SIGBUS | DT_VMF_FALLBACK, DT_FAULT_PMD, offsetof(struct dt_stats, errors),
		  2 << 20, 0 },
	};
	struct dt_stats st;
	unsigned int i;
	__u32 res;
	__u64 *n;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(&st, 0, sizeof(st));
		res = dt_fault_result(c[i].ret);
		n = dt_fault_counter(&st, res, c[i].size);
		EXPECT_EQ((char *)n - (char *)&st, c[i].want);
		(*n)++;
		EXPECT_EQ(dt_stats_calls(&st), 1);
		EXPECT_EQ(dt_fault_asked(res, c[i].size), c[i].asked);
		EXPECT_EQ(dt_fault_mapped(res, c[i].size), c[i].mapped);
	}
}

/*
 * The usual verdicts: every op's checks add up to its calls, the usual
 * one being what the others leave; an op's other checks stay as counted.
 */
static void test_stats_usual(void)
{
	struct dt_stats st;

	memset(&st, 0, sizeof(st));
	st.oks = 7;
	st.errors = 2;
	st.chk[DT_CHK_DA_RET_RANGE][DT_FAIL] = 1;
	st.chk[DT_CHK_DA_KADDR_KERNEL][DT_NA] = 2;
	st.chk[DT_CHK_DA_KADDR_PFN][DT_PASS] = 3;
	st.chk[DT_CHK_DA_KADDR_PFN][DT_FAIL] = 1;
	st.calls = dt_stats_calls(&st);
	dt_stats_usual(&st, DT_OP_DIRECT_ACCESS);
	EXPECT_EQ(st.chk[DT_CHK_DA_RET_RANGE][DT_PASS], 8);
	EXPECT_EQ(st.chk[DT_CHK_DA_KADDR_KERNEL][DT_PASS], 7);
	EXPECT_EQ(st.chk[DT_CHK_DA_KADDR_PFN][DT_NA], 5);
	EXPECT_EQ(st.chk[DT_CHK_DA_KADDR_PFN][DT_PASS], 3);
	EXPECT_EQ(st.chk[DT_CHK_COPY_COMPLETE][DT_PASS], 0);
	EXPECT_EQ(st.chk[DT_CHK_RW_COMPLETE][DT_PASS], 0);

	memset(&st, 0, sizeof(st));
	st.shorts = 1;
	st.oks = 4;
	st.chk[DT_CHK_COPY_COMPLETE][DT_FAIL] = 1;
	st.calls = dt_stats_calls(&st);
	dt_stats_usual(&st, DT_OP_COPY_FROM_ITER);
	EXPECT_EQ(st.chk[DT_CHK_COPY_COMPLETE][DT_PASS], 4);
	EXPECT_EQ(st.chk[DT_CHK_DA_RET_RANGE][DT_PASS], 0);

	memset(&st, 0, sizeof(st));
	st.faults[DT_FAULT_PMD] = 2;
	st.fallbacks = 1;
	st.chk[DT_CHK_FAULT_SIZE][DT_NA] = 1;
	st.calls = dt_stats_calls(&st);
	dt_stats_usual(&st, DT_OP_FAULT);
	EXPECT_EQ(st.chk[DT_CHK_FAULT_SIZE][DT_PASS], 2);
}

static void test_media_error(void)
{
	EXPECT(dt_media_error(-5));	/* EIO */
	EXPECT(dt_media_error(-133));	/* EHWPOISON */
	EXPECT(!dt_media_error(-6));
	EXPECT(!dt_media_error(-34));
	EXPECT(!dt_media_error(5));
	EXPECT(!dt_media_error(0));
}

/* fault.size: the largest page the device, VMA and file allow */
#define MiB		(1ULL << 20)
#define GiB		(1ULL << 30)
#define BASE		0x7f0000000000ULL	/* 1 GiB aligned */
#define FB		DT_VMF_FALLBACK
#define NOPAGE		0x100			/* VM_FAULT_NOPAGE: mapped */

/* A 4 MiB shared fs-dax mapping at a 2 MiB boundary of a 4 MiB file. */
static struct dt_fault_geom fsdax_geom(void)
{
	return (struct dt_fault_geom){
		.vm_start = BASE, .vm_end = BASE + 4 * MiB,
		.address = BASE + 2 * MiB + 3 * 4096, .pgoff = 512 + 3,
		.isize = 4 * MiB,
	};
}

static __u32 judge(const struct dt_fault_geom *g, __u32 size, __u32 ret,
		   __u32 *best, __u32 *why)
{
	return dt_fault_size_verdict(g, size, ret, best, why);
}

static void test_fault_size_fsdax(void)
{
	struct dt_fault_geom g = fsdax_geom();
	__u32 best, why;

	/* fs-dax never maps a PUD: the kernel's PUD try is a step down */
	EXPECT_EQ(dt_fault_best(&g, &why), DT_FAULT_PMD);
	EXPECT_EQ(why, DT_FSZ_FSDAX | DT_FSZ_VMA | DT_FSZ_FILE);
	EXPECT_EQ(judge(&g, DT_FAULT_PUD, FB, &best, &why), DT_NA);
	EXPECT_EQ(why, DT_FSZ_FSDAX | DT_FSZ_VMA | DT_FSZ_FILE);
	/* aligned: a PMD passes, a PTE or a PMD fallback fails */
	EXPECT_EQ(judge(&g, DT_FAULT_PMD, NOPAGE, &best, &why), DT_PASS);
	EXPECT_EQ(best, DT_FAULT_PMD);
	EXPECT_EQ(judge(&g, DT_FAULT_PTE, NOPAGE, &best, &why), DT_FAIL);
	EXPECT_EQ(why, DT_FSZ_KERNEL);
	EXPECT_EQ(judge(&g, DT_FAULT_PMD, FB, &best, &why), DT_FAIL);
	EXPECT_EQ(why, DT_FSZ_KERNEL);
	/* an error is counted elsewhere */
	EXPECT_EQ(judge(&g, DT_FAULT_PMD, DT_VMF_SIGBUS, &best, &why), DT_NA);
	EXPECT_EQ(judge(&g, DT_FAULT_PMD, DT_VMF_SIGBUS | FB, &best, &why), DT_NA);

	/*
	 * The file mapped one page past a 2 MiB boundary: no PMD fits the
	 * first range, whose pgoff is of another colour too, and a PTE
	 * passes; the next range is whole in the VMA, but of that colour.
	 */
	g.vm_start = BASE + 4096;
	g.address = BASE + 3 * 4096;
	g.pgoff = 2;
	EXPECT_EQ(judge(&g, DT_FAULT_PMD, FB, &best, &why), DT_NA);
	EXPECT_EQ(why, DT_FSZ_VMA);
	EXPECT_EQ(judge(&g, DT_FAULT_PTE, NOPAGE, &best, &why), DT_PASS);
	EXPECT_EQ(best, DT_FAULT_PTE);
	EXPECT_EQ(why, DT_FSZ_VMA);
	g.address = BASE + 2 * MiB + 4096;
	g.pgoff = 512;
	EXPECT_EQ(judge(&g, DT_FAULT_PTE, NOPAGE, &best, &why), DT_PASS);
	EXPECT_EQ(why, DT_FSZ_VMA);
	/* ... its end one page short of the 2 MiB range */
	g = fsdax_geom();
	g.vm_end = BASE + 4 * MiB - 4096;
	EXPECT_EQ(judge(&g, DT_FAULT_PTE, NOPAGE, &best, &why), DT_PASS);
	EXPECT_EQ(why, DT_FSZ_VMA);
	/* ... mapped from a file offset of another colour */
	g = fsdax_geom();
	g.pgoff += 1;
	EXPECT_EQ(judge(&g, DT_FAULT_PMD, FB, &best, &why), DT_NA);
	EXPECT_EQ(why, DT_FSZ_VMA);
	/* the 2 MiB range passes i_size by one page */
	g = fsdax_geom();
	g.isize = 4 * MiB - 4096;
	EXPECT_EQ(judge(&g, DT_FAULT_PMD, FB, &best, &why), DT_NA);
	EXPECT_EQ(why, DT_FSZ_FILE);
	EXPECT_EQ(judge(&g, DT_FAULT_PTE, NOPAGE, &best, &why), DT_PASS);
	g.isize = 4 * MiB;
	EXPECT_EQ(judge(&g, DT_FAULT_PMD, FB, &best, &why), DT_FAIL);
	/* a write to a private mapping: a PTE copy */
	g.cow = 1;
	EXPECT_EQ(judge(&g, DT_FAULT_PTE, NOPAGE, &best, &why), DT_PASS);
	EXPECT_EQ(why, DT_FSZ_COW);
	/* madvise(MADV_NOHUGEPAGE): the kernel tries no PMD */
	g.cow = 0;
	g.nohuge = 1;
	EXPECT_EQ(judge(&g, DT_FAULT_PTE, NOPAGE, &best, &why), DT_PASS);
	EXPECT_EQ(why, DT_FSZ_NOHUGE);
	/*
	 * PR_SET_THP_DISABLE: a PTE where a PMD was possible still fails,
	 * and says why; a PMD that mapped is no business of the switch.
	 */
	g.nohuge = 0;
	g.thp_off = 1;
	EXPECT_EQ(judge(&g, DT_FAULT_PTE, NOPAGE, &best, &why), DT_FAIL);
	EXPECT_EQ(why, DT_FSZ_THPOFF);
	EXPECT_EQ(best, DT_FAULT_PMD);
	EXPECT_EQ(judge(&g, DT_FAULT_PMD, NOPAGE, &best, &why), DT_PASS);
}

static void test_fault_size_blocked(void)
{
	struct dt_fault_geom g = fsdax_geom();
	__u64 start = BASE + 2 * MiB, vma = 0xffff888000001000ULL;
	__u32 best, why;

	/* the PTE fault right after a PMD fallback at the same place */
	dt_fault_blocked(&g, DT_FAULT_PTE, 0, vma, vma, start, DT_FAULT_PMD);
	EXPECT_EQ(judge(&g, DT_FAULT_PTE, NOPAGE, &best, &why), DT_PASS);
	EXPECT_EQ(why, DT_FSZ_FELL);
	/* ... not after one in another 2 MiB range, or another VMA */
	dt_fault_blocked(&g, DT_FAULT_PTE, 0, vma, vma, start + 2 * MiB, DT_FAULT_PMD);
	EXPECT_EQ(judge(&g, DT_FAULT_PTE, NOPAGE, &best, &why), DT_FAIL);
	dt_fault_blocked(&g, DT_FAULT_PTE, 0, vma, vma + 64, start, DT_FAULT_PMD);
	EXPECT_EQ(judge(&g, DT_FAULT_PTE, NOPAGE, &best, &why), DT_FAIL);
	/* the same PMD fault again (the per-VMA lock's retry): judged once */
	dt_fault_blocked(&g, DT_FAULT_PMD, 0, vma, vma, start, DT_FAULT_PMD);
	EXPECT_EQ(judge(&g, DT_FAULT_PMD, FB, &best, &why), DT_NA);
	EXPECT_EQ(why, DT_FSZ_FELL);
	EXPECT_EQ(judge(&g, DT_FAULT_PMD, NOPAGE, &best, &why), DT_PASS);
	/* ... and a PMD fault after a PUD fallback frees no PTE */
	dt_fault_blocked(&g, DT_FAULT_PMD, 0, vma, vma, BASE, DT_FAULT_PUD);
	EXPECT_EQ(g.blocked, 1U << DT_FAULT_PUD);
	EXPECT_EQ(judge(&g, DT_FAULT_PTE, NOPAGE, &best, &why), DT_FAIL);
	/* a PTE table already under the PMD: no PMD can map there any more */
	dt_fault_blocked(&g, DT_FAULT_PTE, 0x10a2c3067ULL, vma, 0, 0, 0);
	EXPECT_EQ(judge(&g, DT_FAULT_PTE, NOPAGE, &best, &why), DT_PASS);
	EXPECT_EQ(why, DT_FSZ_TABLE);
	/* a huge PMD is not a table; at a PMD fault the entry is not read */
	dt_fault_blocked(&g, DT_FAULT_PTE, 0x200000e7ULL, vma, 0, 0, 0);
	EXPECT_EQ(judge(&g, DT_FAULT_PTE, NOPAGE, &best, &why), DT_FAIL);
	dt_fault_blocked(&g, DT_FAULT_PMD, 0x10a2c3067ULL, vma, 0, 0, 0);
	EXPECT_EQ(judge(&g, DT_FAULT_PMD, NOPAGE, &best, &why), DT_PASS);
	EXPECT(dt_entry_is_table(0x10a2c3067ULL));
	EXPECT(!dt_entry_is_table(0));
	EXPECT(!dt_entry_is_table(0x200000e7ULL));
}

static void test_fault_size_devdax(void)
{
	struct dt_fault_geom g = {
		.vm_start = BASE, .vm_end = BASE + 4 * MiB,
		.address = BASE + 2 * MiB + 4096, .pgoff = 513,
		.dev_align = 2 * MiB,
	};
	__u32 best, why;

	/* 2 MiB aligned: the PUD try steps down for the device */
	EXPECT_EQ(judge(&g, DT_FAULT_PUD, FB, &best, &why), DT_NA);
	EXPECT_EQ(why & DT_FSZ_DEV, DT_FSZ_DEV);
	EXPECT_EQ(judge(&g, DT_FAULT_PMD, NOPAGE, &best, &why), DT_PASS);
	EXPECT_EQ(judge(&g, DT_FAULT_PMD, FB, &best, &why), DT_FAIL);
	/* no i_size on a character device */
	g.isize = 0;
	EXPECT_EQ(dt_fault_best(&g, &why), DT_FAULT_PMD);
	/* a PTE fault there is the driver's SIGBUS: n/a */
	EXPECT_EQ(judge(&g, DT_FAULT_PTE, DT_VMF_SIGBUS, &best, &why), DT_NA);
	/* 4 KiB aligned: PTEs only, and they pass */
	g.dev_align = 4096;
	EXPECT_EQ(judge(&g, DT_FAULT_PMD, FB, &best, &why), DT_NA);
	EXPECT_EQ(why & DT_FSZ_DEV, DT_FSZ_DEV);
	EXPECT_EQ(judge(&g, DT_FAULT_PTE, NOPAGE, &best, &why), DT_PASS);
	/* 1 GiB aligned over 2 GiB: a PUD passes, a PMD where it fit fails */
	g.dev_align = GiB;
	g.vm_end = BASE + 2 * GiB;
	EXPECT_EQ(judge(&g, DT_FAULT_PUD, NOPAGE, &best, &why), DT_PASS);
	EXPECT_EQ(judge(&g, DT_FAULT_PMD, NOPAGE, &best, &why), DT_FAIL);
	EXPECT_EQ(best, DT_FAULT_PUD);
	/* ... and a PUD fallback where the VMA is too short is a step down */
	g.vm_end = BASE + GiB - 4096;
	EXPECT_EQ(judge(&g, DT_FAULT_PUD, FB, &best, &why), DT_NA);
	EXPECT_EQ(why, DT_FSZ_VMA);
}

int main(void)
{
	test_copy_variant();
	test_fault_size();
	test_vm_fault_bits();
	test_op_counter();
	test_fault_counter();
	test_stats_usual();
	test_media_error();
	test_fault_size_fsdax();
	test_fault_size_blocked();
	test_fault_size_devdax();
	return unit_done("test_facts");
}
