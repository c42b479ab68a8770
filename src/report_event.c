// SPDX-License-Identifier: GPL-2.0
/*
 * Live event lines: one per anomaly (or every op with -s), as a text row
 * with the evidence under it, or as a JSON record.
 */
#include <string.h>
#include <time.h>
#include "names.h"
#include "report.h"
#include "dax_checks.h"
#include "dax_facts.h"

static void fmt_time(const struct dt_out *o, __u64 ts, char *buf, size_t len)
{
	time_t t = (time_t)((ts + o->boot_to_epoch_ns) / 1000000000ULL);
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
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

/* A fault.size failure's file, where its inode resolves to a path. */
static const char *ev_path(const struct dt_out *o, const struct dt_event *e)
{
	return o->path_of ? o->path_of(o->path_ctx, e->dev, e->ino) : NULL;
}

static void fault_size_text(const struct dt_out *o, const struct dt_event *e)
{
	const char *path = ev_path(o, e);

	fprintf(o->f, "    -> %s fault %s at %#llx (file offset %#llx, ino %llu, %s) "
		"in VMA %#llx-%#llx: a %s was possible%s\n",
		dt_fault_size_name(e->fault_size),
		e->flags & DT_F_FALLBACK ? "fell back" : "mapped",
		(unsigned long long)e->address, (unsigned long long)e->pos,
		(unsigned long long)e->ino, path ? path : "path not resolved",
		(unsigned long long)e->vm_start,
		(unsigned long long)e->vm_end, dt_fault_size_name(e->best),
		e->size_why & DT_FSZ_THPOFF ?
		", but the process turned THP off (PR_SET_THP_DISABLE)" : "");
}

/* The second line under an anomaly: the evidence that explains it. */
static void ev_detail_text(const struct dt_out *o, const struct dt_event *e)
{
	FILE *f = o->f;

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
	} else if (e->op == DT_OP_FAULT && (e->check_fail & (1U << DT_CHK_FAULT_SIZE))) {
		fault_size_text(o, e);
	} else if ((e->op == DT_OP_READ || e->op == DT_OP_WRITE) &&
		   (e->why & DT_EV_SHORT)) {
		fprintf(f, "    -> %s returned %lld of %llu at pos %llu, i_size %llu: not at EOF\n",
			dt_op_name(e->op), (long long)e->ret,
			(unsigned long long)e->asked, (unsigned long long)e->pos,
			(unsigned long long)e->isize);
	}
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
		ev_detail_text(o, e);
}

static void json_hex(FILE *f, const char *key, __u64 v)
{
	fprintf(f, ",\"%s\":\"%#llx\"", key, (unsigned long long)v);
}

/* fault.size's evidence; null where it was not judged. */
static void fault_size_json(FILE *f, const struct dt_event *e)
{
	__u32 i, n = 0;

	if (!(e->flags & DT_F_FSZ)) {
		fputs(",\"fault_size\":null", f);
		return;
	}
	fprintf(f, ",\"fault_size\":{\"best\":\"%s\",\"why\":[",
		dt_fault_size_name(e->best));
	for (i = 0; i < DT_FSZ_NBITS; i++)
		if (e->size_why & (1U << i))
			fprintf(f, "%s\"%s\"", n++ ? "," : "", dt_fsz_why_name(i));
	fputs("]", f);
	json_hex(f, "address", e->address);
	json_hex(f, "vm_start", e->vm_start);
	json_hex(f, "vm_end", e->vm_end);
	fputs("}", f);
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
	dt_uuid_json(f, o->names, e->dev);
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
		if (e->check_fail & (1U << DT_CHK_FAULT_SIZE)) {
			const char *path = ev_path(o, e);

			fputs(",\"path\":", f);
			if (path)
				dt_json_str(f, path);
			else
				fputs("null", f);
		}
		fault_size_json(f, e);
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
