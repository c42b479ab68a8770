// SPDX-License-Identifier: GPL-2.0
/*
 * Where each target is in the running kernel: its FUNC in kernel BTF
 * (vmlinux's or its module's, parsed once), its address (asked of the
 * kernel, or read from /proc/kallsyms), its module, and whether it has
 * an ftrace site. What probing decides from, and what fentry attaches to.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "probe.skel.h"
#include "core_btf.h"
#include "kbtf.h"
#include "kernel_syms.h"
#include "probe.h"

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
bool dt_ftrace_site(const char *func)
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
static bool probing;	/* dt_syms_hold_btf(): inside dt_probe_targets() */
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
int dt_btf_func(const struct dt_target *t, int *fd)
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
void dt_keep_btf(enum dt_target_id tid)
{
	struct dt_target_state *st = &dt_states[tid];
	int fd, id = dt_btf_func(&dt_targets[tid], &fd);

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

void dt_syms_hold_btf(bool hold)
{
	probing = hold;
}

/* There, but not in the kernel's BTF: a module built without BTF. */
bool dt_target_no_btf(enum dt_target_id id)
{
	if (nkbtf < 0)
		kbtf_load();
	return !func_id[id] && dt_kallsyms_addr(dt_targets[id].func);
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
