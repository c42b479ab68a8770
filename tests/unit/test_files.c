// SPDX-License-Identifier: GPL-2.0
/*
 * The per-file view without a kernel: the counting rules both backends
 * share, the top N per device, its text, JSON and metrics, a capture's
 * files read back by `daxtrace report`, and inode -> path on a real
 * directory tree under a mountinfo made for it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "buf.h"
#include "capture_reader.h"
#include "dax_checks.h"
#include "dax_facts.h"
#include "inopath.h"
#include "metrics.h"
#include "report.h"
#include "unit.h"

#define PMEM	((259u << 20) | 1)
#define PMEM2	((259u << 20) | 2)

static const struct dt_dev devs[] = {
	{ .name = "pmem0.1", .kdev = PMEM },
	{ .name = "pmem0.2", .kdev = PMEM2 },
};
static const struct dt_names names = { devs, 2 };

static void test_facts(void)
{
	struct dt_file_val v = {};

	dt_file_rw(&v, DT_OP_READ, 4096, 0);
	dt_file_rw(&v, DT_OP_READ, 100, 2);
	dt_file_rw(&v, DT_OP_WRITE, 8192, 0);
	dt_file_rw(&v, DT_OP_WRITE, -28, 0);
	EXPECT_EQ(v.reads, 2);
	EXPECT_EQ(v.writes, 2);
	EXPECT_EQ(v.bytes_read, 4196);
	EXPECT_EQ(v.bytes_written, 8192);
	EXPECT_EQ(v.errors, 1);
	EXPECT_EQ(v.short_copies, 2);
	dt_file_fault(&v, DT_FAULT_PUD, DT_VMF_FALLBACK);	/* a PUD try: not a PTE fallback */
	dt_file_fault(&v, DT_FAULT_PMD, DT_VMF_FALLBACK);
	dt_file_fault(&v, DT_FAULT_PTE, 0x100);
	dt_file_fault(&v, DT_FAULT_PTE, DT_VMF_SIGBUS);
	dt_file_fault(&v, DT_FAULT_PMD, DT_VMF_SIGBUS | DT_VMF_FALLBACK);
	EXPECT_EQ(v.faults, 5);
	EXPECT_EQ(v.pte_fallbacks, 1);
	EXPECT_EQ(v.errors, 3);
	EXPECT_EQ(dt_file_ops(&v), 9);
}

static void add(struct dt_snapshot *s, __u32 dev, __u64 ino, __u64 reads, __u64 bytes,
		__u64 errs, __u64 shorts, __u64 ptefb)
{
	struct dt_file_ent *f = dt_snap_file(s, dev, ino);

	f->v.reads = reads;
	f->v.bytes_read = bytes;
	f->v.errors = errs;
	f->v.short_copies = shorts;
	f->v.pte_fallbacks = ptefb;
}

/*
 * pmem0.1: ino 1..5 with ops 50, 40, 30, 20, 10; ino 5 has the most
 * bytes, ino 4 the only error, ino 3 short copies, ino 2 PTE fallbacks.
 * pmem0.2: one file. Top 2 keeps 1, 2 (ops), 5 (bytes), 4 (errors), 3
 * (short copies): all five, each marked for what.
 */
static void build(struct dt_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	add(s, PMEM, 1, 50, 1000, 0, 0, 0);
	add(s, PMEM, 2, 40, 2000, 0, 0, 7);
	add(s, PMEM, 3, 30, 3000, 0, 4, 0);
	add(s, PMEM, 4, 20, 4000, 1, 0, 0);
	add(s, PMEM, 5, 10, 9000, 0, 0, 0);
	add(s, PMEM2, 7, 3, 12, 0, 0, 0);
	s->files_counted = 6;
}

static void test_top(void)
{
	struct dt_snapshot s;

	build(&s);
	dt_snapshot_top_files(&s, 1);
	/* top 1 per rank: 1 (ops), 5 (bytes), 4 (errors), 3 (short), 2 (pte) */
	EXPECT_EQ(s.nfiles, 6);
	dt_snapshot_free(&s);

	build(&s);
	add(&s, PMEM, 6, 5, 5, 0, 0, 0);	/* in no top 1 */
	dt_snapshot_top_files(&s, 1);
	EXPECT_EQ(s.nfiles, 6);
	EXPECT_EQ(s.files[0].key.ino, 1);
	EXPECT_EQ(s.files[0].top, 1U << DT_FR_OPS);
	EXPECT_EQ(s.files[1].key.ino, 2);
	EXPECT_EQ(s.files[1].top, 1U << DT_FR_PTE_FB);
	EXPECT_EQ(s.files[2].key.ino, 3);
	EXPECT_EQ(s.files[2].top, 1U << DT_FR_SHORT);
	EXPECT_EQ(s.files[3].key.ino, 4);
	EXPECT_EQ(s.files[3].top, 1U << DT_FR_ERRORS);
	EXPECT_EQ(s.files[4].key.ino, 5);
	EXPECT_EQ(s.files[4].top, 1U << DT_FR_BYTES);
	EXPECT_EQ(s.files[5].key.dev, PMEM2);
	EXPECT_EQ(s.files[5].top, 1U << DT_FR_OPS | 1U << DT_FR_BYTES);
	dt_snapshot_free(&s);

	/* top 2 by ops adds 2; 0 keeps nothing */
	build(&s);
	dt_snapshot_top_files(&s, 2);
	EXPECT_EQ(s.files[1].top, 1U << DT_FR_OPS | 1U << DT_FR_PTE_FB);
	dt_snapshot_free(&s);
	build(&s);
	dt_snapshot_top_files(&s, 0);
	EXPECT_EQ(s.nfiles, 0);
	dt_snapshot_free(&s);
}

static char *render(const struct dt_snapshot *s, bool json, int top)
{
	struct dt_out o = { .json = json, .names = &names, .top_files = top };
	char *buf = NULL;
	size_t len = 0;

	o.f = open_memstream(&buf, &len);
	dt_summary_print(&o, s);
	fclose(o.f);
	return buf;
}

static void test_output(void)
{
	struct dt_snapshot s;
	char *out;

	memset(&s, 0, sizeof(s));
	add(&s, PMEM, 12, 40, 163840, 0, 0, 0);
	add(&s, PMEM, 13, 25, 102400, 1, 2, 0);
	s.files[0].v.writes = 1;
	s.files[0].v.bytes_written = 1 << 20;
	s.files[1].v.faults = 3;
	s.files[1].v.pte_fallbacks = 1;
	s.files[0].path = strdup("/mnt/dax/a");
	s.files_counted = 2;
	s.files_known = true;
	s.bpf.file_full = 5;
	dt_snapshot_top_files(&s, 10);

	out = render(&s, false, 10);
	EXPECT_CONTAINS(out, "\nFiles on pmem0.1: top 10 by ops, bytes, errors, short copies, PTE fallbacks\n"
			"        OPS    READS   WRITES   FAULTS        BYTES ERRORS  SHORT PTE_FB  FILE\n"
			"         41       40        1        0      1212416      0      0      0  /mnt/dax/a\n"
			"         28       25        0        3       102400      1      2      1  ino 13 (path not resolved)\n");
	EXPECT_CONTAINS(out, "0 events, 0 lost (ring buffer full), 0 map-full; "
			"files counted: 2, ops not counted per file (files map full): 5\n");
	free(out);

	out = render(&s, true, 10);
	EXPECT_CONTAINS(out, "{\"type\":\"file\",\"device\":\"pmem0.1\",\"uuid\":null,\"ino\":12,"
			"\"path\":\"/mnt/dax/a\",\"top\":[\"ops\",\"bytes\"],\"ops\":41,"
			"\"reads\":40,\"writes\":1,\"faults\":0,\"bytes\":1212416,"
			"\"bytes_read\":163840,\"bytes_written\":1048576,\"errors\":0,"
			"\"short_copies\":0,\"pte_fallbacks\":0}\n");
	EXPECT_CONTAINS(out, "\"ino\":13,\"path\":null,\"top\":[\"ops\",\"bytes\",\"errors\","
			"\"short_copies\",\"pte_fallbacks\"],");
	EXPECT_CONTAINS(out, ",\"top_files\":10,\"files_counted\":2,\"file_map_full\":5,");
	free(out);

	/* --top-files 0: no files, and no counts made up for them */
	dt_snapshot_free_files(&s);
	out = render(&s, true, 0);
	EXPECT_CONTAINS(out, ",\"top_files\":0,\"files_counted\":null,\"file_map_full\":null,");
	EXPECT(!strstr(out, "\"type\":\"file\""));
	free(out);
	out = render(&s, false, 0);
	EXPECT(!strstr(out, "Files on"));
	EXPECT(!strstr(out, "files counted"));
	free(out);
	dt_snapshot_free(&s);
}

static void test_metrics(void)
{
	struct dt_out o = { .names = &names, .top_files = 10 };
	struct dt_snapshot s;
	struct dt_buf b = {};

	memset(&s, 0, sizeof(s));
	add(&s, PMEM, 12, 40, 163840, 0, 0, 0);
	s.files[0].path = strdup("/mnt/dax/\"q\"");
	add(&s, PMEM, 13, 0, 0, 0, 0, 2);
	s.files[1].v.faults = 2;
	s.files_counted = 2;
	dt_snapshot_top_files(&s, 10);
	EXPECT_EQ(dt_metrics_render(&b, &s, &o, false), 0);
	dt_buf_puts(&b, "");
	EXPECT_CONTAINS(b.p, "daxtrace_file_ops_total{device=\"pmem0.1\",ino=\"12\","
			"path=\"/mnt/dax/\\\"q\\\"\",op=\"read\"} 40\n");
	EXPECT_CONTAINS(b.p, "daxtrace_file_bytes_total{device=\"pmem0.1\",ino=\"12\","
			"path=\"/mnt/dax/\\\"q\\\"\",op=\"read\"} 163840\n");
	EXPECT_CONTAINS(b.p, "daxtrace_file_pte_fallbacks_total{device=\"pmem0.1\",ino=\"13\","
			"path=\"\"} 2\n");
	EXPECT_CONTAINS(b.p, "daxtrace_file_ops_total{device=\"pmem0.1\",ino=\"13\",path=\"\","
			"op=\"fault\"} 2\n");
	EXPECT_CONTAINS(b.p, "# TYPE daxtrace_files_counted gauge\ndaxtrace_files_counted 2\n");
	EXPECT_CONTAINS(b.p, "daxtrace_file_map_full_total 0\n");
	dt_buf_free(&b);

	o.top_files = 0;
	EXPECT_EQ(dt_metrics_render(&b, &s, &o, false), 0);
	dt_buf_puts(&b, "");
	EXPECT(!strstr(b.p, "daxtrace_file"));
	dt_buf_free(&b);
	dt_snapshot_free(&s);
}

/* A capture with two runs' files read back: summed per file, top N again. */
static void test_capture(void)
{
	static const char *const lines[] = {
		"{\"type\":\"probes\"}",
		"{\"type\":\"event\",\"device\":\"pmem0.1\",\"op\":\"fault\",\"comm\":\"daxload\","
		"\"pid\":5,\"tid\":5,\"offset\":2097152,\"asked\":2097152,\"got\":2048,"
		"\"why\":[\"check\"],\"checks_failed\":[\"fault.size\"],\"size\":\"pmd\","
		"\"fallback\":true,\"ino\":13,\"path\":\"/mnt/dax/b\",\"fault_size\":{\"best\":\"pmd\","
		"\"why\":[\"kernel\"],\"address\":\"0x7f0000200000\",\"vm_start\":\"0x7f0000000000\","
		"\"vm_end\":\"0x7f0000400000\"}}",
		"{\"type\":\"file\",\"device\":\"pmem0.1\",\"ino\":12,\"path\":\"/mnt/dax/a\","
		"\"top\":[\"ops\"],\"ops\":10,\"reads\":10,\"writes\":0,\"faults\":0,\"bytes\":40960,"
		"\"bytes_read\":40960,\"bytes_written\":0,\"errors\":0,\"short_copies\":0,"
		"\"pte_fallbacks\":0}",
		"{\"type\":\"file\",\"device\":\"pmem0.1\",\"ino\":13,\"path\":null,"
		"\"top\":[\"ops\"],\"ops\":4,\"reads\":0,\"writes\":0,\"faults\":4,\"bytes\":0,"
		"\"bytes_read\":0,\"bytes_written\":0,\"errors\":0,\"short_copies\":0,"
		"\"pte_fallbacks\":1}",
		"{\"type\":\"stats\",\"events\":1,\"ringbuf_dropped\":0,\"map_full\":0,"
		"\"top_files\":10,\"files_counted\":2,\"file_map_full\":1,\"run\":\"r1\"}",
		"{\"type\":\"probes\"}",
		"{\"type\":\"file\",\"device\":\"pmem0.1\",\"ino\":12,\"path\":\"/mnt/dax/a\","
		"\"top\":[\"ops\"],\"ops\":5,\"reads\":5,\"writes\":0,\"faults\":0,\"bytes\":20480,"
		"\"bytes_read\":20480,\"bytes_written\":0,\"errors\":0,\"short_copies\":0,"
		"\"pte_fallbacks\":0}",
		"{\"type\":\"stats\",\"events\":0,\"ringbuf_dropped\":0,\"map_full\":0,"
		"\"top_files\":0,\"files_counted\":null,\"file_map_full\":null,\"run\":\"r2\"}",
	};
	struct dt_out o = { .top_files = 10 };
	struct dt_reader *rd;
	char *buf = NULL, line[2048];
	size_t len = 0, i;

	o.f = open_memstream(&buf, &len);
	rd = dt_reader_new(&o);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(line, sizeof(line), "%s", lines[i]);
		EXPECT_EQ(dt_reader_line(rd, line, strlen(line)), 0);
	}
	EXPECT_EQ(dt_reader_finish(rd, 1), 0);
	fclose(o.f);
	EXPECT_CONTAINS(buf, "(file offset 0x200000, ino 13, /mnt/dax/b) in VMA");
	EXPECT_CONTAINS(buf, "         15       15        0        0        61440      0      0      0  /mnt/dax/a\n"
			"          4        0        0        4            0      0      0      1  ino 13 (path not resolved)\n");
	EXPECT_CONTAINS(buf, "files counted: 2, ops not counted per file (files map full): 1");
	dt_reader_free(rd);
	free(buf);

	/* report --top-files 1: the top by ops, and the one with PTE fallbacks */
	o = (struct dt_out){ .top_files = 1, .json = true };
	buf = NULL;
	o.f = open_memstream(&buf, &len);
	rd = dt_reader_new(&o);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(line, sizeof(line), "%s", lines[i]);
		dt_reader_line(rd, line, strlen(line));
	}
	EXPECT_EQ(dt_reader_finish(rd, 1), 0);
	fclose(o.f);
	EXPECT_CONTAINS(buf, "\"ino\":12,\"path\":\"/mnt/dax/a\",\"top\":[\"ops\",\"bytes\"],\"ops\":15,");
	EXPECT_CONTAINS(buf, "\"ino\":13,\"path\":null,\"top\":[\"pte_fallbacks\"],\"ops\":4,");
	EXPECT_CONTAINS(buf, "\"path\":\"/mnt/dax/b\",\"fault_size\"");
	dt_reader_free(rd);
	free(buf);

	/* a path that is not a string is refused */
	o = (struct dt_out){ .top_files = 1 };
	buf = NULL;
	o.f = open_memstream(&buf, &len);
	rd = dt_reader_new(&o);
	snprintf(line, sizeof(line), "{\"type\":\"file\",\"device\":\"pmem0.1\",\"ino\":1,"
		 "\"path\":5,\"reads\":1,\"writes\":0,\"faults\":0,\"bytes_read\":0,"
		 "\"bytes_written\":0,\"errors\":0,\"short_copies\":0,\"pte_fallbacks\":0}");
	EXPECT(dt_reader_line(rd, line, strlen(line)) != 0);
	EXPECT_CONTAINS(dt_reader_error(rd), "\"path\" is not a string");
	dt_reader_free(rd);
	fclose(o.f);
	free(buf);
}

static __u64 ino_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

/* inode -> path on a tree under a mountinfo that names it as the device's */
static void test_inopath(void)
{
	char root[] = "/tmp/dt_inopath.XXXXXX", mi[4200], p[4200], sub[4200];
	const char *got;
	struct dt_snapshot s;
	struct stat st;
	__u64 want[2];
	char *found[2];
	__u32 dev;
	FILE *f;
	int fd;

	EXPECT(mkdtemp(root) != NULL);
	EXPECT_EQ(stat(root, &st), 0);
	dev = major(st.st_dev) << 20 | minor(st.st_dev);
	snprintf(mi, sizeof(mi), "%s/mountinfo", root);
	f = fopen(mi, "w");
	/* a bind mount of a part first, then the filesystem's root: the root wins */
	fprintf(f, "30 1 %u:%u /elsewhere /nowhere rw - ext4 /dev/x rw\n",
		major(st.st_dev), minor(st.st_dev));
	fprintf(f, "31 1 %u:%u / %s rw - ext4 /dev/x rw\n", major(st.st_dev),
		minor(st.st_dev), root);
	fclose(f);
	dt_inopath_mountinfo = mi;
	dt_inopath_reset();
	EXPECT_EQ(dt_inopath_mount(dev, p, sizeof(p)), 0);
	EXPECT_STR(p, root);
	EXPECT_EQ(dt_inopath_mount(dev + 1, p, sizeof(p)), -ENOENT);

	snprintf(sub, sizeof(sub), "%s/d1", root);
	mkdir(sub, 0755);
	snprintf(sub, sizeof(sub), "%s/d1/d2", root);
	mkdir(sub, 0755);
	snprintf(p, sizeof(p), "%s/d1/d2/file a", root);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	close(fd);
	got = dt_inopath(dev, ino_of(p));
	EXPECT_STR(got ? got : "(null)", p);
	/* from the cache, checked: still there */
	got = dt_inopath(dev, ino_of(p));
	EXPECT_STR(got ? got : "(null)", p);
	/* renamed: found again under its new name */
	snprintf(sub, sizeof(sub), "%s/d1/renamed", root);
	EXPECT_EQ(rename(p, sub), 0);
	got = dt_inopath(dev, ino_of(sub));
	EXPECT_STR(got ? got : "(null)", sub);
	/* deleted: the path it had, marked, until the next walk finds it */
	snprintf(p, sizeof(p), "%s/d1/gone", root);
	fd = open(p, O_CREAT | O_WRONLY, 0644);
	close(fd);
	want[0] = ino_of(p);
	got = dt_inopath(dev, want[0]);
	EXPECT_STR(got ? got : "(null)", p);
	unlink(p);
	got = dt_inopath(dev, want[0]);
	strcat(p, " (deleted)");
	EXPECT_STR(got ? got : "(null)", p);
	got = dt_inopath(dev, want[0]);	/* from the cache, not walked again */
	EXPECT_STR(got ? got : "(null)", p);
	/* an inode the walk cannot find: NULL, and not walked again at once */
	EXPECT(dt_inopath(dev, 999999999) == NULL);
	/* on a device not mounted here */
	EXPECT(dt_inopath(dev + 1, ino_of(sub)) == NULL);

	/* a batch: both in one walk, the missing one NULL */
	want[0] = ino_of(sub);
	want[1] = 888888888;
	EXPECT_EQ(dt_inopath_walk(dev, want, found, 2), 0);
	EXPECT_STR(found[0] ? found[0] : "(null)", sub);
	EXPECT(found[1] == NULL);
	free(found[0]);
	/* the budget bounds the walk: nothing past it is found */
	dt_inopath_budget = 1;
	EXPECT_EQ(dt_inopath_walk(dev, want, found, 1), 0);
	EXPECT(found[0] == NULL);
	dt_inopath_budget = 100000;

	/* a snapshot's files get their paths */
	dt_inopath_reset();
	memset(&s, 0, sizeof(s));
	add(&s, dev, ino_of(sub), 1, 1, 0, 0, 0);
	add(&s, dev, 777777777, 2, 1, 0, 0, 0);
	dt_files_finish(&s, 10);
	EXPECT_EQ(s.nfiles, 2);
	EXPECT(s.files[0].path == NULL);	/* 777777777: most ops, no path */
	EXPECT_STR(s.files[1].path ? s.files[1].path : "(null)", sub);
	dt_snapshot_free(&s);

	unlink(sub);
	unlink(mi);
	snprintf(sub, sizeof(sub), "%s/d1/d2", root);
	rmdir(sub);
	snprintf(sub, sizeof(sub), "%s/d1", root);
	rmdir(sub);
	rmdir(root);
	dt_inopath_reset();
}

int main(void)
{
	test_facts();
	test_top();
	test_output();
	test_metrics();
	test_capture();
	test_inopath();
	return unit_done("test_files");
}
