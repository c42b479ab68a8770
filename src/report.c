// SPDX-License-Identifier: GPL-2.0
/*
 * Output lives in report*.c and only there: here the probes record and
 * table, the ready header, and the JSON string and histogram helpers;
 * event lines in report_event.c, summaries in report_summary.c. Pure
 * functions of their input, so the unit tests need no kernel.
 */
#include <string.h>
#include <sys/utsname.h>
#include "names.h"
#include "probe.h"
#include "report.h"

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlong
 * forms, surrogates or code points past U+10FFFF), 0 if there is none.
 */
static int utf8_len(const unsigned char *s)
{
	int n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] > 0x9f) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

/*
 * comm and names are bytes: UTF-8 goes through as it is; a byte that is
 * not part of it (a comm cut mid-character) as the code point of its
 * value, so the string stays valid JSON.
 */
void dt_json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int n;

	fputc('"', f);
	while (*p) {
		/* a run that needs no escaping, in one write: stdio locks per call */
		for (n = 0; p[n] >= 0x20 && p[n] < 0x7f && p[n] != '"' && p[n] != '\\'; n++)
			;
		if (n) {
			fwrite(p, 1, n, f);
			p += n;
		} else if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else if ((n = utf8_len(p))) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			fprintf(f, "\\u%04x", *p++);
		}
	}
	fputc('"', f);
}

/*
 * ,"uuid":… after a record's device: its namespace's or region's uuid
 * (devinfo.c), null where sysfs gives none or the device is unnamed.
 */
void dt_uuid_json(FILE *f, const struct dt_names *names, __u32 kdev)
{
	const char *u = NULL;
	int i;

	for (i = 0; names && i < names->n; i++) {
		if (names->devs[i].kdev == kdev) {
			u = dt_dev_uuid(&names->devs[i]);
			break;
		}
	}
	fputs(",\"uuid\":", f);
	if (u)
		dt_json_str(f, u);
	else
		fputs("null", f);
}

/* log2 histogram with scaled stars, in the libbpf-tools style. */
void dt_hist_text(FILE *f, const __u64 *slots, int n, const char *unit)
{
	int i, first = -1, last = -1, j, stars;
	__u64 max = 0, lo, hi;

	for (i = 0; i < n; i++) {
		if (!slots[i])
			continue;
		if (first < 0)
			first = i;
		last = i;
		if (slots[i] > max)
			max = slots[i];
	}
	if (first < 0)
		return;
	fprintf(f, "  %24s : %-8s |%-30s|\n", unit, "count", "distribution");
	for (i = first; i <= last; i++) {
		lo = i ? 1ULL << i : 0;
		hi = (1ULL << (i + 1)) - 1;
		/* the last slot holds everything from its lower bound up */
		if (i == n - 1)
			fprintf(f, "  %11llu -> %-10s : %-8llu |",
				(unsigned long long)lo, "inf",
				(unsigned long long)slots[i]);
		else
			fprintf(f, "  %11llu -> %-10llu : %-8llu |",
				(unsigned long long)lo, (unsigned long long)hi,
				(unsigned long long)slots[i]);
		stars = (int)(slots[i] * 30 / max);
		if (slots[i] && !stars)
			stars = 1;
		for (j = 0; j < 30; j++)
			fputc(j < stars ? '*' : ' ', f);
		fputs("|\n", f);
	}
}

/* Runs of target i the kernel skipped: null where nobody measured them. */
static void skipped_json(FILE *f, const struct dt_snapshot *s, int i)
{
	if (dt_skipped_known(s, i))
		fprintf(f, "%llu", (unsigned long long)s->skipped[i]);
	else
		fputs("null", f);
}

static const char *skipped_text(const struct dt_snapshot *s, int i, bool attached,
				char *buf, size_t len)
{
	if (!attached)
		return "-";
	if (!dt_skipped_known(s, i))
		return "n/a";
	snprintf(buf, len, "%llu", (unsigned long long)s->skipped[i]);
	return buf;
}

static void programs_json(FILE *f, const struct dt_target *t,
			  const struct dt_target_state *st)
{
	const struct dt_prog *p[DT_MAX_TP];
	int i, n = dt_target_programs(t, st, p);

	fputs(",\"programs\":[", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s\"%s\"", i ? "," : "", p[i]->name);
	fputc(']', f);
}

/* Is target i traced by the --telemetry programs of its row? */
static bool tel_progs(const struct dt_out *o, int i)
{
	const struct dt_target *t = &o->targets[i];
	const struct dt_prog *p = dt_method_progs(t, o->states[i].method);

	return dt_telemetry && p && (p == t->tel_fentry || p == t->tel_kprobe);
}

int dt_unseen(const struct dt_out *o, const char **what, int max)
{
	const struct dt_target *t = o->targets;
	const struct dt_target_state *st = o->states;
	int i, j, n = 0;

	if (!dt_telemetry)
		return 0;
	for (i = 0; i < o->ntargets && n < max; i++) {
		if (st[i].method != DT_M_OFF || !t[i].tel_unseen)
			continue;
		for (j = 0; j < n && strcmp(what[j], t[i].tel_unseen); j++)
			;
		if (j == n)
			what[n++] = t[i].tel_unseen;
	}
	if (n < max && DT_TGT_RW < o->ntargets && tel_progs(o, DT_TGT_RW))
		what[n++] = "rw.complete and events of reads and writes (short ones are counted, not judged)";
	if (n < max && DT_TGT_DEVFAULT < o->ntargets &&
	    (tel_progs(o, DT_TGT_FAULT) || tel_progs(o, DT_TGT_DEVFAULT)))
		what[n++] = "fault latency and fault.size";
	if (n < max)
		what[n++] = "per-file counts (--top-files)";
	return n;
}

bool dt_uses_thread_slots(const struct dt_out *o)
{
	int i;

	for (i = 0; i < o->ntargets; i++)
		if (o->states[i].attached &&
		    dt_target_uses_slots(&o->targets[i], &o->states[i]))
			return true;
	return false;
}

/* BPF: the profile, what it does not see, how the counters are kept. */
static void profile_json(const struct dt_out *o, FILE *f)
{
	const char *what[DT_UNSEEN_MAX];
	int i, n = dt_unseen(o, what, DT_UNSEEN_MAX);

	fprintf(f, ",\"profile\":\"%s\",\"not_seen\":[",
		dt_telemetry ? "telemetry" : "diagnosis");
	for (i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		dt_json_str(f, what[i]);
	}
	fputs("],\"counters\":\"per-cpu\",\"hot_path_atomics\":[", f);
	if (dt_uses_thread_slots(o))
		fputs("\"thread slot overflow: one atomic add per read, write and fault of a thread whose slot another live thread holds (thread_overflow)\"", f);
	fputc(']', f);
}

static void profile_text(const struct dt_out *o, FILE *f)
{
	const char *what[DT_UNSEEN_MAX];
	int i, n = dt_unseen(o, what, DT_UNSEEN_MAX);

	if (dt_telemetry) {
		fputs("--telemetry does not see:\n", f);
		for (i = 0; i < n; i++)
			fprintf(f, "  - %s\n", what[i]);
	}
	fprintf(f, "Counters: per CPU, no atomic add; %s\n", dt_uses_thread_slots(o) ?
		"no atomic instruction per operation but for a thread whose slot another live thread holds (thread_overflow)" :
		"no atomic instruction per operation");
}

/* The "probes" record / --list-probes table: printed once all is attached. */
void dt_print_probes(const struct dt_out *o, const char *backend, bool deep,
		     bool table)
{
	const struct dt_target *t = o->targets;
	const struct dt_target_state *st = o->states;
	int i, n[DT_M_TRACEPOINT + 1] = {};
	struct utsname u;
	FILE *f = o->f;
	char sb[24];

	uname(&u);
	if (o->json) {
		fprintf(f, "{\"type\":\"probes\",\"backend\":\"%s\",\"version\":\"%s\",\"kernel\":",
			backend, DT_VERSION);
		dt_json_str(f, u.release);
		if (o->run_id) {
			fputs(",\"run\":", f);
			dt_json_str(f, o->run_id);
		}
		fprintf(f, ",\"deep\":%s,\"preempt\":", deep ? "true" : "false");
		dt_json_str(f, dt_preempt_model());
		if (!strcmp(backend, "bpf"))
			profile_json(o, f);
		fputs(",\"targets\":[", f);
		for (i = 0; i < o->ntargets; i++) {
			fprintf(f, "%s{\"target\":\"%s\",\"method\":\"%s\",\"attached\":%s,\"note\":",
				i ? "," : "", t[i].func, dt_method_name(st[i].method),
				st[i].attached ? "true" : "false");
			dt_json_str(f, st[i].note);
			if (st[i].module[0]) {
				fputs(",\"module\":", f);
				dt_json_str(f, st[i].module);
			}
			if (!strcmp(backend, "bpf") && st[i].attached)
				programs_json(f, &t[i], &st[i]);
			if (st[i].attached) {
				fputs(",\"skipped\":", f);
				skipped_json(f, o->probe_snap, i);
			}
			fputc('}', f);
		}
		fputs("]}\n", f);
		fflush(f);
		return;
	}
	if (table) {
		fprintf(f, "Kernel %s, backend %s%s, preemption %s\n", u.release, backend,
			deep ? ", --deep" : dt_telemetry ? ", --telemetry" : "",
			dt_preempt_model());
		fprintf(f, "%-26s %-11s %-9s %-8s %s\n", "TARGET", "METHOD", "ATTACHED",
			"SKIPPED", "NOTE");
		for (i = 0; i < o->ntargets; i++)
			fprintf(f, "%-26s %-11s %-9s %-8s %s\n", t[i].func,
				dt_method_name(st[i].method), st[i].attached ? "yes" : "no",
				skipped_text(o->probe_snap, i, st[i].attached, sb, sizeof(sb)),
				st[i].note);
		if (!strcmp(backend, "bpf"))
			profile_text(o, f);
		fflush(f);
		return;
	}
	for (i = 0; i < o->ntargets; i++)
		if (st[i].method <= DT_M_TRACEPOINT)
			n[st[i].method]++;
	fprintf(f, "Probes (%s): %d fentry, %d kprobe, %d tracepoint, %d off, %d absent (--list-probes for details)\n",
		backend, n[DT_M_FENTRY], n[DT_M_KPROBE], n[DT_M_TRACEPOINT],
		n[DT_M_OFF], n[DT_M_ABSENT]);
	if (dt_telemetry)
		profile_text(o, f);
}

/* The ready signal: a script may start its workload once it sees this. */
void dt_print_header(const struct dt_out *o, const char *backend, bool deep,
		     const struct dt_dev *devs, int ndevs, bool snoop)
{
	int i;

	dt_print_probes(o, backend, deep, false);
	if (o->json)
		return;
	fprintf(o->f, "Tracing DAX I/O on ");
	if (!ndevs)
		fprintf(o->f, "all DAX devices");
	for (i = 0; i < ndevs; i++)
		fprintf(o->f, "%s%s", i ? ", " : "", devs[i].name);
	fprintf(o->f, "%s... Ctrl-C to end.\n", snoop ? " (every op)" : " (anomalies)");
	dt_event_header(o);
	fflush(o->f);
}
