/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel-structure access that differs between kernels, kept in one
 * place. CO-RE field/enum checks decide at load time, never #if.
 */
#ifndef __DAX_TRACE_BPF_H
#define __DAX_TRACE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>

/* iov_iter before 6.1 kept the direction in the low bit of ->type. */
struct iov_iter___old {
	unsigned int type;
} __attribute__((preserve_access_index));

/* >= 6.15: iomap_iter lost ->processed; progress is the ->pos delta. */
struct iomap_iter___new {
	loff_t pos;
	u64 len;
	loff_t iter_start_pos;
	int status;
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

static __always_inline bool iter_user(struct iov_iter *i)
{
	if (bpf_core_field_exists(i->user_backed))
		return BPF_CORE_READ(i, user_backed);
	return false;
}

/*
 * The user address the iterator will touch next: for a short copy, the
 * first byte that was not copied.
 */
static __always_inline __u64 iter_user_pos(struct iov_iter *i)
{
	__u64 off = BPF_CORE_READ(i, iov_offset);
	__u8 type = BPF_CORE_READ(i, iter_type);

	if (bpf_core_enum_value_exists(enum iter_type, ITER_UBUF) &&
	    type == bpf_core_enum_value(enum iter_type, ITER_UBUF))
		return (__u64)BPF_CORE_READ(i, ubuf) + off;
	if (type == bpf_core_enum_value(enum iter_type, ITER_IOVEC))
		return (__u64)BPF_CORE_READ(i, iov, iov_base) + off;
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

#endif /* __DAX_TRACE_BPF_H */
