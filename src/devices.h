/* SPDX-License-Identifier: GPL-2.0 */
/* Naming DAX devices: user arguments <-> kernel dev_t. */
#ifndef __DT_DEVICES_H
#define __DT_DEVICES_H

#include <stddef.h>
#include <linux/types.h>
#include "devinfo.h"

#define DT_DEV_NAME_MAX	32

enum dt_dev_kind {
	DT_DEV_DEVDAX,		/* /dev/daxX.Y character device */
	DT_DEV_FSDAX,		/* block device with queue/dax = 1 */
};

struct dt_dev {
	char name[DT_DEV_NAME_MAX + 1];
	unsigned int major;
	unsigned int minor;
	__u32 kdev;		/* kernel encoding: major << 20 | minor */
	enum dt_dev_kind kind;
	struct dt_dev_info info;	/* dt_dev_describe() */
};

static inline __u32 dt_kdev(unsigned int major, unsigned int minor)
{
	return (major << 20) | (minor & 0xfffff);
}

/* The first line of a (sysfs) file, without its newline; -errno if unreadable. */
int dt_read_line(const char *path, char *buf, size_t len);
int dt_dev_name_check(const char *name, char *err, size_t errlen);
int dt_dev_resolve(const char *root, const char *arg, struct dt_dev *out,
		   char *err, size_t errlen);
int dt_dev_list(const char *root, struct dt_dev *devs, int max);

#endif /* __DT_DEVICES_H */
