// SPDX-License-Identifier: GPL-2.0
/*
 * Summaries: per device and op counts with log2 histograms, the checks
 * table, media errors and what was lost or skipped; text or JSON.
 */
#include <string.h>
#include "names.h"
#include "report.h"

static void errors_json(FILE *f, const struct dt_snapshot *s, __u32 dev, __u32 op)
{
	char eb[48];
	int i, n = 0;

	fputc('{', f);
	for (i = 0; i < s->nerrs; i++) {
		if (s->errs[i].key.dev != dev || s->errs[i].key.op != op)
			continue;
		fprintf(f, "%s", n++ ? "," : "");
		dt_json_str(f, dt_errno_name(op, s->errs[i].key.err, eb, sizeof(eb)));
		fprintf(f, ":%llu", (unsigned long long)s->errs[i].n);
	}
	fputc('}', f);
}

static void hist_json(FILE *f, const char *key, const __u64 *slots)
{
	int i, n = 0;

	fprintf(f, ",\"%s\":[", key);
	for (i = 0; i < DT_HIST_SLOTS; i++) {
		if (!slots[i])
			continue;
		fprintf(f, "%s[%llu,%llu]", n++ ? "," : "",
			(unsigned long long)(i ? 1ULL << i : 0),
			(unsigned long long)slots[i]);
	}
	fputc(']', f);
}

/*
 * "kernel_skipped": runs the kernel did not give daxtrace's programs, by
 * target, where measured; "kernel_skipped_total" their sum;
 * "kernel_skipped_unread" the targets where they cannot be read, and
 * "counts_may_be_short" whether either leaves the counts in doubt.
 */
static void skipped_stats_json(const struct dt_out *o, const struct dt_snapshot *s)
{
	FILE *f = o->f;
	int i, n = 0;

	fprintf(f, ",\"kernel_skipped_total\":%llu,\"kernel_skipped\":{",
		(unsigned long long)dt_skipped_total(s));
	for (i = 0; o->targets && i < o->ntargets; i++) {
		if (!dt_skipped_known(s, i))
			continue;
		fprintf(f, "%s\"%s\":%llu", n++ ? "," : "", o->targets[i].func,
			(unsigned long long)s->skipped[i]);
	}
	fputs("},\"kernel_skipped_unread\":[", f);
	for (i = 0, n = 0; o->targets && i < o->ntargets; i++)
		if (s->skipped_unread & (1U << i))
			fprintf(f, "%s\"%s\"", n++ ? "," : "", o->targets[i].func);
	fprintf(f, "],\"counts_may_be_short\":%s",
		dt_counts_may_be_short(s) ? "true" : "false");
}

/* The targets whose skipped runs nobody can read: the counts may be short. */
static void unread_stats_text(const struct dt_out *o, const struct dt_snapshot *s)
{
	FILE *f = o->f;
	int i, n = 0;

	if (!s->skipped_unread)
		return;
	fputs("counts above may be short: the runs the kernel skipped cannot be read (n/a) for", f);
	for (i = 0; o->targets && i < o->ntargets; i++)
		if (s->skipped_unread & (1U << i))
			fprintf(f, "%s %s", n++ ? "," : "", o->targets[i].func);
	fputc('\n', f);
}

/* Runs of each target the kernel skipped, where it did: never silent. */
static void skipped_stats_text(const struct dt_out *o, const struct dt_snapshot *s)
{
	__u64 total = dt_skipped_total(s);
	FILE *f = o->f;
	int i, n = 0;

	unread_stats_text(o, s);
	if (!total)
		return;
	fprintf(f, "%llu runs skipped by the kernel (counts above are short by them):",
		(unsigned long long)total);
	for (i = 0; o->targets && i < o->ntargets; i++) {
		if (dt_skipped_known(s, i) && s->skipped[i])
			fprintf(f, "%s %s %llu", n++ ? "," : "", o->targets[i].func,
				(unsigned long long)s->skipped[i]);
	}
	fputc('\n', f);
}

static void summary_json(const struct dt_out *o, const struct dt_snapshot *s)
{
	FILE *f = o->f;
	char db[24];
	int i, v;

	for (i = 0; i < s->nstats; i++) {
		const struct dt_stat_ent *e = &s->stats[i];
		const struct dt_stats *st = &e->st;

		fputs("{\"type\":\"summary\",\"device\":", f);
		dt_json_str(f, dt_dev_label(o->names, e->key.dev, db, sizeof(db)));
		dt_uuid_json(f, o->names, e->key.dev);
		fprintf(f, ",\"op\":\"%s\",\"calls\":%llu,\"bytes_requested\":%llu,"
			"\"bytes_done\":%llu,\"short\":%llu,\"errors\":",
			dt_op_name(e->key.op), (unsigned long long)st->calls,
			(unsigned long long)st->bytes_req,
			(unsigned long long)st->bytes_done,
			(unsigned long long)st->shorts);
		errors_json(f, s, e->key.dev, e->key.op);
		fprintf(f, ",\"latency_ns_total\":%llu", (unsigned long long)st->lat_sum_ns);
		if (e->key.op == DT_OP_FAULT)
			fprintf(f, ",\"pte\":%llu,\"pmd\":%llu,\"pud\":%llu,\"fallback\":%llu",
				(unsigned long long)st->faults[DT_FAULT_PTE],
				(unsigned long long)st->faults[DT_FAULT_PMD],
				(unsigned long long)st->faults[DT_FAULT_PUD],
				(unsigned long long)st->fallbacks);
		if (dt_op_is_copy(e->key.op)) {
			int n = 0;

			fputs(",\"variants\":{", f);
			for (v = 1; v < DT_VAR_MAX; v++) {
				if (st->variant[v])
					fprintf(f, "%s\"%s\":%llu", n++ ? "," : "",
						dt_variant_name(v),
						(unsigned long long)st->variant[v]);
			}
			fprintf(f, "},\"short_side\":{\"user\":%llu,\"source\":%llu,\"unknown\":%llu}",
				(unsigned long long)st->short_side[DT_SIDE_USER],
				(unsigned long long)st->short_side[DT_SIDE_SOURCE],
				(unsigned long long)st->short_side[DT_SIDE_UNKNOWN]);
		}
		hist_json(f, "len_hist", st->len_hist);
		hist_json(f, "lat_hist_ns", st->lat_hist);
		fputs("}\n", f);
	}
	dt_files_json(o, s);
	for (i = 0; i < s->nchks; i++) {
		const struct dt_chk_ent *c = &s->chks[i];

		fputs("{\"type\":\"check\",\"device\":", f);
		dt_json_str(f, dt_dev_label(o->names, c->key.dev, db, sizeof(db)));
		dt_uuid_json(f, o->names, c->key.dev);
		fprintf(f, ",\"check\":\"%s\",\"pass\":%llu,\"fail\":%llu,\"na\":%llu}\n",
			dt_check_name(c->key.check), (unsigned long long)c->v.n[DT_PASS],
			(unsigned long long)c->v.n[DT_FAIL],
			(unsigned long long)c->v.n[DT_NA]);
	}
	for (i = 0; i < s->nmedia; i++) {
		fputs("{\"type\":\"media_error\",\"device\":", f);
		dt_json_str(f, dt_dev_label(o->names, s->media[i].key.dev, db, sizeof(db)));
		dt_uuid_json(f, o->names, s->media[i].key.dev);
		fprintf(f, ",\"pgoff\":%llu,\"offset\":%llu,\"count\":%llu}\n",
			(unsigned long long)s->media[i].key.pgoff,
			(unsigned long long)s->media[i].key.pgoff << 12,
			(unsigned long long)s->media[i].n);
	}
	fprintf(f, "{\"type\":\"stats\",\"events\":%llu,\"ringbuf_dropped\":%llu,"
		"\"map_full\":%llu,\"thread_overflow\":%llu",
		(unsigned long long)s->events,
		(unsigned long long)s->bpf.rb_dropped,
		(unsigned long long)s->bpf.map_full,
		(unsigned long long)s->bpf.thread_overflow);
	/* files: what --top-files asked, and what the files map held or lost */
	fprintf(f, ",\"top_files\":%d", o->top_files);
	if (o->top_files && s->files_known)
		fprintf(f, ",\"files_counted\":%llu,\"file_map_full\":%llu",
			(unsigned long long)s->files_counted,
			(unsigned long long)s->bpf.file_full);
	else
		fputs(",\"files_counted\":null,\"file_map_full\":null", f);
	skipped_stats_json(o, s);
	if (o->run_id) {
		fputs(",\"run\":", f);
		dt_json_str(f, o->run_id);
	}
	fputs("}\n", f);
}

static void errors_text(FILE *f, const struct dt_snapshot *s, __u32 dev, __u32 op)
{
	char eb[48];
	int i, n = 0;

	for (i = 0; i < s->nerrs; i++) {
		if (s->errs[i].key.dev != dev || s->errs[i].key.op != op)
			continue;
		fprintf(f, "%s%s=%llu", n++ ? " " : " errors: ",
			dt_errno_name(op, s->errs[i].key.err, eb, sizeof(eb)),
			(unsigned long long)s->errs[i].n);
	}
}

static void summary_text(const struct dt_out *o, const struct dt_snapshot *s)
{
	__u32 dev = 0;
	__u64 nlat;
	FILE *f = o->f;
	char db[24];
	int i, v;

	for (i = 0; i < s->nstats; i++) {
		const struct dt_stat_ent *e = &s->stats[i];
		const struct dt_stats *st = &e->st;

		if (!i || e->key.dev != dev) {
			dev = e->key.dev;
			fprintf(f, "\nDevice %s\n  %-14s %9s %12s %12s %7s %10s\n",
				dt_dev_label(o->names, dev, db, sizeof(db)), "OP",
				"CALLS", "BYTES_ASKED", "BYTES_DONE", "SHORT", "AVG_LAT_us");
		}
		nlat = dt_lat_count(st);
		fprintf(f, "  %-14s %9llu %12llu %12llu %7llu ",
			dt_op_name(e->key.op), (unsigned long long)st->calls,
			(unsigned long long)st->bytes_req,
			(unsigned long long)st->bytes_done,
			(unsigned long long)st->shorts);
		/* never an average of latencies nobody measured */
		if (nlat)
			fprintf(f, "%10.1f", st->lat_sum_ns / 1000.0 / nlat);
		else
			fprintf(f, "%10s", "-");
		errors_text(f, s, e->key.dev, e->key.op);
		if (e->key.op == DT_OP_FAULT)
			fprintf(f, " pte=%llu pmd=%llu pud=%llu fallback=%llu",
				(unsigned long long)st->faults[0],
				(unsigned long long)st->faults[1],
				(unsigned long long)st->faults[2],
				(unsigned long long)st->fallbacks);
		if (dt_op_is_copy(e->key.op)) {
			for (v = 1; v < DT_VAR_MAX; v++) {
				if (st->variant[v])
					fprintf(f, " %s=%llu", dt_variant_name(v),
						(unsigned long long)st->variant[v]);
			}
			if (st->shorts)
				fprintf(f, " short: user=%llu source=%llu unknown=%llu",
					(unsigned long long)st->short_side[DT_SIDE_USER],
					(unsigned long long)st->short_side[DT_SIDE_SOURCE],
					(unsigned long long)st->short_side[DT_SIDE_UNKNOWN]);
		}
		fputc('\n', f);
		if (o->hist) {
			dt_hist_text(f, st->len_hist, DT_HIST_SLOTS, "bytes");
			if (nlat)
				dt_hist_text(f, st->lat_hist, DT_HIST_SLOTS, "nsecs");
		}
	}
	dt_files_text(o, s);
	if (s->nchks)
		fprintf(f, "\nChecks\n  %-9s %-27s %7s %7s %7s  %s\n", "DEVICE",
			"CHECK", "PASS", "FAIL", "N/A", "EXPECTS");
	for (i = 0; i < s->nchks; i++) {
		const struct dt_chk_ent *c = &s->chks[i];

		fprintf(f, "  %-9s %-27s %7llu %7llu %7llu  %s%s\n",
			dt_dev_label(o->names, c->key.dev, db, sizeof(db)),
			dt_check_name(c->key.check),
			(unsigned long long)c->v.n[DT_PASS],
			(unsigned long long)c->v.n[DT_FAIL],
			(unsigned long long)c->v.n[DT_NA],
			dt_check_expect(c->key.check),
			c->v.n[DT_FAIL] ? "  <-- BROKEN" : "");
	}
	if (s->nmedia)
		fprintf(f, "\nMedia errors\n  %-9s %18s %8s\n", "DEVICE", "OFFSET", "COUNT");
	for (i = 0; i < s->nmedia; i++)
		fprintf(f, "  %-9s %#18llx %8llu\n",
			dt_dev_label(o->names, s->media[i].key.dev, db, sizeof(db)),
			(unsigned long long)s->media[i].key.pgoff << 12,
			(unsigned long long)s->media[i].n);
	fprintf(f, "\n%llu events, %llu lost (ring buffer full), %llu map-full",
		(unsigned long long)s->events, (unsigned long long)s->bpf.rb_dropped,
		(unsigned long long)s->bpf.map_full);
	if (o->top_files && s->files_known)
		fprintf(f, "; files counted: %llu, ops not counted per file (files map full): %llu",
			(unsigned long long)s->files_counted,
			(unsigned long long)s->bpf.file_full);
	fputc('\n', f);
	/* exact either way; only the cost per op is higher (--thread-slots) */
	if (s->bpf.thread_overflow)
		fprintf(f, "%llu ops in task storage (another live thread held their thread's slot)\n",
			(unsigned long long)s->bpf.thread_overflow);
	skipped_stats_text(o, s);
}

void dt_summary_print(const struct dt_out *o, const struct dt_snapshot *s)
{
	if (o->json)
		summary_json(o, s);
	else
		summary_text(o, s);
	fflush(o->f);
	if (o->after_record)
		o->after_record(o->after_ctx);
}
