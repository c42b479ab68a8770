// SPDX-License-Identifier: GPL-2.0
/*
 * `daxtrace devices` and the device identity (devinfo.c) against a fake
 * sysfs tree laid out as the daxvm guest's is (6.1 and 7.3: an nd_dax
 * devdax namespace, an nd_pfn fsdax one), plus what the guest cannot make:
 * an hmem device in system-ram mode, an unbound device of a CXL region,
 * a sector-mode namespace and a raw one mounted without dax=always.
 */
#include <stdlib.h>
#include <unistd.h>
#include "devcmd.h"
#include "devinfo.h"
#include "unit.h"

static char root[] = "/tmp/dt-unit-devcmd.XXXXXX";

static void sh(const char *fmt, const char *a, const char *b)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	if (system(cmd))
		exit(2);
}

static void put(const char *rel, const char *content)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	sh("mkdir -p \"$(dirname '%s')\"%s", path, "");
	f = fopen(path, "w");
	if (!f)
		exit(2);
	fputs(content, f);
	fclose(f);
}

/* root/LINK -> TARGET (relative, as sysfs makes them) */
static void lnk(const char *link, const char *target)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, link);
	sh("mkdir -p \"$(dirname '%s')\"%s", path, "");
	if (symlink(target, path))
		exit(2);
}

#define ND	"sys/devices/LNXSYSTM:00/ACPI0012:00/ndbus0"

static void make_tree(void)
{
	if (!mkdtemp(root))
		exit(2);
	put("proc/devices", "Character devices:\n252 dax\n\nBlock devices:\n259 blkext\n");
	put("sys/bus/dax/drivers/device_dax/uevent", "");
	/* devdax: dax0.0 under nd_dax dax0.0 of namespace0.0 */
	put(ND "/region0/dax0.0/namespace", "namespace0.0\n");
	put(ND "/region0/dax0.0/uuid", "21a8bd6a-ab5e-4968-b7f2-2803359faefb\n");
	put(ND "/region0/dax0.0/align", "2097152\n");
	put(ND "/region0/dax0.0/dax0.0/dev", "252:0\n");
	put(ND "/region0/dax0.0/dax0.0/size", "262144000\n");
	put(ND "/region0/dax0.0/dax0.0/align", "2097152\n");
	put(ND "/region0/dax0.0/dax0.0/numa_node", "0\n");
	lnk(ND "/region0/dax0.0/dax0.0/driver", "../../../../../../bus/dax/drivers/device_dax");
	lnk("sys/bus/dax/devices/dax0.0", "../../../devices/LNXSYSTM:00/ACPI0012:00/ndbus0/region0/dax0.0/dax0.0");
	lnk("sys/dev/char/252:0", "../../devices/LNXSYSTM:00/ACPI0012:00/ndbus0/region0/dax0.0/dax0.0");
	put("sys/bus/nd/devices/namespace0.0/uuid", "26ce12ed-d02f-421e-b394-61ad574abf77\n");
	/* fsdax: pmem0.1 under nd_pfn pfn0.0 of namespace0.1 */
	put(ND "/region0/pfn0.0/namespace", "namespace0.1\n");
	put(ND "/region0/pfn0.0/uuid", "ee597a95-d62c-48c6-9614-f7a37048d34b\n");
	put(ND "/region0/pfn0.0/align", "2097152\n");
	put(ND "/region0/pfn0.0/numa_node", "0\n");
	lnk(ND "/region0/pfn0.0/driver", "../../../../../bus/nd/drivers/nd_pmem");
	put(ND "/region0/pfn0.0/block/pmem0.1/dev", "259:0\n");
	put(ND "/region0/pfn0.0/block/pmem0.1/size", "1515520\n");
	put(ND "/region0/pfn0.0/block/pmem0.1/queue/dax", "1\n");
	lnk(ND "/region0/pfn0.0/block/pmem0.1/device", "../../../pfn0.0");
	lnk("sys/class/block/pmem0.1", "../../devices/LNXSYSTM:00/ACPI0012:00/ndbus0/region0/pfn0.0/block/pmem0.1");
	put("sys/bus/nd/devices/namespace0.1/uuid", "bce7d439-4566-4d36-8294-a055d1ccacdb\n");
	/* hmem in system-ram mode: no namespace, no uuid */
	put("sys/devices/platform/hmem.0/dax1.0/dev", "252:1\n");
	put("sys/devices/platform/hmem.0/dax1.0/size", "4294967296\n");
	put("sys/devices/platform/hmem.0/dax1.0/align", "2097152\n");
	put("sys/devices/platform/hmem.0/dax1.0/numa_node", "1\n");
	lnk("sys/devices/platform/hmem.0/dax1.0/driver", "../../../../bus/dax/drivers/kmem");
	lnk("sys/bus/dax/devices/dax1.0", "../../../devices/platform/hmem.0/dax1.0");
	/* a CXL region's device, no driver bound; the region has a uuid */
	put("sys/devices/platform/ACPI0017:00/root0/decoder0.0/region2/uuid",
	    "3c1b9a5e-0f2d-4e8a-9b7c-1d2e3f405162\n");
	put("sys/devices/platform/ACPI0017:00/root0/decoder0.0/region2/dax_region2/dax2.0/dev",
	    "252:2\n");
	put("sys/devices/platform/ACPI0017:00/root0/decoder0.0/region2/dax_region2/dax2.0/size",
	    "1073741824\n");
	put("sys/devices/platform/ACPI0017:00/root0/decoder0.0/region2/dax_region2/dax2.0/align",
	    "1073741824\n");
	put("sys/devices/platform/ACPI0017:00/root0/decoder0.0/region2/dax_region2/dax2.0/numa_node",
	    "-1\n");
	lnk("sys/bus/dax/devices/dax2.0",
	    "../../../devices/platform/ACPI0017:00/root0/decoder0.0/region2/dax_region2/dax2.0");
	/* sector mode: pmem1s under btt1.0, its queue does no DAX */
	put(ND "/region1/btt1.0/namespace", "namespace1.0\n");
	put(ND "/region1/btt1.0/block/pmem1s/dev", "259:5\n");
	put(ND "/region1/btt1.0/block/pmem1s/size", "2048\n");
	put(ND "/region1/btt1.0/block/pmem1s/queue/dax", "0\n");
	lnk(ND "/region1/btt1.0/block/pmem1s/device", "../../../btt1.0");
	lnk("sys/class/block/pmem1s", "../../devices/LNXSYSTM:00/ACPI0012:00/ndbus0/region1/btt1.0/block/pmem1s");
	put("sys/bus/nd/devices/namespace1.0/uuid", "00000000-0000-0000-0000-000000000000\n");
	/* raw namespace with DAX, xfs mounted without dax=always */
	put(ND "/region3/namespace3.0/uuid", "7f6e5d4c-3b2a-4190-8877-665544332211\n");
	put(ND "/region3/namespace3.0/numa_node", "0\n");
	put(ND "/region3/namespace3.0/block/pmem3/dev", "259:7\n");
	put(ND "/region3/namespace3.0/block/pmem3/size", "2097152\n");
	put(ND "/region3/namespace3.0/block/pmem3/queue/dax", "1\n");
	lnk(ND "/region3/namespace3.0/block/pmem3/device", "../../../namespace3.0");
	lnk("sys/class/block/pmem3", "../../devices/LNXSYSTM:00/ACPI0012:00/ndbus0/region3/namespace3.0/block/pmem3");
	put("sys/bus/nd/devices/namespace3.0/uuid", "7f6e5d4c-3b2a-4190-8877-665544332211\n");
	put("proc/self/mountinfo",
	    "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
	    "39 34 259:0 / /mnt/dax rw,relatime - ext4 /dev/pmem0.1 rw,stripe=512,dax=always\n"
	    "40 34 259:7 / /mnt/my\\040data rw,relatime - xfs /dev/pmem3 rw,attr2,inode64,noquota\n");
}

static struct dt_devrow rows[DT_DEVROWS_MAX];

static const struct dt_devrow *row(int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(rows[i].dev.name, name))
			return &rows[i];
	return NULL;
}

static char *capture(const struct dt_devrow *r, int n, const struct dt_target_state *st,
		     const char *perr, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	dt_devices_print(f, r, n, st, perr, json);
	fclose(f);
	return buf;
}

static void test_scan(void)
{
	const struct dt_devrow *r;
	int n = dt_devices_scan(root, rows, DT_DEVROWS_MAX);

	EXPECT_EQ(n, 6);
	r = row(n, "dax0.0");
	EXPECT(r != NULL);
	if (r) {
		EXPECT_STR(r->dev.info.mode, "devdax");
		EXPECT_STR(r->dev.info.driver, "device_dax");
		EXPECT_EQ(r->dev.info.size, 262144000);
		EXPECT_EQ(r->dev.info.align, 2097152);
		EXPECT_EQ(r->dev.info.numa_node, 0);
		EXPECT(r->dev.info.have_numa && r->dev.info.have_size && r->dev.info.have_align);
		/* the info block's uuid, as ndctl lists it; not the label's */
		EXPECT_STR(r->dev.info.uuid, "21a8bd6a-ab5e-4968-b7f2-2803359faefb");
		EXPECT_EQ(r->dev.info.uuid_of, DT_UUID_NAMESPACE);
		EXPECT_STR(r->dev.info.namespace, "namespace0.0");
		EXPECT_STR(r->problem, "");
	}
	r = row(n, "pmem0.1");
	EXPECT(r != NULL);
	if (r) {
		EXPECT_STR(r->dev.info.mode, "fsdax");
		EXPECT_STR(r->dev.info.driver, "nd_pmem");
		EXPECT_EQ(r->dev.info.size, 1515520ULL * 512);
		EXPECT_EQ(r->dev.info.align, 2097152);
		EXPECT_STR(r->dev.info.uuid, "ee597a95-d62c-48c6-9614-f7a37048d34b");
		EXPECT_STR(r->mount, "/mnt/dax");
		EXPECT_STR(r->fstype, "ext4");
		EXPECT_EQ(r->mdax, DT_MDAX_ALWAYS);
		EXPECT_STR(r->problem, "");
	}
	r = row(n, "dax1.0");
	EXPECT(r != NULL);
	if (r) {
		EXPECT_STR(r->dev.info.mode, "system-ram");
		EXPECT_EQ(r->dev.info.uuid_of, DT_UUID_NONE);
		EXPECT_STR(r->dev.info.uuid, "");
		EXPECT_EQ(r->dev.info.numa_node, 1);
		EXPECT_STR(r->problem, "dax1.0 is in system-ram mode: no DAX I/O reaches it");
		EXPECT_STR(r->fix, "daxctl offline-memory dax1.0 && daxctl reconfigure-device --mode=devdax dax1.0");
	}
	r = row(n, "dax2.0");
	EXPECT(r != NULL);
	if (r) {
		EXPECT_STR(r->dev.info.mode, "unbound");
		EXPECT_STR(r->dev.info.driver, "");
		EXPECT_STR(r->dev.info.uuid, "3c1b9a5e-0f2d-4e8a-9b7c-1d2e3f405162");
		EXPECT_EQ(r->dev.info.uuid_of, DT_UUID_REGION);
		EXPECT_EQ(r->dev.info.align, 1073741824);
		EXPECT_EQ(r->dev.info.numa_node, -1);
		EXPECT_CONTAINS(r->problem, "dax2.0 has no driver bound");
	}
	r = row(n, "pmem1s");
	EXPECT(r != NULL);
	if (r) {
		EXPECT_STR(r->dev.info.mode, "sector");
		/* the nil uuid is no uuid */
		EXPECT_EQ(r->dev.info.uuid_of, DT_UUID_NONE);
		EXPECT_CONTAINS(r->problem, "pmem1s is a sector-mode pmem disk");
		EXPECT_STR(r->fix, "ndctl create-namespace -f -e namespace1.0 -m fsdax (erases pmem1s)");
	}
	r = row(n, "pmem3");
	EXPECT(r != NULL);
	if (r) {
		EXPECT_STR(r->dev.info.uuid, "7f6e5d4c-3b2a-4190-8877-665544332211");
		EXPECT_EQ(r->dev.info.have_align, false);
		EXPECT_STR(r->mount, "/mnt/my data");
		EXPECT_EQ(r->mdax, DT_MDAX_INODE);
		EXPECT_STR(r->problem, "pmem3 is mounted on /mnt/my data (xfs) without dax=always: files use the page cache unless their DAX flag is set");
	}
}

static void test_print(void)
{
	struct dt_target_state st[DT_NTARGETS] = {};
	int n = dt_devices_scan(root, rows, DT_DEVROWS_MAX), i;
	char *out;

	for (i = 0; i < DT_NTARGETS; i++)
		st[i].method = DT_M_FENTRY;
	st[DT_TGT_DEVFAULT].method = DT_M_KPROBE;
	st[DT_TGT_DRV_PMEM].method = DT_M_ABSENT;
	snprintf(st[DT_TGT_DRV_PMEM].note, sizeof(st[0].note), "driver not loaded");
	out = capture(rows, n, st, NULL, false);
	EXPECT_CONTAINS(out, "dax0.0: devdax, driver device_dax, 250 MiB, align 2 MiB, NUMA node 0\n"
			"  uuid:    21a8bd6a-ab5e-4968-b7f2-2803359faefb (namespace namespace0.0)\n"
			"  mounted: no\n"
			"  traced:  fault by dev_dax_huge_fault (kprobe)\n");
	EXPECT_CONTAINS(out, "  mounted: /mnt/dax (ext4, dax always)\n"
			"  traced:  read/write by dax_iomap_rw (fentry)\n");
	EXPECT_CONTAINS(out, "direct_access (driver): not traceable here (pmem_dax_direct_access: driver not loaded)\n");
	EXPECT_CONTAINS(out, "dax2.0: unbound, driver (none), 1 GiB, align 1 GiB, NUMA node -1\n");
	EXPECT_CONTAINS(out, "  traced:  nothing: no DAX I/O reaches it\n"
			"  PROBLEM: dax1.0 is in system-ram mode: no DAX I/O reaches it\n"
			"  fix:     daxctl offline-memory dax1.0 && daxctl reconfigure-device --mode=devdax dax1.0\n");
	EXPECT_CONTAINS(out, "  uuid:    none in sysfs\n");
	EXPECT_CONTAINS(out, "4 of 6 devices misconfigured: see PROBLEM above\n");
	free(out);

	out = capture(rows, n, NULL, "need root", false);
	EXPECT_CONTAINS(out, "  traced:  unknown (need root)\n");
	free(out);

	out = capture(rows, n, st, NULL, true);
	EXPECT_CONTAINS(out, "{\"type\":\"device\",\"device\":\"dax0.0\",\"dev\":\"252:0\","
			"\"mode\":\"devdax\",\"driver\":\"device_dax\",\"size\":262144000,"
			"\"align\":2097152,\"numa_node\":0,"
			"\"uuid\":\"21a8bd6a-ab5e-4968-b7f2-2803359faefb\",\"uuid_source\":\"namespace\","
			"\"namespace\":\"namespace0.0\",\"mount\":null,"
			"\"traced\":[{\"op\":\"fault\",\"target\":\"dev_dax_huge_fault\",\"method\":\"kprobe\"}],"
			"\"problem\":null,\"fix\":null}\n");
	EXPECT_CONTAINS(out, "\"device\":\"pmem3\",\"dev\":\"259:7\",\"mode\":\"fsdax\",\"driver\":null,"
			"\"size\":1073741824,\"align\":null,\"numa_node\":0,");
	EXPECT_CONTAINS(out, "\"mount\":{\"path\":\"/mnt/my data\",\"fstype\":\"xfs\",\"dax\":\"inode\"}");
	EXPECT_CONTAINS(out, "\"device\":\"dax1.0\",\"dev\":\"252:1\",\"mode\":\"system-ram\","
			"\"driver\":\"kmem\",\"size\":4294967296,\"align\":2097152,\"numa_node\":1,"
			"\"uuid\":null,\"uuid_source\":\"none\",\"namespace\":null,\"mount\":null,"
			"\"traced\":[],\"problem\":\"dax1.0 is in system-ram mode: no DAX I/O reaches it\"");
	EXPECT_CONTAINS(out, "{\"type\":\"devices\",\"count\":6,\"problems\":4}\n");
	free(out);
}

static void test_none(void)
{
	char empty[] = "/tmp/dt-unit-devcmd-empty.XXXXXX";
	char *out;
	int n;

	if (!mkdtemp(empty))
		exit(2);
	n = dt_devices_scan(empty, rows, DT_DEVROWS_MAX);
	EXPECT_EQ(n, 0);
	out = capture(rows, n, NULL, NULL, false);
	EXPECT_CONTAINS(out, "no DAX device on this machine");
	free(out);
	out = capture(rows, n, NULL, NULL, true);
	EXPECT_STR(out, "{\"type\":\"devices\",\"count\":0,\"problems\":0}\n");
	free(out);
	rmdir(empty);
}

int main(void)
{
	make_tree();
	test_scan();
	test_print();
	test_none();
	sh("rm -rf '%s'%s", root, "");
	return unit_done("test_devcmd");
}
