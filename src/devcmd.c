// SPDX-License-Identifier: GPL-2.0
/*
 * `daxtrace devices [-j]`: what the machine's DAX devices are, read from
 * sysfs (/sys/bus/dax, /sys/bus/nd, /sys/class/block) and the mount table,
 * what daxtrace can trace on each on this kernel (the same probing as a
 * run), and each misconfiguration with what to do about it.
 *
 * The core (dt_devices_scan, dt_devices_print) reads under a root prefix
 * and takes the probed targets as an argument: tests/unit feeds it a fake
 * tree and a made-up probe.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <dirent.h>
#include <unistd.h>
#include "devcmd.h"
#include "probe.h"
#include "report.h"

#define EXIT_USAGE	2

/* ---- the devices ------------------------------------------------------ */

/*
 * pmem disks whose queue does no DAX (sector/btt or raw namespaces):
 * dt_dev_list() leaves them out, but they are DAX hardware set up wrong.
 */
static int list_nodax_pmem(const char *root, struct dt_devrow *rows, int n, int max)
{
	char path[PATH_MAX], buf[64], link[PATH_MAX];
	struct dirent *de;
	ssize_t len;
	DIR *d;

	snprintf(path, sizeof(path), "%s/sys/class/block", root);
	d = opendir(path);
	if (!d)
		return n;
	while (n < max && (de = readdir(d))) {
		struct dt_devrow *r = &rows[n];
		const char *nd;

		if (strncmp(de->d_name, "pmem", 4) || strlen(de->d_name) > DT_DEV_NAME_MAX)
			continue;
		snprintf(path, sizeof(path), "%s/sys/class/block/%s/queue/dax", root, de->d_name);
		if (dt_read_line(path, buf, sizeof(buf)) || !strcmp(buf, "1"))
			continue;
		memset(r, 0, sizeof(*r));
		snprintf(r->dev.name, sizeof(r->dev.name), "%s", de->d_name);
		snprintf(path, sizeof(path), "%s/sys/class/block/%s/dev", root, de->d_name);
		if (!dt_read_line(path, buf, sizeof(buf)) &&
		    sscanf(buf, "%u:%u", &r->dev.major, &r->dev.minor) == 2) {
			r->dev.kdev = dt_kdev(r->dev.major, r->dev.minor);
			r->has_devt = true;
		}
		r->dev.kind = DT_DEV_FSDAX;
		dt_dev_describe(root, &r->dev);
		snprintf(path, sizeof(path), "%s/sys/class/block/%s/device", root, de->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		link[len > 0 ? len : 0] = '\0';
		nd = strrchr(link, '/') ? strrchr(link, '/') + 1 : link;
		snprintf(r->dev.info.mode, sizeof(r->dev.info.mode), "%s",
			 !strncmp(nd, "btt", 3) ? "sector" :
			 !strncmp(nd, "namespace", 9) ? "raw" : "no-dax");
		n++;
	}
	closedir(d);
	return n;
}

/* "\040" and friends in mountinfo fields */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static bool has_opt(const char *opts, const char *opt)
{
	size_t n = strlen(opt);
	const char *p;

	for (p = opts; (p = strstr(p, opt)); p += n) {
		if ((p == opts || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	}
	return false;
}

/* How a file system of this type, mounted with these options, does DAX. */
static enum dt_mnt_dax mount_dax(const char *fstype, const char *sopts, bool block)
{
	if (!block)
		return DT_MDAX_FS;	/* on a dax character device: famfs and kin */
	if (strcmp(fstype, "ext4") && strcmp(fstype, "xfs") && strcmp(fstype, "ext2") &&
	    strcmp(fstype, "erofs"))
		return DT_MDAX_NEVER;
	if (has_opt(sopts, "dax") || has_opt(sopts, "dax=always"))
		return DT_MDAX_ALWAYS;
	if (has_opt(sopts, "dax=never"))
		return DT_MDAX_NEVER;
	return DT_MDAX_INODE;
}

/* One mountinfo line: "ID PARENT MAJ:MIN ROOT POINT OPTS ... - TYPE SRC SOPTS" */
static void mount_line(char *line, struct dt_devrow *rows, int n)
{
	char *f[6], *sep, *tail[3], *save = NULL;
	unsigned int maj, min;
	int i;

	sep = strstr(line, " - ");
	if (!sep)
		return;
	*sep = '\0';
	f[0] = strtok_r(line, " ", &save);
	for (i = 1; i < 6 && f[i - 1]; i++)
		f[i] = strtok_r(NULL, " ", &save);
	save = NULL;
	tail[0] = strtok_r(sep + 3, " \n", &save);
	tail[1] = tail[0] ? strtok_r(NULL, " \n", &save) : NULL;
	tail[2] = tail[1] ? strtok_r(NULL, " \n", &save) : NULL;
	if (!f[4] || !tail[2] || sscanf(f[2], "%u:%u", &maj, &min) != 2)
		return;
	for (i = 0; i < n; i++) {
		struct dt_devrow *r = &rows[i];

		if (!r->has_devt || r->dev.kdev != dt_kdev(maj, min))
			continue;
		if (!r->nmounts++) {
			snprintf(r->mount, sizeof(r->mount), "%s", f[4]);
			unescape(r->mount);
			snprintf(r->fstype, sizeof(r->fstype), "%s", tail[0]);
			r->mdax = mount_dax(tail[0], tail[2], r->dev.kind == DT_DEV_FSDAX);
		}
	}
}

static void read_mounts(const char *root, struct dt_devrow *rows, int n)
{
	char path[PATH_MAX], line[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/self/mountinfo", root);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		mount_line(line, rows, n);
	fclose(f);
}

/* A disk whose partitions hold the file systems is not "unmounted". */
static bool has_partition(const struct dt_devrow *rows, int n, const char *disk)
{
	size_t len = strlen(disk);
	int i;

	for (i = 0; i < n; i++)
		if (!strncmp(rows[i].dev.name, disk, len) && rows[i].dev.name[len] == 'p')
			return true;
	return false;
}

/* What is wrong with a device, and the command that puts it right. */
static void diagnose(struct dt_devrow *r, const struct dt_devrow *rows, int n)
{
	const char *name = r->dev.name, *mode = r->dev.info.mode;
	const char *ns = r->dev.info.namespace[0] ? r->dev.info.namespace : "namespaceX.Y";

	if (!strcmp(mode, "system-ram")) {
		snprintf(r->problem, sizeof(r->problem),
			 "%s is in system-ram mode: no DAX I/O reaches it", name);
		snprintf(r->fix, sizeof(r->fix),
			 "daxctl offline-memory %s && daxctl reconfigure-device --mode=devdax %s",
			 name, name);
	} else if (!strcmp(mode, "unbound")) {
		snprintf(r->problem, sizeof(r->problem),
			 "%s has no driver bound: opening /dev/%s fails (ENXIO), no DAX I/O reaches it",
			 name, name);
		snprintf(r->fix, sizeof(r->fix), "daxctl reconfigure-device --mode=devdax %s", name);
	} else if (!strcmp(mode, "sector") || !strcmp(mode, "raw") || !strcmp(mode, "no-dax")) {
		snprintf(r->problem, sizeof(r->problem),
			 "%s is a %s-mode pmem disk: it does no DAX, every I/O goes through the block layer",
			 name, mode);
		snprintf(r->fix, sizeof(r->fix),
			 "ndctl create-namespace -f -e %s -m fsdax (erases %s)", ns, name);
	} else if (!strcmp(mode, "fsdax") && !r->nmounts && !has_partition(rows, n, name)) {
		snprintf(r->problem, sizeof(r->problem),
			 "%s is an fsdax namespace with no file system mounted: no DAX I/O reaches it",
			 name);
		snprintf(r->fix, sizeof(r->fix),
			 "mkfs.xfs /dev/%s (or mkfs.ext4), then mount -o dax=always /dev/%s DIR",
			 name, name);
	} else if (!strcmp(mode, "fsdax") && r->nmounts &&
		   (r->mdax == DT_MDAX_INODE || r->mdax == DT_MDAX_NEVER)) {
		snprintf(r->problem, sizeof(r->problem),
			 r->mdax == DT_MDAX_INODE ?
			 "%s is mounted on %s (%s) without dax=always: files use the page cache unless their DAX flag is set" :
			 "%s is mounted on %s (%s) with DAX off: every file uses the page cache",
			 name, r->mount, r->fstype);
		snprintf(r->fix, sizeof(r->fix),
			 "umount %s && mount -o dax=always /dev/%s %s (ext4, xfs)",
			 r->mount, name, r->mount);
	}
}

int dt_devices_scan(const char *root, struct dt_devrow *rows, int max)
{
	static struct dt_dev devs[DT_DEVROWS_MAX];
	int n, i;

	if (max > DT_DEVROWS_MAX)
		max = DT_DEVROWS_MAX;
	n = dt_dev_list(root, devs, max);
	for (i = 0; i < n; i++) {
		memset(&rows[i], 0, sizeof(rows[i]));
		rows[i].dev = devs[i];
		rows[i].has_devt = true;
		rows[i].dax = true;
	}
	n = list_nodax_pmem(root, rows, n, max);
	read_mounts(root, rows, n);
	for (i = 0; i < n; i++)
		diagnose(&rows[i], rows, n);
	return n;
}

/* ---- what daxtrace can trace on each ---------------------------------- */

struct cap {
	const char *op;
	enum dt_target_id id;
};

/* The targets that see a device's DAX I/O, by its mode; NULL: none. */
static const struct cap *caps_of(const struct dt_devrow *r)
{
	static const struct cap fsdax[] = {
		{ "read/write", DT_TGT_RW }, { "direct_access", DT_TGT_DA },
		{ "direct_access (driver)", DT_TGT_DRV_PMEM },
		{ "copy_to_iter", DT_TGT_COPY_TO }, { "copy_from_iter", DT_TGT_COPY_FROM },
		{ "fault", DT_TGT_FAULT }, { NULL } };
	static const struct cap fsdev[] = {
		{ "read/write", DT_TGT_RW }, { "direct_access", DT_TGT_DA },
		{ "direct_access (driver)", DT_TGT_DRV_FSDEV },
		{ "copy_to_iter", DT_TGT_COPY_TO }, { "copy_from_iter", DT_TGT_COPY_FROM },
		{ "fault", DT_TGT_FAULT }, { NULL } };
	static const struct cap cdev[] = {
		{ "read/write", DT_TGT_RW }, { "direct_access", DT_TGT_DA },
		{ "direct_access (driver)", DT_TGT_DRV_DEVDAX },
		{ "copy_to_iter", DT_TGT_COPY_TO }, { "copy_from_iter", DT_TGT_COPY_FROM },
		{ "fault", DT_TGT_FAULT }, { NULL } };
	static const struct cap devdax[] = { { "fault", DT_TGT_DEVFAULT }, { NULL } };
	const char *m = r->dev.info.mode;

	if (!strcmp(m, "fsdax"))
		return fsdax;
	if (!strcmp(m, "fsdev"))
		return fsdev;
	if (!strcmp(m, "devdax"))
		return devdax;
	if (!strcmp(m, "dax-cdev"))
		return cdev;
	return NULL;
}

static bool traced(const struct dt_target_state *st, enum dt_target_id id)
{
	return st[id].method >= DT_M_FENTRY;
}

/* ---- output ----------------------------------------------------------- */

static const char *mdax_name(enum dt_mnt_dax m)
{
	static const char *const names[] = { "none", "always", "inode", "never", "fs" };

	return names[m];
}

/* "250 MiB", exact, or "740.5 MiB" */
static void human(char *buf, size_t len, __u64 v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = v;
	int u = 0;

	while (d >= 1024 && u < 4) {
		d /= 1024;
		u++;
	}
	if (d == (double)(__u64)d)
		snprintf(buf, len, "%llu %s", (unsigned long long)d, units[u]);
	else
		snprintf(buf, len, "%.1f %s", d, units[u]);
}

static void text_caps(FILE *f, const struct dt_devrow *r,
		      const struct dt_target_state *st, const char *probe_err)
{
	const struct cap *c = caps_of(r);
	int n = 0;

	if (!c) {
		fputs("  traced:  nothing: no DAX I/O reaches it\n", f);
		return;
	}
	if (!st) {
		fprintf(f, "  traced:  unknown (%s)\n", probe_err ? probe_err : "not probed");
		return;
	}
	for (; c->op; c++) {
		if (traced(st, c->id))
			fprintf(f, "%s%s by %s (%s)\n", n++ ? "           " : "  traced:  ",
				c->op, dt_targets[c->id].func, dt_method_name(st[c->id].method));
		else
			fprintf(f, "%s%s: not traceable here (%s: %s)\n",
				n++ ? "           " : "  traced:  ", c->op,
				dt_targets[c->id].func, st[c->id].note);
	}
}

static void text_row(FILE *f, const struct dt_devrow *r,
		     const struct dt_target_state *st, const char *probe_err)
{
	const struct dt_dev_info *in = &r->dev.info;
	char sz[32], al[32];

	fprintf(f, "%s: %s, driver %s", r->dev.name, in->mode,
		in->driver[0] ? in->driver : "(none)");
	if (in->have_size) {
		human(sz, sizeof(sz), in->size);
		fprintf(f, ", %s", sz);
	} else {
		fputs(", size unknown", f);
	}
	if (in->have_align) {
		human(al, sizeof(al), in->align);
		fprintf(f, ", align %s", al);
	} else {
		fputs(", align unknown", f);
	}
	if (in->have_numa)
		fprintf(f, ", NUMA node %d\n", in->numa_node);
	else
		fputs(", NUMA node unknown\n", f);
	if (in->uuid_of != DT_UUID_NONE)
		fprintf(f, "  uuid:    %s (%s%s%s)\n", in->uuid, dt_uuid_of_name(in->uuid_of),
			in->namespace[0] ? " " : "", in->namespace);
	else
		fputs("  uuid:    none in sysfs\n", f);
	if (r->nmounts)
		fprintf(f, "  mounted: %s (%s, dax %s)%s\n", r->mount, r->fstype,
			mdax_name(r->mdax), r->nmounts > 1 ? " and elsewhere" : "");
	else
		fputs("  mounted: no\n", f);
	text_caps(f, r, st, probe_err);
	if (r->problem[0])
		fprintf(f, "  PROBLEM: %s\n  fix:     %s\n", r->problem, r->fix);
}

static void json_num(FILE *f, const char *key, bool have, long long v)
{
	if (have)
		fprintf(f, ",\"%s\":%lld", key, v);
	else
		fprintf(f, ",\"%s\":null", key);
}

static void json_strn(FILE *f, const char *key, const char *v)
{
	fprintf(f, ",\"%s\":", key);
	if (v && v[0])
		dt_json_str(f, v);
	else
		fputs("null", f);
}

static void json_caps(FILE *f, const struct dt_devrow *r, const struct dt_target_state *st)
{
	const struct cap *c = caps_of(r);
	int n = 0;

	fputs(",\"traced\":", f);
	if (!st && c) {
		fputs("null", f);
		return;
	}
	fputc('[', f);
	for (; c && c->op; c++) {
		if (!traced(st, c->id))
			continue;
		fprintf(f, "%s{\"op\":\"%s\",\"target\":\"%s\",\"method\":\"%s\"}",
			n++ ? "," : "", c->op, dt_targets[c->id].func,
			dt_method_name(st[c->id].method));
	}
	fputc(']', f);
}

static void json_row(FILE *f, const struct dt_devrow *r, const struct dt_target_state *st)
{
	const struct dt_dev_info *in = &r->dev.info;

	fputs("{\"type\":\"device\",\"device\":", f);
	dt_json_str(f, r->dev.name);
	if (r->has_devt)
		fprintf(f, ",\"dev\":\"%u:%u\"", r->dev.major, r->dev.minor);
	else
		fputs(",\"dev\":null", f);
	json_strn(f, "mode", in->mode);
	json_strn(f, "driver", in->driver);
	json_num(f, "size", in->have_size, (long long)in->size);
	json_num(f, "align", in->have_align, (long long)in->align);
	json_num(f, "numa_node", in->have_numa, in->numa_node);
	json_strn(f, "uuid", in->uuid_of != DT_UUID_NONE ? in->uuid : NULL);
	fprintf(f, ",\"uuid_source\":\"%s\"", dt_uuid_of_name(in->uuid_of));
	json_strn(f, "namespace", in->namespace);
	if (r->nmounts) {
		fputs(",\"mount\":{\"path\":", f);
		dt_json_str(f, r->mount);
		fputs(",\"fstype\":", f);
		dt_json_str(f, r->fstype);
		fprintf(f, ",\"dax\":\"%s\"}", mdax_name(r->mdax));
	} else {
		fputs(",\"mount\":null", f);
	}
	json_caps(f, r, st);
	json_strn(f, "problem", r->problem);
	json_strn(f, "fix", r->fix);
	fputs("}\n", f);
}

void dt_devices_print(FILE *f, const struct dt_devrow *rows, int n,
		      const struct dt_target_state *states, const char *probe_err,
		      bool json)
{
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		if (json)
			json_row(f, &rows[i], states);
		else
			text_row(f, &rows[i], states, probe_err);
		bad += rows[i].problem[0] != '\0';
	}
	if (json) {
		fprintf(f, "{\"type\":\"devices\",\"count\":%d,\"problems\":%d}\n", n, bad);
		return;
	}
	if (!n)
		fputs("no DAX device on this machine (none on the dax bus, no dax character device, no pmem or DAX-capable disk)\n",
		      f);
	else if (bad)
		fprintf(f, "%d of %d device%s misconfigured: see PROBLEM above\n", bad, n,
			n > 1 ? "s" : "");
}

/* ---- the subcommand --------------------------------------------------- */

static void devices_usage(FILE *f)
{
	fputs("Usage: daxtrace devices [-j]\n"
	      "Every DAX device on the machine: mode, driver, size, alignment, NUMA node,\n"
	      "uuid, the file system mounted on it, what daxtrace can trace there, and\n"
	      "what is misconfigured. Exit status: 0, or 2 on bad usage.\n"
	      "  -j, --json   one JSON object per device, then a \"devices\" summary\n", f);
}

int dt_devices_main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct dt_devrow rows[DT_DEVROWS_MAX];
	const struct dt_target_state *st = NULL;
	char err[256] = "";
	bool json = false;
	int c, n;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "jh", lopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = true;
			break;
		case 'h':
			devices_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "daxtrace devices: unknown option '%s' (try daxtrace devices --help)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "daxtrace devices: unexpected argument '%s' (try daxtrace devices --help)\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	n = dt_devices_scan("", rows, DT_DEVROWS_MAX);
	/* what a run would choose: the same probing, with a real test attach */
	if (n && !dt_probe_targets(false, NULL, 0, false, err, sizeof(err)))
		st = dt_states;
	dt_devices_print(stdout, rows, n, st, err[0] ? err : NULL, json);
	dt_probe_release();
	return 0;
}
