// SPDX-License-Identifier: GPL-2.0
/*
 * The files of a summary: each device's top N by ops, bytes, errors,
 * short copies and PTE fallbacks (dt_snapshot_top_files() chose them),
 * by path where it resolved, else by inode; text or JSON.
 */
#include "names.h"
#include "report.h"

void dt_files_text(const struct dt_out *o, const struct dt_snapshot *s)
{
	__u32 dev = 0;
	FILE *f = o->f;
	char db[24];
	int i;

	for (i = 0; i < s->nfiles; i++) {
		const struct dt_file_ent *e = &s->files[i];
		const struct dt_file_val *v = &e->v;

		if (!i || e->key.dev != dev) {
			dev = e->key.dev;
			fprintf(f, "\nFiles on %s: top %d by ops, bytes, errors, short copies, PTE fallbacks\n"
				"  %9s %8s %8s %8s %12s %6s %6s %6s  %s\n",
				dt_dev_label(o->names, dev, db, sizeof(db)), o->top_files,
				"OPS", "READS", "WRITES", "FAULTS", "BYTES", "ERRORS",
				"SHORT", "PTE_FB", "FILE");
		}
		fprintf(f, "  %9llu %8llu %8llu %8llu %12llu %6llu %6llu %6llu  ",
			(unsigned long long)dt_file_ops(v), (unsigned long long)v->reads,
			(unsigned long long)v->writes, (unsigned long long)v->faults,
			(unsigned long long)(v->bytes_read + v->bytes_written),
			(unsigned long long)v->errors, (unsigned long long)v->short_copies,
			(unsigned long long)v->pte_fallbacks);
		if (e->path)
			fprintf(f, "%s\n", e->path);
		else
			fprintf(f, "ino %llu (path not resolved)\n", (unsigned long long)e->key.ino);
	}
}

void dt_files_json(const struct dt_out *o, const struct dt_snapshot *s)
{
	FILE *f = o->f;
	char db[24];
	int i, r, n;

	for (i = 0; i < s->nfiles; i++) {
		const struct dt_file_ent *e = &s->files[i];
		const struct dt_file_val *v = &e->v;

		fputs("{\"type\":\"file\",\"device\":", f);
		dt_json_str(f, dt_dev_label(o->names, e->key.dev, db, sizeof(db)));
		dt_uuid_json(f, o->names, e->key.dev);
		fprintf(f, ",\"ino\":%llu,\"path\":", (unsigned long long)e->key.ino);
		if (e->path)
			dt_json_str(f, e->path);
		else
			fputs("null", f);
		fputs(",\"top\":[", f);
		for (r = 0, n = 0; r < DT_FR_MAX; r++)
			if (e->top & (1U << r))
				fprintf(f, "%s\"%s\"", n++ ? "," : "", dt_file_rank_name(r));
		fprintf(f, "],\"ops\":%llu,\"reads\":%llu,\"writes\":%llu,\"faults\":%llu,"
			"\"bytes\":%llu,\"bytes_read\":%llu,\"bytes_written\":%llu,"
			"\"errors\":%llu,\"short_copies\":%llu,\"pte_fallbacks\":%llu}\n",
			(unsigned long long)dt_file_ops(v), (unsigned long long)v->reads,
			(unsigned long long)v->writes, (unsigned long long)v->faults,
			(unsigned long long)(v->bytes_read + v->bytes_written),
			(unsigned long long)v->bytes_read, (unsigned long long)v->bytes_written,
			(unsigned long long)v->errors, (unsigned long long)v->short_copies,
			(unsigned long long)v->pte_fallbacks);
	}
}
