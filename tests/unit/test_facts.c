// SPDX-License-Identifier: GPL-2.0
/* The kernel facts both backends share (include/dax_facts.h). */
#include <linux/types.h>
#include "daxtrace.h"
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
		/* to the iterator: machine-check safe unless NOMC */
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

int main(void)
{
	test_copy_variant();
	test_fault_size();
	test_vm_fault_bits();
	return unit_done("test_facts");
}
