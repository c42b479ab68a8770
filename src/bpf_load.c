// SPDX-License-Identifier: GPL-2.0
/*
 * The BPF backend's start: the object opened, configured from the
 * options and probing's choices, loaded (fentry/fexit against the BTF ids
 * probing found, CO-RE against a minimal BTF) and attached, target by
 * target. Errors are reported here, where the program's name is known.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpf_load.h"
#include "cli.h"
#include "clock.h"
#include "core_btf.h"
#include "dax_checks.h"
#include "devinfo.h"
#include "probe.h"

static bool libbpf_quiet;	/* the optimistic first load: its log is not worth reading */
static bool libbpf_read_kbtf;	/* libbpf parsed all of the kernel's BTF itself */

int dt_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (strstr(fmt, "loading kernel BTF"))
		libbpf_read_kbtf = true;
	if (!env.verbose || libbpf_quiet)
		return 0;	/* failures are reported once, with context, by us */
	return vfprintf(stderr, fmt, ap);
}

/*
 * libbpf 1.1 parses all of vmlinux's BTF for any fentry/fexit program
 * that does not attach to another BPF program, only to look up its
 * target, which trace_prepare() hands it already: a large part of start-up.
 * A stand-in attach_prog_fd, which libbpf only keeps until
 * trace_prepare() clears it, tells it not to. CO-RE still gets the
 * kernel's BTF where it needs it (no minimal BTF: libbpf loads it).
 */
static void no_vmlinux_btf(struct bpf_program *p)
{
	if (p)
		bpf_program__set_attach_target(p, INT_MAX, NULL);
}

struct bpf_program *dt_skel_prog(struct dax_trace_bpf *skel, const struct dt_prog *p)
{
	return p->name ? *(struct bpf_program **)((char *)skel + p->skel_off) : NULL;
}

/* Frees an exiting thread's slot (ts_thread_exit()): no DAX target. */
static struct bpf_link *thread_exit_link;
/* Does any chosen program keep state in the thread slots? */
static bool slots_used;

/* Switch on exactly the programs of the chosen method of every target. */
static void select_programs(struct dax_trace_bpf *skel)
{
	const struct dt_prog *progs[DT_MAX_TP];
	struct bpf_program *p;
	int i, j, n;

	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, false);
	slots_used = false;
	for (i = 0; i < DT_NTARGETS; i++) {
		n = dt_target_programs(&dt_targets[i], &dt_states[i], progs);
		for (j = 0; j < n; j++) {
			p = dt_skel_prog(skel, progs[j]);
			bpf_program__set_autoload(p, true);
			if (dt_states[i].method == DT_M_FENTRY)
				no_vmlinux_btf(p);
		}
		if (n && dt_target_uses_slots(&dt_targets[i], &dt_states[i]))
			slots_used = true;
	}
	bpf_program__set_autoload(skel->progs.rt_thread_exit, slots_used);
}

/* The target whose fentry or fexit program this is. */
static int prog_target(const struct bpf_program *prog)
{
	const char *name = bpf_program__name(prog);
	const struct dt_prog *fentry;
	int i, j;

	for (i = 0; i < DT_NTARGETS; i++) {
		fentry = dt_method_progs(&dt_targets[i], DT_M_FENTRY);
		for (j = 0; j < DT_MAX_TP; j++)
			if (fentry[j].name && !strcmp(fentry[j].name, name))
				return i;
	}
	return -1;
}

/*
 * fentry/fexit load against the BTF ids probing found in one pass:
 * libbpf's own look-up walks all of vmlinux BTF per program, and again
 * per module BTF it tries (a third of start-up under emulation). The
 * driver programs, SEC("fexit"), get their target the same way.
 */
static int trace_prepare(struct bpf_program *prog, struct bpf_prog_load_opts *opts,
			 long cookie)
{
	int i = prog_target(prog);
	const struct dt_target_state *st = i < 0 ? NULL : &dt_states[i];

	if (!st || st->method != DT_M_FENTRY || st->btf_id <= 0)
		return -ESRCH;
	opts->attach_prog_fd = 0;	/* the stand-in of no_vmlinux_btf() */
	opts->attach_btf_id = st->btf_id;
	opts->attach_btf_obj_fd = st->btf_fd;
	return 0;
}

static int trace_attach(const struct bpf_program *prog, long cookie,
			struct bpf_link **link)
{
	*link = bpf_program__attach_trace(prog);
	return *link ? 0 : -errno;
}

int dt_bpf_register_handlers(void)
{
	LIBBPF_OPTS(libbpf_prog_handler_opts, o,
		    .prog_prepare_load_fn = trace_prepare,
		    .prog_attach_fn = trace_attach);
	int err;

	err = libbpf_register_prog_handler("fentry+", BPF_PROG_TYPE_TRACING,
					   BPF_TRACE_FENTRY, &o);
	if (err >= 0)
		err = libbpf_register_prog_handler("fexit+", BPF_PROG_TYPE_TRACING,
						   BPF_TRACE_FEXIT, &o);
	return err < 0 ? err : 0;
}

static int attach_target(struct dax_trace_bpf *skel, enum dt_target_id id)
{
	const struct dt_target *t = &dt_targets[id];
	struct dt_target_state *st = &dt_states[id];
	const struct dt_prog *progs[DT_MAX_TP];
	struct bpf_program *p;
	const struct dt_prog *kp = dt_method_progs(t, DT_M_KPROBE);
	int i, n = dt_target_programs(t, st, progs);
	bool ret;

	if (!n)
		return 0;
	for (i = 0; i < n; i++) {
		p = dt_skel_prog(skel, progs[i]);
		/* the kprobe method's exit slot is its kretprobe */
		ret = kp && progs[i] == &kp[DT_P_EXIT];
		if (st->method == DT_M_KPROBE)
			st->links[i] = bpf_program__attach_kprobe(p, ret, t->func);
		else
			st->links[i] = bpf_program__attach(p);
		if (!st->links[i])
			return -errno ?: -EINVAL;
	}
	st->attached = true;
	return 0;
}

void dt_bpf_detach(void)
{
	int i, j;

	bpf_link__destroy(thread_exit_link);
	thread_exit_link = NULL;
	for (i = 0; i < DT_NTARGETS; i++) {
		for (j = 0; j < DT_MAX_TP; j++) {
			bpf_link__destroy(dt_states[i].links[j]);
			dt_states[i].links[j] = NULL;
		}
		dt_states[i].attached = false;
	}
}

double dt_cpu_ms(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

void dt_phase(struct dt_phase *p, const char *what)
{
	double n = dt_mono_ms(), c = dt_cpu_ms();

	if (env.verbose && what)
		fprintf(stderr, "daxtrace: %s took %.0f ms (CPU %.0f ms)\n",
			what, n - p->ms, c - p->cpu_ms);
	p->ms = n;
	p->cpu_ms = c;
}

/*
 * The kernel types the object's CO-RE relocations can need, from
 * probing's parse of the kernel's BTF: libbpf then searches those, not
 * all of vmlinux once per type. -errno: libbpf searches vmlinux.
 */
/*
 * Each device-dax device's alignment, for fault.size. A device missing
 * here is judged as fs-dax is: up to a PMD, by the VMA and i_size.
 */
static void fill_dev_align(struct dax_trace_bpf *skel)
{
	__u32 kdev[DT_MAX_DEVS];
	__u64 align[DT_MAX_DEVS];
	int i, n;

	n = dt_devdax_aligns("", kdev, align, DT_MAX_DEVS);
	for (i = 0; i < n; i++)
		bpf_map_update_elem(bpf_map__fd(skel->maps.dev_align), &kdev[i],
				    &align[i], BPF_ANY);
}

static int core_btf_make(void)
{
	struct dt_core_btf_info info = {};
	const void *elf;
	size_t sz;
	int fd;

	elf = dax_trace_bpf__elf_bytes(&sz);
	fd = dt_core_btf(dt_probe_kernel_btf(), elf, sz, &info);
	if (env.verbose && fd >= 0)
		fprintf(stderr, "daxtrace: CO-RE: relocating against %d kernel types (%u bytes): the %d that go by the names of the object's %d relocation roots, and what they hold\n",
			info.types, info.bytes, info.roots, info.names);
	else if (env.verbose)
		fprintf(stderr, "daxtrace: CO-RE: no minimal BTF (%s): libbpf searches the kernel's\n",
			strerror(-fd));
	return fd;
}

int dt_bpf_start(struct dax_trace_bpf **skelp, bool first, struct dt_phase *t0,
		 int *load_err)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	struct dax_trace_bpf *skel;
	char core_path[32];
	int core_fd = -1;
	__u8 one = 1;
	int err, i;

	open_opts.btf_custom_path = env.btf_path;
	/* the retry goes without: a type only a module has is found there */
	if (first && !env.btf_path) {
		core_fd = core_btf_make();
		if (core_fd >= 0) {
			snprintf(core_path, sizeof(core_path), "/proc/self/fd/%d", core_fd);
			open_opts.btf_custom_path = core_path;
		}
	}
	dt_probe_free_btf();	/* before libbpf parses its own */
	skel = dax_trace_bpf__open_opts(&open_opts);
	if (!skel) {
		err = -errno;
		fprintf(stderr, "daxtrace: failed to open BPF object: %s\n", strerror(errno));
		if (core_fd >= 0)
			close(core_fd);
		return err;
	}
	*skelp = skel;
	skel->rodata->targ_tgid = env.pid;
	memcpy((char *)skel->rodata->targ_comm, env.comm, DT_COMM_LEN);
	skel->rodata->filter_dev = env.ndevs > 0;
	skel->rodata->snoop = env.snoop;
	skel->rodata->deep_entries = env.deep;
	skel->rodata->kaddr_later = !env.snoop && !env.deep;
	skel->rodata->timed = env.snoop || env.deep;
	skel->rodata->page_offset_base_addr = dt_kallsyms_addr("page_offset_base");
	if (dt_paging_l5()) {
		skel->rodata->kernel_half = DT_KERNEL_HALF_L5;
		skel->rodata->direct_map_max = DT_DIRECT_MAP_MAX_L5;
	}
	skel->rodata->tfast_mask = env.thread_slots - 1;
	skel->rodata->tslot_shift = __builtin_ctz(env.thread_slots);
	err = bpf_map__set_max_entries(skel->maps.tfast, env.thread_slots);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.tel_slots, env.thread_slots);
	/* --top-files 0: no per-file code runs, and its map holds one row */
	skel->rodata->files_on = env.top_files > 0;
	if (!err && !env.top_files)
		err = bpf_map__set_max_entries(skel->maps.files, 1);
	if (err) {
		fprintf(stderr, "daxtrace: failed to size the thread slots: %s\n",
			strerror(-err));
		if (core_fd >= 0)
			close(core_fd);
		return err;
	}

	select_programs(skel);
	dt_phase(t0, "opening the BPF object");
	libbpf_quiet = first;	/* the retry's log is the one worth reading */
	libbpf_read_kbtf = false;
	err = dax_trace_bpf__load(skel);
	dt_probe_release();	/* the loaded programs hold their BTF */
	if (core_fd >= 0)
		close(core_fd);
	libbpf_quiet = false;
	dt_phase(t0, "loading (CO-RE + verifier)");
	if (env.verbose && !err)
		fprintf(stderr, "daxtrace: libbpf %s\n", libbpf_read_kbtf ?
			"parsed the kernel's BTF itself" :
			"did not parse the kernel's BTF: it had the attach ids and CO-RE's types");
	if (err && first)
		goto retry;
	if (err) {
		*load_err = err;
		return -ENOEXEC;
	}
	for (i = 0; i < env.ndevs; i++) {
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.dev_filter),
					  &env.devs[i].kdev, &one, BPF_ANY);
		if (err) {
			err = -errno;
			fprintf(stderr, "daxtrace: failed to set device filter: %s\n",
				strerror(errno));
			return err;
		}
	}
	fill_dev_align(skel);
	if (slots_used)
		thread_exit_link = bpf_program__attach(skel->progs.rt_thread_exit);
	if (slots_used && !thread_exit_link) {
		err = -errno;
		fprintf(stderr, "daxtrace: failed to attach the sched_process_exit tracepoint: %s\n",
			strerror(-err));
		return err;
	}
	for (i = 0; i < DT_NTARGETS; i++) {
		err = attach_target(skel, i);
		if (err && first && dt_states[i].method == DT_M_FENTRY)
			goto retry;
		if (err) {
			fprintf(stderr, "daxtrace: failed to attach %s (%s): %s\n",
				dt_targets[i].func, dt_method_name(dt_states[i].method),
				strerror(-err));
			return err;
		}
	}
	return 0;
retry:
	dt_bpf_detach();
	dax_trace_bpf__destroy(skel);
	*skelp = NULL;
	return -EAGAIN;
}
