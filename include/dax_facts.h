/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel facts both backends read the same way, as pure functions: the
 * BPF programs, the ftrace handlers and the unit tests share them, so the
 * backends cannot drift. Include daxtrace.h first.
 */
#ifndef __DAX_FACTS_H
#define __DAX_FACTS_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/*
 * enum vm_fault_reason (include/linux/mm_types.h): a fault handler's
 * return. DT_VMF_ERROR is the kernel's VM_FAULT_ERROR.
 */
#define DT_VMF_OOM		0x0001
#define DT_VMF_SIGBUS		0x0002
#define DT_VMF_HWPOISON		0x0010
#define DT_VMF_HWPOISON_LARGE	0x0020
#define DT_VMF_SIGSEGV		0x0040
#define DT_VMF_FALLBACK		0x0800
#define DT_VMF_ERROR		(DT_VMF_OOM | DT_VMF_SIGBUS | DT_VMF_HWPOISON | \
				 DT_VMF_HWPOISON_LARGE | DT_VMF_SIGSEGV)

/* How a fault ended, for its counters: each fault ends in exactly one. */
enum dt_fault_result {
	DT_FAULT_RES_DONE,	/* mapped: counted by its size */
	DT_FAULT_RES_FALLBACK,	/* the caller retries a smaller size */
	DT_FAULT_RES_ERROR,	/* any VM_FAULT_ERROR bit, fallback or not */
};

static __always_inline __u32 dt_fault_result(__u32 ret)
{
	if (ret & DT_VMF_ERROR)
		return DT_FAULT_RES_ERROR;
	if (ret & DT_VMF_FALLBACK)
		return DT_FAULT_RES_FALLBACK;
	return DT_FAULT_RES_DONE;
}

/*
 * The counter a call's result goes to. Every read, write, iteration,
 * direct_access and copy ends in exactly one of errors, shorts and oks,
 * every fault in one of errors, fallbacks and faults[size]: calls is
 * their sum (dt_stats_calls()), so neither backend counts calls itself.
 */
static __always_inline __u64 *dt_op_counter(struct dt_stats *st, __u64 asked,
					    __s64 ret)
{
	if (ret < 0)
		return &st->errors;
	if ((__u64)ret < asked)
		return &st->shorts;
	return &st->oks;
}

static __always_inline __u64 *dt_fault_counter(struct dt_stats *st, __u32 res,
					       __u32 size)
{
	if (res == DT_FAULT_RES_ERROR)
		return &st->errors;
	if (res == DT_FAULT_RES_FALLBACK)
		return &st->fallbacks;
	/* constant indexes: the BPF verifier has no bound to lose */
	if (size == DT_FAULT_PMD)
		return &st->faults[DT_FAULT_PMD];
	if (size == DT_FAULT_PUD)
		return &st->faults[DT_FAULT_PUD];
	return &st->faults[DT_FAULT_PTE];
}

/*
 * A direct_access error that names a bad page (EIO, EHWPOISON): counted
 * by device and page offset as a media error.
 */
static __always_inline int dt_media_error(__s64 ret)
{
	return ret == -5 || ret == -133;
}

/*
 * enum dax_device_flags bit numbers (drivers/dax/super.c), where the
 * kernel's BTF cannot be asked: BPF reads them through CO-RE.
 */
#define DT_DAXDEV_ALIVE		0
#define DT_DAXDEV_NOCACHE	3
#define DT_DAXDEV_NOMC		4

/*
 * The copy routine dax_copy_{to,from}_iter() picks from the device's
 * flags (drivers/dax/super.c): none while the device is dead; to the
 * iterator, _copy_mc_to_iter() with DAXDEV_NOMC ("handle CPU fetch
 * exceptions during reads"), else _copy_to_iter(); from it, the
 * cache-flushing copy with DAXDEV_NOCACHE. The bits are the running
 * kernel's.
 */
static __always_inline __u32 dt_copy_variant(__u32 op, __u64 flags, __u32 alive,
					     __u32 nocache, __u32 nomc)
{
	if (!(flags & (1ULL << alive)))
		return DT_VAR_DEAD;
	if (op == DT_OP_COPY_TO_ITER)
		return flags & (1ULL << nomc) ? DT_VAR_COPY_MC_TO_ITER :
						DT_VAR_COPY_TO_ITER;
	return flags & (1ULL << nocache) ? DT_VAR_COPY_FROM_ITER_FLUSHCACHE :
					   DT_VAR_COPY_FROM_ITER;
}

/*
 * A huge fault's size argument: enum page_entry_size (PE_SIZE_PTE 0,
 * PMD 1, PUD 2) on 6.1, a page order (0, 9, 18) since "mm: remove enum
 * page_entry_size".
 */
static __always_inline __u32 dt_fault_size(__u32 arg)
{
	if (arg == 1 || arg == 9)
		return DT_FAULT_PMD;
	if (arg == 2 || arg == 18)
		return DT_FAULT_PUD;
	return DT_FAULT_PTE;
}

/* The bytes a fault of that size maps. */
static __always_inline __u64 dt_fault_bytes(__u32 size)
{
	if (size == DT_FAULT_PMD)
		return 1ULL << 21;
	if (size == DT_FAULT_PUD)
		return 1ULL << 30;
	return 4096;
}

/*
 * The bytes a fault counts as asked: none for a fallback, whose caller
 * asks the next smaller size again.
 */
static __always_inline __u64 dt_fault_asked(__u32 res, __u32 size)
{
	return res == DT_FAULT_RES_FALLBACK ? 0 : dt_fault_bytes(size);
}

/* The bytes a fault mapped: only one that ended done maps any. */
static __always_inline __u64 dt_fault_mapped(__u32 res, __u32 size)
{
	return res == DT_FAULT_RES_DONE ? dt_fault_bytes(size) : 0;
}

/*
 * An x86-64 page-table entry that points to a table, not to a huge page:
 * present, without _PAGE_PSE. A PTE fault under such a PMD cannot be
 * mapped by a PMD: the kernel does not collapse DAX page tables.
 */
#define DT_PTE_PRESENT		0x001
#define DT_PTE_PSE		0x080

static __always_inline int dt_entry_is_table(__u64 entry)
{
	return (entry & (DT_PTE_PRESENT | DT_PTE_PSE)) == DT_PTE_PRESENT;
}

/* FAULT_FLAG_WRITE (enum fault_flag) and VM_SHARED (include/linux/mm.h) */
#define DT_FAULT_FLAG_WRITE	0x1
#define DT_VM_SHARED		0x8
#define DT_VM_NOHUGEPAGE	0x40000000
/*
 * mm->flags' MMF_DISABLE_THP (PR_SET_THP_DISABLE), bit 24 on every kernel
 * (MMF_DISABLE_THP_COMPLETELY since 6.18). Its neighbour 23 is not read:
 * before 6.18 it meant the mm had used the huge zero page.
 */
#define DT_MMF_DISABLE_THP	(1ULL << 24)

/*
 * What blocks a size before the fault starts: a page table already under
 * the PMD (PTE faults only: at a PMD fault the kernel has just made the
 * PUD a table), or this thread's last fault, at the same place and that
 * size or a larger one, fell back. The same size: a fault tried under
 * the per-VMA lock is retried whole under mmap_lock when its file has no
 * ->map_pages (vmf_can_call_fault()), so a fallback is asked twice.
 * fb_*: that fallback (fb_size 0: none).
 */
static __always_inline void dt_fault_blocked(struct dt_fault_geom *g, __u32 size,
					     __u64 pmd_entry, __u64 vma,
					     __u64 fb_vma, __u64 fb_start,
					     __u32 fb_size)
{
	__u64 bytes = dt_fault_bytes(fb_size);

	g->blocked = 0;
	g->blocked_why = 0;
	if (size == DT_FAULT_PTE && dt_entry_is_table(pmd_entry)) {
		g->blocked |= 1U << DT_FAULT_PMD;
		g->blocked_why |= DT_FSZ_TABLE;
	}
	if (fb_size && fb_size >= size && fb_vma == vma &&
	    (g->address & ~(bytes - 1)) == fb_start) {
		g->blocked |= 1U << fb_size;
		g->blocked_why |= DT_FSZ_FELL;
	}
}

/*
 * fault.size's verdict of a fault that returned ret, and in *why the
 * reason to report: for a failure DT_FSZ_KERNEL, or DT_FSZ_THPOFF where
 * the process turned THP off (still a failure: the switch is inherited
 * across fork and exec, from a parent or a service manager, and costs
 * the mapping its huge pages unseen), else what kept the fault from the
 * next size up (from this size, for a fallback).
 */
static __always_inline __u32 dt_fault_size_verdict(const struct dt_fault_geom *g,
						   __u32 size, __u32 ret,
						   __u32 *best, __u32 *why)
{
	__u32 res = dt_fault_result(ret), all, v;

	*best = dt_fault_best(g, &all);
	v = dt_check_fault_size(size, res == DT_FAULT_RES_DONE,
				res == DT_FAULT_RES_FALLBACK, *best);
	if (v == DT_FAIL)
		*why = g->thp_off ? DT_FSZ_THPOFF : DT_FSZ_KERNEL;
	else if (res == DT_FAULT_RES_FALLBACK)
		*why = dt_fault_unfit(g, size);
	else
		*why = size == DT_FAULT_PUD ? 0 : dt_fault_unfit(g, size + 1);
	return v;
}

/*
 * A read or write in its file's row: shorts are the copies inside it that
 * copied less (copy.complete's failures), counted at its exit.
 */
static __always_inline void dt_file_rw(struct dt_file_val *v, __u32 op, __s64 ret,
				       __u64 shorts)
{
	int wr = op == DT_OP_WRITE;

	if (wr)
		v->writes++;
	else
		v->reads++;
	if (ret < 0)
		v->errors++;
	else if (wr)
		v->bytes_written += ret;
	else
		v->bytes_read += ret;
	v->short_copies += shorts;
}

/* A fault in its file's row: a PMD try that fell back is a PTE fallback. */
static __always_inline void dt_file_fault(struct dt_file_val *v, __u32 size, __u32 ret)
{
	__u32 res = dt_fault_result(ret);

	v->faults++;
	if (res == DT_FAULT_RES_ERROR)
		v->errors++;
	else if (res == DT_FAULT_RES_FALLBACK && size == DT_FAULT_PMD)
		v->pte_fallbacks++;
}

#endif /* __DAX_FACTS_H */
