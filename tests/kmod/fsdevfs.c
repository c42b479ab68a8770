// SPDX-License-Identifier: GPL-2.0
/*
 * fsdevfs: a tiny fs-dax filesystem on a character dax device bound to
 * fsdev_dax (7.1+), using the device the way famfs does, so the daxtrace
 * tests can trace fsdev_dax_direct_access under real dax_iomap_rw() reads
 * and writes and real dax_iomap_fault() faults.
 *
 *	modprobe fsdev_dax
 *	echo dax0.0 > /sys/bus/dax/drivers/device_dax/unbind
 *	echo dax0.0 > /sys/bus/dax/drivers/fsdev_dax/new_id
 *	insmod fsdevfs.ko
 *	mount -t fsdevfs /dev/dax0.0 /mnt/fsdev
 *
 * As famfs does, the superblock is keyed by the dax device's dev_t
 * (sget_dev(): st_dev of every file is the dax device's), and the device
 * is claimed with fs_dax_get() and released with fs_put_dax().
 *
 * The root directory holds NR_FILES files, f0, f1, ..., FILE_SIZE bytes
 * each, fixed in size and fully backed, interleaved as famfs interleaves:
 * chunk c (STRIP_SIZE bytes) of file i is strip c / NR_STRIPES of that
 * file's share of stripe c % NR_STRIPES, the stripes being NR_STRIPES
 * regions of the device STRIPE_SPAN apart:
 *
 *	device offset = (c % NR_STRIPES) * STRIPE_SPAN + i * FILE_SHARE
 *			+ (c / NR_STRIPES) * STRIP_SIZE + offset % STRIP_SIZE
 *
 * ->iomap_begin maps one strip at a time (neighbouring strips are never
 * contiguous on the device), so dax_iomap_rw() calls direct_access once
 * per strip an I/O touches. Strips are 2 MiB-aligned on the device, so a
 * 2 MiB-aligned mapping takes PMD faults. FIEMAP reports the layout.
 */
#include <linux/dax.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/huge_mm.h>
#include <linux/iomap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uio.h>

#define FSDEVFS_MAGIC	0x66736476	/* "fsdv" */
#define NR_FILES	3
#define STRIP_SHIFT	21
#define STRIP_SIZE	(1ULL << STRIP_SHIFT)	/* 2 MiB, famfs's default chunk */
#define NR_STRIPES	4
#define FILE_SIZE	SZ_16M
#define FILE_SHARE	(FILE_SIZE / NR_STRIPES)	/* of each stripe */
#define STRIPE_SPAN	SZ_32M
#define DEV_NEEDED	(NR_STRIPES * STRIPE_SPAN)
#define FIRST_FILE_INO	2

struct fsdevfs_info {
	struct dax_device *dax_dev;	/* our reference, from dax_dev_get() */
	bool held;			/* fs_dax_get() succeeded */
};

static u64 fsdevfs_chunk_addr(unsigned long file, u64 chunk)
{
	return (chunk % NR_STRIPES) * STRIPE_SPAN + file * FILE_SHARE +
	       (chunk / NR_STRIPES) * STRIP_SIZE;
}

static int fsdevfs_iomap_begin(struct inode *inode, loff_t pos, loff_t length,
			       unsigned int flags, struct iomap *iomap,
			       struct iomap *srcmap)
{
	struct fsdevfs_info *fsi = inode->i_sb->s_fs_info;
	loff_t size = i_size_read(inode);
	u64 chunk = pos >> STRIP_SHIFT;

	iomap->bdev = NULL;
	iomap->dax_dev = fsi->dax_dev;
	iomap->flags = 0;
	if (pos >= size) {
		/* files never grow; reads and FIEMAP see a hole past the end */
		if (flags & IOMAP_WRITE)
			return -ENOSPC;
		iomap->type = IOMAP_HOLE;
		iomap->addr = IOMAP_NULL_ADDR;
		iomap->offset = pos;
		iomap->length = length;
		return 0;
	}
	iomap->type = IOMAP_MAPPED;
	iomap->offset = chunk << STRIP_SHIFT;
	iomap->length = min_t(u64, STRIP_SIZE, size - iomap->offset);
	iomap->addr = fsdevfs_chunk_addr(inode->i_ino - FIRST_FILE_INO, chunk);
	return 0;
}

static const struct iomap_ops fsdevfs_iomap_ops = {
	.iomap_begin = fsdevfs_iomap_begin,
};

static ssize_t fsdevfs_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	ssize_t ret;

	inode_lock_shared(inode);
	ret = dax_iomap_rw(iocb, to, &fsdevfs_iomap_ops);
	inode_unlock_shared(inode);
	file_accessed(iocb->ki_filp);
	return ret;
}

/* As in famfs, a file keeps its size: a write stops at the end of it. */
static ssize_t fsdevfs_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	loff_t size = i_size_read(inode);
	ssize_t ret;

	if (iocb->ki_pos >= size)
		return iov_iter_count(from) ? -ENOSPC : 0;
	iov_iter_truncate(from, size - iocb->ki_pos);
	inode_lock(inode);
	ret = dax_iomap_rw(iocb, from, &fsdevfs_iomap_ops);
	inode_unlock(inode);
	return ret;
}

static vm_fault_t fsdevfs_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct inode *inode = file_inode(vmf->vma->vm_file);
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	vm_fault_t ret;

	if (write)
		sb_start_pagefault(inode->i_sb);
	filemap_invalidate_lock_shared(inode->i_mapping);
	/* no MAP_SYNC (no FOP_MMAP_SYNC): never VM_FAULT_NEEDDSYNC */
	ret = dax_iomap_fault(vmf, order, NULL, NULL, &fsdevfs_iomap_ops);
	filemap_invalidate_unlock_shared(inode->i_mapping);
	if (write)
		sb_end_pagefault(inode->i_sb);
	return ret;
}

static vm_fault_t fsdevfs_fault(struct vm_fault *vmf)
{
	return fsdevfs_huge_fault(vmf, 0);
}

static const struct vm_operations_struct fsdevfs_vm_ops = {
	.fault = fsdevfs_fault,
	.huge_fault = fsdevfs_huge_fault,
	.page_mkwrite = fsdevfs_fault,
	.pfn_mkwrite = fsdevfs_fault,
};

static int fsdevfs_mmap(struct file *file, struct vm_area_struct *vma)
{
	file_accessed(file);
	vma->vm_ops = &fsdevfs_vm_ops;
	vm_flags_set(vma, VM_HUGEPAGE);
	return 0;
}

/* msync/fsync: write back the CPU caches over dirty DAX entries */
static int fsdevfs_fsync(struct file *file, loff_t start, loff_t end,
			 int datasync)
{
	return file_write_and_wait_range(file, start, end);
}

static const struct file_operations fsdevfs_file_ops = {
	.open = generic_file_open,
	.llseek = generic_file_llseek,
	.read_iter = fsdevfs_read_iter,
	.write_iter = fsdevfs_write_iter,
	.mmap = fsdevfs_mmap,
	.fsync = fsdevfs_fsync,
	.get_unmapped_area = thp_get_unmapped_area,
};

static int fsdevfs_writepages(struct address_space *mapping,
			      struct writeback_control *wbc)
{
	struct fsdevfs_info *fsi = mapping->host->i_sb->s_fs_info;

	return dax_writeback_mapping_range(mapping, fsi->dax_dev, wbc);
}

static const struct address_space_operations fsdevfs_aops = {
	.writepages = fsdevfs_writepages,
	.dirty_folio = noop_dirty_folio,
};

static int fsdevfs_setattr(struct mnt_idmap *idmap, struct dentry *dentry,
			   struct iattr *attr)
{
	if (attr->ia_valid & ATTR_SIZE) {
		if (attr->ia_size != i_size_read(d_inode(dentry)))
			return -EPERM;	/* the layout is fixed */
		attr->ia_valid &= ~ATTR_SIZE;
	}
	return simple_setattr(idmap, dentry, attr);
}

static int fsdevfs_fiemap(struct inode *inode, struct fiemap_extent_info *fi,
			  u64 start, u64 len)
{
	return iomap_fiemap(inode, fi, start, len, &fsdevfs_iomap_ops);
}

static const struct inode_operations fsdevfs_file_iops = {
	.setattr = fsdevfs_setattr,
	.fiemap = fsdevfs_fiemap,
};

/* Called for media errors, and by kill_dax() when the device goes away. */
static int fsdevfs_notify_failure(struct dax_device *dax_dev, u64 offset,
				  u64 len, int mf_flags)
{
	pr_warn("fsdevfs: failure at device offset %#llx, length %#llx (flags %#x)\n",
		offset, len, mf_flags);
	return -EOPNOTSUPP;	/* let memory-failure handling do the rest */
}

static const struct dax_holder_operations fsdevfs_holder_ops = {
	.notify_failure = fsdevfs_notify_failure,
};

static void fsdevfs_evict_inode(struct inode *inode)
{
	if (IS_DAX(inode))
		dax_break_layout_final(inode);
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
}

static const struct super_operations fsdevfs_sops = {
	.statfs = simple_statfs,
	.evict_inode = fsdevfs_evict_inode,
};

static struct inode *fsdevfs_new_inode(struct super_block *sb, umode_t mode,
				       unsigned long ino)
{
	struct inode *inode = new_inode(sb);

	if (!inode)
		return NULL;
	inode->i_ino = ino;
	inode->i_mode = mode;
	simple_inode_init_ts(inode);
	return inode;
}

static int fsdevfs_add_file(struct dentry *root, unsigned long file)
{
	struct dentry *dentry;
	struct inode *inode;
	char name[16];

	snprintf(name, sizeof(name), "f%lu", file);
	dentry = d_alloc_name(root, name);
	if (!dentry)
		return -ENOMEM;
	inode = fsdevfs_new_inode(root->d_sb, S_IFREG | 0644, FIRST_FILE_INO + file);
	if (!inode) {
		dput(dentry);
		return -ENOMEM;
	}
	inode->i_op = &fsdevfs_file_iops;
	inode->i_fop = &fsdevfs_file_ops;
	inode->i_mapping->a_ops = &fsdevfs_aops;
	inode->i_flags |= S_DAX;
	i_size_write(inode, FILE_SIZE);
	d_make_persistent(dentry, inode);
	dput(dentry);
	return 0;
}

static int fsdevfs_fill_super(struct super_block *sb, dev_t devt)
{
	struct fsdevfs_info *fsi;
	struct inode *root;
	unsigned long i;
	long avail;
	int ret, id;

	fsi = kzalloc(sizeof(*fsi), GFP_KERNEL);
	if (!fsi)
		return -ENOMEM;
	sb->s_fs_info = fsi;
	fsi->dax_dev = dax_dev_get(devt);
	if (!fsi->dax_dev)
		return -ENODEV;
	ret = fs_dax_get(fsi->dax_dev, sb, &fsdevfs_holder_ops);
	if (ret) {
		pr_err("fsdevfs: fs_dax_get(%u:%u) failed: %d\n",
		       MAJOR(devt), MINOR(devt), ret);
		return ret;
	}
	fsi->held = true;

	/* the layout must fit: is the last page it uses there? */
	id = dax_read_lock();
	avail = dax_direct_access(fsi->dax_dev, PHYS_PFN(DEV_NEEDED) - 1, 1,
				  DAX_ACCESS, NULL, NULL);
	dax_read_unlock(id);
	if (avail <= 0) {
		pr_err("fsdevfs: the layout needs %u MiB of the device: %ld\n",
		       DEV_NEEDED >> 20, avail);
		return -ENOSPC;
	}

	sb->s_magic = FSDEVFS_MAGIC;
	sb->s_op = &fsdevfs_sops;
	sb->s_maxbytes = MAX_LFS_FILESIZE;
	/* dax_writeback_mapping_range() wants i_blkbits == PAGE_SHIFT */
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_time_gran = 1;

	root = fsdevfs_new_inode(sb, S_IFDIR | 0755, 1);
	if (!root)
		return -ENOMEM;
	root->i_op = &simple_dir_inode_operations;
	root->i_fop = &simple_dir_operations;
	set_nlink(root, 2);
	sb->s_root = d_make_root(root);
	if (!sb->s_root)
		return -ENOMEM;
	for (i = 0; i < NR_FILES; i++) {
		ret = fsdevfs_add_file(sb->s_root, i);
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * The mount source must be a dax character device bound to fsdev_dax:
 * dax_dev_get() would make up a dax_device for any other dev_t.
 */
static int fsdevfs_source(struct fs_context *fc, dev_t *devt)
{
	struct module *owner;
	struct file *f;
	int ret = 0;

	if (!fc->source)
		return invalf(fc, "fsdevfs: no source device");
	f = filp_open(fc->source, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	owner = f->f_op->owner;
	if (!S_ISCHR(file_inode(f)->i_mode) || !owner ||
	    strcmp(module_name(owner), "fsdev_dax"))
		ret = invalf(fc, "fsdevfs: %s is not a dax device bound to fsdev_dax",
			     fc->source);
	else
		*devt = file_inode(f)->i_rdev;
	fput(f);
	return ret;
}

static int fsdevfs_get_tree(struct fs_context *fc)
{
	struct super_block *sb;
	dev_t devt;
	int ret;

	ret = fsdevfs_source(fc, &devt);
	if (ret)
		return ret;
	sb = sget_dev(fc, devt);
	if (IS_ERR(sb))
		return PTR_ERR(sb);
	if (sb->s_root) {
		deactivate_locked_super(sb);
		return -EBUSY;
	}
	ret = fsdevfs_fill_super(sb, devt);
	if (ret) {
		deactivate_locked_super(sb);
		return ret;
	}
	sb->s_flags |= SB_ACTIVE;
	fc->root = dget(sb->s_root);
	return 0;
}

static const struct fs_context_operations fsdevfs_context_ops = {
	.get_tree = fsdevfs_get_tree,
};

static int fsdevfs_init_fs_context(struct fs_context *fc)
{
	fc->ops = &fsdevfs_context_ops;
	return 0;
}

/* s_dev is the dax device's, not an anonymous one: no kill_anon_super() */
static void fsdevfs_kill_sb(struct super_block *sb)
{
	struct fsdevfs_info *fsi = sb->s_fs_info;

	generic_shutdown_super(sb);
	if (!fsi)
		return;
	if (fsi->held)
		fs_put_dax(fsi->dax_dev, sb);
	put_dax(fsi->dax_dev);
	kfree(fsi);
}

static struct file_system_type fsdevfs_type = {
	.owner = THIS_MODULE,
	.name = "fsdevfs",
	.init_fs_context = fsdevfs_init_fs_context,
	.kill_sb = fsdevfs_kill_sb,
};

static int __init fsdevfs_init(void)
{
	return register_filesystem(&fsdevfs_type);
}

static void __exit fsdevfs_exit(void)
{
	unregister_filesystem(&fsdevfs_type);
}

module_init(fsdevfs_init);
module_exit(fsdevfs_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("famfs-like fs-dax files on an fsdev_dax device, for daxtrace tests");
MODULE_ALIAS_FS("fsdevfs");
