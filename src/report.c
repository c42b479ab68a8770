// SPDX-License-Identifier: GPL-2.0
/*
 * Output lives here and only here: live anomaly lines, per device/op
 * summaries with log2 histograms, the checks table, JSON lines. Pure
 * functions of their input, so the unit tests need no kernel.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include "probe.h"
#include "report.h"
#include "dax_checks.h"
#include "dax_facts.h"

static const char *const op_names[DT_OP_MAX] = {
	[DT_OP_READ] = "read",
	[DT_OP_WRITE] = "write",
	[DT_OP_ITER] = "iter",
	[DT_OP_DIRECT_ACCESS] = "direct_access",
	[DT_OP_COPY_TO_ITER] = "copy_to_iter",
	[DT_OP_COPY_FROM_ITER] = "copy_from_iter",
	[DT_OP_FAULT] = "fault",
};

static const char *const check_names[DT_CHK_MAX] = {
	[DT_CHK_DA_RET_RANGE] = "direct_access.ret_range",
	[DT_CHK_DA_KADDR_KERNEL] = "direct_access.kaddr_kernel",
	[DT_CHK_DA_KADDR_PFN] = "direct_access.kaddr_pfn",
	[DT_CHK_COPY_COMPLETE] = "copy.complete",
	[DT_CHK_ITER_PROGRESS] = "iter.progress",
	[DT_CHK_RW_COMPLETE] = "rw.complete",
};

/* What each check expects, for the text report. */
static const char *const check_expect[DT_CHK_MAX] = {
	[DT_CHK_DA_RET_RANGE] = "0 < ret <= nr_pages or known -errno",
	[DT_CHK_DA_KADDR_KERNEL] = "kaddr is a kernel virtual address",
	[DT_CHK_DA_KADDR_PFN] = "kaddr == __va(pfn << PAGE_SHIFT)",
	[DT_CHK_COPY_COMPLETE] = "copied == bytes",
	[DT_CHK_ITER_PROGRESS] = "each iteration makes progress",
	[DT_CHK_RW_COMPLETE] = "returns count asked unless EOF/error",
};

static const char *const variant_names[DT_VAR_MAX] = {
	[DT_VAR_NONE] = "none",
	[DT_VAR_COPY_TO_ITER] = "_copy_to_iter",
	[DT_VAR_COPY_MC_TO_ITER] = "_copy_mc_to_iter",
	[DT_VAR_COPY_FROM_ITER] = "_copy_from_iter",
	[DT_VAR_COPY_FROM_ITER_FLUSHCACHE] = "_copy_from_iter_flushcache",
	[DT_VAR_DEAD] = "none (dax device dead)",
};

static const char *const side_names[] = {
	"none", "user", "source", "unknown",
};

static const char *const size_names[DT_FAULT_SIZES] = {
	"pte", "pmd", "pud",
};

#define NAME_OR(tab, i, n) ((i) < (n) && (tab)[i] ? (tab)[i] : "?")

const char *dt_op_name(__u32 op)
{
	return NAME_OR(op_names, op, DT_OP_MAX);
}

const char *dt_check_name(__u32 check)
{
	return NAME_OR(check_names, check, DT_CHK_MAX);
}

const char *dt_variant_name(__u32 v)
{
	return NAME_OR(variant_names, v, DT_VAR_MAX);
}

const char *dt_side_name(__u32 side)
{
	return NAME_OR(side_names, side, 4);
}

const char *dt_fault_size_name(__u32 size)
{
	return NAME_OR(size_names, size, DT_FAULT_SIZES);
}

static int lookup(const char *const *tab, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (tab[i] && !strcmp(tab[i], name))
			return i;
	return -1;
}

int dt_op_parse(const char *name)
{
	return lookup(op_names, DT_OP_MAX, name);
}

int dt_check_parse(const char *name)
{
	return lookup(check_names, DT_CHK_MAX, name);
}

int dt_variant_parse(const char *name)
{
	return lookup(variant_names, DT_VAR_MAX, name);
}

int dt_side_parse(const char *name)
{
	return lookup(side_names, 4, name);
}

int dt_fault_size_parse(const char *name)
{
	return lookup(size_names, DT_FAULT_SIZES, name);
}

static const struct {
	int err;
	const char *name;
} errnos[] = {
	{ 1, "EPERM" }, { 2, "ENOENT" }, { 4, "EINTR" }, { 5, "EIO" },
	{ 6, "ENXIO" }, { 11, "EAGAIN" }, { 12, "ENOMEM" }, { 13, "EACCES" },
	{ 14, "EFAULT" }, { 16, "EBUSY" }, { 22, "EINVAL" }, { 27, "EFBIG" },
	{ 28, "ENOSPC" }, { 30, "EROFS" }, { 34, "ERANGE" }, { 95, "EOPNOTSUPP" },
	{ 122, "EDQUOT" }, { 133, "EHWPOISON" },
};

static const struct {
	unsigned int bit;
	const char *name;
} vmf_bits[] = {
	{ 0x0001, "VM_FAULT_OOM" }, { 0x0002, "VM_FAULT_SIGBUS" },
	{ 0x0010, "VM_FAULT_HWPOISON" }, { 0x0020, "VM_FAULT_HWPOISON_LARGE" },
	{ 0x0040, "VM_FAULT_SIGSEGV" },
};

/* errno name for rw/da/copy; for faults, the VM_FAULT_* error bits. */
const char *dt_errno_name(__u32 op, __s32 err, char *buf, size_t len)
{
	size_t i, off = 0;

	if (op == DT_OP_FAULT) {
		buf[0] = '\0';
		for (i = 0; i < sizeof(vmf_bits) / sizeof(vmf_bits[0]); i++) {
			if (!((unsigned int)err & vmf_bits[i].bit))
				continue;
			off += snprintf(buf + off, off < len ? len - off : 0, "%s%s",
					off ? "|" : "", vmf_bits[i].name);
		}
		if (!off)
			snprintf(buf, len, "VM_FAULT_0x%x", (unsigned int)err);
		return buf;
	}
	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		if (errnos[i].err == err)
			return errnos[i].name;
	}
	snprintf(buf, len, "E%d", err);
	return buf;
}

/* The inverse of dt_errno_name(): for reading captures back. */
int dt_errno_parse(__u32 op, const char *name, __s32 *err)
{
	unsigned int bits = 0;
	const char *p = name;
	size_t i, n;
	char *end;

	if (op == DT_OP_FAULT) {
		if (!strncmp(name, "VM_FAULT_0x", 11)) {
			bits = strtoul(name + 11, &end, 16);
			if (*end || end == name + 11)
				return -1;
			*err = bits;
			return 0;
		}
		while (*p) {
			n = strcspn(p, "|");
			for (i = 0; i < sizeof(vmf_bits) / sizeof(vmf_bits[0]); i++)
				if (strlen(vmf_bits[i].name) == n && !strncmp(p, vmf_bits[i].name, n))
					break;
			if (i == sizeof(vmf_bits) / sizeof(vmf_bits[0]))
				return -1;
			bits |= vmf_bits[i].bit;
			p += n + (p[n] == '|');
		}
		*err = bits;
		return bits ? 0 : -1;
	}
	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		if (!strcmp(errnos[i].name, name)) {
			*err = errnos[i].err;
			return 0;
		}
	}
	if (name[0] != 'E' || name[1] < '0' || name[1] > '9')
		return -1;
	*err = strtol(name + 1, &end, 10);
	return *end ? -1 : 0;
}

const char *dt_dev_label(const struct dt_names *names, __u32 kdev, char *buf,
			 size_t len)
{
	int i;

	for (i = 0; names && i < names->n; i++) {
		if (names->devs[i].kdev == kdev)
			return names->devs[i].name;
	}
	snprintf(buf, len, "%u:%u", kdev >> 20, kdev & 0xfffff);
	return buf;
}

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
		if (*p == '"' || *p == '\\') {
			fprintf(f, "\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
		} else if (*p < 0x80) {
			fputc(*p++, f);
		} else if ((n = utf8_len(p))) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			fprintf(f, "\\u%04x", *p++);
		}
	}
	fputc('"', f);
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

static int cmp_stat(const void *a, const void *b)
{
	const struct dt_stat_ent *x = a, *y = b;

	if (x->key.dev != y->key.dev)
		return x->key.dev < y->key.dev ? -1 : 1;
	return (int)x->key.op - (int)y->key.op;
}

static int cmp_err(const void *a, const void *b)
{
	const struct dt_err_ent *x = a, *y = b;

	if (x->key.dev != y->key.dev)
		return x->key.dev < y->key.dev ? -1 : 1;
	if (x->key.op != y->key.op)
		return (int)x->key.op - (int)y->key.op;
	return x->key.err - y->key.err;
}

static int cmp_chk(const void *a, const void *b)
{
	const struct dt_chk_ent *x = a, *y = b;

	if (x->key.dev != y->key.dev)
		return x->key.dev < y->key.dev ? -1 : 1;
	return (int)x->key.check - (int)y->key.check;
}

static int cmp_media(const void *a, const void *b)
{
	const struct dt_media_ent *x = a, *y = b;

	if (x->key.dev != y->key.dev)
		return x->key.dev < y->key.dev ? -1 : 1;
	return x->key.pgoff < y->key.pgoff ? -1 : x->key.pgoff > y->key.pgoff;
}

/* The per-device checks table, summed from the verdicts in each op's stats. */
int dt_snapshot_checks(struct dt_snapshot *s)
{
	int i, j, c, v;

	free(s->chks);
	s->nchks = 0;
	s->chks = calloc((size_t)s->nstats * DT_CHK_MAX + 1, sizeof(*s->chks));
	if (!s->chks)
		return -1;
	for (i = 0; i < s->nstats; i++) {
		const struct dt_stat_ent *e = &s->stats[i];

		for (c = 0; c < DT_CHK_MAX; c++) {
			__u64 sum = 0;

			for (v = 0; v < DT_VERDICT_MAX; v++)
				sum += e->st.chk[c][v];
			if (!sum)
				continue;
			for (j = 0; j < s->nchks; j++)
				if (s->chks[j].key.dev == e->key.dev && s->chks[j].key.check == (__u32)c)
					break;
			if (j == s->nchks) {
				s->chks[j].key.dev = e->key.dev;
				s->chks[j].key.check = c;
				s->nchks++;
			}
			for (v = 0; v < DT_VERDICT_MAX; v++)
				s->chks[j].v.n[v] += e->st.chk[c][v];
		}
	}
	return 0;
}

void dt_snapshot_sort(struct dt_snapshot *s)
{
	if (s->nstats)
		qsort(s->stats, s->nstats, sizeof(*s->stats), cmp_stat);
	if (s->nerrs)
		qsort(s->errs, s->nerrs, sizeof(*s->errs), cmp_err);
	if (s->nchks)
		qsort(s->chks, s->nchks, sizeof(*s->chks), cmp_chk);
	if (s->nmedia)
		qsort(s->media, s->nmedia, sizeof(*s->media), cmp_media);
}

void dt_snapshot_free(struct dt_snapshot *s)
{
	free(s->stats);
	free(s->errs);
	free(s->chks);
	free(s->media);
	memset(s, 0, sizeof(*s));
}

/* ---- events ---------------------------------------------------------- */

static void fmt_time(const struct dt_out *o, __u64 ts, char *buf, size_t len)
{
	time_t t = (time_t)((ts + o->boot_to_epoch_ns) / 1000000000ULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

bool dt_op_is_copy(__u32 op)
{
	return op == DT_OP_COPY_TO_ITER || op == DT_OP_COPY_FROM_ITER;
}

/* The offset shown for an event: file offset, or byte offset on the device. */
static __u64 ev_offset(const struct dt_event *e)
{
	if (e->op == DT_OP_DIRECT_ACCESS || dt_op_is_copy(e->op))
		return e->pos << 12;
	return e->pos;
}

static void ev_verdict(const struct dt_event *e, char *buf, size_t len)
{
	char eb[48];
	size_t off = 0;
	__u32 c;

	buf[0] = '\0';
	if (e->why & DT_EV_ERROR)
		off += snprintf(buf, len, "error %s",
				dt_errno_name(e->op, e->op == DT_OP_FAULT ?
					      (__s32)(e->ret & DT_VMF_ERROR) : (__s32)-e->ret,
					      eb, sizeof(eb)));
	for (c = 0; c < DT_CHK_MAX && off < len; c++) {
		if (e->check_fail & (1U << c))
			off += snprintf(buf + off, len - off, "%s%s FAIL",
					off ? ", " : "", dt_check_name(c));
	}
	if (!off)
		snprintf(buf, len, "%s", e->why & DT_EV_SHORT ? "short" : "ok");
}

/* The second line under an anomaly: the evidence that explains it. */
static void ev_detail_text(FILE *f, const struct dt_event *e)
{
	if (e->op == DT_OP_DIRECT_ACCESS) {
		fprintf(f, "    -> direct_access(pgoff %#llx, nr_pages %llu) = %lld",
			(unsigned long long)e->pos, (unsigned long long)e->asked,
			(long long)e->ret);
		if (e->flags & DT_F_KADDR)
			fprintf(f, ", kaddr %#llx%s", (unsigned long long)e->kaddr,
				e->check_fail & (1U << DT_CHK_DA_KADDR_KERNEL) ?
				" (NOT a kernel address)" : "");
		if (e->ret > 0 && (e->flags & DT_F_PFN))
			fprintf(f, ", pfn %#llx",
				(unsigned long long)(e->pfn & DT_PFN_MASK));
		if ((e->flags & DT_F_DRV) && e->drv_ret != e->ret)
			fprintf(f, ", driver returned %lld", (long long)e->drv_ret);
		fputc('\n', f);
	} else if (dt_op_is_copy(e->op) && (e->why & DT_EV_SHORT)) {
		fprintf(f, "    -> %s copied %lld of %llu via %s (%s); %s-side",
			dt_op_name(e->op), (long long)e->ret,
			(unsigned long long)e->asked, dt_variant_name(e->variant),
			e->flags & DT_F_VAR_MEASURED ? "measured" : "from dax flags",
			dt_side_name(e->side));
		if (e->side == DT_SIDE_USER)
			fprintf(f, ": user byte %#llx not accessible",
				(unsigned long long)e->user_addr);
		else if (e->side == DT_SIDE_SOURCE)
			fprintf(f, ": user byte %#llx is fine, kernel side %#llx declined",
				(unsigned long long)e->user_addr,
				(unsigned long long)(e->addr + (e->ret > 0 ? e->ret : 0)));
		fputc('\n', f);
		if (e->flags & DT_F_DA_LINKED)
			fprintf(f, "    -> kaddr %#llx came from direct_access(pgoff %#llx) = %lld pages%s\n",
				(unsigned long long)e->kaddr,
				(unsigned long long)e->da_pgoff, (long long)e->da_ret,
				e->flags & DT_F_KADDR_BAD ?
				" -- kaddr is NOT a kernel address" : "");
		else
			fprintf(f, "    -> source %#llx not from a traced direct_access on this thread\n",
				(unsigned long long)e->addr);
	} else if ((e->op == DT_OP_READ || e->op == DT_OP_WRITE) &&
		   (e->why & DT_EV_SHORT)) {
		fprintf(f, "    -> %s returned %lld of %llu at pos %llu, i_size %llu: not at EOF\n",
			dt_op_name(e->op), (long long)e->ret,
			(unsigned long long)e->asked, (unsigned long long)e->pos,
			(unsigned long long)e->isize);
	}
}

/* The BPF programs an attached target runs: what the bench's floor copies. */
bool dt_skipped_known(const struct dt_snapshot *s, int target)
{
	return s && target < DT_MAX_TARGETS && (s->skipped_known & (1U << target));
}

__u64 dt_skipped_total(const struct dt_snapshot *s)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < DT_MAX_TARGETS; i++)
		if (dt_skipped_known(s, i))
			n += s->skipped[i];
	return n;
}

bool dt_counts_may_be_short(const struct dt_snapshot *s)
{
	return dt_skipped_total(s) || (s && s->skipped_unread);
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
			deep ? ", --deep" : "", dt_preempt_model());
		fprintf(f, "%-26s %-11s %-9s %-8s %s\n", "TARGET", "METHOD", "ATTACHED",
			"SKIPPED", "NOTE");
		for (i = 0; i < o->ntargets; i++)
			fprintf(f, "%-26s %-11s %-9s %-8s %s\n", t[i].func,
				dt_method_name(st[i].method), st[i].attached ? "yes" : "no",
				skipped_text(o->probe_snap, i, st[i].attached, sb, sizeof(sb)),
				st[i].note);
		fflush(f);
		return;
	}
	for (i = 0; i < o->ntargets; i++)
		if (st[i].method <= DT_M_TRACEPOINT)
			n[st[i].method]++;
	fprintf(f, "Probes (%s): %d fentry, %d kprobe, %d tracepoint, %d off, %d absent (--list-probes for details)\n",
		backend, n[DT_M_FENTRY], n[DT_M_KPROBE], n[DT_M_TRACEPOINT],
		n[DT_M_OFF], n[DT_M_ABSENT]);
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

void dt_event_header(const struct dt_out *o)
{
	if (o->json)
		return;
	if (o->timestamps)
		fprintf(o->f, "%-8s ", "TIME");
	fprintf(o->f, "%-12s %-7s %-9s %-14s %12s %9s %9s %s\n", "COMM", "PID",
		"DEVICE", "OP", "OFFSET", "ASKED", "GOT", "VERDICT");
}

static void event_text(const struct dt_out *o, const struct dt_event *e)
{
	char tb[16], db[24], vb[256], comm[DT_COMM_LEN + 1];

	memcpy(comm, e->comm, DT_COMM_LEN);
	comm[DT_COMM_LEN] = '\0';
	if (o->timestamps) {
		fmt_time(o, e->ts_ns, tb, sizeof(tb));
		fprintf(o->f, "%-8s ", tb);
	}
	ev_verdict(e, vb, sizeof(vb));
	fprintf(o->f, "%-12.12s %-7u %-9s %-14s %#12llx %9llu %9lld %s\n", comm,
		e->pid, dt_dev_label(o->names, e->dev, db, sizeof(db)),
		e->op == DT_OP_FAULT ? (e->fault_size == DT_FAULT_PMD ? "fault(pmd)" :
					e->fault_size == DT_FAULT_PUD ? "fault(pud)" :
									"fault(pte)") :
				       dt_op_name(e->op),
		(unsigned long long)ev_offset(e), (unsigned long long)e->asked,
		(long long)e->ret, vb);
	if (e->why & (DT_EV_SHORT | DT_EV_CHECK | DT_EV_ERROR))
		ev_detail_text(o->f, e);
}

static void json_hex(FILE *f, const char *key, __u64 v)
{
	fprintf(f, ",\"%s\":\"%#llx\"", key, (unsigned long long)v);
}

static void event_json(const struct dt_out *o, const struct dt_event *e)
{
	static const char *const whys[] = { "snoop", "error", "short", "check" };
	char db[24], eb[48], comm[DT_COMM_LEN + 1];
	FILE *f = o->f;
	int i, n = 0;

	memcpy(comm, e->comm, DT_COMM_LEN);
	comm[DT_COMM_LEN] = '\0';
	fprintf(f, "{\"type\":\"event\",\"ts_ns\":%llu", (unsigned long long)e->ts_ns);
	fputs(",\"comm\":", f);
	dt_json_str(f, comm);
	fprintf(f, ",\"pid\":%u,\"tid\":%u,\"device\":", e->pid, e->tid);
	dt_json_str(f, dt_dev_label(o->names, e->dev, db, sizeof(db)));
	fprintf(f, ",\"op\":\"%s\",\"why\":[", dt_op_name(e->op));
	for (i = 0; i < 4; i++) {
		if (e->why & (1U << i))
			fprintf(f, "%s\"%s\"", n++ ? "," : "", whys[i]);
	}
	fprintf(f, "],\"offset\":%llu,\"asked\":%llu,\"got\":%lld,\"errno\":",
		(unsigned long long)ev_offset(e), (unsigned long long)e->asked,
		(long long)e->ret);
	if (e->why & DT_EV_ERROR)
		dt_json_str(f, dt_errno_name(e->op, e->op == DT_OP_FAULT ?
					     (__s32)(e->ret & DT_VMF_ERROR) : (__s32)-e->ret,
					     eb, sizeof(eb)));
	else
		fputs("null", f);
	fputs(",\"checks_failed\":[", f);
	for (i = 0, n = 0; i < DT_CHK_MAX; i++) {
		if (e->check_fail & (1U << i))
			fprintf(f, "%s\"%s\"", n++ ? "," : "", dt_check_name(i));
	}
	if (e->flags & DT_F_NO_LAT)
		fprintf(f, "],\"lat_ns\":null,\"seq\":%u", e->seq);
	else
		fprintf(f, "],\"lat_ns\":%llu,\"seq\":%u",
			(unsigned long long)e->lat_ns, e->seq);
	switch (e->op) {
	case DT_OP_READ:
	case DT_OP_WRITE:
		fprintf(f, ",\"ino\":%llu,\"i_size\":%llu,\"eof\":%s",
			(unsigned long long)e->ino, (unsigned long long)e->isize,
			e->flags & DT_F_EOF ? "true" : "false");
		break;
	case DT_OP_ITER:
		fprintf(f, ",\"i_size\":%llu,\"eof\":%s",
			(unsigned long long)e->isize,
			e->flags & DT_F_EOF ? "true" : "false");
		break;
	case DT_OP_DIRECT_ACCESS:
		/* null: not captured (no driver target), or not read (ret <= 0) */
		fprintf(f, ",\"pgoff\":%llu,\"nr_pages\":%llu,\"driver_ret\":",
			(unsigned long long)e->pos, (unsigned long long)e->asked);
		if (e->flags & DT_F_DRV)
			fprintf(f, "%lld", (long long)e->drv_ret);
		else
			fputs("null", f);
		if (e->flags & DT_F_KADDR)
			json_hex(f, "kaddr", e->kaddr);
		else
			fputs(",\"kaddr\":null", f);
		if ((e->flags & DT_F_PFN) && e->ret > 0)
			fprintf(f, ",\"pfn\":%llu",
				(unsigned long long)(e->pfn & DT_PFN_MASK));
		else
			fputs(",\"pfn\":null", f);
		break;
	case DT_OP_COPY_TO_ITER:
	case DT_OP_COPY_FROM_ITER:
		fprintf(f, ",\"pgoff\":%llu,\"variant\":\"%s\",\"variant_from\":\"%s\",\"side\":\"%s\"",
			(unsigned long long)e->pos, dt_variant_name(e->variant),
			e->flags & DT_F_VAR_MEASURED ? "measured" : "dax_flags",
			dt_side_name(e->side));
		json_hex(f, "addr", e->addr);
		if (e->flags & DT_F_UADDR)
			json_hex(f, "user_addr", e->user_addr);
		else
			fputs(",\"user_addr\":null", f);
		if (e->flags & DT_F_DA_LINKED) {
			fprintf(f, ",\"direct_access\":{\"pgoff\":%llu,\"ret\":%lld",
				(unsigned long long)e->da_pgoff, (long long)e->da_ret);
			json_hex(f, "kaddr", e->kaddr);
			/* the direct_access's verdict, where it was made */
			fprintf(f, ",\"kaddr_kernel\":%s}",
				!(e->flags & DT_F_KADDR) ? "null" :
				e->flags & DT_F_KADDR_BAD ? "false" : "true");
		} else {
			fputs(",\"direct_access\":null", f);
		}
		break;
	case DT_OP_FAULT:
		fprintf(f, ",\"size\":\"%s\",\"fallback\":%s,\"ino\":%llu",
			dt_fault_size_name(e->fault_size),
			e->flags & DT_F_FALLBACK ? "true" : "false",
			(unsigned long long)e->ino);
		break;
	}
	fputs("}\n", f);
}

void dt_event_print(const struct dt_out *o, const struct dt_event *e)
{
	if (o->json)
		event_json(o, e);
	else
		event_text(o, e);
	if (o->after_record)
		o->after_record(o->after_ctx);
}

/* ---- summaries -------------------------------------------------------- */

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
	for (i = 0; i < s->nchks; i++) {
		const struct dt_chk_ent *c = &s->chks[i];

		fputs("{\"type\":\"check\",\"device\":", f);
		dt_json_str(f, dt_dev_label(o->names, c->key.dev, db, sizeof(db)));
		fprintf(f, ",\"check\":\"%s\",\"pass\":%llu,\"fail\":%llu,\"na\":%llu}\n",
			dt_check_name(c->key.check), (unsigned long long)c->v.n[DT_PASS],
			(unsigned long long)c->v.n[DT_FAIL],
			(unsigned long long)c->v.n[DT_NA]);
	}
	for (i = 0; i < s->nmedia; i++) {
		fputs("{\"type\":\"media_error\",\"device\":", f);
		dt_json_str(f, dt_dev_label(o->names, s->media[i].key.dev, db, sizeof(db)));
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

/* Calls whose latency was measured: the ones in the histogram. */
__u64 dt_lat_count(const struct dt_stats *st)
{
	__u64 n = 0;
	int i;

	for (i = 0; i < DT_HIST_SLOTS; i++)
		n += st->lat_hist[i];
	return n;
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
			c->key.check < DT_CHK_MAX ? check_expect[c->key.check] : "",
			c->v.n[DT_FAIL] ? "  <-- BROKEN" : "");
	}
	if (s->nmedia)
		fprintf(f, "\nMedia errors\n  %-9s %18s %8s\n", "DEVICE", "OFFSET", "COUNT");
	for (i = 0; i < s->nmedia; i++)
		fprintf(f, "  %-9s %#18llx %8llu\n",
			dt_dev_label(o->names, s->media[i].key.dev, db, sizeof(db)),
			(unsigned long long)s->media[i].key.pgoff << 12,
			(unsigned long long)s->media[i].n);
	fprintf(f, "\n%llu events, %llu lost (ring buffer full), %llu map-full\n",
		(unsigned long long)s->events, (unsigned long long)s->bpf.rb_dropped,
		(unsigned long long)s->bpf.map_full);
	/* exact either way; only the cost per op is higher (--thread-slots) */
	if (s->bpf.thread_overflow)
		fprintf(f, "%llu ops in task storage (their thread's slot was busy)\n",
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
