/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What sysfs says about a DAX device: its mode, driver, size, alignment,
 * NUMA node and the uuid of the namespace or region it is carved from.
 * Read under a root prefix, so unit tests can use a fake tree.
 */
#ifndef __DT_DEVINFO_H
#define __DT_DEVINFO_H

#include <stdbool.h>
#include <linux/types.h>

/* Where a device's uuid comes from; DT_UUID_NONE: sysfs gives none. */
enum dt_uuid_of {
	DT_UUID_NONE,
	DT_UUID_NAMESPACE,	/* the nd namespace's uuid (ndctl list's "uuid") */
	DT_UUID_REGION,		/* a region's own uuid (CXL regions have one) */
	DT_UUID_CAPTURE,	/* read back from a capture (daxtrace report) */
};

struct dt_dev_info {
	/* devdax, system-ram, fsdev, unbound, fsdax, or the bound driver's name */
	char mode[24];
	char driver[32];	/* "" when no driver is bound */
	__u64 size;		/* bytes; have_size when sysfs gave it */
	__u64 align;		/* bytes; have_align when sysfs gave it */
	int numa_node;		/* as sysfs says (-1: none); have_numa */
	bool have_size, have_align, have_numa;
	char uuid[40];		/* "" unless uuid_of */
	enum dt_uuid_of uuid_of;
	char namespace[32];	/* the nd namespace it is carved from, or "" */
	char sysfs[64];		/* the kernel object the values were read from */
};

struct dt_dev;

const char *dt_uuid_of_name(enum dt_uuid_of u);
void dt_dev_describe(const char *root, struct dt_dev *d);
/* the uuid of d as JSON: a string, or null where sysfs gives none */
const char *dt_dev_uuid(const struct dt_dev *d);

int dt_devdax_aligns(const char *root, __u32 *kdev, __u64 *align, int max);

#endif /* __DT_DEVINFO_H */
