// SPDX-License-Identifier: GPL-2.0
/* Device-name resolution against a fake /dev + sysfs tree. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "devices.h"
#include "unit.h"

static char root[] = "/tmp/dt-unit-devices.XXXXXX";

static void put(const char *rel, const char *content)
{
	char path[512], cmd[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", path);
	if (system(cmd))
		exit(2);
	f = fopen(path, "w");
	if (!f)
		exit(2);
	fputs(content, f);
	fclose(f);
}

/* /sys/dev/char/M:m -> ../../devices/virtual/<class>/<name> */
static void link_dev(const char *majmin, const char *name)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd),
		 "mkdir -p '%s/sys/dev/char' && ln -s ../../devices/virtual/x/%s '%s/sys/dev/char/%s'",
		 root, name, root, majmin);
	if (system(cmd))
		exit(2);
}

/* /sys/class/block/NAME -> ../../devices/<where> */
static void link_block(const char *where, const char *name)
{
	char cmd[700];

	snprintf(cmd, sizeof(cmd), "ln -s ../../devices/%s '%s/sys/class/block/%s'",
		 where, root, name);
	if (system(cmd))
		exit(2);
}

static void make_tree(void)
{
	if (!mkdtemp(root))
		exit(2);
	put("sys/bus/dax/devices/dax0.0/dev", "252:0\n");
	put("sys/class/block/pmem0.1/dev", "259:1\n");
	put("sys/class/block/pmem0.1/queue/dax", "1\n");
	put("sys/class/block/sda/dev", "8:0\n");
	put("sys/class/block/sda/queue/dax", "0\n");
	put("sys/class/block/garbled/dev", "x:y\n");
	put("sys/class/block/garbled/queue/dax", "1\n");
	put("tmp/regular", "not a device\n");
	put("proc/devices", "Character devices:\n  1 mem\n252 dax\n\nBlock devices:\n259 blkext\n");
	put("sys/devices/virtual/daxfault/daxfault0/dev", "252:7\n");
	put("sys/devices/virtual/misc/other/dev", "10:1\n");
	link_dev("252:7", "daxfault0");
	link_dev("10:1", "other");
	/* partitions: sysfs puts them inside their disk's directory */
	put("sys/devices/nd/block/pmem1/dev", "259:2\n");
	put("sys/devices/nd/block/pmem1/queue/dax", "1\n");
	put("sys/devices/nd/block/pmem1/pmem1p1/dev", "259:3\n");
	put("sys/devices/nd/block/pmem1/pmem1p1/partition", "1\n");
	put("sys/devices/pci/block/sdb/dev", "8:16\n");
	put("sys/devices/pci/block/sdb/queue/dax", "0\n");
	put("sys/devices/pci/block/sdb/sdb1/dev", "8:17\n");
	put("sys/devices/pci/block/sdb/sdb1/partition", "1\n");
	link_block("nd/block/pmem1", "pmem1");
	link_block("nd/block/pmem1/pmem1p1", "pmem1p1");
	link_block("pci/block/sdb", "sdb");
	link_block("pci/block/sdb/sdb1", "sdb1");
}

static int resolve(const char *arg, struct dt_dev *d, char *err)
{
	return dt_dev_resolve(root, arg, d, err, 256);
}

int main(void)
{
	struct dt_dev d, list[8];
	char err[256], cmd[600], path[300];
	int n, i, seen;

	make_tree();

	EXPECT_EQ(resolve("dax0.0", &d, err), 0);
	EXPECT_EQ(d.kind, DT_DEV_DEVDAX);
	EXPECT_EQ(d.kdev, (252u << 20) | 0);
	EXPECT_STR(d.name, "dax0.0");

	EXPECT_EQ(resolve("/dev/dax0.0", &d, err), 0);
	EXPECT_STR(d.name, "dax0.0");

	EXPECT_EQ(resolve("pmem0.1", &d, err), 0);
	EXPECT_EQ(d.kind, DT_DEV_FSDAX);
	EXPECT_EQ(d.kdev, (259u << 20) | 1);
	EXPECT_EQ(resolve("/dev/pmem0.1", &d, err), 0);
	EXPECT_EQ(d.minor, 1);

	EXPECT_EQ(resolve("sda", &d, err), -ENOTSUP);
	EXPECT_CONTAINS(err, "without DAX support");
	EXPECT_EQ(resolve("dax9.9", &d, err), -ENODEV);
	EXPECT_CONTAINS(err, "no such device 'dax9.9'");
	EXPECT_EQ(resolve("garbled", &d, err), -EINVAL);
	EXPECT_CONTAINS(err, "bad dev number");

	EXPECT_EQ(resolve("", &d, err), -EINVAL);
	EXPECT_CONTAINS(err, "empty");
	EXPECT_EQ(resolve("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", &d, err), -ENAMETOOLONG);
	EXPECT_EQ(resolve("dax\x01", &d, err), -EINVAL);
	EXPECT_CONTAINS(err, "0x01");
	EXPECT_EQ(resolve("../dax0.0", &d, err), -EINVAL);
	EXPECT_EQ(resolve(".hidden", &d, err), -EINVAL);
	EXPECT_EQ(resolve("dax 0.0", &d, err), -EINVAL);

	EXPECT(resolve("/tmp/regular", &d, err) < 0);
	EXPECT_CONTAINS(err, "regular file");
	EXPECT(resolve("/tmp", &d, err) < 0);
	EXPECT_CONTAINS(err, "directory");
	EXPECT(resolve("/tmp/missing", &d, err) < 0);
	EXPECT_CONTAINS(err, "cannot access");

	/* a partition of a DAX disk is DAX, under its own dev_t */
	EXPECT_EQ(resolve("pmem1p1", &d, err), 0);
	EXPECT_EQ(d.kind, DT_DEV_FSDAX);
	EXPECT_EQ(d.kdev, (259u << 20) | 3);
	EXPECT_EQ(resolve("sdb1", &d, err), -ENOTSUP);
	EXPECT_CONTAINS(err, "'sdb1' is a block device without DAX support");

	/* a dax_device cdev outside the dax bus, found by name */
	EXPECT_EQ(resolve("daxfault0", &d, err), 0);
	EXPECT_EQ(d.kind, DT_DEV_DEVDAX);
	EXPECT_EQ(d.kdev, (252u << 20) | 7);
	/* a char device on another major is not a DAX device */
	EXPECT_EQ(resolve("other", &d, err), -ENODEV);

	n = dt_dev_list(root, list, 8);
	EXPECT_EQ(n, 5);
	EXPECT_STR(list[0].name, "dax0.0");
	EXPECT_STR(list[1].name, "daxfault0");
	/* the DAX disks and their partitions, in sysfs's order */
	for (i = 2, seen = 0; i < n; i++)
		seen |= !strcmp(list[i].name, "pmem0.1") ? 1 :
			!strcmp(list[i].name, "pmem1") ? 2 :
			!strcmp(list[i].name, "pmem1p1") ? 4 : 8;
	EXPECT_EQ(seen, 7);
	EXPECT_EQ(dt_dev_list(root, list, 1), 1);

	snprintf(path, sizeof(path), "%s", root);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd))
		return 2;
	return unit_done("test_devices");
}
