// SPDX-License-Identifier: GPL-2.0
/*
 * daxfault: a dax_device with a deliberately broken ->direct_access, so the
 * daxtrace tests can reproduce the bugs it exists to explain.
 *
 * The device is two memory ranges with a hole between them, like a
 * multi-range device-dax instance: device pages [0, RANGE) live at
 * chunk + 0, pages [RANGE, 2 * RANGE) at chunk + 2 * RANGE_BYTES. The
 * character device /dev/daxfault0 is registered on the dax_device's own
 * dev_t (as device-dax does) and does read/write through the real
 * dax_iomap_rw(), so dax_iomap_iter, dax_direct_access and the real copy
 * routines run exactly as they do for famfs on /dev/dax.
 *
 * Fault modes (module parameter "mode", writable at run time):
 *   none          correct: kaddr = __va(phys)
 *   phys_kaddr    kaddr = the physical address (the 2023 RFC's bug)
 *   wrong_offset  kaddr as if the ranges were contiguous (multi-range bug)
 *   short_len     claims no pages are available (returns 0)
 *   over_len      claims one page more than asked
 *   errno         -err_errno for page err_pgoff
 *
 * In phys_kaddr mode the copy reaches the physical address as a user
 * address of the caller: tests/kmod/kmodio.c makes that fault every time.
 */
#include <linux/cdev.h>
#include <linux/dax.h>
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/gfp.h>
#include <linux/iomap.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/uio.h>
#include <linux/version.h>
#include <asm/io.h>

/*
 * The kernel API differences of the matrix (Debian 6.1, 6.12, 7.3), all
 * here. ->direct_access returns a pfn_t until pfn_t was removed (7.3 has
 * no linux/pfn_t.h and passes an unsigned long); vma->vm_flags became
 * read-only behind vm_flags_set() in 6.3; class_create() lost its owner
 * argument in 6.4.
 */
#if __has_include(<linux/pfn_t.h>)
#include <linux/pfn_t.h>
typedef pfn_t dxf_pfn_t;
#define dxf_mkpfn(phys)		phys_to_pfn_t(phys, PFN_DEV | PFN_MAP)
#define dxf_pfn_val(pfn)	pfn_t_to_pfn(pfn)
#else
typedef unsigned long dxf_pfn_t;
#define dxf_mkpfn(phys)		PHYS_PFN(phys)
#define dxf_pfn_val(pfn)	(pfn)
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 3, 0)
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}
#endif

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
#define dxf_class_create(name)	class_create(THIS_MODULE, name)
#else
#define dxf_class_create(name)	class_create(name)
#endif

#define DXF_NAME	"daxfault0"
#define RANGE_ORDER	8			/* 256 pages = 1 MiB per range */
#define RANGE_PAGES	(1UL << RANGE_ORDER)
#define RANGE_BYTES	(RANGE_PAGES << PAGE_SHIFT)
#define CHUNK_ORDER	(RANGE_ORDER + 2)	/* range, hole, range, spare */
#define DEV_PAGES	(2 * RANGE_PAGES)
#define DEV_BYTES	(DEV_PAGES << PAGE_SHIFT)

/* Not in include/linux/dax.h on 6.1, but exported: the cdev lives in it. */
struct inode *dax_inode(struct dax_device *dax_dev);

enum dxf_mode {
	DXF_NONE,
	DXF_PHYS_KADDR,
	DXF_WRONG_OFFSET,
	DXF_SHORT_LEN,
	DXF_OVER_LEN,
	DXF_ERRNO,
	DXF_NR_MODES,
};

static const char *const mode_names[DXF_NR_MODES] = {
	"none", "phys_kaddr", "wrong_offset", "short_len", "over_len", "errno",
};

static int mode = DXF_NONE;
static unsigned long err_pgoff;
static int err_errno = EIO;

static struct page *chunk;
/* The chunk's physical address: kmodio keeps it unmapped as a user range. */
static unsigned long dxf_phys_base;
module_param_named(phys_base, dxf_phys_base, ulong, 0444);
MODULE_PARM_DESC(phys_base, "physical address of the device's memory (read-only)");
static struct dax_device *dxf_dax;
static struct class *dxf_class;
static struct device *dxf_dev;

static int mode_set(const char *val, const struct kernel_param *kp)
{
	int i;

	for (i = 0; i < DXF_NR_MODES; i++) {
		if (sysfs_streq(val, mode_names[i])) {
			WRITE_ONCE(mode, i);
			return 0;
		}
	}
	return -EINVAL;
}

static int mode_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", mode_names[READ_ONCE(mode)]);
}

static const struct kernel_param_ops mode_ops = {
	.set = mode_set,
	.get = mode_get,
};
module_param_cb(mode, &mode_ops, NULL, 0644);
MODULE_PARM_DESC(mode, "none|phys_kaddr|wrong_offset|short_len|over_len|errno");
module_param(err_pgoff, ulong, 0644);
MODULE_PARM_DESC(err_pgoff, "page that fails in errno mode");
module_param(err_errno, int, 0644);
MODULE_PARM_DESC(err_errno, "positive errno returned in errno mode (EIO, EHWPOISON, ...)");

/* Lets the rig's self-test prove that a kernel WARN fails a test. */
static int warn_set(const char *val, const struct kernel_param *kp)
{
	WARN(1, "daxfault: warning requested through the warn parameter\n");
	return 0;
}

static const struct kernel_param_ops warn_ops = {
	.set = warn_set,
};
module_param_cb(warn, &warn_ops, NULL, 0200);
MODULE_PARM_DESC(warn, "write anything: trigger a kernel WARN (rig self-test)");

/* Where device page pgoff really is: ranges are 2 * RANGE apart. */
static phys_addr_t dxf_phys(pgoff_t pgoff)
{
	phys_addr_t base = page_to_phys(chunk);

	if (pgoff < RANGE_PAGES)
		return base + (pgoff << PAGE_SHIFT);
	return base + 2 * RANGE_BYTES + ((pgoff - RANGE_PAGES) << PAGE_SHIFT);
}

static long dev_dax_direct_access(struct dax_device *dax_dev, pgoff_t pgoff,
				  long nr_pages, enum dax_access_mode amode,
				  void **kaddr, dxf_pfn_t *pfn)
{
	int m = READ_ONCE(mode);
	phys_addr_t phys;
	long avail;

	if (pgoff >= DEV_PAGES)
		return -ERANGE;
	if (m == DXF_ERRNO && pgoff <= err_pgoff && err_pgoff < pgoff + nr_pages)
		return -READ_ONCE(err_errno);
	if (m == DXF_SHORT_LEN)
		return 0;

	phys = dxf_phys(pgoff);
	/* contiguous pages left in this range */
	avail = (pgoff < RANGE_PAGES ? RANGE_PAGES : DEV_PAGES) - pgoff;
	if (kaddr) {
		switch (m) {
		case DXF_PHYS_KADDR:
			/*
			 * The RFC's bug. The copy routines reach this address
			 * through an exception-table protected user copy
			 * (copy_mc_to_user / __copy_user_nocache), where it
			 * faults and the copy comes back short: no oops.
			 */
			*kaddr = (void *)(unsigned long)phys;
			break;
		case DXF_WRONG_OFFSET:
			/*
			 * As if the ranges were contiguous. Pages of the second
			 * range land in the hole, which is our own memory, so
			 * the bug corrupts data without touching anyone else's.
			 */
			*kaddr = page_address(chunk) + (pgoff << PAGE_SHIFT);
			break;
		default:
			*kaddr = __va(phys);
		}
	}
	if (pfn)
		*pfn = dxf_mkpfn(phys);
	if (m == DXF_OVER_LEN)
		return nr_pages + 1;
	return avail;
}

static int dxf_zero_page_range(struct dax_device *dax_dev, pgoff_t pgoff,
			       size_t nr_pages)
{
	size_t i;

	for (i = 0; i < nr_pages && pgoff + i < DEV_PAGES; i++)
		memset(__va(dxf_phys(pgoff + i)), 0, PAGE_SIZE);
	return 0;
}

static size_t dxf_recovery_write(struct dax_device *dax_dev, pgoff_t pgoff,
				 void *addr, size_t bytes, struct iov_iter *i)
{
	/* nothing is ever poisoned here: a plain copy is the recovery */
	return _copy_from_iter(addr, bytes, i);
}

static const struct dax_operations dxf_dax_ops = {
	.direct_access = dev_dax_direct_access,
	.zero_page_range = dxf_zero_page_range,
	.recovery_write = dxf_recovery_write,
};

/* One mapped extent: device offset == file offset, as famfs on /dev/dax. */
static int dxf_iomap_begin(struct inode *inode, loff_t pos, loff_t length,
			   unsigned int flags, struct iomap *iomap,
			   struct iomap *srcmap)
{
	if (pos >= DEV_BYTES)
		return (flags & IOMAP_WRITE) ? -ENOSPC : -EINVAL;
	iomap->type = IOMAP_MAPPED;
	iomap->flags = 0;
	iomap->offset = 0;
	iomap->addr = 0;
	iomap->length = DEV_BYTES;
	iomap->bdev = NULL;
	iomap->dax_dev = dxf_dax;
	return 0;
}

static const struct iomap_ops dxf_iomap_ops = {
	.iomap_begin = dxf_iomap_begin,
};

static int dxf_open(struct inode *inode, struct file *filp)
{
	/* dax_iomap_rw() stops reads at i_size */
	inode_lock(inode);
	i_size_write(inode, DEV_BYTES);
	inode_unlock(inode);
	return 0;
}

static ssize_t dxf_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	ssize_t ret;

	inode_lock_shared(inode);
	ret = dax_iomap_rw(iocb, to, &dxf_iomap_ops);
	inode_unlock_shared(inode);
	return ret;
}

static ssize_t dxf_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct inode *inode = file_inode(iocb->ki_filp);
	ssize_t ret;

	if (iocb->ki_pos >= DEV_BYTES)
		return -ENOSPC;
	inode_lock(inode);
	ret = dax_iomap_rw(iocb, from, &dxf_iomap_ops);
	inode_unlock(inode);
	return ret;
}

/*
 * Faults ask direct_access for the pfn, as device-dax does, and map that:
 * mmap works in every mode (kaddr is never used), exactly as in the RFC.
 */
static vm_fault_t dxf_fault(struct vm_fault *vmf)
{
	void *kaddr;
	dxf_pfn_t pfn;
	long rc;
	int id;

	if (vmf->pgoff >= DEV_PAGES)
		return VM_FAULT_SIGBUS;
	id = dax_read_lock();
	rc = dax_direct_access(dxf_dax, vmf->pgoff, 1, DAX_ACCESS, &kaddr, &pfn);
	dax_read_unlock(id);
	if (rc <= 0)
		return VM_FAULT_SIGBUS;
	return vmf_insert_pfn(vmf->vma, vmf->address, dxf_pfn_val(pfn));
}

static const struct vm_operations_struct dxf_vm_ops = {
	.fault = dxf_fault,
};

static int dxf_mmap(struct file *filp, struct vm_area_struct *vma)
{
	unsigned long pages = (vma->vm_end - vma->vm_start) >> PAGE_SHIFT;

	if (vma->vm_pgoff + pages > DEV_PAGES)
		return -EINVAL;
	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_ops = &dxf_vm_ops;
	return 0;
}

static const struct file_operations dxf_fops = {
	.owner = THIS_MODULE,	/* open files pin the module: rmmod waits */
	.open = dxf_open,
	.read_iter = dxf_read_iter,
	.write_iter = dxf_write_iter,
	.mmap = dxf_mmap,
	.llseek = default_llseek,
};

static int __init dxf_init(void)
{
	struct inode *inode;
	struct cdev *cdev;
	int ret;

	chunk = alloc_pages(GFP_KERNEL | __GFP_ZERO, CHUNK_ORDER);
	if (!chunk)
		return -ENOMEM;
	dxf_phys_base = page_to_phys(chunk);
	dxf_dax = alloc_dax(NULL, &dxf_dax_ops);
	if (IS_ERR(dxf_dax)) {
		ret = PTR_ERR(dxf_dax);
		goto err_pages;
	}
	/* as device-dax: mc-safe reads, cache-bypassing writes */
	set_dax_nomc(dxf_dax);
	set_dax_nocache(dxf_dax);

	inode = dax_inode(dxf_dax);
	cdev = inode->i_cdev;
	cdev_init(cdev, &dxf_fops);
	cdev->owner = THIS_MODULE;
	ret = cdev_add(cdev, inode->i_rdev, 1);
	if (ret)
		goto err_dax;
	dxf_class = dxf_class_create("daxfault");
	if (IS_ERR(dxf_class)) {
		ret = PTR_ERR(dxf_class);
		goto err_cdev;
	}
	dxf_dev = device_create(dxf_class, NULL, inode->i_rdev, NULL, DXF_NAME);
	if (IS_ERR(dxf_dev)) {
		ret = PTR_ERR(dxf_dev);
		goto err_class;
	}
	pr_info("daxfault: /dev/%s (%u:%u), %lu pages in two ranges at %pa\n",
		DXF_NAME, MAJOR(inode->i_rdev), MINOR(inode->i_rdev), DEV_PAGES,
		&(phys_addr_t){ page_to_phys(chunk) });
	return 0;

err_class:
	class_destroy(dxf_class);
err_cdev:
	cdev_del(cdev);
err_dax:
	kill_dax(dxf_dax);
	put_dax(dxf_dax);
err_pages:
	__free_pages(chunk, CHUNK_ORDER);
	return ret;
}

static void __exit dxf_exit(void)
{
	struct inode *inode = dax_inode(dxf_dax);

	device_destroy(dxf_class, inode->i_rdev);
	class_destroy(dxf_class);
	cdev_del(inode->i_cdev);
	kill_dax(dxf_dax);
	put_dax(dxf_dax);
	__free_pages(chunk, CHUNK_ORDER);
}

module_init(dxf_init);
module_exit(dxf_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("dax_device with an injectable broken direct_access, for daxtrace tests");
