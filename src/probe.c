// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel feature probing: for every target, try fentry, then kprobe, then
 * the tracepoint fallback, each with a real load and attach of an empty
 * program (bpf/probe.bpf.c). The choice is made once, at start, from what
 * the kernel accepts: never from its version number.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "probe.skel.h"
#include "kbtf.h"
#include "core_btf.h"
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

/*
 * The symbols daxtrace asks about (the targets, then page_offset_base),
 * each list read in one pass: a pass per target cost seconds of start-up
 * under emulation.
 */
#define NSYMS	(DT_NTARGETS + 1)

static unsigned long sym_addr[NSYMS];	/* from /proc/kallsyms */
static char sym_mod[NSYMS][64];		/* its module, "" for vmlinux */
static unsigned long in_ftrace[NSYMS];	/* listed as an ftrace site */
static bool syms_read, ftrace_read, have_ftrace_list;

static const char *sym_name(int i)
{
	return i < DT_NTARGETS ? dt_targets[i].func : "page_offset_base";
}

/*
 * Mark in out[] every symbol the file names: its address, or 1; with
 * mods, kallsyms' "[module]" of each too.
 */
static bool scan_syms(const char *path, bool kallsyms, unsigned long *out,
		      char (*mods)[64])
{
	/*
	 * Big reads: each read() of a seq_file walks to its position again.
	 * mmap, not static (the pages go back after the scan) and not malloc
	 * (freeing 1 MiB would raise glibc's mmap and trim thresholds, and
	 * later big requests would stay in the heap for good).
	 */
	const size_t bufsz = 1 << 20;
	char line[512], mod[64], type, *name, *end, *buf;
	int i, n = DT_NTARGETS + 1;
	unsigned long addr = 1;
	unsigned char first[256] = {};
	size_t len;
	FILE *f = fopen(path, "r");

	if (!f)
		return false;
	buf = mmap(NULL, bufsz, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf != MAP_FAILED)
		setvbuf(f, buf, _IOFBF, bufsz);
	/* 100k lines under emulation: parse only those that may match */
	for (i = 0; i < n; i++)
		first[(unsigned char)sym_name(i)[0]] = 1;
	while (fgets(line, sizeof(line), f)) {
		name = line;
		if (kallsyms) {	/* "ffffffff81000000 T name\t[mod]" */
			name = strchr(line, ' ');
			name = name ? strchr(name + 1, ' ') : NULL;
			if (!name)
				continue;
			name++;
		}
		if (!first[(unsigned char)name[0]])
			continue;
		len = strcspn(name, " \t\n");
		for (i = 0; i < n; i++) {
			if (out[i] || strncmp(name, sym_name(i), len) ||
			    sym_name(i)[len])
				continue;
			end = name + len;
			mod[0] = '\0';
			if (kallsyms && sscanf(line, "%lx %c", &addr, &type) != 2)
				continue;
			if (sscanf(end, " [%63[^]]", mod) != 1)
				mod[0] = '\0';
			/* kptr_restrict hides addresses, not presence */
			out[i] = addr ? addr : i < DT_NTARGETS;
			if (mods)
				snprintf(mods[i], sizeof(mods[i]), "%s", mod);
		}
	}
	fclose(f);
	if (buf != MAP_FAILED)
		munmap(buf, bufsz);
	return true;
}

static int sym_index(const char *sym)
{
	int i;

	for (i = 0; i < DT_NTARGETS + 1; i++)
		if (!strcmp(sym, sym_name(i)))
			return i;
	return -1;
}

static void syms_lookup(void);

/* Address of a kernel symbol, 0 if absent (or hidden by kptr_restrict). */
unsigned long dt_kallsyms_addr(const char *sym)
{
	int i = sym_index(sym);

	syms_lookup();
	return i < 0 ? 0 : sym_addr[i];
}

/*
 * Does the kernel run 5-level paging (x86-64 LA57)? Only then does user
 * space reach past 47 bits, and mmap() goes there only when its hint
 * asks: under 4-level paging the hint is out of range and ignored.
 */
bool dt_paging_l5(void)
{
	void *p = mmap((void *)(1UL << 48), 4096, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool l5;

	if (p == MAP_FAILED)
		return false;
	l5 = (unsigned long)p >= 1UL << 47;
	munmap(p, 4096);
	return l5;
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

/*
 * fentry/fexit programs run with migration, not preemption, disabled. On
 * a preemptible kernel a task preempted inside one holds that program's
 * per-CPU recursion guard, and the kernel skips the program for every
 * other task on the CPU until it resumes (recursion_misses). kprobe
 * handlers run with preemption off, so there kprobes count exactly.
 */
static int preempt_known = -1;
static char preempt_model[32];

/* "none voluntary (full) lazy" or "full (lazy)": the bracketed one is current */
static bool preempt_from_debugfs(void)
{
	char line[128], *open, *close;
	FILE *f = fopen("/sys/kernel/debug/sched/preempt", "r");

	if (!f)
		return false;
	open = fgets(line, sizeof(line), f) ? strchr(line, '(') : NULL;
	fclose(f);
	close = open ? strchr(open, ')') : NULL;
	if (!close || close - open - 1 >= (int)sizeof(preempt_model))
		return false;
	snprintf(preempt_model, sizeof(preempt_model), "%.*s", (int)(close - open - 1),
		 open + 1);
	return true;
}

/* preempt= on the command line, or the build's default mode in its config */
static bool preempt_from_boot(const char *release)
{
	static const char *const cfg[][2] = {
		{ "CONFIG_PREEMPT_NONE=y", "none" },
		{ "CONFIG_PREEMPT_VOLUNTARY=y", "voluntary" },
		{ "CONFIG_PREEMPT=y", "full" },
		{ "CONFIG_PREEMPT_LAZY=y", "lazy" },
	};
	char line[4096], path[300], *p;
	bool found = false;
	unsigned int i;
	FILE *f;

	f = fopen("/proc/cmdline", "r");
	if (f) {
		p = fgets(line, sizeof(line), f) ? strstr(line, "preempt=") : NULL;
		if (p && (p == line || p[-1] == ' ')) {
			found = sscanf(p, "preempt=%31[a-z]", preempt_model) == 1;
		}
		fclose(f);
		if (found)
			return true;
	}
	snprintf(path, sizeof(path), "/boot/config-%s", release);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		for (i = 0; i < sizeof(cfg) / sizeof(cfg[0]); i++) {
			if (!strncmp(line, cfg[i][0], strlen(cfg[i][0]))) {
				snprintf(preempt_model, sizeof(preempt_model), "%s", cfg[i][1]);
				found = true;
			}
		}
	}
	fclose(f);
	return found;
}

static void preempt_probe(void)
{
	struct utsname u;

	uname(&u);
	if (strstr(u.version, "PREEMPT_RT")) {
		snprintf(preempt_model, sizeof(preempt_model), "rt");
	} else if (strstr(u.version, "PREEMPT_DYNAMIC")) {
		if (!preempt_from_debugfs() && !preempt_from_boot(u.release))
			/* unknown: assume the worst, kprobes stay exact */
			snprintf(preempt_model, sizeof(preempt_model), "dynamic, mode unknown");
	} else if (strstr(u.version, " PREEMPT ")) {
		snprintf(preempt_model, sizeof(preempt_model), "full");
	} else {
		snprintf(preempt_model, sizeof(preempt_model), "voluntary");
	}
	preempt_known = strcmp(preempt_model, "none") && strcmp(preempt_model, "voluntary");
}

bool dt_preemptible(void)
{
	if (preempt_known < 0)
		preempt_probe();
	return preempt_known;
}

const char *dt_preempt_model(void)
{
	if (preempt_known < 0)
		preempt_probe();
	return preempt_model;
}

/* The target's module, "" for vmlinux or when absent. */
void dt_target_module(enum dt_target_id id)
{
	struct dt_target_state *st = &dt_states[id];
	int i = sym_index(dt_targets[id].func);

	syms_lookup();
	snprintf(st->module, sizeof(st->module), "%s", i >= 0 ? sym_mod[i] : "");
}

/*
 * available_filter_functions lists what has an ftrace site: a fentry
 * trampoline can only attach there, so this replaces a test attach (whose
 * detach waits for an RCU-tasks grace period: seconds under emulation).
 */
static bool ftrace_site(const char *func)
{
	int i = sym_index(func);

	if (!ftrace_read) {
		ftrace_read = true;
		have_ftrace_list =
			scan_syms("/sys/kernel/tracing/available_filter_functions",
				  false, in_ftrace, NULL) ||
			scan_syms("/sys/kernel/debug/tracing/available_filter_functions",
				  false, in_ftrace, NULL);
	}
	if (!have_ftrace_list)
		return true;	/* cannot tell: let the load decide */
	return i >= 0 && in_ftrace[i];
}

static int silent_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return 0;
}

/*
 * Kernel BTF, parsed once: vmlinux and the split BTF of each module that
 * holds a target, each with the fd of its kernel object (what a fentry
 * program's attach_btf_obj_fd names). Parsing per probe cost seconds
 * under emulation; all the modules' BTF together is under a tenth of
 * vmlinux's, and each is scanned once.
 */
#define MAX_KBTF	(DT_NTARGETS + 1)

static struct {
	struct dt_kbtf b;
	int fd;		/* 0 for vmlinux */
	char name[64];
} kbtf[MAX_KBTF];
static int nkbtf = -1;
static bool probing;	/* inside dt_probe_targets(), which keeps kbtf */
static int func_id[NSYMS];	/* each target's FUNC, 0: none */
static int func_btf[NSYMS];	/* ...in kbtf[this] */
static char sig_err[256];	/* a target whose parameters changed */

struct scan {
	int k, found;
	struct dt_prefixes pre;
};

static int scan_fn(void *ctx, __u32 id, const struct btf_type *t, const char *name)
{
	struct scan *sc = ctx;
	int j;

	for (j = 0; j < DT_NTARGETS; j++) {
		if (func_id[j] || strcmp(name, dt_targets[j].func))
			continue;
		func_id[j] = id;
		func_btf[j] = sc->k;
		sc->found++;
		if (!sig_err[0])
			dt_btf_sig_check(&kbtf[sc->k].b, id, sig_err, sizeof(sig_err));
	}
	return 0;
}

/*
 * Every target's FUNC in kbtf[k], in one pass over its own types: a
 * look-up per target (libbpf's, per program) walks vmlinux's 100k types
 * each time, and again for each module, whose search starts at vmlinux.
 * Returns how many it found.
 */
static int scan_funcs(int k)
{
	struct scan sc = { .k = k };
	int j;

	for (j = 0; j < DT_NTARGETS; j++)
		dt_prefix_add(&sc.pre, dt_targets[j].func);
	dt_kbtf_walk(&kbtf[k].b, DT_KIND(BTF_KIND_FUNC), &sc.pre, scan_fn, &sc);
	return sc.found;
}

/* The next kernel BTF object that is vmlinux's, or (!vmlinux) a module's. */
static int kbtf_object(__u32 *id, char *name, size_t len, bool vmlinux)
{
	int fd;

	while ((fd = dt_kbtf_next_object(id, name, len)) >= 0) {
		if ((strcmp(name, "vmlinux") == 0) == vmlinux)
			return fd;
		close(fd);
	}
	return fd;
}

static void kbtf_load(void)
{
	__u32 id = 0;
	char name[64];
	int fd, err;

	nkbtf = 0;
	memset(func_id, 0, sizeof(func_id));
	sig_err[0] = '\0';
	/* the running kernel's: not a file of libbpf's fallbacks in /boot */
	fd = kbtf_object(&id, name, sizeof(name), true);
	err = fd < 0 ? fd : dt_kbtf_read_fd(&kbtf[0].b, fd, NULL);
	if (fd >= 0)
		close(fd);
	if (err && dt_kbtf_read_file(&kbtf[0].b, "/sys/kernel/btf/vmlinux"))
		return;
	kbtf[0].fd = 0;
	snprintf(kbtf[0].name, sizeof(kbtf[0].name), "vmlinux");
	scan_funcs(nkbtf++);
	id = 0;
	while (nkbtf < (int)MAX_KBTF &&
	       (fd = kbtf_object(&id, name, sizeof(name), false)) >= 0) {
		if (dt_kbtf_read_fd(&kbtf[nkbtf].b, fd, &kbtf[0].b)) {
			close(fd);
			continue;
		}
		kbtf[nkbtf].fd = fd;
		snprintf(kbtf[nkbtf].name, sizeof(kbtf[nkbtf].name), "%s", name);
		if (scan_funcs(nkbtf)) {
			nkbtf++;
			continue;
		}
		/* no target there: nothing to keep, however many modules */
		dt_kbtf_free(&kbtf[nkbtf].b);
		close(fd);
	}
}

void dt_probe_free_btf(void)
{
	int i;

	for (i = nkbtf - 1; i >= 0; i--) {
		dt_kbtf_free(&kbtf[i].b);
		if (kbtf[i].fd)
			close(kbtf[i].fd);
	}
	nkbtf = -1;
}

/* The target's FUNC in kernel BTF, 0 if it has none; *fd: its object. */
static int btf_func(const struct dt_target *t, int *fd)
{
	int i = t - dt_targets;

	if (nkbtf < 0)
		kbtf_load();
	*fd = func_id[i] ? kbtf[func_btf[i]].fd : 0;
	return func_id[i];
}

/*
 * Addresses of n names, asked of the kernel's own kallsyms look-up (a
 * syscall program, 5.16+); false when it cannot be asked.
 */
static bool ksym_ask(const char *const *names, int n, unsigned long *out)
{
	LIBBPF_OPTS(bpf_test_run_opts, run);
	struct bpf_program *prog;
	struct probe_bpf *p;
	bool ok = false;
	int i;

	p = probe_bpf__open();
	if (!p)
		return false;
	if (n > (int)(sizeof(p->bss->ksym_req.addr) / sizeof(p->bss->ksym_req.addr[0])))
		goto out;
	bpf_object__for_each_program(prog, p->obj)
		bpf_program__set_autoload(prog, prog == p->progs.ksym_lookup);
	if (probe_bpf__load(p))
		goto out;
	for (i = 0; i < n; i++)
		snprintf(p->bss->ksym_req.name[i], sizeof(p->bss->ksym_req.name[i]),
			 "%s", names[i]);
	p->bss->ksym_req.n = n;
	if (bpf_prog_test_run_opts(bpf_program__fd(p->progs.ksym_lookup), &run) ||
	    p->bss->ksym_req.err)	/* e.g. -EPERM: absent and hidden look alike */
		goto out;
	for (i = 0; i < n; i++)
		out[i] = p->bss->ksym_req.addr[i];
	ok = true;
out:
	probe_bpf__destroy(p);
	return ok;
}

/*
 * The module whose core holds addr, from /proc/modules ("name size refs
 * deps state base"): a function found by address, in a module without
 * BTF, still says which module it is in.
 */
static void module_of(unsigned long addr, char *mod, size_t len)
{
	unsigned long size, base;
	char line[512], name[64];
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %lu %*s %*s %*s %lx", name, &size, &base) == 3 &&
		    base && addr >= base && addr - base < size) {
			snprintf(mod, len, "%s", name);
			break;
		}
	}
	fclose(f);
}

/*
 * Where the symbols are, found once. A target with a FUNC in kernel BTF
 * is there, in that BTF's module; the others, and page_offset_base, are
 * asked of the kernel by name. Only where it cannot be asked (before
 * 5.16, or BPF refused) is /proc/kallsyms read whole: the kernel's
 * formatting of its 100k lines was a third of start-up under emulation.
 */
static void syms_lookup(void)
{
	bool own = nkbtf < 0 && !probing;	/* e.g. the ftrace backend's */
	unsigned long addr[NSYMS];
	const char *ask[NSYMS];
	int idx[NSYMS], i, n = 0;

	if (syms_read)
		return;
	syms_read = true;
	if (nkbtf < 0)
		kbtf_load();
	for (i = 0; i < (int)NSYMS; i++) {
		if (i < DT_NTARGETS && func_id[i]) {
			sym_addr[i] = 1;	/* there; the address is not needed */
			snprintf(sym_mod[i], sizeof(sym_mod[i]), "%s",
				 func_btf[i] ? kbtf[func_btf[i]].name : "");
			continue;
		}
		idx[n] = i;
		ask[n++] = sym_name(i);
	}
	if (ksym_ask(ask, n, addr)) {
		for (i = 0; i < n; i++) {
			sym_addr[idx[i]] = addr[i];
			if (addr[i] && idx[i] < DT_NTARGETS)
				module_of(addr[i], sym_mod[idx[i]], sizeof(sym_mod[0]));
		}
		if (dt_probe_verbose)
			fprintf(stderr, "daxtrace: symbols: %d in kernel BTF, %d asked of the kernel\n",
				(int)NSYMS - n, n);
	} else {
		/* the rest only: BTF's answers stand */
		scan_syms("/proc/kallsyms", true, sym_addr, sym_mod);
		if (dt_probe_verbose)
			fprintf(stderr, "daxtrace: symbols: %d in kernel BTF, %d from /proc/kallsyms read whole (the kernel's look-up was refused)\n",
				(int)NSYMS - n, n);
	}
	if (own)
		dt_probe_free_btf();
}

/* Keep where fentry attaches: the fd outlives probing, until the load. */
static void keep_btf(enum dt_target_id tid)
{
	struct dt_target_state *st = &dt_states[tid];
	int fd, id = btf_func(&dt_targets[tid], &fd);

	st->btf_id = id;
	st->btf_fd = 0;
	if (fd > 0)
		st->btf_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (st->btf_fd < 0)	/* the load then fails, and says so */
		st->btf_id = 0;
}

/* The kernel's BTF as probing parsed it, until dt_probe_free_btf(). */
const struct dt_kbtf *dt_probe_kernel_btf(void)
{
	return nkbtf > 0 ? &kbtf[0].b : NULL;
}

void dt_probe_release(void)
{
	int i;

	dt_probe_free_btf();

	for (i = 0; i < DT_NTARGETS; i++) {
		if (dt_states[i].btf_fd > 0)
			close(dt_states[i].btf_fd);
		dt_states[i].btf_fd = 0;
	}
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

	opts.attach_btf_id = btf_func(t, &fd);
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

	if (!ftrace_site(t->func))
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
	if ((t->flags & DT_T_DEEP) && !ftrace_site(t->func))
		return false;
	return btf_func(t, &fd) > 0;
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

/* There, but not in the kernel's BTF: a module built without BTF. */
static bool no_btf(enum dt_target_id id)
{
	return !func_id[id] && dt_kallsyms_addr(dt_targets[id].func);
}

/*
 * fentry forced where it cannot be: the function is there, but no BTF
 * says what it takes. -ENOKEY, and err names it and its module.
 */
static int fentry_without_btf(enum dt_target_id id, char *err, size_t errlen)
{
	const struct dt_target_state *st = &dt_states[id];

	if (!st->forced || st->method == DT_M_FENTRY || !no_btf(id))
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
			  fentry_ok(t, t->fentry[DT_P_ENTRY].name && !fx_only))) {
		st->method = DT_M_FENTRY;
		keep_btf(id);
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
			 no_btf(id) ? "no BTF for it (a module built without): kprobe, its parameters unchecked" :
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

/*
 * A traced function that kept its name but changed its parameters, in
 * the kernel's BTF: -EPROTO, and err says which and how. Its programs
 * (and the ftrace backend's fetches) would read the wrong arguments.
 */
int dt_probe_check_sigs(char *err, size_t errlen)
{
	if (nkbtf < 0 && probing)
		kbtf_load();
	else if (nkbtf < 0 && !syms_read)
		syms_lookup();	/* reads the BTF once, as the ftrace backend would */
	if (!sig_err[0])
		return 0;
	snprintf(err, errlen, "%s", sig_err);
	return -EPROTO;
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
	probing = true;
	if (dt_probe_check_sigs(err, errlen)) {
		probing = false;
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
	probing = false;
	if (bad_force)
		return -ENOKEY;
	if (!usable) {
		snprintf(err, errlen,
			 "no DAX function or tracepoint can be traced here (need root, BTF and fentry, kprobes or tracepoints)");
		return -ENOENT;
	}
	return 0;
}
