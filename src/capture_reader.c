// SPDX-License-Identifier: GPL-2.0
/*
 * A JSON-lines capture (-o or -j) read back into the snapshots and
 * events daxtrace printed, for `daxtrace report` and the fuzzer.
 *
 * Summaries in a capture are cumulative per run, and every snapshot
 * ends with a "stats" record naming its run. So a run's totals are its
 * last complete snapshot, and the totals of a capture are the sum over
 * its runs: a restarted service or rotated files read back correctly.
 * Anomaly events are printed again as text, in capture order.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "capture_reader.h"
#include "json.h"
#include "names.h"
#include "probe.h"
#include "report.h"
#include "snapshot.h"

#define LINE_MAX_BYTES	(1 << 20)
#define MAX_LABELS	1024
#define MAX_RUNS	4096

struct run {
	char *id;
	struct dt_snapshot snap;
};

struct reader {
	struct dt_json *j;
	const char *file;
	unsigned long line;
	char err[256];
	/* device labels interned as fake dev_t values 1..n */
	struct dt_dev labels[MAX_LABELS];
	int nlabels;
	struct dt_names names;
	struct dt_snapshot pending;
	bool pending_any;
	struct run *runs;
	int nruns;
	struct dt_out *out;
	bool events_header;
	unsigned long long nevents;
	/* the event being read's "path", for out->path_of */
	const char *ev_path;
	/* a line that is not JSON, held until we see whether a run starts next */
	bool cut;
	char cut_err[256];
};

static int bad(struct reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int bad(struct reader *r, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(r->err, sizeof(r->err), "%s:%lu: %s", r->file, r->line, msg);
	return -EINVAL;
}

static int intern(struct reader *r, const char *label, __u32 *dev)
{
	int i;

	if (!*label || strlen(label) > DT_DEV_NAME_MAX)
		return bad(r, "bad device label");
	for (i = 0; i < r->nlabels; i++) {
		if (!strcmp(r->labels[i].name, label)) {
			*dev = r->labels[i].kdev;
			return 0;
		}
	}
	if (r->nlabels == MAX_LABELS)
		return bad(r, "more than %d devices", MAX_LABELS);
	strcpy(r->labels[r->nlabels].name, label);
	r->labels[r->nlabels].kdev = r->nlabels + 1;
	*dev = r->nlabels + 1;
	r->nlabels++;
	r->names.n = r->nlabels;
	return 0;
}

/* ---- typed field access with line-numbered errors --------------------- */

static int get_u64(struct reader *r, const struct dt_jnode *o, const char *key,
		   bool need, __u64 *v)
{
	const struct dt_jnode *n = dt_json_get(r->j, o, key);

	*v = 0;
	if (!n)
		return need ? bad(r, "missing \"%s\"", key) : 0;
	if (dt_json_u64(n, v))
		return bad(r, "\"%s\" is not a non-negative integer", key);
	return 0;
}

static int get_s64(struct reader *r, const struct dt_jnode *o, const char *key,
		   __s64 *v)
{
	const struct dt_jnode *n = dt_json_get(r->j, o, key);

	*v = 0;
	if (!n)
		return 0;
	if (dt_json_s64(n, v))
		return bad(r, "\"%s\" is not an integer", key);
	return 0;
}

static const char *get_str(struct reader *r, const struct dt_jnode *o,
			   const char *key, bool need)
{
	const struct dt_jnode *n = dt_json_get(r->j, o, key);

	if (!n && !need)
		return NULL;
	if (!n || n->type != DT_J_STR) {
		bad(r, "\"%s\" %s", key, n ? "is not a string" : "is missing");
		return NULL;
	}
	return n->str;
}

/* "0x1f" as the capture writes kernel addresses */
static int get_hex(struct reader *r, const struct dt_jnode *o, const char *key,
		   __u64 *v)
{
	const char *s = get_str(r, o, key, false);
	char *end;

	*v = 0;
	if (!s)
		return r->err[0] ? -EINVAL : 0;
	errno = 0;
	*v = strtoull(s, &end, 16);
	if (errno || *end || end == s)
		return bad(r, "\"%s\" is not a hex number", key);
	return 0;
}

/* Is key there with a value? null is what daxtrace did not measure. */
static bool has_value(struct reader *r, const struct dt_jnode *o,
		      const char *key)
{
	const struct dt_jnode *n = dt_json_get(r->j, o, key);

	return n && n->type != DT_J_NULL;
}

/* A record's "uuid" (null where sysfs gave none) goes on to the report's. */
static int keep_uuid(struct reader *r, const struct dt_jnode *o, __u32 dev)
{
	const struct dt_jnode *n = dt_json_get(r->j, o, "uuid");
	struct dt_dev_info *in = &r->labels[dev - 1].info;

	if (!n || n->type == DT_J_NULL)
		return 0;
	if (n->type != DT_J_STR || strlen(n->str) >= sizeof(in->uuid))
		return bad(r, "\"uuid\" is not a uuid string");
	strcpy(in->uuid, n->str);
	in->uuid_of = DT_UUID_CAPTURE;
	return 0;
}

static int get_dev_op(struct reader *r, const struct dt_jnode *o, __u32 *dev,
		      int *op)
{
	const char *d = get_str(r, o, "device", true), *opn;

	if (!d || intern(r, d, dev) || keep_uuid(r, o, *dev))
		return -EINVAL;
	if (!op)
		return 0;
	opn = get_str(r, o, "op", true);
	if (!opn)
		return -EINVAL;
	*op = dt_op_parse(opn);
	if (*op < 0)
		return bad(r, "unknown op \"%s\"", opn);
	return 0;
}

/* [[lower_bound, count], ...] back into log2 slots */
static int get_hist(struct reader *r, const struct dt_jnode *o, const char *key,
		    __u64 *slots)
{
	const struct dt_jnode *a = dt_json_get(r->j, o, key), *p, *lo, *cnt;
	__u64 lb, c;
	int slot;

	if (!a)
		return 0;
	if (a->type != DT_J_ARR)
		return bad(r, "\"%s\" is not an array", key);
	for (p = dt_json_child(r->j, a); p; p = dt_json_next(r->j, p)) {
		lo = dt_json_child(r->j, p);
		cnt = dt_json_next(r->j, lo);
		if (p->type != DT_J_ARR || !cnt || dt_json_next(r->j, cnt) ||
		    dt_json_u64(lo, &lb) || dt_json_u64(cnt, &c))
			return bad(r, "\"%s\": want [[lower_bound, count], ...]", key);
		if (lb && (lb & (lb - 1)))
			return bad(r, "\"%s\": %llu is not a power of two", key,
				   (unsigned long long)lb);
		slot = lb ? __builtin_ctzll(lb) : 0;
		if (slot >= DT_HIST_SLOTS)
			return bad(r, "\"%s\": bucket %llu out of range", key,
				   (unsigned long long)lb);
		slots[slot] += c;
	}
	return 0;
}

static int get_named_counts(struct reader *r, const struct dt_jnode *o,
			    const char *key, int (*parse)(const char *),
			    __u64 *out, int max)
{
	const struct dt_jnode *m = dt_json_get(r->j, o, key), *k;
	__u64 v;
	int i;

	if (!m)
		return 0;
	if (m->type != DT_J_OBJ)
		return bad(r, "\"%s\" is not an object", key);
	for (k = dt_json_child(r->j, m); k; k = dt_json_next(r->j, k)) {
		i = parse(k->key);
		if (i < 0 || i >= max)
			return bad(r, "\"%s\": unknown name \"%s\"", key, k->key);
		if (dt_json_u64(k, &v))
			return bad(r, "\"%s\".\"%s\" is not a count", key, k->key);
		out[i] = v;
	}
	return 0;
}

/* ---- records ------------------------------------------------------------ */

static int rec_summary(struct reader *r, const struct dt_jnode *o)
{
	const struct dt_jnode *errs, *k;
	struct dt_snapshot *s = &r->pending;
	struct dt_stats *st;
	__u32 dev;
	__s32 e;
	__u64 v, *n;
	bool fresh;
	int op;

	if (get_dev_op(r, o, &dev, &op))
		return -EINVAL;
	st = dt_snap_stat(s, dev, op, &fresh);
	if (!st)
		return bad(r, "out of memory");
	if (!fresh)
		return bad(r, "second summary for %s %s before the stats record",
			   r->labels[dev - 1].name, dt_op_name(op));
	if (get_u64(r, o, "calls", true, &st->calls) ||
	    get_u64(r, o, "bytes_requested", true, &st->bytes_req) ||
	    get_u64(r, o, "bytes_done", true, &st->bytes_done) ||
	    get_u64(r, o, "short", true, &st->shorts) ||
	    get_u64(r, o, "latency_ns_total", false, &st->lat_sum_ns) ||
	    get_u64(r, o, "pte", false, &st->faults[DT_FAULT_PTE]) ||
	    get_u64(r, o, "pmd", false, &st->faults[DT_FAULT_PMD]) ||
	    get_u64(r, o, "pud", false, &st->faults[DT_FAULT_PUD]) ||
	    get_u64(r, o, "fallback", false, &st->fallbacks) ||
	    get_named_counts(r, o, "variants", dt_variant_parse, st->variant, DT_VAR_MAX) ||
	    get_named_counts(r, o, "short_side", dt_side_parse, st->short_side, 4) ||
	    get_hist(r, o, "len_hist", st->len_hist) ||
	    get_hist(r, o, "lat_hist_ns", st->lat_hist))
		return -EINVAL;
	errs = dt_json_get(r->j, o, "errors");
	if (errs && errs->type != DT_J_OBJ)
		return bad(r, "\"errors\" is not an object");
	for (k = dt_json_child(r->j, errs); k; k = dt_json_next(r->j, k)) {
		if (dt_errno_parse(op, k->key, &e))
			return bad(r, "unknown error name \"%s\"", k->key);
		if (dt_json_u64(k, &v))
			return bad(r, "errors.\"%s\" is not a count", k->key);
		n = dt_snap_err(s, dev, op, e);
		if (!n)
			return bad(r, "out of memory");
		*n += v;
		st->errors += v;
	}
	r->pending_any = true;
	return 0;
}

static int rec_check(struct reader *r, const struct dt_jnode *o)
{
	struct dt_chk_val *v;
	const char *name;
	__u64 p, f, na;
	__u32 dev;
	int c;

	if (get_dev_op(r, o, &dev, NULL))
		return -EINVAL;
	name = get_str(r, o, "check", true);
	if (!name)
		return -EINVAL;
	c = dt_check_parse(name);
	if (c < 0)
		return bad(r, "unknown check \"%s\"", name);
	if (get_u64(r, o, "pass", true, &p) || get_u64(r, o, "fail", true, &f) ||
	    get_u64(r, o, "na", true, &na))
		return -EINVAL;
	v = dt_snap_chk(&r->pending, dev, c);
	if (!v)
		return bad(r, "out of memory");
	v->n[DT_PASS] += p;
	v->n[DT_FAIL] += f;
	v->n[DT_NA] += na;
	r->pending_any = true;
	return 0;
}

static int rec_media(struct reader *r, const struct dt_jnode *o)
{
	__u64 pgoff, cnt, *n;
	__u32 dev;

	if (get_dev_op(r, o, &dev, NULL) || get_u64(r, o, "pgoff", true, &pgoff) ||
	    get_u64(r, o, "count", true, &cnt))
		return -EINVAL;
	n = dt_snap_media(&r->pending, dev, pgoff);
	if (!n)
		return bad(r, "out of memory");
	*n += cnt;
	r->pending_any = true;
	return 0;
}

/* A file of a snapshot's top: its counters, and its path where it had one. */
static int rec_file(struct reader *r, const struct dt_jnode *o)
{
	const struct dt_jnode *p = dt_json_get(r->j, o, "path");
	struct dt_file_ent *fe;
	struct dt_file_val v = {};
	__u64 ino;
	__u32 dev;

	if (get_dev_op(r, o, &dev, NULL) || get_u64(r, o, "ino", true, &ino) ||
	    get_u64(r, o, "reads", true, &v.reads) ||
	    get_u64(r, o, "writes", true, &v.writes) ||
	    get_u64(r, o, "faults", true, &v.faults) ||
	    get_u64(r, o, "bytes_read", true, &v.bytes_read) ||
	    get_u64(r, o, "bytes_written", true, &v.bytes_written) ||
	    get_u64(r, o, "errors", true, &v.errors) ||
	    get_u64(r, o, "short_copies", true, &v.short_copies) ||
	    get_u64(r, o, "pte_fallbacks", true, &v.pte_fallbacks))
		return -EINVAL;
	if (p && p->type != DT_J_NULL && p->type != DT_J_STR)
		return bad(r, "\"path\" is not a string");
	fe = dt_snap_file(&r->pending, dev, ino);
	if (!fe)
		return bad(r, "out of memory");
	if (fe->v.reads || fe->v.writes || fe->v.faults)
		return bad(r, "second file record for %s ino %llu before the stats record",
			   r->labels[dev - 1].name, (unsigned long long)ino);
	fe->v = v;
	if (p && p->type == DT_J_STR && !(fe->path = strdup(p->str)))
		return bad(r, "out of memory");
	r->pending_any = true;
	return 0;
}

static void snap_clear(struct dt_snapshot *s)
{
	dt_snapshot_free(s);
	memset(s, 0, sizeof(*s));
}

static __u64 snap_weight(const struct dt_snapshot *s)
{
	__u64 w = s->events;
	int i;

	for (i = 0; i < s->nstats; i++)
		w += s->stats[i].st.calls;
	return w;
}

/* A target's index by its function's name; DT_NTARGETS if none. */
static int target_by_name(const char *func)
{
	int i;

	for (i = 0; i < DT_NTARGETS; i++)
		if (!strcmp(dt_targets[i].func, func))
			break;
	return i;
}

/* "kernel_skipped_unread": the targets whose skipped runs nobody read */
static int get_unread(struct reader *r, const struct dt_jnode *o, struct dt_snapshot *s)
{
	const struct dt_jnode *a = dt_json_get(r->j, o, "kernel_skipped_unread"), *k;
	int i;

	if (a && a->type != DT_J_ARR)
		return bad(r, "\"kernel_skipped_unread\" is not an array");
	for (k = dt_json_child(r->j, a); k; k = dt_json_next(r->j, k)) {
		i = k->type == DT_J_STR ? target_by_name(k->str) : DT_NTARGETS;
		if (i == DT_NTARGETS)
			return bad(r, "kernel_skipped_unread: not a target name");
		s->skipped_unread |= 1U << i;
	}
	return 0;
}

/* "kernel_skipped": by target name; captures from before it have none */
static int get_skipped(struct reader *r, const struct dt_jnode *o, struct dt_snapshot *s)
{
	const struct dt_jnode *m = dt_json_get(r->j, o, "kernel_skipped"), *k;
	__u64 v;
	int i;

	/* the sum of those below: checked, then derived again */
	if (get_u64(r, o, "kernel_skipped_total", false, &v))
		return -EINVAL;
	if (m && m->type != DT_J_OBJ)
		return bad(r, "\"kernel_skipped\" is not an object");
	for (k = dt_json_child(r->j, m); k; k = dt_json_next(r->j, k)) {
		i = target_by_name(k->key);
		if (i == DT_NTARGETS)
			return bad(r, "kernel_skipped: unknown target \"%s\"", k->key);
		if (dt_json_u64(k, &v))
			return bad(r, "kernel_skipped.\"%s\" is not a count", k->key);
		s->skipped[i] = v;
		s->skipped_known |= 1U << i;
	}
	return get_unread(r, o, s);
}

/* The stats record closes a snapshot: it becomes its run's latest. */
static int rec_stats(struct reader *r, const struct dt_jnode *o)
{
	const char *id = get_str(r, o, "run", false);
	struct dt_snapshot *s = &r->pending;
	struct run *nr;
	int i;

	if (r->err[0])
		return -EINVAL;
	if (get_u64(r, o, "events", true, &s->events) ||
	    get_u64(r, o, "ringbuf_dropped", true, &s->bpf.rb_dropped) ||
	    get_u64(r, o, "map_full", false, &s->bpf.map_full) ||
	    get_u64(r, o, "thread_overflow", false, &s->bpf.thread_overflow) ||
	    /* null where the run counted no files (--top-files 0) */
	    ((s->files_known = has_value(r, o, "files_counted")) &&
	     get_u64(r, o, "files_counted", false, &s->files_counted)) ||
	    (has_value(r, o, "file_map_full") &&
	     get_u64(r, o, "file_map_full", false, &s->bpf.file_full)) ||
	    get_skipped(r, o, s))
		return -EINVAL;
	if (!id)
		id = "";	/* captures from before run ids: one run */
	for (i = 0; i < r->nruns; i++)
		if (!strcmp(r->runs[i].id, id))
			break;
	if (i == r->nruns) {
		if (r->nruns == MAX_RUNS)
			return bad(r, "more than %d runs", MAX_RUNS);
		nr = realloc(r->runs, (r->nruns + 1) * sizeof(*nr));
		if (!nr)
			return bad(r, "out of memory");
		r->runs = nr;
		memset(&nr[i], 0, sizeof(*nr));
		nr[i].id = strdup(id);
		if (!nr[i].id)
			return bad(r, "out of memory");
		r->nruns++;
	}
	/* counters only grow: the run's latest snapshot is its largest, in
	 * whatever order the files were given */
	if (r->runs[i].snap.stats && snap_weight(s) < snap_weight(&r->runs[i].snap)) {
		snap_clear(s);
	} else {
		snap_clear(&r->runs[i].snap);
		r->runs[i].snap = *s;
		memset(s, 0, sizeof(*s));
	}
	r->pending_any = false;
	return 0;
}

static int name_bits(struct reader *r, const struct dt_jnode *o, const char *key,
		     int (*parse)(const char *), const char *const *fixed, int nfixed,
		     __u32 *bits)
{
	const struct dt_jnode *a = dt_json_get(r->j, o, key), *k;
	int i, f;

	*bits = 0;
	if (!a)
		return 0;
	if (a->type != DT_J_ARR)
		return bad(r, "\"%s\" is not an array", key);
	for (k = dt_json_child(r->j, a); k; k = dt_json_next(r->j, k)) {
		if (k->type != DT_J_STR)
			return bad(r, "\"%s\" holds a non-string", key);
		i = -1;
		if (parse)
			i = parse(k->str);
		for (f = 0; f < nfixed && i < 0; f++)
			if (!strcmp(fixed[f], k->str))
				i = f;
		if (i < 0 || i >= 32)
			return bad(r, "\"%s\": unknown name \"%s\"", key, k->str);
		*bits |= 1U << i;
	}
	return 0;
}

/* A fault's "fault_size" evidence: null or absent where not judged. */
static int fault_size_read(struct reader *r, const struct dt_jnode *o,
			   struct dt_event *e)
{
	const struct dt_jnode *fs = dt_json_get(r->j, o, "fault_size");
	const char *s;
	int k;

	if (!fs || fs->type == DT_J_NULL)
		return 0;
	if (fs->type != DT_J_OBJ)
		return bad(r, "\"fault_size\" is not an object");
	s = get_str(r, fs, "best", false);
	k = s ? dt_fault_size_parse(s) : -1;
	if (k < 0)
		return bad(r, "unknown fault size \"%s\"", s ? s : "");
	e->best = k;
	e->flags |= DT_F_FSZ;
	if (name_bits(r, fs, "why", dt_fsz_why_parse, NULL, 0, &e->size_why) ||
	    get_hex(r, fs, "address", &e->address) ||
	    get_hex(r, fs, "vm_start", &e->vm_start) ||
	    get_hex(r, fs, "vm_end", &e->vm_end))
		return -EINVAL;
	return 0;
}

static bool get_bool(struct reader *r, const struct dt_jnode *o, const char *key)
{
	const struct dt_jnode *n = dt_json_get(r->j, o, key);

	return n && n->type == DT_J_BOOL && n->b;
}

static int rec_event(struct reader *r, const struct dt_jnode *o)
{
	static const char *const whys[] = { "snoop", "error", "short", "check" };
	const struct dt_jnode *da, *pfn, *lat, *ok, *pth;
	struct dt_event e = { .kind = DT_REC_EVENT };
	const char *comm, *s;
	__u64 v;
	int op, k;

	if (get_dev_op(r, o, &e.dev, &op))
		return -EINVAL;
	e.op = op;
	comm = get_str(r, o, "comm", false);
	if (comm)
		memcpy(e.comm, comm, strnlen(comm, DT_COMM_LEN));
	if (get_u64(r, o, "ts_ns", false, &e.ts_ns) ||
	    get_u64(r, o, "asked", false, &e.asked) ||
	    get_s64(r, o, "got", &e.ret) ||
	    get_u64(r, o, "offset", false, &e.pos) ||
	    get_u64(r, o, "ino", false, &e.ino) ||
	    get_u64(r, o, "i_size", false, &e.isize) ||
	    name_bits(r, o, "why", NULL, whys, 4, &e.why) ||
	    name_bits(r, o, "checks_failed", dt_check_parse, NULL, 0, &e.check_fail))
		return -EINVAL;
	/* null: no entry program ran, the latency was not measured */
	lat = dt_json_get(r->j, o, "lat_ns");
	if (lat && lat->type == DT_J_NULL)
		e.flags |= DT_F_NO_LAT;
	else if (get_u64(r, o, "lat_ns", false, &e.lat_ns))
		return -EINVAL;
	if (get_u64(r, o, "pid", false, &v))
		return -EINVAL;
	e.pid = v;
	if (get_u64(r, o, "tid", false, &v))
		return -EINVAL;
	e.tid = v;
	if (get_u64(r, o, "seq", false, &v))
		return -EINVAL;
	e.seq = v;
	if (get_bool(r, o, "eof"))
		e.flags |= DT_F_EOF;
	pth = dt_json_get(r->j, o, "path");
	if (pth && pth->type != DT_J_NULL && pth->type != DT_J_STR)
		return bad(r, "\"path\" is not a string");
	r->ev_path = pth && pth->type == DT_J_STR ? pth->str : NULL;
	switch (op) {
	case DT_OP_DIRECT_ACCESS:
		if (get_u64(r, o, "pgoff", false, &e.pos))
			return -EINVAL;
		if (has_value(r, o, "driver_ret")) {
			if (get_s64(r, o, "driver_ret", &e.drv_ret))
				return -EINVAL;
			e.flags |= DT_F_DRV;
		}
		if (has_value(r, o, "kaddr")) {
			if (get_hex(r, o, "kaddr", &e.kaddr))
				return -EINVAL;
			e.flags |= DT_F_KADDR;
		}
		pfn = dt_json_get(r->j, o, "pfn");
		if (pfn && pfn->type != DT_J_NULL) {
			if (dt_json_u64(pfn, &e.pfn))
				return bad(r, "\"pfn\" is not a number");
			e.flags |= DT_F_PFN;
		}
		break;
	case DT_OP_COPY_TO_ITER:
	case DT_OP_COPY_FROM_ITER:
		if (get_u64(r, o, "pgoff", false, &e.pos) ||
		    get_hex(r, o, "addr", &e.addr))
			return -EINVAL;
		if (has_value(r, o, "user_addr")) {
			if (get_hex(r, o, "user_addr", &e.user_addr))
				return -EINVAL;
			e.flags |= DT_F_UADDR;
		}
		s = get_str(r, o, "variant", false);
		k = s ? dt_variant_parse(s) : 0;
		if (k < 0)
			return bad(r, "unknown variant \"%s\"", s);
		e.variant = k;
		s = get_str(r, o, "side", false);
		k = s ? dt_side_parse(s) : 0;
		if (k < 0)
			return bad(r, "unknown side \"%s\"", s);
		e.side = k;
		s = get_str(r, o, "variant_from", false);
		if (s && !strcmp(s, "measured"))
			e.flags |= DT_F_VAR_MEASURED;
		da = dt_json_get(r->j, o, "direct_access");
		if (da && da->type == DT_J_OBJ) {
			e.flags |= DT_F_DA_LINKED;
			if (get_u64(r, da, "pgoff", false, &e.da_pgoff) ||
			    get_s64(r, da, "ret", &e.da_ret) ||
			    get_hex(r, da, "kaddr", &e.kaddr))
				return -EINVAL;
			ok = dt_json_get(r->j, da, "kaddr_kernel");
			if (ok && ok->type == DT_J_BOOL) {
				e.flags |= DT_F_KADDR;
				if (!ok->b)
					e.flags |= DT_F_KADDR_BAD;
			}
		}
		break;
	case DT_OP_FAULT:
		s = get_str(r, o, "size", false);
		k = s ? dt_fault_size_parse(s) : 0;
		if (k < 0)
			return bad(r, "unknown fault size \"%s\"", s);
		e.fault_size = k;
		if (get_bool(r, o, "fallback"))
			e.flags |= DT_F_FALLBACK;
		if (fault_size_read(r, o, &e))
			return -EINVAL;
		break;
	}
	if (r->err[0])
		return -EINVAL;
	if (!r->events_header) {
		dt_event_header(r->out);
		r->events_header = true;
	}
	dt_event_print(r->out, &e);
	r->ev_path = NULL;
	r->nevents++;
	return 0;
}

/*
 * A run starts. If the one before was killed mid-write, its last line is
 * cut and its last snapshot unfinished: both are dropped, with a warning,
 * and its earlier complete snapshots still count.
 */
static int rec_probes(struct reader *r)
{
	if (r->cut)
		fprintf(stderr, "daxtrace: report: warning: %s (a killed run's last line, skipped)\n",
			r->cut_err);
	if (r->pending_any)
		fprintf(stderr, "daxtrace: report: warning: %s:%lu: the run before ended inside a snapshot (killed?): its partial snapshot is ignored\n",
			r->file, r->line);
	r->cut = false;
	snap_clear(&r->pending);
	r->pending_any = false;
	return 0;
}

static int one_line(struct reader *r, char *line, size_t len)
{
	const struct dt_jnode *root;
	const char *type;

	if (dt_json_parse(r->j, line, len)) {
		r->cut = true;
		return bad(r, "column %zu: %s", r->j->err_col, r->j->err);
	}
	root = dt_json_root(r->j);
	if (root->type != DT_J_OBJ)
		return bad(r, "not a JSON object");
	type = get_str(r, root, "type", true);
	if (!type)
		return -EINVAL;
	if (!strcmp(type, "probes"))
		return rec_probes(r);
	if (!strcmp(type, "summary"))
		return rec_summary(r, root);
	if (!strcmp(type, "check"))
		return rec_check(r, root);
	if (!strcmp(type, "media_error"))
		return rec_media(r, root);
	if (!strcmp(type, "file"))
		return rec_file(r, root);
	if (!strcmp(type, "stats"))
		return rec_stats(r, root);
	if (!strcmp(type, "event"))
		return rec_event(r, root);
	return 0;	/* probes, coverage, and records of later versions */
}

static int cmp_label(const void *a, const void *b)
{
	return strcmp(((const struct dt_dev *)a)->name, ((const struct dt_dev *)b)->name);
}

/* Devices in name order, whatever order the capture met them in. */
static void order_devices(struct reader *r, struct dt_snapshot *t)
{
	__u32 map[MAX_LABELS + 1];
	int i;

	qsort(r->labels, r->nlabels, sizeof(r->labels[0]), cmp_label);
	for (i = 0; i < r->nlabels; i++) {
		map[r->labels[i].kdev] = i + 1;
		r->labels[i].kdev = i + 1;
	}
	for (i = 0; i < t->nstats; i++)
		t->stats[i].key.dev = map[t->stats[i].key.dev];
	for (i = 0; i < t->nerrs; i++)
		t->errs[i].key.dev = map[t->errs[i].key.dev];
	for (i = 0; i < t->nchks; i++)
		t->chks[i].key.dev = map[t->chks[i].key.dev];
	for (i = 0; i < t->nmedia; i++)
		t->media[i].key.dev = map[t->media[i].key.dev];
	for (i = 0; i < t->nfiles; i++)
		t->files[i].key.dev = map[t->files[i].key.dev];
}

static int sum_runs(struct reader *r, struct dt_snapshot *t)
{
	int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < r->nruns; i++)
		if (dt_snapshot_add(t, &r->runs[i].snap))
			return -ENOMEM;
	order_devices(r, t);
	dt_snapshot_sort(t);
	/* the files each snapshot carried, summed, and the top of those */
	dt_snapshot_top_files(t, r->out->top_files);
	return 0;
}

/* A fault.size failure's path, as its event in the capture gave it. */
static const char *event_path(void *ctx, __u32 dev, __u64 ino)
{
	return ((struct reader *)ctx)->ev_path;
}

struct dt_reader *dt_reader_new(struct dt_out *out)
{
	struct reader *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->j = calloc(1, sizeof(*r->j));
	if (!r->j) {
		free(r);
		return NULL;
	}
	r->names.devs = r->labels;
	out->names = &r->names;
	out->path_of = event_path;
	out->path_ctx = r;
	r->out = out;
	r->file = "-";
	return (struct dt_reader *)r;
}

int dt_reader_line(struct dt_reader *rd, char *line, size_t len)
{
	struct reader *r = (struct reader *)rd;

	int err;

	r->line++;
	if (!len)
		return 0;
	if (memchr(line, '\0', len))
		return bad(r, "NUL byte in a line");
	if (r->cut) {
		/* only a run's start excuses the bad line before it */
		err = one_line(r, line, len);
		if (r->cut) {
			snprintf(r->err, sizeof(r->err), "%s", r->cut_err);
			return -EINVAL;
		}
		return err;
	}
	err = one_line(r, line, len);
	if (err && r->cut) {
		snprintf(r->cut_err, sizeof(r->cut_err), "%s", r->err);
		r->err[0] = '\0';
		return 0;
	}
	return err;
}

const char *dt_reader_error(const struct dt_reader *rd)
{
	return ((const struct reader *)rd)->err;
}

/* Sum the runs and print: 0, 1 (no snapshot at all) or 2 (bad input). */
int dt_reader_finish(struct dt_reader *rd, int nfiles)
{
	struct reader *r = (struct reader *)rd;
	struct dt_snapshot total;

	if (r->cut) {
		snprintf(r->err, sizeof(r->err), "%s", r->cut_err);
		return 2;
	}
	if (r->pending_any) {
		bad(r, "ends inside a snapshot (no closing stats record): truncated capture?");
		return 2;
	}
	if (!r->nruns) {
		snprintf(r->err, sizeof(r->err),
			 "no summary in the capture (%llu events): it was cut before its first summary; give daxtrace an INTERVAL",
			 r->nevents);
		return 1;
	}
	if (sum_runs(r, &total)) {
		snprintf(r->err, sizeof(r->err), "out of memory");
		dt_snapshot_free(&total);
		return 2;
	}
	if (!r->out->json)
		fprintf(r->out->f, "%s%d run%s, %d file%s\n", r->nevents ? "\n" : "",
			r->nruns, r->nruns == 1 ? "" : "s", nfiles, nfiles == 1 ? "" : "s");
	dt_summary_print(r->out, &total);
	dt_snapshot_free(&total);
	return 0;
}

void dt_reader_free(struct dt_reader *rd)
{
	struct reader *r = (struct reader *)rd;
	int i;

	if (!r)
		return;
	for (i = 0; i < r->nruns; i++) {
		dt_snapshot_free(&r->runs[i].snap);
		free(r->runs[i].id);
	}
	free(r->runs);
	dt_snapshot_free(&r->pending);
	dt_json_free(r->j);
	free(r->j);
	free(r);
}

int dt_reader_file(struct dt_reader *rd, const char *name, FILE *f)
{
	static char buf[LINE_MAX_BYTES + 2];
	struct reader *r = (struct reader *)rd;
	size_t len;

	r->file = name;
	r->line = 0;
	while (fgets(buf, sizeof(buf), f)) {
		len = strlen(buf);
		r->line++;
		if (len == sizeof(buf) - 1 && buf[len - 1] != '\n')
			return bad(r, "line longer than %d bytes", LINE_MAX_BYTES);
		/* fgets stops early only at a newline or the end: else a NUL */
		if ((!len || buf[len - 1] != '\n') && !feof(f))
			return bad(r, "NUL byte in a line");
		if (!len || buf[len - 1] != '\n')
			return bad(r, "truncated: the last line has no newline");
		buf[--len] = '\0';
		if (len && buf[len - 1] == '\r')
			buf[--len] = '\0';
		r->line--;	/* dt_reader_line counts it */
		if (dt_reader_line(rd, buf, len))
			return -EINVAL;
	}
	if (ferror(f))
		return bad(r, "read error: %s", strerror(errno));
	return 0;
}
