// SPDX-License-Identifier: GPL-2.0
/*
 * A DAX device's identity and configuration, from sysfs only: nothing
 * here is guessed. A value sysfs does not give stays unknown (have_* false,
 * uuid_of DT_UUID_NONE), and every output says so instead of printing 0.
 *
 * Where things are (checked in the daxvm guest on 6.1 and 7.3):
 *   /sys/bus/dax/devices/daxX.Y -> .../regionN/daxX.Y/daxX.Y: its own size,
 *     align, numa_node and driver; its parent is the nd_dax "daxX.Y", whose
 *     "namespace" names its namespace. The uuid is the one `ndctl list`
 *     shows as the namespace's "uuid": the pfn/dax info block's, the
 *     namespace label's own ("raw_uuid") only where there is no info block.
 *   /sys/class/block/pmemX.Y -> .../regionN/pfnX.Y/block/pmemX.Y (fsdax with
 *     a memmap info block) or .../regionN/namespaceX.Y/block/pmemX.Y (raw):
 *     the pfn device's align and namespace, the disk's size in sectors.
 *   A CXL or hmem dax region has no nd namespace; a CXL region (regionN on
 *   the cxl bus) has a uuid of its own.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "devices.h"
#include "devinfo.h"

const char *dt_uuid_of_name(enum dt_uuid_of u)
{
	switch (u) {
	case DT_UUID_NAMESPACE:
		return "namespace";
	case DT_UUID_REGION:
		return "region";
	case DT_UUID_CAPTURE:
		return "capture";
	default:
		return "none";
	}
}

const char *dt_dev_uuid(const struct dt_dev *d)
{
	return d && d->info.uuid_of != DT_UUID_NONE ? d->info.uuid : NULL;
}

/* dst = src, cut to len - 1 characters */
static void set(char *dst, size_t len, const char *src)
{
	size_t n = strlen(src);

	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The first line of DIR/NAME, without its newline; -errno if unreadable. */
static int attr(const char *dir, const char *name, char *buf, size_t len)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	return dt_read_line(path, buf, len);
}

static bool attr_u64(const char *dir, const char *name, __u64 *v)
{
	char buf[32], *end;

	if (attr(dir, name, buf, sizeof(buf)) || !buf[0])
		return false;
	errno = 0;
	*v = strtoull(buf, &end, 0);
	return !errno && !*end;
}

static bool attr_int(const char *dir, const char *name, int *v)
{
	char buf[32], *end;
	long n;

	if (attr(dir, name, buf, sizeof(buf)) || !buf[0])
		return false;
	n = strtol(buf, &end, 10);
	if (*end || n < -1 || n > 65535)
		return false;
	*v = n;
	return true;
}

/* The basename of DIR/LINK's target, "" if it is not a link. */
static void link_name(const char *dir, const char *link, char *buf, size_t len)
{
	char path[PATH_MAX], tgt[PATH_MAX];
	const char *slash;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, link);
	n = readlink(path, tgt, sizeof(tgt) - 1);
	buf[0] = '\0';
	if (n < 0)
		return;
	tgt[n] = '\0';
	slash = strrchr(tgt, '/');
	set(buf, len, slash ? slash + 1 : tgt);
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* A uuid as sysfs prints it: 36 characters, not the nil uuid. */
static bool uuid_ok(const char *s)
{
	static const char nil[] = "00000000-0000-0000-0000-000000000000";
	int i;

	if (strlen(s) != 36 || !strcmp(s, nil))
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!strchr("0123456789abcdefABCDEF", s[i])) {
			return false;
		}
	}
	return true;
}

static void ns_uuid(const char *root, struct dt_dev_info *in, const char *ns)
{
	char dir[PATH_MAX], buf[64];

	set(in->namespace, sizeof(in->namespace), ns);
	snprintf(dir, sizeof(dir), "%s/sys/bus/nd/devices/%s", root, ns);
	if (!attr(dir, "uuid", buf, sizeof(buf)) && uuid_ok(buf)) {
		set(in->uuid, sizeof(in->uuid), buf);
		in->uuid_of = DT_UUID_NAMESPACE;
	}
}

/*
 * One ancestor of the device's sysfs directory: a pfn/dax/btt seed names
 * its namespace; a namespace is one; a region may have a uuid of its own.
 * Alignment and NUMA node come from the nearest object that has them.
 * Returns true when the identity is settled.
 */
static bool ancestor(const char *root, const char *dir, struct dt_dev_info *in)
{
	const char *b = base(dir);
	char buf[64];

	if (!in->have_align)
		in->have_align = attr_u64(dir, "align", &in->align);
	if (!in->have_numa)
		in->have_numa = attr_int(dir, "numa_node", &in->numa_node);
	if (!attr(dir, "namespace", buf, sizeof(buf)) && buf[0] &&
	    !strchr(buf, '/') && buf[0] != '.') {
		ns_uuid(root, in, buf);
		/* the info block's uuid: ndctl lists it as "uuid" */
		if (!attr(dir, "uuid", buf, sizeof(buf)) && uuid_ok(buf)) {
			set(in->uuid, sizeof(in->uuid), buf);
			in->uuid_of = DT_UUID_NAMESPACE;
		}
		return true;
	}
	if (!strncmp(b, "namespace", 9)) {
		ns_uuid(root, in, b);
		return true;
	}
	if (!strncmp(b, "region", 6) && !attr(dir, "uuid", buf, sizeof(buf)) &&
	    uuid_ok(buf)) {
		set(in->uuid, sizeof(in->uuid), buf);
		in->uuid_of = DT_UUID_REGION;
		return true;
	}
	return false;
}

/* Walk from the device's own directory up to /sys/devices. */
static void walk_up(const char *root, const char *link, struct dt_dev_info *in)
{
	char real[PATH_MAX], stop[PATH_MAX], path[PATH_MAX], *s;

	if (!realpath(link, real))
		return;
	snprintf(path, sizeof(path), "%s/sys/devices", root);
	if (!realpath(path, stop))
		return;
	while (strlen(real) > strlen(stop) && !strncmp(real, stop, strlen(stop))) {
		if (ancestor(root, real, in))
			return;
		s = strrchr(real, '/');
		if (!s)
			return;
		*s = '\0';
	}
}

static const char *dax_mode(const char *driver)
{
	if (!driver[0])
		return "unbound";
	if (!strcmp(driver, "device_dax"))
		return "devdax";
	if (!strcmp(driver, "kmem"))
		return "system-ram";
	if (!strcmp(driver, "fsdev_dax"))
		return "fsdev";
	return driver;
}

static void describe_dax(const char *root, const char *dir, struct dt_dev_info *in)
{
	link_name(dir, "driver", in->driver, sizeof(in->driver));
	set(in->mode, sizeof(in->mode), dax_mode(in->driver));
	in->have_size = attr_u64(dir, "size", &in->size);
	walk_up(root, dir, in);
}

static void describe_block(const char *root, const char *dir, struct dt_dev_info *in)
{
	__u64 sectors;

	snprintf(in->mode, sizeof(in->mode), "fsdax");
	link_name(dir, "device/driver", in->driver, sizeof(in->driver));
	in->have_size = attr_u64(dir, "size", &sectors);
	in->size = sectors * 512;	/* sysfs counts 512-byte sectors */
	walk_up(root, dir, in);
}

/* A dax_device cdev of another driver: only what its own sysfs node says. */
static void describe_cdev(const char *root, const struct dt_dev *d,
			  struct dt_dev_info *in)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/sys/dev/char/%u:%u", root, d->major, d->minor);
	snprintf(in->mode, sizeof(in->mode), "dax-cdev");
	link_name(dir, "device/driver", in->driver, sizeof(in->driver));
	in->have_size = attr_u64(dir, "size", &in->size);
	in->have_numa = attr_int(dir, "numa_node", &in->numa_node);
}

void dt_dev_describe(const char *root, struct dt_dev *d)
{
	struct dt_dev_info *in = &d->info;
	char dir[PATH_MAX];

	memset(in, 0, sizeof(*in));
	in->numa_node = -1;
	snprintf(dir, sizeof(dir), "%s/sys/bus/dax/devices/%s", root, d->name);
	if (d->kind == DT_DEV_DEVDAX && !access(dir, F_OK)) {
		snprintf(in->sysfs, sizeof(in->sysfs), "bus/dax/devices/%s", d->name);
		describe_dax(root, dir, in);
		return;
	}
	if (d->kind == DT_DEV_DEVDAX) {
		snprintf(in->sysfs, sizeof(in->sysfs), "dev/char/%u:%u", d->major, d->minor);
		describe_cdev(root, d, in);
		return;
	}
	snprintf(dir, sizeof(dir), "%s/sys/class/block/%s", root, d->name);
	snprintf(in->sysfs, sizeof(in->sysfs), "class/block/%s", d->name);
	describe_block(root, dir, in);
}

/*
 * Each device-dax character device's alignment, which decides the only
 * page size its faults can map (fault.size). Up to max; the count found.
 */
int dt_devdax_aligns(const char *root, __u32 *kdev, __u64 *align, int max)
{
	static struct dt_dev devs[128];
	int i, n, k = 0;

	n = dt_dev_list(root, devs, sizeof(devs) / sizeof(devs[0]));
	for (i = 0; i < n && k < max; i++) {
		if (devs[i].kind != DT_DEV_DEVDAX)
			continue;
		dt_dev_describe(root, &devs[i]);
		if (!devs[i].info.have_align || !devs[i].info.align ||
		    strcmp(devs[i].info.mode, "devdax"))
			continue;
		kdev[k] = devs[i].kdev;
		align[k++] = devs[i].info.align;
	}
	return k;
}
