// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel feature probing: for every target, try fentry, then kprobe, then
 * the tracepoint fallback, each with a real load and attach of an empty
 * program (bpf/probe.bpf.c). The choice is made once, at start, from what
 * the kernel accepts: never from its version number.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "probe.skel.h"
#include "probe.h"

bool dt_probe_verbose;

static const char *const method_names[] = {
	[DT_M_ABSENT] = "absent",
	[DT_M_OFF] = "off",
	[DT_M_FENTRY] = "fentry",
	[DT_M_KPROBE] = "kprobe",
	[DT_M_TRACEPOINT] = "tracepoint",
};

const char *dt_method_name(enum dt_method m)
{
	if ((unsigned int)m >= sizeof(method_names) / sizeof(method_names[0]))
		return "?";
	return method_names[m];
}

int dt_method_parse(const char *s, enum dt_method *m)
{
	unsigned int i;

	for (i = DT_M_OFF; i < sizeof(method_names) / sizeof(method_names[0]); i++) {
		if (!strcmp(s, method_names[i])) {
			*m = i;
			return 0;
		}
	}
	return -EINVAL;
}

int dt_target_programs(const struct dt_target *t, const struct dt_target_state *st,
		       const struct dt_prog *progs[DT_MAX_TP])
{
	const struct dt_prog *p = dt_method_progs(t, st->method);
	int i, n = 0;

	for (i = 0; p && i < DT_MAX_TP; i++) {
		if (!p[i].name ||
		    (st->method == DT_M_FENTRY && i == DT_P_ENTRY && st->no_entry))
			continue;
		progs[n++] = &p[i];
	}
	return n;
}

static int silent_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return 0;
}

/*
 * Load an empty program of this attach type for t and attach it: the
 * link fd, or -1 (*prog_fd -1 when the load failed).
 */
static int test_link(const struct dt_target *t, enum bpf_attach_type type,
		     int *prog_fd)
{
	/* r0 = 0; exit */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = type);
	int fd;

	opts.attach_btf_id = dt_btf_func(t, &fd);
	opts.attach_btf_obj_fd = fd;
	*prog_fd = -1;
	if (opts.attach_btf_id <= 0)
		return -1;
	*prog_fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "dt_probe", "GPL", insns, 2, &opts);
	if (*prog_fd < 0)
		return -1;
	return bpf_raw_tracepoint_open(NULL, *prog_fd);
}

/*
 * fentry needs the function in vmlinux or module BTF, an ftrace site, a
 * program the kernel accepts for it, and room on its trampoline for each
 * program daxtrace will put there: test programs (an fexit, and an fentry
 * if entry is wanted) are loaded and attached for real, together. That
 * also finds a live patch an fexit cannot share. Only after a refused
 * optimistic start: each attach is two ftrace updates.
 */
static bool fentry_ok(const struct dt_target *t, bool entry)
{
	int lx, le = -1, px, pe = -1;
	bool ok;

	if (!dt_ftrace_site(t->func))
		return false;
	lx = test_link(t, BPF_TRACE_FEXIT, &px);
	if (lx >= 0 && entry)
		le = test_link(t, BPF_TRACE_FENTRY, &pe);
	ok = lx >= 0 && (!entry || le >= 0);
	if (le >= 0)
		close(le);
	if (pe >= 0)
		close(pe);
	if (lx >= 0)
		close(lx);
	if (px >= 0)
		close(px);
	return ok;
}

/*
 * Without a test load: in kernel BTF. Right on every
 * kernel daxtrace has met; when it is wrong the real load or attach fails
 * and the caller probes again with fentry_ok(). Only the --deep library
 * copy routines are notrace on some kernels (6.1): for those the ftrace
 * list is read, for the DAX functions it is not (its ~50k lines cost a
 * quarter of a second under emulation).
 */
static bool fentry_plausible(const struct dt_target *t)
{
	int fd;

	/* present: syms_lookup() counts a FUNC in BTF as that */
	if ((t->flags & DT_T_DEEP) && !dt_ftrace_site(t->func))
		return false;
	return dt_btf_func(t, &fd) > 0;
}

/* --method's TARGET=METHOD names a target and a method: -EINVAL if not. */
int dt_method_arg_check(const char *arg)
{
	enum dt_method m;
	int i;

	for (i = 0; i < DT_NTARGETS; i++) {
		size_t n = strlen(dt_targets[i].func);

		if (!strncmp(arg, dt_targets[i].func, n) && arg[n] == '=')
			return dt_method_parse(arg + n + 1, &m) ? -EINVAL : 0;
	}
	return -EINVAL;
}

/* kprobe, tracepoint and raw_tp tests share one loaded probe object. */
static struct probe_bpf *shared;
static bool shared_tried;

static struct probe_bpf *shared_probe(void)
{
	if (shared_tried)
		return shared;
	shared_tried = true;
	shared = probe_bpf__open();
	if (!shared)
		return NULL;
	/* a kernel without syscall programs still has kprobes */
	bpf_program__set_autoload(shared->progs.ksym_lookup, false);
	if (probe_bpf__load(shared)) {
		probe_bpf__destroy(shared);
		shared = NULL;
	}
	return shared;
}

static void shared_probe_free(void)
{
	probe_bpf__destroy(shared);
	shared = NULL;
	shared_tried = false;
}

static bool kprobe_ok(const char *func)
{
	struct probe_bpf *p = shared_probe();
	struct bpf_link *l;

	if (!p)
		return false;
	l = bpf_program__attach_kprobe(p->progs.probe_kprobe, false, func);
	if (!l)
		return false;
	bpf_link__destroy(l);
	return true;
}

static bool tp_ok(const char *spec)
{
	struct probe_bpf *p = shared_probe();
	char cat[64], name[128];
	struct bpf_link *l;

	if (!p)
		return false;
	if (!strncmp(spec, "raw:", 4)) {
		l = bpf_program__attach_raw_tracepoint(p->progs.probe_raw_tp, spec + 4);
	} else {
		if (sscanf(spec, "%63[^/]/%127s", cat, name) != 2)
			return false;
		l = bpf_program__attach_tracepoint(p->progs.probe_tp, cat, name);
	}
	if (!l)
		return false;
	bpf_link__destroy(l);
	return true;
}

static bool all_tps_ok(const struct dt_target *t)
{
	int i;

	if (!t->tp_event[0])
		return false;
	for (i = 0; i < DT_MAX_TP && t->tp_event[i]; i++)
		if (!tp_ok(t->tp_event[i]))
			return false;
	return true;
}

static enum dt_method forced(const struct dt_target *t,
			     const char *const *force, int nforce, bool *set)
{
	size_t n = strlen(t->func);
	enum dt_method m = DT_M_ABSENT;
	int i;

	*set = false;
	for (i = 0; i < nforce; i++) {
		if (!strncmp(force[i], t->func, n) && force[i][n] == '=' &&
		    !dt_method_parse(force[i] + n + 1, &m))
			*set = true;
	}
	return m;
}

/* A kprobe test attach, made once per target however often it is asked. */
static bool kprobe_usable(const struct dt_target *t, bool possible, int *cache)
{
	if (*cache < 0)
		*cache = possible && kprobe_ok(t->func);
	return *cache;
}

/*
 * fentry forced where it cannot be: the function is there, but no BTF
 * says what it takes. -ENOKEY, and err names it and its module.
 */
static int fentry_without_btf(enum dt_target_id id, char *err, size_t errlen)
{
	const struct dt_target_state *st = &dt_states[id];

	if (!st->forced || st->method == DT_M_FENTRY || !dt_target_no_btf(id))
		return 0;
	snprintf(err, errlen, "--method %s=fentry: %s has no BTF (%s%s%s), and fentry needs it",
		 dt_targets[id].func, dt_targets[id].func,
		 st->module[0] ? "module " : "", st->module,
		 st->module[0] ? " was built without BTF" : "not in the kernel's BTF");
	return -ENOKEY;
}

static void choose(enum dt_target_id id, bool deep, enum dt_method want,
		   bool have_want, bool optimistic)
{
	const struct dt_target *t = &dt_targets[id];
	struct dt_target_state *st = &dt_states[id];
	bool has_kprobe = dt_target_has(t, DT_M_KPROBE);
	bool in_syms = dt_kallsyms_addr(t->func) != 0;
	bool allowed = deep || !(t->flags & DT_T_DEEP);
	bool tp_allowed = deep || !(t->flags & DT_T_TP_DEEP);
	/* one trampoline call less on every DAX read and write */
	bool fx_only = (t->flags & DT_T_LAT_DEEP) && !deep;
	int kprobe = -1;	/* kprobe usable: asked of the kernel once */

	dt_target_module(id);
	st->method = DT_M_ABSENT;
	st->btf_id = 0;
	st->no_entry = false;
	if (t->flags & DT_T_DETECT) {
		snprintf(st->note, sizeof(st->note), "%s",
			 in_syms ? "present; not traced by this version" :
				   "not in this kernel");
		return;
	}
	if (have_want && want == DT_M_OFF) {
		st->method = DT_M_OFF;
		snprintf(st->note, sizeof(st->note), "switched off by --method");
		return;
	}
	if (dt_telemetry && !(t->flags & (DT_T_TEL | DT_T_DEEP))) {
		st->method = DT_M_OFF;
		snprintf(st->note, sizeof(st->note), "--telemetry does not see %s",
			 t->tel_unseen ? t->tel_unseen : "it");
		return;
	}
	if (!allowed) {
		st->method = DT_M_OFF;
		snprintf(st->note, sizeof(st->note), "%s",
			 "fires on all I/O: only with --deep");
		return;
	}
	if (!have_want && dt_preemptible() &&
	    kprobe_usable(t, has_kprobe && in_syms, &kprobe)) {
		st->method = DT_M_KPROBE;
		snprintf(st->note, sizeof(st->note),
			 "preemptible kernel (%s): fentry would miss runs",
			 dt_preempt_model());
		return;
	}
	if ((!have_want || want == DT_M_FENTRY) && dt_target_has(t, DT_M_FENTRY) &&
	    (optimistic ? fentry_plausible(t) :
			  fentry_ok(t, dt_method_progs(t, DT_M_FENTRY)[DT_P_ENTRY].name &&
				       !fx_only))) {
		st->method = DT_M_FENTRY;
		dt_keep_btf(id);
		st->no_entry = fx_only;
		if (have_want && dt_preemptible())
			snprintf(st->note, sizeof(st->note),
				 "forced; preemptible kernel: the runs it misses are counted");
		else if (fx_only)
			snprintf(st->note, sizeof(st->note), "%s",
				 "fexit only: its latency with --deep");
		return;
	}
	if ((!have_want || want == DT_M_KPROBE) &&
	    kprobe_usable(t, has_kprobe && in_syms, &kprobe)) {
		st->method = DT_M_KPROBE;
		snprintf(st->note, sizeof(st->note), "%s",
			 have_want ? "forced by --method" :
			 dt_target_no_btf(id) ? "no BTF for it (a module built without): kprobe, its parameters unchecked" :
			 "fentry refused");
		return;
	}
	if ((!have_want || want == DT_M_TRACEPOINT) && t->tp_event[0] && tp_allowed &&
	    all_tps_ok(t)) {
		st->method = DT_M_TRACEPOINT;
		snprintf(st->note, sizeof(st->note), "via %s%s%s", t->tp_event[0],
			 t->tp_event[1] ? " + " : "", t->tp_event[1] ? t->tp_event[1] : "");
		return;
	}
	if (!in_syms)
		snprintf(st->note, sizeof(st->note), "%s",
			 t->flags & DT_T_DRIVER ? "driver not loaded / not in this kernel" :
						  "not in kallsyms (inlined or not built)");
	else
		snprintf(st->note, sizeof(st->note), "%s",
			 have_want ? "forced method refused by the kernel" :
				     "kernel refused fentry and kprobe");
	if (t->tp_event[0] && !tp_allowed)
		snprintf(st->note + strlen(st->note), sizeof(st->note) - strlen(st->note),
			 "; %s fallback fires on all I/O: only with --deep",
			 t->tp_event[0]);
}

int dt_probe_targets(bool deep, const char *const *force, int nforce,
		     bool optimistic, char *err, size_t errlen)
{
	libbpf_print_fn_t old = libbpf_set_print(silent_print);
	enum dt_method want;
	bool have_want, bad_force = false;
	int i, j, usable = 0;

	for (j = 0; j < nforce; j++) {
		if (dt_method_arg_check(force[j])) {
			snprintf(err, errlen,
				 "bad --method '%s' (want TARGET=fentry|kprobe|tracepoint|off)",
				 force[j]);
			libbpf_set_print(old);
			return -EINVAL;
		}
	}
	dt_probe_release();	/* a retry probes afresh */
	dt_syms_hold_btf(true);
	if (dt_probe_check_sigs(err, errlen)) {
		dt_syms_hold_btf(false);
		libbpf_set_print(old);
		return -EPROTO;
	}
	for (i = 0; i < DT_NTARGETS; i++) {
		want = forced(&dt_targets[i], force, nforce, &have_want);
		dt_states[i].forced = have_want;
		choose(i, deep, want, have_want, optimistic);
		if (dt_states[i].method >= DT_M_FENTRY)
			usable++;
		if (have_want && want == DT_M_FENTRY && !bad_force &&
		    fentry_without_btf(i, err, errlen))
			bad_force = true;
	}
	libbpf_set_print(old);
	shared_probe_free();
	dt_syms_hold_btf(false);
	if (bad_force)
		return -ENOKEY;
	if (!usable) {
		snprintf(err, errlen,
			 "no DAX function or tracepoint can be traced here (need root, BTF and fentry, kprobes or tracepoints)");
		return -ENOENT;
	}
	return 0;
}
