// SPDX-License-Identifier: GPL-2.0
/*
 * The ftrace backend: where BPF tracing is unavailable or forbidden,
 * daxtrace defines kprobe/kretprobe events through tracefs, enables them
 * in a tracing instance of its own, parses trace_pipe, and runs the same
 * per-thread logic and checks as the BPF programs in user space. Output
 * goes through the same report code.
 *
 *   ftrace_tracefs.c   the instance, its events, trace_pipe, cleanup
 *   ftrace_events.c    each target row's kprobe events or tracepoints
 *   ftrace_handlers.c  events turned into the BPF side's accounting
 *   ftrace.c           this: which method each target gets, the loop
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include "daxtrace.h"
#include "clock.h"
#include "ftrace.h"
#include "ftrace_events.h"
#include "ftrace_handlers.h"
#include "ftrace_tracefs.h"
#include "probe.h"
#include "devinfo.h"
#include "inopath.h"

static const char *absent_note(const struct dt_target *t)
{
	if (t->flags & DT_T_DEEP)
		return "not traced by the ftrace backend";
	if (t->flags & DT_T_DETECT)
		return "not traced by this version";
	return "not in kallsyms (inlined, not built or module not loaded)";
}

static const char *refused_note(int err)
{
	if (err == -EOPNOTSUPP)
		return "not traced by the ftrace backend";
	if (err == -ENOENT)
		return "a field it needs is missing from BTF";
	if (!dt_tfs_kprobes())
		return "no kprobe_events in tracefs (kernel without kprobes)";
	return "kprobe event refused by the kernel";
}

/*
 * Trace one target: its kprobe events, else (e.g. faults, whose fs_dax
 * tracepoints still count them) its tracepoints. True if either took.
 */
static bool trace_target(enum dt_target_id id)
{
	const struct dt_target *t = &dt_targets[id];
	struct dt_target_state *st = &dt_states[id];
	int err;

	st->attached = false;
	dt_target_module(id);
	if (t->flags & (DT_T_DEEP | DT_T_DETECT) || !dt_kallsyms_addr(t->func)) {
		st->method = (t->flags & DT_T_DEEP) ? DT_M_OFF : DT_M_ABSENT;
		snprintf(st->note, sizeof(st->note), "%s", absent_note(t));
		return false;
	}
	if (!dt_tfs_kprobes() && !t->ftrace.tp_note) {
		st->method = DT_M_ABSENT;
		snprintf(st->note, sizeof(st->note), "%s", refused_note(0));
		return false;
	}
	err = dt_fev_define(t);
	if (!err) {
		st->method = DT_M_KPROBE;
		st->attached = true;
		snprintf(st->note, sizeof(st->note), "ftrace kprobe event in %s",
			 dt_tfs_group());
		return true;
	}
	st->method = err == -EOPNOTSUPP ? DT_M_OFF : DT_M_ABSENT;
	snprintf(st->note, sizeof(st->note), "%s", refused_note(err));
	if (t->ftrace.tp_note && !dt_fev_tracepoints(t)) {
		st->method = DT_M_TRACEPOINT;
		st->attached = true;
		snprintf(st->note, sizeof(st->note), "%s", t->ftrace.tp_note);
		return true;
	}
	return false;
}

static int setup(const struct dt_ftrace_cfg *cfg, char *err, size_t len)
{
	int i, ret, usable = 0;

	ret = dt_tfs_instance(cfg->comm, cfg->pid, err, len);
	if (ret)
		return ret;
	for (i = 0; i < DT_NTARGETS; i++)
		usable += trace_target(i);
	if (!usable) {
		snprintf(err, len, "ftrace backend: no DAX function or tracepoint can be traced here");
		return -ENOENT;
	}
	return 0;
}

/* Say precisely which checks this run cannot make, and why. */
static void coverage(struct dt_out *out)
{
	const char *why[DT_CHK_MAX] = {
		[DT_CHK_DA_KADDR_KERNEL] = "kretprobes cannot read *kaddr",
		[DT_CHK_DA_KADDR_PFN] = "kretprobes cannot read *kaddr/*pfn",
		[DT_CHK_ITER_PROGRESS] = "iterations are not traced by ftrace",
	};
	int c, n = 0;

	if (!dt_states[DT_TGT_DA].attached)
		why[DT_CHK_DA_RET_RANGE] = "dax_direct_access not traced";
	if (!dt_states[DT_TGT_COPY_TO].attached && !dt_states[DT_TGT_COPY_FROM].attached)
		why[DT_CHK_COPY_COMPLETE] = "copies not traced";
	if (!dt_states[DT_TGT_RW].attached)
		why[DT_CHK_RW_COMPLETE] = "dax_iomap_rw not traced";
	if (dt_states[DT_TGT_FAULT].method != DT_M_KPROBE &&
	    dt_states[DT_TGT_DEVFAULT].method != DT_M_KPROBE)
		why[DT_CHK_FAULT_SIZE] = "fault tracepoints carry no VMA: faults need kprobes";
	if (out->json)
		fputs("{\"type\":\"coverage\",\"unavailable_checks\":{", out->f);
	else
		fputs("Checks this backend cannot make here:", out->f);
	for (c = 0; c < DT_CHK_MAX; c++) {
		if (!why[c])
			continue;
		if (out->json)
			fprintf(out->f, "%s\"%s\":\"%s\"", n ? "," : "", dt_check_name(c), why[c]);
		else
			fprintf(out->f, "%s %s (%s)", n ? "," : "", dt_check_name(c), why[c]);
		n++;
	}
	fputs(out->json ? "}}\n" : "\n", out->f);
}

/*
 * Runs the kernel skipped, per target: its kprobe events' misses. A
 * target on tracepoints, or whose events cannot be found, is unread.
 */
static void kprobe_misses(struct dt_snapshot *s)
{
	FILE *profile = dt_tfs_kprobe_profile();
	int i;

	for (i = 0; i < DT_NTARGETS; i++) {
		if (!dt_states[i].attached)
			continue;
		s->skipped[i] = 0;
		if (profile && dt_states[i].method == DT_M_KPROBE &&
		    !dt_fev_misses(profile, &dt_targets[i], &s->skipped[i]))
			s->skipped_known |= 1U << i;
		else
			s->skipped_unread |= 1U << i;
	}
	if (profile)
		fclose(profile);
}

/* The handlers' tables, with what the ring buffer lost. */
static int snap(void *ctx, struct dt_snapshot *s)
{
	const struct dt_out *out = ctx;

	dt_fh_tables(s);
	dt_files_finish(s, out->top_files);
	s->bpf.rb_dropped = dt_tfs_overruns();
	kprobe_misses(s);
	return 0;
}

/* the tables are the handlers' own; only the files are the snapshot's */
static void snap_put(void *ctx, struct dt_snapshot *s)
{
	dt_snapshot_free_files(s);
}

static void summary(struct dt_out *out)
{
	struct dt_snapshot s;

	snap(out, &s);
	dt_summary_print(out, &s);
	snap_put(out, &s);
}

/* Until *exiting or -c COUNT summaries: lines to the handlers, summaries. */
static int loop(const struct dt_ftrace_cfg *cfg, struct dt_out *out, int fd,
		volatile sig_atomic_t *exiting)
{
	static struct dt_tfs_buf buf;
	unsigned long printed = 0;
	time_t next = 0;

	if (cfg->interval)
		next = dt_mono_s() + cfg->interval;
	while (!*exiting) {
		if (dt_tel_wait(cfg->tel, fd, 100) > 0 &&
		    dt_tfs_drain(fd, &buf, dt_fh_line) < 0)
			break;
		if (cfg->interval && dt_mono_s() >= next) {
			summary(out);
			next += cfg->interval;
			if (cfg->count && ++printed >= cfg->count)
				return 0;
		}
	}
	/* what is still buffered belongs in the final summary */
	while (dt_tfs_drain(fd, &buf, dt_fh_line) > 0)
		;
	summary(out);
	return 0;
}

/* Set up, trace until told to stop, clean up: the exit status. */
static int run(const struct dt_ftrace_cfg *cfg, struct dt_out *out,
	       volatile sig_atomic_t *exiting, char *err, size_t len)
{
	static struct dt_snapshot probe_snap;
	int fd, ret;

	ret = setup(cfg, err, len);
	if (ret)
		return 1;
	kprobe_misses(&probe_snap);	/* the probes record's "skipped" */
	out->probe_snap = &probe_snap;
	if (cfg->list_probes) {
		dt_print_probes(out, "ftrace", false, !out->json);
		coverage(out);
		return 0;
	}
	fd = dt_tfs_pipe_open(err, len);
	if (fd < 0)
		return 1;
	if (!out->json)
		coverage(out);
	dt_print_header(out, "ftrace", false, cfg->devs, cfg->ndevs, cfg->snoop);
	if (out->json)
		coverage(out);
	dt_tel_start(cfg->tel, out, snap, snap_put, out);
	ret = loop(cfg, out, fd, exiting);
	dt_tel_finish(cfg->tel);
	close(fd);
	return ret;
}

int dt_ftrace_main(const struct dt_ftrace_cfg *cfg, struct dt_out *out,
		   volatile sig_atomic_t *exiting)
{
	struct dt_fkernel k;
	char err[256] = "";
	struct utsname u;
	int ret;

	uname(&u);
	if (strcmp(u.machine, "x86_64")) {
		fprintf(stderr, "daxtrace: the ftrace backend knows x86-64 registers only (this is %s)\n",
			u.machine);
		return 2;
	}
	if (dt_fev_load(&k, err, sizeof(err))) {
		fprintf(stderr, "daxtrace: %s\n", err);
		return 2;
	}
	k.ndevdax = dt_devdax_aligns("", k.devdax, k.devdax_align, DT_MAX_DEVS);
	dt_fh_start(cfg, out, &k);
	dt_tfs_clean_stale();
	dt_tfs_sentinel_start();
	ret = run(cfg, out, exiting, err, sizeof(err));
	if (err[0])
		fprintf(stderr, "daxtrace: %s\n", err);
	dt_tfs_teardown();
	return ret;
}
