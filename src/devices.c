// SPDX-License-Identifier: GPL-2.0
/*
 * Device resolution: "dax0.0", "/dev/dax0.0", "pmem0.1", "/dev/pmem0.1"
 * -> kernel dev_t, checked against sysfs to be a DAX device. Everything
 * is looked up under a root prefix so unit tests can use a fake tree.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "devices.h"

int dt_dev_name_check(const char *name, char *err, size_t errlen)
{
	size_t i, n = strlen(name);

	if (!n) {
		snprintf(err, errlen, "empty device name");
		return -EINVAL;
	}
	if (n > DT_DEV_NAME_MAX) {
		snprintf(err, errlen, "device name too long (%zu > %d characters)",
			 n, DT_DEV_NAME_MAX);
		return -ENAMETOOLONG;
	}
	for (i = 0; i < n; i++) {
		unsigned char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
			continue;
		snprintf(err, errlen,
			 "invalid character 0x%02x in device name (want e.g. dax0.0 or pmem0.1)",
			 c);
		return -EINVAL;
	}
	if (name[0] == '.') {
		snprintf(err, errlen, "invalid device name '%s'", name);
		return -EINVAL;
	}
	return 0;
}

int dt_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	char *nl;

	if (!f)
		return -errno;
	if (!fgets(buf, len, f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	return 0;
}

static int parse_majmin(const char *s, unsigned int *maj, unsigned int *min)
{
	char tail;

	if (sscanf(s, "%u:%u%c", maj, min, &tail) != 2)
		return -EINVAL;
	return 0;
}

/* The "dax" character major from /proc/devices, -1 if none. */
static int dax_major(const char *root)
{
	char path[PATH_MAX], line[128], name[64];
	bool chars = false;
	int major = -1, m;
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/devices", root);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Character", 9))
			chars = true;
		else if (!strncmp(line, "Block", 5))
			chars = false;
		else if (chars && sscanf(line, "%d %63s", &m, name) == 2 &&
			 !strcmp(name, "dax"))
			major = m;
	}
	fclose(f);
	return major;
}

/*
 * A character device on the dax major that is not on the dax bus: a
 * dax_device's own cdev registered by some other driver (famfs-style
 * or a test driver). Finds its "M:m" in /sys/dev/char by name.
 */
static int find_dax_char(const char *root, const char *name, char *majmin,
			 size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	unsigned int maj, min;
	struct dirent *de;
	int dmaj = dax_major(root), ret = -ENODEV;
	ssize_t n;
	DIR *d;

	if (dmaj < 0)
		return -ENODEV;
	snprintf(path, sizeof(path), "%s/sys/dev/char", root);
	d = opendir(path);
	if (!d)
		return -ENODEV;
	while ((de = readdir(d))) {
		if (parse_majmin(de->d_name, &maj, &min) || (int)maj != dmaj)
			continue;
		snprintf(path, sizeof(path), "%s/sys/dev/char/%s", root, de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n < 0)
			continue;
		link[n] = '\0';
		if (!strcmp(basename(link), name)) {
			snprintf(majmin, len, "%u:%u", maj, min);
			ret = 0;
			break;
		}
	}
	closedir(d);
	return ret;
}

/* A name known to sysfs as a dax device or a DAX-capable disk. */
static int classify(const char *root, const char *name, struct dt_dev *out,
		    char *err, size_t errlen)
{
	char path[PATH_MAX], buf[64];

	snprintf(path, sizeof(path), "%s/sys/bus/dax/devices/%s/dev", root, name);
	if (!dt_read_line(path, buf, sizeof(buf))) {
		out->kind = DT_DEV_DEVDAX;
		goto found;
	}
	if (!find_dax_char(root, name, buf, sizeof(buf))) {
		out->kind = DT_DEV_DEVDAX;
		goto found;
	}
	snprintf(path, sizeof(path), "%s/sys/class/block/%s/dev", root, name);
	if (dt_read_line(path, buf, sizeof(buf))) {
		snprintf(err, errlen, "no such device '%s'", name);
		return -ENODEV;
	}
	/*
	 * DAX is the disk's (its queue's); a filesystem on a page-aligned
	 * partition of it runs DAX too (5.17+), under the partition's dev_t.
	 */
	snprintf(path, sizeof(path), "%s/sys/class/block/%s/partition", root, name);
	if (access(path, F_OK))
		snprintf(path, sizeof(path), "%s/sys/class/block/%s/queue/dax", root, name);
	else
		snprintf(path, sizeof(path), "%s/sys/class/block/%s/../queue/dax",
			 root, name);
	if (dt_read_line(path, buf + 32, 32) || strcmp(buf + 32, "1")) {
		snprintf(err, errlen, "'%s' is a block device without DAX support", name);
		return -ENOTSUP;
	}
	snprintf(path, sizeof(path), "%s/sys/class/block/%s/dev", root, name);
	dt_read_line(path, buf, sizeof(buf));
	out->kind = DT_DEV_FSDAX;
found:
	if (parse_majmin(buf, &out->major, &out->minor)) {
		snprintf(err, errlen, "bad dev number '%s' for '%s' in sysfs", buf, name);
		return -EINVAL;
	}
	snprintf(out->name, sizeof(out->name), "%s", name);
	out->kdev = dt_kdev(out->major, out->minor);
	dt_dev_describe(root, out);
	return 0;
}

/* A path: stat it and ask sysfs what its dev_t is called. */
static int resolve_path(const char *root, const char *arg, struct dt_dev *out,
			char *err, size_t errlen)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct stat st;
	const char *type;
	ssize_t n;

	snprintf(path, sizeof(path), "%s%s", root, arg);
	if (stat(path, &st)) {
		snprintf(err, errlen, "cannot access '%s': %s", arg, strerror(errno));
		return -errno;
	}
	if (S_ISCHR(st.st_mode)) {
		type = "char";
	} else if (S_ISBLK(st.st_mode)) {
		type = "block";
	} else {
		snprintf(err, errlen, "'%s' is %s, not a DAX device", arg,
			 S_ISDIR(st.st_mode) ? "a directory" : "a regular file or other non-device");
		return -ENOTSUP;
	}
	snprintf(path, sizeof(path), "%s/sys/dev/%s/%u:%u", root, type,
		 major(st.st_rdev), minor(st.st_rdev));
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		snprintf(err, errlen, "'%s' (%s %u:%u) is unknown to sysfs", arg,
			 type, major(st.st_rdev), minor(st.st_rdev));
		return -ENODEV;
	}
	link[n] = '\0';
	if (!classify(root, basename(link), out, err, errlen))
		return 0;
	snprintf(err, errlen, "'%s' (%s %u:%u, %s) is not a DAX device", arg, type,
		 major(st.st_rdev), minor(st.st_rdev), basename(link));
	return -ENODEV;
}

int dt_dev_resolve(const char *root, const char *arg, struct dt_dev *out,
		   char *err, size_t errlen)
{
	int ret;

	memset(out, 0, sizeof(*out));
	if (strlen(arg) > PATH_MAX / 2) {
		snprintf(err, errlen, "device argument too long");
		return -ENAMETOOLONG;
	}
	if (arg[0] != '/') {
		ret = dt_dev_name_check(arg, err, errlen);
		if (ret)
			return ret;
		return classify(root, arg, out, err, errlen);
	}
	/* /dev/NAME by name first: works without udev-made nodes too */
	if (!strncmp(arg, "/dev/", 5) && !strchr(arg + 5, '/') &&
	    !dt_dev_name_check(arg + 5, err, errlen) &&
	    !classify(root, arg + 5, out, err, errlen))
		return 0;
	return resolve_path(root, arg, out, err, errlen);
}

static int list_dir(const char *root, const char *dir, struct dt_dev *devs,
		    int n, int max)
{
	char path[PATH_MAX], err[128];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s%s", root, dir);
	d = opendir(path);
	if (!d)
		return n;
	while (n < max && (de = readdir(d))) {
		if (de->d_name[0] == '.' || dt_dev_name_check(de->d_name, err, sizeof(err)))
			continue;
		if (!classify(root, de->d_name, &devs[n], err, sizeof(err)))
			n++;
	}
	closedir(d);
	return n;
}

/* dax_device cdevs outside the dax bus, by their sysfs names. */
static int list_dax_chars(const char *root, struct dt_dev *devs, int n, int max)
{
	char path[PATH_MAX], link[PATH_MAX], err[128];
	unsigned int maj, min;
	int dmaj = dax_major(root), i;
	struct dirent *de;
	ssize_t len;
	DIR *d;

	snprintf(path, sizeof(path), "%s/sys/dev/char", root);
	d = dmaj < 0 ? NULL : opendir(path);
	if (!d)
		return n;
	while (n < max && (de = readdir(d))) {
		if (parse_majmin(de->d_name, &maj, &min) || (int)maj != dmaj)
			continue;
		for (i = 0; i < n && devs[i].kdev != dt_kdev(maj, min); i++)
			;
		snprintf(path, sizeof(path), "%s/sys/dev/char/%s", root, de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (i < n || len < 0)
			continue;
		link[len] = '\0';
		if (dt_dev_name_check(basename(link), err, sizeof(err)))
			continue;
		memset(&devs[n], 0, sizeof(devs[n]));
		snprintf(devs[n].name, sizeof(devs[n].name), "%s", basename(link));
		devs[n].major = maj;
		devs[n].minor = min;
		devs[n].kdev = dt_kdev(maj, min);
		devs[n].kind = DT_DEV_DEVDAX;
		dt_dev_describe(root, &devs[n]);
		n++;
	}
	closedir(d);
	return n;
}

/* Every DAX device on the system: devdax, other dax cdevs, DAX disks. */
int dt_dev_list(const char *root, struct dt_dev *devs, int max)
{
	int n = list_dir(root, "/sys/bus/dax/devices", devs, 0, max);

	n = list_dax_chars(root, devs, n, max);
	return list_dir(root, "/sys/class/block", devs, n, max);
}
