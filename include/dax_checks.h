/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The expected-behaviour checks as pure functions, shared by the BPF
 * programs (which apply them in the kernel) and the unit tests (which
 * feed them constructed cases). Include daxtrace.h first.
 */
#ifndef __DAX_CHECKS_H
#define __DAX_CHECKS_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

#define DT_PAGE_SHIFT		12
/*
 * x86-64's kernel half and direct map size (Documentation/arch/x86/x86_64/
 * mm.rst): 4-level paging, and 5-level (LA57, the default on CPUs that have
 * it), where the direct map starts at 0xff11000000000000, below the
 * 4-level kernel half. User space tells which one runs (dt_paging_l5()).
 */
#define DT_KERNEL_HALF		0xffff800000000000ULL
#define DT_KERNEL_HALF_L5	0xff00000000000000ULL
#define DT_DIRECT_MAP_MAX	(1ULL << 46)	/* 64 TiB */
#define DT_DIRECT_MAP_MAX_L5	(1ULL << 55)	/* 32 PiB */
#define DT_PFN_MASK		((1ULL << 52) - 1)	/* pfn_t minus flags */

/*
 * floor(log2(v)), 0 for 0, by a binary search: a step the value does not
 * reach costs a compare, where the arithmetic form costs every step in
 * full. The verifier walks both ways of each step, but the paths merge
 * again at its next checkpoint as long as nothing makes it track the
 * result exactly: hist_add() reads it back from memory before it indexes
 * with it. The empty asm keeps each step a branch: clang would make it
 * two selects, each a compare of its own.
 */
#define DT_LOG2_STEP(v, r, k)				\
	do {						\
		if ((v) >> (k)) {			\
			(v) >>= (k);			\
			(r) += (k);			\
			__asm__ volatile("" : "+r"(r));	\
		}					\
	} while (0)

static __always_inline __u32 dt_log2(__u64 v)
{
	__u32 r = 0;

	DT_LOG2_STEP(v, r, 32);
	DT_LOG2_STEP(v, r, 16);
	DT_LOG2_STEP(v, r, 8);
	DT_LOG2_STEP(v, r, 4);
	DT_LOG2_STEP(v, r, 2);
	return r + (__u32)(v >> 1);
}

/* log2 bucket: slot 0 holds 0 and 1, slot n holds [2^n, 2^(n+1)). */
static __always_inline __u32 dt_log2_slot(__u64 v)
{
	__u32 r = dt_log2(v);

	return r < DT_HIST_SLOTS ? r : DT_HIST_SLOTS - 1;
}

/* Errors a direct_access may legitimately return. */
static __always_inline int dt_known_errno(__s64 err)
{
	switch (err) {
	case 5:		/* EIO */
	case 6:		/* ENXIO */
	case 12:	/* ENOMEM */
	case 14:	/* EFAULT */
	case 22:	/* EINVAL */
	case 34:	/* ERANGE */
	case 95:	/* EOPNOTSUPP */
	case 133:	/* EHWPOISON */
		return 1;
	}
	return 0;
}

/* direct_access.ret_range: 0 < ret <= nr_pages, or a known -errno. */
static __always_inline __u32 dt_check_ret_range(__s64 ret, __s64 nr_pages)
{
	if (ret > 0 && ret <= nr_pages)
		return DT_PASS;
	if (ret < 0 && dt_known_errno(-ret))
		return DT_PASS;
	return DT_FAIL;
}

/* direct_access.kaddr_kernel: a phys address is not a kernel pointer. */
static __always_inline __u32 dt_check_kaddr_kernel(int have_kaddr, __s64 ret,
						   __u64 kaddr, __u64 kernel_half)
{
	if (!have_kaddr || ret <= 0)
		return DT_NA;
	return kaddr >= kernel_half ? DT_PASS : DT_FAIL;
}

/*
 * direct_access.kaddr_pfn: in the direct map kaddr must be __va(pfn).
 * Outside it (vmalloc, ioremap) there is nothing to compare with.
 */
static __always_inline __u32 dt_check_kaddr_pfn(__u64 page_offset_base,
						__u64 direct_map_max,
						__u64 kaddr, __u64 pfn)
{
	if (!page_offset_base || kaddr < page_offset_base ||
	    kaddr - page_offset_base >= direct_map_max)
		return DT_NA;
	return kaddr == page_offset_base + ((pfn & DT_PFN_MASK) << DT_PAGE_SHIFT) ?
	       DT_PASS : DT_FAIL;
}

/*
 * rw.complete: a read or write returns what was asked, unless a read
 * stopped at i_size. Errors are counted elsewhere: not applicable here.
 */
static __always_inline __u32 dt_check_rw(int is_read, __u64 pos, __u64 asked,
					 __s64 ret, __u64 isize, int *eof)
{
	*eof = 0;
	if (ret < 0)
		return DT_NA;
	if ((__u64)ret == asked)
		return DT_PASS;
	if (is_read && pos + (__u64)ret >= isize) {
		*eof = 1;
		return DT_PASS;
	}
	return DT_FAIL;
}

/*
 * iter.progress: an iteration moves the read or write on. One that moves
 * nothing ends it there (iomap_iter() stops on 0), short, unless it is a
 * read at or past i_size: dax_iomap_iter() returns 0 for that, and a read
 * that crosses i_size makes one such iteration after the last data.
 */
static __always_inline __u32 dt_check_progress(__s64 progress, int read_at_eof)
{
	if (progress > 0)
		return DT_PASS;
	if (progress < 0)
		return DT_NA;
	return read_at_eof ? DT_PASS : DT_FAIL;
}

/*
 * An iteration's progress where the kernel advances the iterator itself
 * (6.15+): moved is how far its position went, status what the step left
 * (0 or -errno). Made into what ->processed held before: the bytes if
 * any moved, else the error (dax_iomap_iter() returned done ? done : ret),
 * so iter.progress judges both alike. A positive status is the old
 * semantics, which iomap_iter() turns into -EIO; a position that went
 * back moved nothing.
 */
static __always_inline __s64 dt_iter_progress(__s64 moved, __s64 status)
{
	if (moved > 0)
		return moved;
	if (status > 0)
		return -5;	/* EIO */
	return status;
}

/* copy.complete */
static __always_inline __u32 dt_check_copy(__u64 bytes, __u64 copied)
{
	return copied == bytes ? DT_PASS : DT_FAIL;
}

/*
 * fault.size: a DAX fault maps the largest page that the device, the VMA
 * and the file allow. What a fault at one size needs, as the kernel tests
 * it (dax_fault_check_fallback() in fs/dax.c, __dev_dax_{pmd,pud}_fault()
 * in drivers/dax/device.c), and why a size was out of reach: DT_FSZ_*
 * (daxtrace.h). The inputs are read from the vm_fault at entry.
 */
struct dt_fault_geom {
	__u64 vm_start, vm_end;	/* the VMA */
	__u64 address;		/* the faulting address */
	__u64 pgoff;		/* the file page at address */
	__u64 isize;		/* fs-dax: i_size */
	__u64 dev_align;	/* device-dax: its alignment; 0 for fs-dax */
	__u32 cow;		/* a write fault on a private mapping */
	__u32 nohuge;		/* VM_NOHUGEPAGE: the kernel tries no huge page */
	__u32 thp_off;		/* MMF_DISABLE_THP: nor for the whole process */
	__u32 blocked;		/* bit per DT_FAULT_* size: page table there, or fell back */
	__u32 blocked_why;	/* DT_FSZ_TABLE or DT_FSZ_FELL for those */
};

/* The reasons a page of that size could not map this fault, 0 if it could. */
static __always_inline __u32 dt_fault_unfit(const struct dt_fault_geom *g,
					    __u32 size)
{
	__u64 bytes = size == DT_FAULT_PUD ? 1ULL << 30 : 1ULL << 21;
	__u64 colour = (bytes >> DT_PAGE_SHIFT) - 1;
	__u64 start = g->address & ~(bytes - 1);
	__u64 max_pgoff = (g->isize + (1ULL << DT_PAGE_SHIFT) - 1) >> DT_PAGE_SHIFT;
	__u32 why = 0;

	if (g->dev_align) {
		if (g->dev_align != (size == DT_FAULT_PTE ? 4096 : bytes))
			why |= DT_FSZ_DEV;
	} else if (size == DT_FAULT_PUD) {
		why |= DT_FSZ_FSDAX;
	}
	if (size == DT_FAULT_PTE)
		return why;
	if ((g->pgoff & colour) != ((g->address >> DT_PAGE_SHIFT) & colour) ||
	    start < g->vm_start || start + bytes > g->vm_end)
		why |= DT_FSZ_VMA;
	if (!g->dev_align && ((g->pgoff & ~colour) | colour) >= max_pgoff)
		why |= DT_FSZ_FILE;
	if (!g->dev_align && g->cow)
		why |= DT_FSZ_COW;
	if (g->nohuge)
		why |= DT_FSZ_NOHUGE;
	if (g->blocked & (1U << size))
		why |= g->blocked_why;
	return why;
}

/*
 * The largest size that could map this fault, and in *why what ruled out
 * the larger ones. PTE on device-dax only where its alignment is 4 KiB.
 */
static __always_inline __u32 dt_fault_best(const struct dt_fault_geom *g,
					   __u32 *why)
{
	__u32 w;

	*why = dt_fault_unfit(g, DT_FAULT_PUD);
	if (!*why)
		return DT_FAULT_PUD;
	w = dt_fault_unfit(g, DT_FAULT_PMD);
	*why |= w;
	if (!w)
		return DT_FAULT_PMD;
	return DT_FAULT_PTE;
}

/*
 * fault.size, for a fault of size that mapped (done), fell back, or
 * neither (an error: counted elsewhere, n/a here). A fallback from a
 * size the VMA, device or file ruled out is the kernel's step down, not
 * a miss: every DAX fault on an empty PUD tries a PUD first. Any other
 * fallback fails, as does a page smaller than best.
 */
static __always_inline __u32 dt_check_fault_size(__u32 size, int done,
						 int fallback, __u32 best)
{
	if (fallback)
		return size > best ? DT_NA : DT_FAIL;
	if (!done)
		return DT_NA;
	return size >= best ? DT_PASS : DT_FAIL;
}

#endif /* __DAX_CHECKS_H */
