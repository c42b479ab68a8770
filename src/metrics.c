// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus exposition of a snapshot: text format 0.0.4, or
 * OpenMetrics 1.0.0 when the scraper asks for it. Every counter comes
 * straight from the kernel-side totals, which only grow, so a scrape
 * never sees a reset while daxtrace lives.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "metrics.h"
#include "names.h"
#include "probe.h"

enum mtype {
	M_COUNTER,
	M_GAUGE,
	M_HIST,
	M_INFO,
};

struct fam {
	const char *name;	/* without _total */
	enum mtype type;
	const char *help;
};

static void esc_label(struct dt_buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\')
			dt_buf_puts(b, "\\\\");
		else if (*v == '"')
			dt_buf_puts(b, "\\\"");
		else if (*v == '\n')
			dt_buf_puts(b, "\\n");
		else
			dt_buf_printf(b, "%c", *v);
	}
}

/* HELP and TYPE: OpenMetrics names the family without the _total suffix. */
static void family(struct dt_buf *b, const struct fam *f, bool om)
{
	static const char *const types[] = { "counter", "gauge", "histogram", "info" };
	const char *sfx = "";
	enum mtype t = f->type;

	if (!om && t == M_COUNTER)
		sfx = "_total";
	if (!om && t == M_INFO) {
		sfx = "_info";
		t = M_GAUGE;
	}
	dt_buf_printf(b, "# HELP %s%s %s\n", f->name, sfx, f->help);
	dt_buf_printf(b, "# TYPE %s%s %s\n", f->name, sfx, types[t]);
}

/*
 * One sample. labels is a NULL-terminated list of name, value pairs;
 * suffix is "_total", "_bucket", ...
 */
static void sample(struct dt_buf *b, const char *name, const char *suffix,
		   const char *const *labels, const char *extra_label,
		   const char *extra_val, const char *value)
{
	bool any = false;

	dt_buf_printf(b, "%s%s", name, suffix);
	for (; labels && labels[0]; labels += 2) {
		dt_buf_printf(b, "%s%s=\"", any ? "," : "{", labels[0]);
		esc_label(b, labels[1]);
		dt_buf_puts(b, "\"");
		any = true;
	}
	if (extra_label) {
		dt_buf_printf(b, "%s%s=\"%s\"", any ? "," : "{", extra_label, extra_val);
		any = true;
	}
	dt_buf_printf(b, "%s %s\n", any ? "}" : "", value);
}

static void sample_u64(struct dt_buf *b, const char *name, const char *suffix,
		       const char *const *labels, __u64 v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	sample(b, name, suffix, labels, NULL, NULL, num);
}

/* Canonical float text; OpenMetrics wants integers written as "N.0". */
static void fmt_float(char *buf, size_t len, double v, bool om)
{
	snprintf(buf, len, "%.12g", v);
	if (om && !strpbrk(buf, ".eEni"))
		strncat(buf, ".0", len - strlen(buf) - 1);
}

/*
 * A log2 histogram as cumulative buckets. Slot 0 holds 0 and 1, slot i
 * holds [2^i, 2^(i+1) - 1], the last slot everything above: so bucket i's
 * inclusive upper bound is 2^(i+1) - 1 and the last one is +Inf.
 */
static void histogram(struct dt_buf *b, const char *name, const char *const *labels,
		      const __u64 *slots, double scale, double sum, bool om)
{
	char le[40], num[40];
	__u64 cum = 0;
	int i;

	/*
	 * Every bucket, empty or not: sum by (le) across series, and rate()
	 * of a bucket, need the same le set in every series at every scrape.
	 */
	for (i = 0; i < DT_HIST_SLOTS - 1; i++) {
		cum += slots[i];
		fmt_float(le, sizeof(le), ((double)(2ULL << i) - 1) * scale, om);
		snprintf(num, sizeof(num), "%llu", (unsigned long long)cum);
		sample(b, name, "_bucket", labels, "le", le, num);
	}
	cum += slots[DT_HIST_SLOTS - 1];
	snprintf(num, sizeof(num), "%llu", (unsigned long long)cum);
	sample(b, name, "_bucket", labels, "le", "+Inf", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)cum);
	sample(b, name, "_count", labels, NULL, NULL, num);
	fmt_float(num, sizeof(num), sum, om);
	sample(b, name, "_sum", labels, NULL, NULL, num);
}

static const struct fam
	f_build = { "daxtrace_build", M_INFO, "daxtrace version and the kernel it traces." },
	f_devinfo = { "daxtrace_device", M_INFO,
		      "Each DAX device daxtrace names, as sysfs describes it at start-up: uuid is the namespace's or region's (uuid_source), empty where sysfs gives none; size and align in bytes, empty where unknown." },
	f_profile = { "daxtrace_profile", M_INFO,
		      "The profile daxtrace runs: diagnosis (the default) or telemetry (--telemetry)." },
	f_unseen = { "daxtrace_not_seen", M_INFO,
		     "What this run's profile does not trace: no series of it means nothing, not health." },
	f_probe = { "daxtrace_probe_attached", M_GAUGE,
		    "1 if the target is attached with this method, 0 if not traced." },
	f_ops = { "daxtrace_ops", M_COUNTER,
		  "DAX operations by result: ok, short (returned less than asked), error, fallback (faults)." },
	f_bytes = { "daxtrace_bytes", M_COUNTER,
		    "Bytes asked and done (direct_access: pages x page size)." },
	f_errors = { "daxtrace_errors", M_COUNTER,
		     "Operations that failed, by errno (VM_FAULT_* bits for faults)." },
	f_shorts = { "daxtrace_short_copies", M_COUNTER,
		     "Short DAX copies by the side that declined: user, source (kaddr or media) or unknown." },
	f_variant = { "daxtrace_copy_variant", M_COUNTER,
		      "DAX copies by the copy routine that served them." },
	f_faults = { "daxtrace_faults", M_COUNTER, "Completed DAX faults by mapping size." },
	f_chk = { "daxtrace_checks", M_COUNTER,
		  "Check verdicts: pass, fail, or na (could not be judged)." },
	f_chkfail = { "daxtrace_check_failures", M_COUNTER,
		      "Operations that broke what the DAX path expects." },
	f_media = { "daxtrace_media_errors", M_COUNTER,
		    "Media errors (EIO/EHWPOISON) returned by direct_access." },
	f_len = { "daxtrace_returned_bytes", M_HIST,
		  "Bytes returned per operation (faults: completed ones only)." },
	f_lat = { "daxtrace_latency_seconds", M_HIST,
		  "Latency of DAX operations, where measured (faults always; reads and writes: "
		  "--telemetry, --deep, -s; direct_access and copies: --deep)." },
	f_events = { "daxtrace_events", M_COUNTER, "Event records received from the kernel." },
	f_drop = { "daxtrace_ringbuf_dropped", M_COUNTER,
		   "Event records lost because the ring buffer was full." },
	f_mapfull = { "daxtrace_map_full", M_COUNTER,
		      "Updates or operations lost because a table was full (a BPF map; the ftrace backend's own)." },
	f_overflow = { "daxtrace_thread_slot_overflow", M_COUNTER,
		       "Operations traced through task storage: another live thread held their thread slot." },
	f_fops = { "daxtrace_file_ops", M_COUNTER,
		   "Reads, writes and faults (fallbacks included) of each device's top files (--top-files): a file leaves the series when it leaves the top." },
	f_fbytes = { "daxtrace_file_bytes", M_COUNTER,
		     "Bytes read and written through each top file." },
	f_ferr = { "daxtrace_file_errors", M_COUNTER,
		   "Reads and writes that returned -errno and faults with VM_FAULT_ERROR, per top file." },
	f_fshort = { "daxtrace_file_short_copies", M_COUNTER,
		     "Short DAX copies inside each top file's reads and writes." },
	f_fpte = { "daxtrace_file_pte_fallbacks", M_COUNTER,
		   "PMD faults that fell back (to PTEs), per top file." },
	f_fcount = { "daxtrace_files_counted", M_GAUGE,
		     "Files with per-file counters." },
	f_ffull = { "daxtrace_file_map_full", M_COUNTER,
		    "Operations not counted per file: the files map had no slot for their file." },
	f_skipped = { "daxtrace_kernel_skipped_runs", M_COUNTER,
		      "Runs of a target's programs the kernel skipped (recursion guard, kretprobe instances): counts are short by these. Only where measured." };

struct ctx {
	struct dt_buf *b;
	const struct dt_snapshot *s;
	const struct dt_out *o;
	bool om;
};

/* device and op labels of a stats entry */
struct lbl {
	char dev[32];
	const char *v[12];
};

static const char *const *dev_op(struct ctx *c, struct lbl *l, __u32 dev, __u32 op,
				 const char *k1, const char *v1)
{
	int n = 0;

	l->v[n++] = "device";
	l->v[n++] = dt_dev_label(c->o->names, dev, l->dev, sizeof(l->dev));
	if (op < DT_OP_MAX) {
		l->v[n++] = "op";
		l->v[n++] = dt_op_name(op);
	}
	if (k1) {
		l->v[n++] = k1;
		l->v[n++] = v1;
	}
	l->v[n] = NULL;
	return l->v;
}

static void m_build(struct ctx *c)
{
	struct utsname u;
	const char *l[] = { "version", DT_VERSION, "kernel", u.release, NULL };

	uname(&u);
	family(c->b, &f_build, c->om);
	sample_u64(c->b, f_build.name, "_info", l, 1);
}

static void num_label(char *buf, size_t len, bool have, long long v)
{
	if (have)
		snprintf(buf, len, "%lld", v);
	else
		buf[0] = '\0';
}

static bool seen_before(const struct dt_names *n, int i)
{
	int j;

	for (j = 0; j < i; j++)
		if (n->devs[j].kdev == n->devs[i].kdev)
			return true;
	return false;
}

/* One series per device, for a join on device (PromQL group_left) */
static void m_devices(struct ctx *c)
{
	const struct dt_names *n = c->o->names;
	char size[24], align[24], node[12];
	int i;

	family(c->b, &f_devinfo, c->om);
	for (i = 0; n && i < n->n; i++) {
		const struct dt_dev_info *in = &n->devs[i].info;
		const char *l[] = { "device", n->devs[i].name, "mode", in->mode,
				    "driver", in->driver, "size", size, "align", align,
				    "numa_node", node, "uuid", in->uuid,
				    "uuid_source", dt_uuid_of_name(in->uuid_of), NULL };

		if (seen_before(n, i))
			continue;
		num_label(size, sizeof(size), in->have_size, in->size);
		num_label(align, sizeof(align), in->have_align, in->align);
		num_label(node, sizeof(node), in->have_numa, in->numa_node);
		sample_u64(c->b, f_devinfo.name, "_info", l, 1);
	}
}

static void m_profile(struct ctx *c)
{
	const char *what[DT_UNSEEN_MAX];
	const char *l[] = { "profile", dt_telemetry ? "telemetry" : "diagnosis", NULL };
	int i, n = dt_unseen(c->o, what, DT_UNSEEN_MAX);

	family(c->b, &f_profile, c->om);
	sample_u64(c->b, f_profile.name, "_info", l, 1);
	if (!n)
		return;
	family(c->b, &f_unseen, c->om);
	for (i = 0; i < n; i++) {
		const char *lw[] = { "what", what[i], NULL };

		sample_u64(c->b, f_unseen.name, "_info", lw, 1);
	}
}

static void m_probes(struct ctx *c)
{
	const struct dt_target *t = c->o->targets;
	const struct dt_target_state *st = c->o->states;
	int i;

	family(c->b, &f_probe, c->om);
	for (i = 0; i < c->o->ntargets; i++) {
		const char *l[] = { "target", t[i].func, "method",
				    dt_method_name(st[i].method), NULL };

		if (t[i].flags & DT_T_DETECT)
			continue;
		sample_u64(c->b, f_probe.name, "", l, st[i].attached);
	}
}

static void m_ops(struct ctx *c)
{
	static const char *const res[] = { "ok", "short", "error", "fallback" };
	struct lbl l;
	int i, r;

	family(c->b, &f_ops, c->om);
	for (i = 0; i < c->s->nstats; i++) {
		const struct dt_stat_ent *e = &c->s->stats[i];
		__u64 v[4] = { e->st.oks, e->st.shorts, e->st.errors, e->st.fallbacks };

		/* kernel-side counters each: a difference could step back */
		if (e->key.op == DT_OP_FAULT)
			v[0] = e->st.faults[DT_FAULT_PTE] + e->st.faults[DT_FAULT_PMD] +
			       e->st.faults[DT_FAULT_PUD];
		for (r = 0; r < 4; r++) {
			if (r == 3 && e->key.op != DT_OP_FAULT)
				continue;
			sample_u64(c->b, f_ops.name, "_total",
				   dev_op(c, &l, e->key.dev, e->key.op, "result", res[r]), v[r]);
		}
	}
}

static void m_bytes(struct ctx *c)
{
	struct lbl l;
	int i;

	family(c->b, &f_bytes, c->om);
	for (i = 0; i < c->s->nstats; i++) {
		const struct dt_stat_ent *e = &c->s->stats[i];

		sample_u64(c->b, f_bytes.name, "_total",
			   dev_op(c, &l, e->key.dev, e->key.op, "kind", "requested"),
			   e->st.bytes_req);
		sample_u64(c->b, f_bytes.name, "_total",
			   dev_op(c, &l, e->key.dev, e->key.op, "kind", "done"),
			   e->st.bytes_done);
	}
}

static void m_errors(struct ctx *c)
{
	char eb[48];
	struct lbl l;
	int i;

	family(c->b, &f_errors, c->om);
	for (i = 0; i < c->s->nerrs; i++) {
		const struct dt_err_ent *e = &c->s->errs[i];

		sample_u64(c->b, f_errors.name, "_total",
			   dev_op(c, &l, e->key.dev, e->key.op, "errno",
				  dt_errno_name(e->key.op, e->key.err, eb, sizeof(eb))),
			   e->n);
	}
}

/* Shorts of both copy directions per device and side; stats are sorted by dev. */
static void m_copies(struct ctx *c)
{
	static const __u32 sides[] = { DT_SIDE_USER, DT_SIDE_SOURCE, DT_SIDE_UNKNOWN };
	const struct dt_snapshot *s = c->s;
	struct lbl l;
	int i, j, k, v;

	family(c->b, &f_shorts, c->om);
	for (i = 0; i < s->nstats; i = j) {
		__u64 n[3] = {};
		bool any = false;

		for (j = i; j < s->nstats && s->stats[j].key.dev == s->stats[i].key.dev; j++) {
			if (!dt_op_is_copy(s->stats[j].key.op))
				continue;
			any = true;
			for (k = 0; k < 3; k++)
				n[k] += s->stats[j].st.short_side[sides[k]];
		}
		for (k = 0; any && k < 3; k++)
			sample_u64(c->b, f_shorts.name, "_total",
				   dev_op(c, &l, s->stats[i].key.dev, DT_OP_MAX, "side",
					  dt_side_name(sides[k])), n[k]);
	}
	family(c->b, &f_variant, c->om);
	for (i = 0; i < s->nstats; i++) {
		const struct dt_stat_ent *e = &s->stats[i];

		if (!dt_op_is_copy(e->key.op))
			continue;
		for (v = 1; v < DT_VAR_MAX; v++)
			if (e->st.variant[v])
				sample_u64(c->b, f_variant.name, "_total",
					   dev_op(c, &l, e->key.dev, e->key.op, "variant",
						  dt_variant_name(v)), e->st.variant[v]);
	}
}

static void m_faults(struct ctx *c)
{
	struct lbl l;
	int i, k;

	family(c->b, &f_faults, c->om);
	for (i = 0; i < c->s->nstats; i++) {
		const struct dt_stat_ent *e = &c->s->stats[i];

		if (e->key.op != DT_OP_FAULT)
			continue;
		for (k = 0; k < DT_FAULT_SIZES; k++)
			sample_u64(c->b, f_faults.name, "_total",
				   dev_op(c, &l, e->key.dev, DT_OP_MAX, "size",
					  dt_fault_size_name(k)), e->st.faults[k]);
	}
}

static void m_checks(struct ctx *c)
{
	static const char *const verdicts[DT_VERDICT_MAX] = { "pass", "fail", "na" };
	struct lbl l;
	int i, v;

	family(c->b, &f_chk, c->om);
	for (i = 0; i < c->s->nchks; i++) {
		const struct dt_chk_ent *e = &c->s->chks[i];

		for (v = 0; v < DT_VERDICT_MAX; v++) {
			dev_op(c, &l, e->key.dev, DT_OP_MAX, "check",
			       dt_check_name(e->key.check));
			l.v[4] = "verdict";
			l.v[5] = verdicts[v];
			l.v[6] = NULL;
			sample_u64(c->b, f_chk.name, "_total", l.v, e->v.n[v]);
		}
	}
	family(c->b, &f_chkfail, c->om);
	for (i = 0; i < c->s->nchks; i++) {
		const struct dt_chk_ent *e = &c->s->chks[i];

		sample_u64(c->b, f_chkfail.name, "_total",
			   dev_op(c, &l, e->key.dev, DT_OP_MAX, "check",
				  dt_check_name(e->key.check)), e->v.n[DT_FAIL]);
	}
}

static bool media_err(const struct dt_err_ent *e)
{
	return e->key.op == DT_OP_DIRECT_ACCESS &&
	       (e->key.err == 5 || e->key.err == 133);	/* EIO, EHWPOISON */
}

/*
 * Per device, not per page: offsets are for the JSON report, not labels.
 * Summed from the error counters, which never drop a count: the per-page
 * map is an LRU, and a counter summed from it would go back when a bad
 * DIMM evicts pages. The errors come sorted by device (dt_snapshot_sort).
 */
static void m_media(struct ctx *c)
{
	const struct dt_snapshot *s = c->s;
	struct lbl l;
	bool any;
	__u64 n;
	int i, j;

	family(c->b, &f_media, c->om);
	for (i = 0; i < s->nerrs; i = j) {
		for (j = i, n = 0, any = false;
		     j < s->nerrs && s->errs[j].key.dev == s->errs[i].key.dev; j++) {
			if (media_err(&s->errs[j])) {
				n += s->errs[j].n;
				any = true;
			}
		}
		if (any)
			sample_u64(c->b, f_media.name, "_total",
				   dev_op(c, &l, s->errs[i].key.dev, DT_OP_MAX, NULL, NULL), n);
	}
}

static void m_hists(struct ctx *c)
{
	struct lbl l;
	int i;

	family(c->b, &f_len, c->om);
	for (i = 0; i < c->s->nstats; i++) {
		const struct dt_stat_ent *e = &c->s->stats[i];

		histogram(c->b, f_len.name, dev_op(c, &l, e->key.dev, e->key.op, NULL, NULL),
			  e->st.len_hist, 1, e->st.bytes_done, c->om);
	}
	family(c->b, &f_lat, c->om);
	for (i = 0; i < c->s->nstats; i++) {
		const struct dt_stat_ent *e = &c->s->stats[i];

		/* no series for latencies this mode does not measure */
		if (!dt_lat_count(&e->st))
			continue;
		histogram(c->b, f_lat.name, dev_op(c, &l, e->key.dev, e->key.op, NULL, NULL),
			  e->st.lat_hist, 1e-9, e->st.lat_sum_ns / 1e9, c->om);
	}
}

static void m_skipped(struct ctx *c)
{
	const struct dt_target *t = c->o->targets;
	int i;

	family(c->b, &f_skipped, c->om);
	for (i = 0; t && i < c->o->ntargets; i++) {
		const char *l[] = { "target", t[i].func, NULL };

		if (dt_skipped_known(c->s, i))
			sample_u64(c->b, f_skipped.name, "_total", l, c->s->skipped[i]);
	}
}

/*
 * Labels device, ino and path (empty where it did not resolve): bounded,
 * as only each device's top N by each rank are series.
 */
static const char *const *file_lbl(struct ctx *c, struct lbl *l, char *ino,
				   size_t len, const struct dt_file_ent *e,
				   const char *k, const char *v)
{
	int n = 0;

	snprintf(ino, len, "%llu", (unsigned long long)e->key.ino);
	l->v[n++] = "device";
	l->v[n++] = dt_dev_label(c->o->names, e->key.dev, l->dev, sizeof(l->dev));
	l->v[n++] = "ino";
	l->v[n++] = ino;
	l->v[n++] = "path";
	l->v[n++] = e->path ? e->path : "";
	if (k) {
		l->v[n++] = k;
		l->v[n++] = v;
	}
	l->v[n] = NULL;
	return l->v;
}

static void m_files(struct ctx *c)
{
	const struct dt_snapshot *s = c->s;
	char ino[24];
	struct lbl l;
	int i;

	if (!c->o->top_files)
		return;
	family(c->b, &f_fops, c->om);
	for (i = 0; i < s->nfiles; i++) {
		const struct dt_file_ent *e = &s->files[i];

		sample_u64(c->b, f_fops.name, "_total",
			   file_lbl(c, &l, ino, sizeof(ino), e, "op", "read"), e->v.reads);
		sample_u64(c->b, f_fops.name, "_total",
			   file_lbl(c, &l, ino, sizeof(ino), e, "op", "write"), e->v.writes);
		sample_u64(c->b, f_fops.name, "_total",
			   file_lbl(c, &l, ino, sizeof(ino), e, "op", "fault"), e->v.faults);
	}
	family(c->b, &f_fbytes, c->om);
	for (i = 0; i < s->nfiles; i++) {
		const struct dt_file_ent *e = &s->files[i];

		sample_u64(c->b, f_fbytes.name, "_total",
			   file_lbl(c, &l, ino, sizeof(ino), e, "op", "read"), e->v.bytes_read);
		sample_u64(c->b, f_fbytes.name, "_total",
			   file_lbl(c, &l, ino, sizeof(ino), e, "op", "write"),
			   e->v.bytes_written);
	}
	family(c->b, &f_ferr, c->om);
	for (i = 0; i < s->nfiles; i++)
		sample_u64(c->b, f_ferr.name, "_total",
			   file_lbl(c, &l, ino, sizeof(ino), &s->files[i], NULL, NULL),
			   s->files[i].v.errors);
	family(c->b, &f_fshort, c->om);
	for (i = 0; i < s->nfiles; i++)
		sample_u64(c->b, f_fshort.name, "_total",
			   file_lbl(c, &l, ino, sizeof(ino), &s->files[i], NULL, NULL),
			   s->files[i].v.short_copies);
	family(c->b, &f_fpte, c->om);
	for (i = 0; i < s->nfiles; i++)
		sample_u64(c->b, f_fpte.name, "_total",
			   file_lbl(c, &l, ino, sizeof(ino), &s->files[i], NULL, NULL),
			   s->files[i].v.pte_fallbacks);
	family(c->b, &f_fcount, c->om);
	sample_u64(c->b, f_fcount.name, "", NULL, s->files_counted);
	family(c->b, &f_ffull, c->om);
	sample_u64(c->b, f_ffull.name, "_total", NULL, s->bpf.file_full);
}

static void m_self(struct ctx *c)
{
	family(c->b, &f_events, c->om);
	sample_u64(c->b, f_events.name, "_total", NULL, c->s->events);
	family(c->b, &f_drop, c->om);
	sample_u64(c->b, f_drop.name, "_total", NULL, c->s->bpf.rb_dropped);
	family(c->b, &f_mapfull, c->om);
	sample_u64(c->b, f_mapfull.name, "_total", NULL, c->s->bpf.map_full);
	family(c->b, &f_overflow, c->om);
	sample_u64(c->b, f_overflow.name, "_total", NULL, c->s->bpf.thread_overflow);
	m_skipped(c);
}

int dt_metrics_render(struct dt_buf *b, const struct dt_snapshot *s,
		      const struct dt_out *o, bool openmetrics)
{
	struct ctx c = { .b = b, .s = s, .o = o, .om = openmetrics };

	m_build(&c);
	m_devices(&c);
	m_profile(&c);
	m_probes(&c);
	m_ops(&c);
	m_bytes(&c);
	m_errors(&c);
	m_copies(&c);
	m_faults(&c);
	m_checks(&c);
	m_media(&c);
	m_hists(&c);
	m_files(&c);
	m_self(&c);
	if (openmetrics)
		dt_buf_puts(b, "# EOF\n");
	return b->err;
}

/*
 * node_exporter's textfile collector must never see a half-written file:
 * write a fresh temporary (mkstemp: O_EXCL, so no planted symlink is
 * followed), fsync, rename over PATH.
 */
int dt_metrics_write_file(const char *path, const struct dt_buf *b)
{
	char tmp[4096];
	ssize_t n;
	size_t off = 0;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (off < b->len) {
		n = write(fd, b->p + off, b->len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		off += n;
	}
	if (!err && (fchmod(fd, 0644) || fsync(fd)))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
