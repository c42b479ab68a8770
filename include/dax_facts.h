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
 * enum dax_device_flags bit numbers (drivers/dax/super.c), where the
 * kernel's BTF cannot be asked: BPF reads them through CO-RE.
 */
#define DT_DAXDEV_ALIVE		0
#define DT_DAXDEV_NOCACHE	3
#define DT_DAXDEV_NOMC		4

/*
 * The copy routine dax_copy_{to,from}_iter() picks from the device's
 * flags: none while the device is dead, the machine-check-safe copy to
 * the iterator unless DAXDEV_NOMC, the cache-flushing copy from it with
 * DAXDEV_NOCACHE. The bits are the running kernel's.
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

#endif /* __DAX_FACTS_H */
