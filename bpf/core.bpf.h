/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-structure access that differs between kernels, kept in one
 * place. CO-RE field/enum checks decide at load time, never #if.
 * Include dax_checks.h first.
 */
#ifndef __DT_CORE_BPF_H
#define __DT_CORE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

/* iov_iter before 6.1 kept the direction in the low bit of ->type. */
struct iov_iter___old {
	unsigned int type;
} __attribute__((preserve_access_index));

/* >= 6.4: ->iov is ->__iov (de4f5fed3f23, "iov_iter: add iter_iovec()") */
struct iov_iter___iov64 {
	const struct iovec *__iov;
} __attribute__((preserve_access_index));

/* >= 6.15: iomap_iter lost ->processed (iomi_step()). */
struct iomap_iter___new {
	loff_t pos;
	u64 len;
	loff_t iter_start_pos;
	int status;
} __attribute__((preserve_access_index));

/*
 * >= 6.18: mm->flags is the bitmap mm_flags_t, no longer an unsigned
 * long; a relocation on the one fails on the other, so both are named.
 */
struct mm_struct___long {
	unsigned long flags;
} __attribute__((preserve_access_index));

struct dt_mm_bitmap {
	unsigned long __mm_flags[1];
};

struct mm_struct___bitmap {
	struct dt_mm_bitmap flags;
} __attribute__((preserve_access_index));

#define DT_READ	0
#define DT_WRITE	1

static __always_inline int iter_dir(struct iov_iter *i)
{
	if (bpf_core_field_exists(i->data_source))
		return BPF_CORE_READ(i, data_source) ? DT_WRITE : DT_READ;
	return BPF_CORE_READ((struct iov_iter___old *)i, type) & 1;
}

/* The same two, with plain loads through a typed (fentry/fexit) pointer. */
static __always_inline int iter_dir_btf(struct iov_iter *i)
{
	if (bpf_core_field_exists(i->data_source))
		return i->data_source ? DT_WRITE : DT_READ;
	return ((struct iov_iter___old *)i)->type & 1;
}

/* The iovec an ITER_IOVEC iterator is in. */
static __always_inline const struct iovec *iter_iovec(struct iov_iter *i)
{
	struct iov_iter___iov64 *n = (void *)i;

	if (bpf_core_field_exists(n->__iov))
		return BPF_CORE_READ(n, __iov);
	return BPF_CORE_READ(i, iov);
}

/*
 * The user address the iterator will touch next: for a short copy, the
 * first byte that was not copied. 0 for an iterator over kernel memory.
 * Only the type tells user memory on every kernel: ->user_backed went in
 * 6.7 (f1b4cb650b9a, "iov_iter: Derive user-backedness from the iterator
 * type"), and the type's values moved then (7d9e44a6ad8a, "iov_iter:
 * Renumber ITER_* constants"), so they come from the kernel's BTF.
 */
static __always_inline __u64 iter_user_pos(struct iov_iter *i)
{
	__u64 off = BPF_CORE_READ(i, iov_offset);
	__u8 type = BPF_CORE_READ(i, iter_type);

	if (bpf_core_enum_value_exists(enum iter_type, ITER_UBUF) &&
	    type == bpf_core_enum_value(enum iter_type, ITER_UBUF))
		return (__u64)BPF_CORE_READ(i, ubuf) + off;
	if (type == bpf_core_enum_value(enum iter_type, ITER_IOVEC))
		return (__u64)BPF_CORE_READ(iter_iovec(i), iov_base) + off;
	return 0;
}

/* dev_t of what the user opened: the char device, else the fs's bdev. */
static __always_inline __u32 inode_dev(struct inode *inode)
{
	__u16 mode = BPF_CORE_READ(inode, i_mode);

	if ((mode & 00170000) == 0020000)	/* S_ISCHR */
		return BPF_CORE_READ(inode, i_rdev);
	return BPF_CORE_READ(inode, i_sb, s_dev);
}

static __always_inline __u32 inode_dev_btf(struct inode *inode)
{
	if ((inode->i_mode & 00170000) == 0020000)	/* S_ISCHR */
		return inode->i_rdev;
	return inode->i_sb->s_dev;
}

static __always_inline bool has_iomap_processed(struct iomap_iter *it)
{
	return bpf_core_field_exists(it->processed);
}

/*
 * What an iteration that started at start did, given what its step left
 * (returned, or put in ->processed / ->status): bytes, else -errno. Up to
 * 6.14 that is the step's own answer. Since 6.15 the step advances ->pos
 * itself (bc264fea0f6f, "iomap: support incremental iomap_iter
 * advances") and leaves 0 or -errno (edd3e3b7d210, "iomap: rename
 * iomap_iter processed field to status"): dt_iter_progress() makes the
 * old answer of the two. That commit made the step's return an int: a
 * register's upper half is not part of it.
 */
static __always_inline __s64 iomi_progress(struct iomap_iter *it, __s64 start,
					   __s64 ret)
{
	if (has_iomap_processed(it))
		return ret;
	return dt_iter_progress(BPF_CORE_READ(it, pos) - start, (int)ret);
}

/*
 * The iteration iomap_iter() is about to finish, from its tracepoint: its
 * progress, and in *start and *len where it started and what was left of
 * the I/O there. Up to 6.14 ->pos and ->len are still those and
 * ->processed is its answer; since 6.15 ->pos and ->len have moved on
 * from ->iter_start_pos and ->status holds its error (as above).
 */
static __always_inline __s64 iomi_step(struct iomap_iter *it, __s64 *start,
				       __u64 *len)
{
	struct iomap_iter___new *n = (void *)it;
	__s64 moved;

	if (has_iomap_processed(it)) {
		*start = BPF_CORE_READ(it, pos);
		*len = BPF_CORE_READ(it, len);
		return BPF_CORE_READ(it, processed);
	}
	*start = BPF_CORE_READ(n, iter_start_pos);
	moved = BPF_CORE_READ(n, pos) - *start;
	*len = BPF_CORE_READ(n, len) + moved;
	return dt_iter_progress(moved, BPF_CORE_READ(n, status));
}


/*
 * The first word of mm->flags: an unsigned long up to 6.17, since then
 * the first word of the bitmap mm_flags_t. 0 if unreadable.
 */
static __always_inline __u64 mm_flags(struct mm_struct *mm)
{
	__u64 v = 0;
	__u32 off;

	if (bpf_core_field_exists(struct mm_struct___long, flags))
		off = bpf_core_field_offset(struct mm_struct___long, flags);
	else if (bpf_core_field_exists(struct mm_struct___bitmap, flags))
		off = bpf_core_field_offset(struct mm_struct___bitmap, flags);
	else
		return 0;
	bpf_probe_read_kernel(&v, sizeof(v), (void *)mm + off);
	return v;
}

/*
 * fault.size's inputs from a vm_fault at a fault handler's entry: the
 * VMA, the address, i_size, and for fs-dax a COW write; on device-dax
 * the device's alignment instead (the dev_align map). Returns the VMA.
 */
static __always_inline __u64 fault_geom(struct vm_fault *vmf, struct inode *inode,
					__u64 dev_align, struct dt_fault_geom *g)
{
	struct vm_area_struct *vma = BPF_CORE_READ(vmf, vma);
	__u64 vm_flags = 0;

	g->vm_start = BPF_CORE_READ(vma, vm_start);
	g->vm_end = BPF_CORE_READ(vma, vm_end);
	g->address = BPF_CORE_READ(vmf, address);
	g->pgoff = BPF_CORE_READ(vmf, pgoff);
	g->dev_align = dev_align;
	g->isize = dev_align ? 0 : BPF_CORE_READ(inode, i_size);
	if (bpf_core_field_exists(vma->vm_flags))
		vm_flags = BPF_CORE_READ(vma, vm_flags);
	g->cow = (BPF_CORE_READ(vmf, flags) & DT_FAULT_FLAG_WRITE) &&
		 !(vm_flags & DT_VM_SHARED);
	g->nohuge = !!(vm_flags & DT_VM_NOHUGEPAGE);
	g->thp_off = !!(mm_flags(BPF_CORE_READ(vma, vm_mm)) & DT_MMF_DISABLE_THP);
	return (__u64)vma;
}

/* The PMD entry over a PTE fault's address; 0 if unreadable. */
static __always_inline __u64 fault_pmd_entry(struct vm_fault *vmf)
{
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), BPF_CORE_READ(vmf, pmd));
	return v;
}

#endif /* __DT_CORE_BPF_H */
