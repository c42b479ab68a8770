// SPDX-License-Identifier: GPL-2.0
/*
 * The ftrace backend: where BPF tracing is unavailable or forbidden,
 * daxtrace defines kprobe/kretprobe events through tracefs, enables them
 * in a tracing instance of its own (instances/daxtrace-PID), parses
 * trace_pipe, and runs the same per-thread logic and checks as the BPF
 * programs in user space. Output goes through the same report code.
 *
 * What it cannot see: kretprobes on 6.1 cannot read the entry arguments,
 * so what direct_access stores through kaddr and pfn is out of reach: the
 * kaddr checks are reported as not applicable, never as passed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/btf.h>
#include "daxtrace.h"
#include "dax_checks.h"
#include "dax_facts.h"
#include "clock.h"
#include "ftrace.h"
#include "names.h"
#include "probe.h"

#define TRACEFS		"/sys/kernel/tracing"
#define MAX_EVENTS	16
#define NSTATE		4096

/* ---- kernel structure offsets, from BTF ------------------------------ */

struct koffs {
	long ki_pos, ki_filp, f_inode, i_mode, i_rdev, i_sb, s_dev, i_ino, i_size;
	long it_count, it_dir, it_type, it_off, it_ptr;
	long dd_flags, dd_rdev, vmf_vma, vmf_pgoff, vma_file;
	long ubuf_val, iovec_val;	/* enum iter_type values */
	long dd_alive, dd_nocache, dd_nomc;	/* enum dax_device_flags bits */
};

static struct koffs koff;

static long find_member(const struct btf *btf, __u32 id, const char *name)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	const struct btf_member *m;
	long off, r;
	int i, mid;

	if (!t || !btf_is_composite(t))
		return -1;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		const char *n = btf__name_by_offset(btf, m->name_off);

		off = btf_member_bit_offset(t, i) / 8;
		if (n && *n) {
			if (!strcmp(n, name))
				return off;
			continue;
		}
		/* anonymous struct/union: look inside */
		mid = btf__resolve_type(btf, m->type);
		if (mid < 0)
			continue;
		r = find_member(btf, mid, name);
		if (r >= 0)
			return off + r;
	}
	return -1;
}

static long moff(const struct btf *btf, const char *sname, const char *mname)
{
	int id = btf__find_by_name_kind(btf, sname, BTF_KIND_STRUCT);

	return id < 0 ? -1 : find_member(btf, id, mname);
}

static long enum_val(const struct btf *btf, const char *ename, const char *name)
{
	int id = btf__find_by_name_kind(btf, ename, BTF_KIND_ENUM), i;
	const struct btf_type *t;
	const struct btf_enum *e;

	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);
	e = btf_enum(t);
	for (i = 0; i < btf_vlen(t); i++, e++)
		if (!strcmp(btf__name_by_offset(btf, e->name_off), name))
			return e->val;
	return -1;
}

/* A dax_device flag's bit: the kernel's own where its BTF has the enum. */
static long dax_flag_bit(const struct btf *btf, const char *name, long known)
{
	long v = enum_val(btf, "dax_device_flags", name);

	return v < 0 ? known : v;
}

static int load_offsets(struct koffs *k, char *err, size_t len)
{
	struct btf *btf = btf__load_vmlinux_btf();

	if (!btf) {
		snprintf(err, len, "ftrace backend needs kernel BTF for structure offsets (/sys/kernel/btf/vmlinux)");
		return -ENOENT;
	}
	k->ki_pos = moff(btf, "kiocb", "ki_pos");
	k->ki_filp = moff(btf, "kiocb", "ki_filp");
	k->f_inode = moff(btf, "file", "f_inode");
	k->i_mode = moff(btf, "inode", "i_mode");
	k->i_rdev = moff(btf, "inode", "i_rdev");
	k->i_sb = moff(btf, "inode", "i_sb");
	k->s_dev = moff(btf, "super_block", "s_dev");
	k->i_ino = moff(btf, "inode", "i_ino");
	k->i_size = moff(btf, "inode", "i_size");
	k->it_count = moff(btf, "iov_iter", "count");
	k->it_dir = moff(btf, "iov_iter", "data_source");
	k->it_type = moff(btf, "iov_iter", "iter_type");
	k->it_off = moff(btf, "iov_iter", "iov_offset");
	k->it_ptr = moff(btf, "iov_iter", "ubuf");
	k->dd_flags = moff(btf, "dax_device", "flags");
	k->dd_rdev = moff(btf, "dax_device", "inode");
	if (k->dd_rdev >= 0)
		k->dd_rdev += k->i_rdev;
	k->vmf_vma = moff(btf, "vm_fault", "vma");
	k->vmf_pgoff = moff(btf, "vm_fault", "pgoff");
	k->vma_file = moff(btf, "vm_area_struct", "vm_file");
	k->ubuf_val = enum_val(btf, "iter_type", "ITER_UBUF");
	k->iovec_val = enum_val(btf, "iter_type", "ITER_IOVEC");
	k->dd_alive = dax_flag_bit(btf, "DAXDEV_ALIVE", DT_DAXDEV_ALIVE);
	k->dd_nocache = dax_flag_bit(btf, "DAXDEV_NOCACHE", DT_DAXDEV_NOCACHE);
	k->dd_nomc = dax_flag_bit(btf, "DAXDEV_NOMC", DT_DAXDEV_NOMC);
	btf__free(btf);
	return 0;
}

/* Every offset a target's event definition uses must be known. */
static bool have(const long *offs, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (offs[i] < 0)
			return false;
	return true;
}

/* ---- tracefs ------------------------------------------------------------ */

static char group[32], inst[64];
static char made[MAX_EVENTS * 2][24];	/* kprobe events we created */
static int nmade;
static bool tp_on[DT_NTARGETS][DT_MAX_TP];	/* tracepoints enabled */

static int write_file(const char *path, const char *s, bool append)
{
	int fd = open(path, O_WRONLY | (append ? O_APPEND : O_TRUNC));
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return 0;
}

static int add_kprobe(const char *name, const char *def)
{
	char buf[2048];
	int err;

	/* names ending in _x are the return probes */
	snprintf(buf, sizeof(buf), "%c:%.31s/%.23s %.1900s\n",
		 name[strlen(name) - 1] == 'x' ? 'r' : 'p', group, name, def);
	err = write_file(TRACEFS "/kprobe_events", buf, true);
	if (!err)
		snprintf(made[nmade++], sizeof(made[0]), "%s", name);
	return err;
}

static char comm_filter[64];

/*
 * -c filters in the kernel: trace_pipe shows "<...>" for a task whose
 * comm is not cached yet (a fresh process), so user space cannot.
 */
static int enable_event(const char *grp, const char *name, const char *val)
{
	char path[PATH_MAX];
	int err;

	if (comm_filter[0] && val[0] == '1') {
		snprintf(path, sizeof(path), "%s/events/%.63s/%.63s/filter", inst, grp, name);
		err = write_file(path, comm_filter, false);
		if (err)
			return err;
	}
	snprintf(path, sizeof(path), "%s/events/%.63s/%.63s/enable", inst, grp, name);
	return write_file(path, val, false);
}

/* A row's tracepoint "cat/name" switched on ("1") or off ("0"). */
static int tp_enable(const char *spec, const char *val)
{
	char cat[64], name[128];

	if (sscanf(spec, "%63[^/]/%127s", cat, name) != 2)
		return -EINVAL;
	return enable_event(cat, name, val);
}

static void remove_group(const char *grp, char names[][24], int n)
{
	char buf[128];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "-:%.63s/%.23s\n", grp, names[i]);
		write_file(TRACEFS "/kprobe_events", buf, true);
	}
}

static void sentinel_stop(void);

static void teardown(void)
{
	int i, j;

	for (i = 0; i < nmade; i++)
		enable_event(group, made[i], "0");
	for (i = 0; i < DT_NTARGETS; i++)
		for (j = 0; j < DT_MAX_TP; j++)
			if (tp_on[i][j])
				tp_enable(dt_targets[i].tp_event[j], "0");
	rmdir(inst);
	remove_group(group, made, nmade);
	nmade = 0;
	sentinel_stop();
}

/*
 * Remove what run PID left in tracefs: its instance first (which turns
 * its events off), then its kprobe events, which cannot go while enabled.
 * Returns how many things it removed.
 */
static int clean_run(int pid)
{
	char path[PATH_MAX], line[1024], grp[64], names[64][24];
	int n = 0, removed = 0;
	FILE *f;

	snprintf(path, sizeof(path), TRACEFS "/instances/daxtrace-%d", pid);
	if (!rmdir(path))
		removed++;
	snprintf(grp, sizeof(grp), "daxtrace_%d", pid);
	f = fopen(TRACEFS "/kprobe_events", "r");
	while (f && fgets(line, sizeof(line), f) && n < 64) {
		char g[64], e[24], *c = strchr(line, ':');

		/* "p:grp/name ...", "r10:grp/name ..." (kretprobes: maxactive) */
		if (c && sscanf(c + 1, "%63[^/]/%23s", g, e) == 2 && !strcmp(g, grp))
			snprintf(names[n++], sizeof(names[0]), "%s", e);
	}
	if (f)
		fclose(f);
	remove_group(grp, names, n);
	return removed + n;
}

static bool pid_dead(int pid)
{
	return pid != getpid() && kill(pid, 0) && errno == ESRCH;
}

/* A run killed before its sentinel could act left things behind. */
static void clean_stale(void)
{
	char line[1024], g[64], e[24], *c;
	struct dirent *de;
	int pid, n;
	FILE *f;
	DIR *d;

	d = opendir(TRACEFS "/instances");
	while (d && (de = readdir(d))) {
		if (sscanf(de->d_name, "daxtrace-%d", &pid) != 1 || !pid_dead(pid))
			continue;
		n = clean_run(pid);
		fprintf(stderr, "daxtrace: removed the tracing instance and %d kprobe events of killed run %d\n",
			n - 1, pid);
	}
	if (d)
		closedir(d);
	/* groups whose instance is already gone */
	for (;;) {
		pid = 0;
		f = fopen(TRACEFS "/kprobe_events", "r");
		while (f && fgets(line, sizeof(line), f)) {
			c = strchr(line, ':');
			if (c && sscanf(c + 1, "%63[^/]/%23s", g, e) == 2 &&
			    sscanf(g, "daxtrace_%d", &n) == 1 && pid_dead(n)) {
				pid = n;
				break;
			}
		}
		if (f)
			fclose(f);
		if (!pid || !clean_run(pid))
			break;
		fprintf(stderr, "daxtrace: removed the kprobe events of killed run %d\n", pid);
	}
}

/*
 * tracefs objects outlive a SIGKILLed process. A forked sentinel holds
 * the read end of a pipe: when daxtrace exits without saying it cleaned
 * up (one byte), the sentinel sees EOF and removes the run's instance and
 * kprobe events itself.
 */
static int sentinel_fd = -1;
static pid_t sentinel_pid;

static void sentinel_start(void)
{
	int p[2], owner = getpid(), n;
	char c;

	if (pipe2(p, O_CLOEXEC))
		return;
	sentinel_pid = fork();
	if (sentinel_pid < 0) {
		close(p[0]);
		close(p[1]);
		return;
	}
	if (sentinel_pid) {
		close(p[0]);
		sentinel_fd = p[1];
		return;
	}
	/* the child: no stdout, no sockets, no signals but SIGKILL */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	dup2(open("/dev/null", O_RDWR), 0);
	dup2(0, 1);
	if (p[0] != 3)
		dup2(p[0], 3);
	close_range(4, ~0U, 0);
	do {
		n = read(3, &c, 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1) {
		n = clean_run(owner);
		if (n)
			fprintf(stderr, "daxtrace: run %d was killed: removed its tracing instance and kprobe events\n",
				owner);
	}
	_exit(0);
}

/* Everything is cleaned: release the sentinel and reap it. */
static void sentinel_stop(void)
{
	if (sentinel_fd < 0)
		return;
	if (write(sentinel_fd, "x", 1) != 1)
		fprintf(stderr, "daxtrace: cleanup sentinel: %s\n", strerror(errno));
	close(sentinel_fd);
	sentinel_fd = -1;
	waitpid(sentinel_pid, NULL, 0);
}

/* ---- event definitions ------------------------------------------------ */

/*
 * Each handler's kprobe definitions for function f: def[DT_P_ENTRY] and
 * def[DT_P_EXIT], "" for none; -ENOENT when a field it needs is not in
 * this kernel's BTF.
 */
typedef char kdef[768];

static void ret_def(kdef def, const char *f, const char *type)
{
	snprintf(def, sizeof(kdef), "%s ret=$retval:%s", f, type);
}

static int def_rw(const char *f, const struct koffs *k, kdef *def)
{
	const long need[] = { k->ki_pos, k->ki_filp, k->f_inode, k->i_mode, k->i_rdev,
			      k->i_sb, k->s_dev, k->i_ino, k->i_size, k->it_count,
			      k->it_dir };
	char inode[128];

	if (!have(need, sizeof(need) / sizeof(need[0])))
		return -ENOENT;
	/* "+F_INODE(+KI_FILP(%di))": the inode of the file being read */
	snprintf(inode, sizeof(inode), "+%ld(+%ld(%%di))", k->f_inode, k->ki_filp);
	snprintf(def[DT_P_ENTRY], sizeof(kdef),
		 "%s pos=+%ld(%%di):s64 cnt=+%ld(%%si):u64 dir=+%ld(%%si):u8 "
		 "mode=+%ld(%s):u16 rdev=+%ld(%s):u32 sdev=+%ld(+%ld(%s)):u32 "
		 "ino=+%ld(%s):u64 isize=+%ld(%s):s64", f, k->ki_pos, k->it_count,
		 k->it_dir, k->i_mode, inode, k->i_rdev, inode, k->s_dev, k->i_sb,
		 inode, k->i_ino, inode, k->i_size, inode);
	ret_def(def[DT_P_EXIT], f, "s64");
	return 0;
}

static int def_da(const char *f, const struct koffs *k, kdef *def)
{
	if (k->dd_rdev < 0)
		return -ENOENT;
	snprintf(def[DT_P_ENTRY], sizeof(kdef),
		 "%s dd=%%di:x64 pgoff=%%si:u64 nr=%%dx:s64 rdev=+%ld(%%di):u32",
		 f, k->dd_rdev);
	ret_def(def[DT_P_EXIT], f, "s64");
	return 0;
}

/* a driver's return only: the da exit after it takes it */
static int def_drv(const char *f, const struct koffs *k, kdef *def)
{
	ret_def(def[DT_P_EXIT], f, "s64");
	return 0;
}

static int def_copy(const char *f, const struct koffs *k, kdef *def)
{
	const long need[] = { k->dd_flags, k->dd_rdev, k->it_type, k->it_off, k->it_ptr };

	if (!have(need, sizeof(need) / sizeof(need[0])))
		return -ENOENT;
	snprintf(def[DT_P_ENTRY], sizeof(kdef),
		 "%s dd=%%di:x64 pgoff=%%si:u64 addr=%%dx:x64 bytes=%%cx:u64 "
		 "flags=+%ld(%%di):u64 rdev=+%ld(%%di):u32 ity=+%ld(%%r8):u8 "
		 "ioff=+%ld(%%r8):u64 ptr=+%ld(%%r8):x64 ibase=+0(+%ld(%%r8)):x64",
		 f, k->dd_flags, k->dd_rdev, k->it_type, k->it_off, k->it_ptr,
		 k->it_ptr);
	ret_def(def[DT_P_EXIT], f, "u64");
	return 0;
}

static int def_fault(const char *f, const struct koffs *k, kdef *def)
{
	const long need[] = { k->vmf_vma, k->vmf_pgoff, k->vma_file, k->f_inode,
			      k->i_mode, k->i_rdev, k->i_sb, k->s_dev, k->i_ino };
	char inode[128];

	if (!have(need, sizeof(need) / sizeof(need[0])))
		return -ENOENT;
	snprintf(inode, sizeof(inode), "+%ld(+%ld(+%ld(%%di)))", k->f_inode,
		 k->vma_file, k->vmf_vma);
	snprintf(def[DT_P_ENTRY], sizeof(kdef),
		 "%s pgoff=+%ld(%%di):u64 pe=%%si:u32 mode=+%ld(%s):u16 "
		 "rdev=+%ld(%s):u32 sdev=+%ld(+%ld(%s)):u32 ino=+%ld(%s):u64",
		 f, k->vmf_pgoff, k->i_mode, inode, k->i_rdev, inode, k->s_dev,
		 k->i_sb, inode, k->i_ino, inode);
	ret_def(def[DT_P_EXIT], f, "u32");
	return 0;
}

static int (*const definers[])(const char *f, const struct koffs *k, kdef *def) = {
	[DT_FEV_RW] = def_rw,
	[DT_FEV_DA] = def_da,
	[DT_FEV_DRV] = def_drv,
	[DT_FEV_COPY] = def_copy,
	[DT_FEV_FAULT] = def_fault,
};

/* The name of a target's kprobe event: "EVENT_e" at entry, "EVENT_x" at exit */
static void kprobe_name(char *name, size_t len, const struct dt_target *t, int slot)
{
	snprintf(name, len, "%s_%c", t->ftrace.event, slot == DT_P_ENTRY ? 'e' : 'x');
}

/* Define and enable the events for one target; 0 when all of them took. */
static int define_target(const struct dt_target *t, const struct koffs *k)
{
	kdef def[DT_MAX_TP] = {};
	char name[24];
	int i, err;

	if (!definers[t->ftrace.kind])
		return -EOPNOTSUPP;	/* e.g. iterations: no kprobe definition here */
	err = definers[t->ftrace.kind](t->func, k, def);
	for (i = 0; !err && i < DT_MAX_TP; i++) {
		if (!def[i][0])
			continue;
		kprobe_name(name, sizeof(name), t, i);
		err = add_kprobe(name, def[i]);
		err = err ?: enable_event(group, name, "1");
	}
	return err;
}

/* Where its kprobe events fail, a target's own tracepoints: 0 if all took. */
static int enable_tps(enum dt_target_id id)
{
	const struct dt_target *t = &dt_targets[id];
	int i, err = 0;

	for (i = 0; i < DT_MAX_TP && t->tp_event[i]; i++) {
		tp_on[id][i] = !tp_enable(t->tp_event[i], "1");
		if (!tp_on[id][i])
			err = -ENOENT;
	}
	return err;
}

static int setup(const struct dt_ftrace_cfg *cfg, const struct koffs *k,
		 char *err, size_t len)
{
	char path[PATH_MAX], buf[32];
	int i, err2, usable = 0;

	snprintf(group, sizeof(group), "daxtrace_%d", getpid());
	snprintf(inst, sizeof(inst), TRACEFS "/instances/daxtrace-%d", getpid());
	if (mkdir(inst, 0750)) {
		snprintf(err, len, "cannot create tracing instance %s: %s", inst, strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/buffer_size_kb", inst);
	write_file(path, "8192", false);
	if (cfg->comm && cfg->comm[0])
		snprintf(comm_filter, sizeof(comm_filter), "comm == \"%.15s\"\n", cfg->comm);
	if (cfg->pid) {
		snprintf(path, sizeof(path), "%s/set_event_pid", inst);
		snprintf(buf, sizeof(buf), "%d", cfg->pid);
		write_file(path, buf, false);
	}
	for (i = 0; i < DT_NTARGETS; i++) {
		const struct dt_target *t = &dt_targets[i];
		struct dt_target_state *st = &dt_states[i];

		st->attached = false;
		dt_target_module(i);
		if (t->flags & (DT_T_DEEP | DT_T_DETECT) || !dt_kallsyms_addr(t->func)) {
			st->method = (t->flags & DT_T_DEEP) ? DT_M_OFF : DT_M_ABSENT;
			snprintf(st->note, sizeof(st->note), "%s",
				 t->flags & DT_T_DEEP ? "not traced by the ftrace backend" :
				 t->flags & DT_T_DETECT ? "not traced by this version" :
				 "not in kallsyms (inlined, not built or module not loaded)");
			continue;
		}
		if (access(TRACEFS "/kprobe_events", W_OK) && !t->ftrace.tp_note) {
			st->method = DT_M_ABSENT;
			snprintf(st->note, sizeof(st->note), "no kprobe_events in tracefs (kernel without kprobes)");
			continue;
		}
		err2 = define_target(t, k);
		if (!err2) {
			st->method = DT_M_KPROBE;
			st->attached = true;
			snprintf(st->note, sizeof(st->note), "ftrace kprobe event in %s", group);
			usable++;
			continue;
		}
		st->method = err2 == -EOPNOTSUPP ? DT_M_OFF : DT_M_ABSENT;
		snprintf(st->note, sizeof(st->note), "%s",
			 err2 == -EOPNOTSUPP ? "not traced by the ftrace backend" :
			 err2 == -ENOENT ? "a field it needs is missing from BTF" :
			 access(TRACEFS "/kprobe_events", W_OK) ?
			 "no kprobe_events in tracefs (kernel without kprobes)" :
			 "kprobe event refused by the kernel");
		/* e.g. faults: the fs_dax tracepoints still count them */
		if (t->ftrace.tp_note && !enable_tps(i)) {
			st->method = DT_M_TRACEPOINT;
			st->attached = true;
			snprintf(st->note, sizeof(st->note), "%s", t->ftrace.tp_note);
			usable++;
		}
	}
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

/* ---- trace_pipe lines --------------------------------------------------- */

/* "  comm-123   [001] d..1.  123.456789: name: (sym+0x0/0x10) k=v ..." */
int dt_tline_parse(char *line, struct dt_tline *t)
{
	char *br = strstr(line, " ["), *dash, *p, *colon;
	unsigned long long sec, usec;
	size_t n;

	memset(t, 0, sizeof(*t));
	if (!br)
		return -EINVAL;
	*br = '\0';
	dash = strrchr(line, '-');
	if (!dash || sscanf(dash + 1, "%d", &t->pid) != 1)
		return -EINVAL;
	for (p = line; *p == ' '; p++)
		;
	n = dash - p < 16 ? dash - p : 16;
	memcpy(t->comm, p, n);
	t->comm[n] = '\0';
	p = strchr(br + 2, ']');
	if (!p)
		return -EINVAL;
	/* flags column, then "sec.usec:" */
	colon = strstr(p, ": ");
	if (!colon)
		return -EINVAL;
	for (p = colon; p > line && p[-1] != ' '; p--)
		;
	if (sscanf(p, "%llu.%llu:", &sec, &usec) != 2)
		return -EINVAL;
	t->ts_ns = sec * 1000000000ULL + usec * 1000ULL;
	p = colon + 2;
	colon = strchr(p, ':');
	if (!colon || colon - p >= (long)sizeof(t->event))
		return -EINVAL;
	memcpy(t->event, p, colon - p);
	t->event[colon - p] = '\0';
	t->args = colon + 1;
	return 0;
}

/* Value of " key=" in the argument list (decimal or 0x hex). */
int dt_targ_u64(const char *args, const char *key, unsigned long long *v)
{
	size_t n = strlen(key);
	const char *p = args;
	char *end;

	if (!n)
		return -EINVAL;	/* strstr(p, "") never advances (found by fuzzing) */
	while ((p = strstr(p, key))) {
		if ((p == args || p[-1] == ' ') && p[n] == '=') {
			errno = 0;
			*v = strtoull(p + n + 1, &end, 0);
			if (errno || end == p + n + 1)
				return -EINVAL;
			return 0;
		}
		p += n;
	}
	return -ENOENT;
}

static __u64 arg(const char *args, const char *key)
{
	unsigned long long v = 0;

	dt_targ_u64(args, key, &v);
	return v;
}

/* ---- the same logic as the BPF handlers, in user space ----------------- */

struct fstate {
	int tid;
	__u32 rw_active, rw_op, rw_dev, seq;
	__u64 rw_start, rw_pos, rw_asked, rw_ino, rw_isize;
	__u32 f_active, f_dev, f_size;
	__u64 f_start, f_pgoff, f_ino;
	__u32 da_active, da_dev;
	__u64 da_start, da_pgoff, da_daxdev;
	__s64 da_nr, drv_ret;
	bool drv_seen;		/* drv_ret is the driver's, not 0 for unknown */
	__u32 l_valid;
	__u64 l_pgoff;
	__s64 l_ret;
	__u32 c_active, c_op, c_dev, c_variant;
	__u64 c_start, c_pgoff, c_addr, c_bytes, c_uaddr;
};

static struct fstate states[NSTATE];
static struct dt_stat_ent st_tab[DT_MAX_DEVS * DT_OP_MAX];
static struct dt_err_ent err_tab[1024];
static struct dt_chk_ent chk_tab[DT_MAX_DEVS * DT_CHK_MAX];
static struct dt_media_ent media_tab[4096];
static int nst, nerr, nchk, nmedia;
static __u64 nevents;
static __u64 lost;	/* ops or updates lost to a full table: map_full */

static const struct dt_ftrace_cfg *fcfg;
static struct dt_out *fout;

static bool idle(const struct fstate *s)
{
	return !s->rw_active && !s->f_active && !s->da_active && !s->c_active;
}

/*
 * The thread's state. Open addressing where a used slot never empties,
 * so a look-up may stop at the first empty one. A new thread takes that
 * empty slot, else the first slot on its way whose thread has no op in
 * flight: pids are not reused for a long time, and the threads that have
 * come and gone would otherwise fill the table for good, after which no
 * new thread would be traced. The slot keeps its seq, as BPF's do.
 */
static struct fstate *state(int tid, bool create)
{
	unsigned int h = (unsigned int)tid % NSTATE, i;
	struct fstate *s, *reuse = NULL;
	__u32 seq;

	for (i = 0; i < NSTATE; i++) {
		s = &states[(h + i) % NSTATE];
		if (s->tid == tid)
			return s;
		if (!s->tid) {
			reuse = s;
			break;
		}
		if (!reuse && idle(s))
			reuse = s;
	}
	if (!create)
		return NULL;
	if (!reuse) {	/* every thread in the table has an op in flight */
		lost++;
		return NULL;
	}
	seq = reuse->seq;
	memset(reuse, 0, sizeof(*reuse));
	reuse->tid = tid;
	reuse->seq = seq;
	return reuse;
}

static bool dev_wanted(__u32 dev)
{
	int i;

	if (!fcfg->ndevs)
		return true;
	for (i = 0; i < fcfg->ndevs; i++)
		if (fcfg->devs[i].kdev == dev)
			return true;
	return false;
}

static struct dt_stats *stats_get(__u32 dev, __u32 op)
{
	int i;

	for (i = 0; i < nst; i++)
		if (st_tab[i].key.dev == dev && st_tab[i].key.op == op)
			return &st_tab[i].st;
	if (nst >= (int)(sizeof(st_tab) / sizeof(st_tab[0]))) {
		lost++;
		return NULL;
	}
	st_tab[nst].key.dev = dev;
	st_tab[nst].key.op = op;
	return &st_tab[nst++].st;
}

static void count_error(__u32 dev, __u32 op, __s32 e)
{
	int i;

	for (i = 0; i < nerr; i++) {
		if (err_tab[i].key.dev == dev && err_tab[i].key.op == op &&
		    err_tab[i].key.err == e) {
			err_tab[i].n++;
			return;
		}
	}
	if (nerr < (int)(sizeof(err_tab) / sizeof(err_tab[0]))) {
		err_tab[nerr].key = (struct dt_err_key){ dev, op, e, 0 };
		err_tab[nerr++].n = 1;
	} else {
		lost++;
	}
}

static void verdict(__u32 dev, __u32 check, __u32 v)
{
	int i;

	for (i = 0; i < nchk; i++) {
		if (chk_tab[i].key.dev == dev && chk_tab[i].key.check == check) {
			chk_tab[i].v.n[v]++;
			return;
		}
	}
	if (nchk < (int)(sizeof(chk_tab) / sizeof(chk_tab[0]))) {
		chk_tab[nchk].key = (struct dt_chk_key){ dev, check };
		chk_tab[nchk++].v.n[v] = 1;
	} else {
		lost++;
	}
}

static void media(__u32 dev, __u64 pgoff)
{
	int i;

	for (i = 0; i < nmedia; i++) {
		if (media_tab[i].key.dev == dev && media_tab[i].key.pgoff == pgoff) {
			media_tab[i].n++;
			return;
		}
	}
	if (nmedia < (int)(sizeof(media_tab) / sizeof(media_tab[0]))) {
		media_tab[nmedia].key = (struct dt_media_key){ dev, 0, pgoff };
		media_tab[nmedia++].n = 1;
	} else {
		lost++;
	}
}

static void account(struct dt_stats *st, __u64 asked, __s64 ret, __u64 lat)
{
	__u64 done = ret > 0 ? ret : 0;

	if (!st)
		return;
	st->bytes_req += asked;
	st->bytes_done += done;
	st->lat_sum_ns += lat;
	if (ret < 0)
		st->errors++;
	else if ((__u64)ret < asked)
		st->shorts++;
	else
		st->oks++;
	st->len_hist[dt_log2_slot(done)]++;
	st->lat_hist[dt_log2_slot(lat)]++;
}

/* The comm trace_pipe had not cached yet, while the task lives. */
static void task_comm(int pid, char *comm)
{
	char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(comm, DT_COMM_LEN, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

static void emit(struct dt_event *e, const struct dt_tline *t, __u32 op,
		 __u32 dev, __u32 why)
{
	if (fcfg->snoop)
		why |= DT_EV_SNOOP;
	if (!why)
		return;
	e->kind = DT_REC_EVENT;
	e->op = op;
	e->dev = dev;
	e->why = why;
	e->ts_ns = t->ts_ns;
	e->pid = t->pid;	/* trace_pipe shows the thread id */
	e->tid = t->pid;
	memcpy(e->comm, t->comm, DT_COMM_LEN);
	if (!strcmp(t->comm, "<...>"))
		task_comm(t->pid, e->comm);
	nevents++;
	dt_event_print(fout, e);
}

static __u32 inode_dev(const char *args)
{
	return (arg(args, "mode") & 0170000) == 0020000 ? arg(args, "rdev") :
							   arg(args, "sdev");
}

static void on_rw(struct fstate *s, const struct dt_tline *t, bool entry)
{
	struct dt_event e = {};
	__u32 why = 0, v;
	__s64 ret;
	int eof;

	if (entry) {
		s->rw_active = 1;
		s->rw_op = arg(t->args, "dir") ? DT_OP_WRITE : DT_OP_READ;
		s->rw_dev = inode_dev(t->args);
		s->rw_pos = arg(t->args, "pos");
		s->rw_asked = arg(t->args, "cnt");
		s->rw_ino = arg(t->args, "ino");
		s->rw_isize = arg(t->args, "isize");
		s->rw_start = t->ts_ns;
		s->seq++;
		s->l_valid = 0;
		return;
	}
	if (!s->rw_active)
		return;
	s->rw_active = 0;
	if (!dev_wanted(s->rw_dev))
		return;
	ret = (__s64)arg(t->args, "ret");
	account(stats_get(s->rw_dev, s->rw_op), s->rw_asked, ret, t->ts_ns - s->rw_start);
	v = dt_check_rw(s->rw_op == DT_OP_READ, s->rw_pos, s->rw_asked, ret,
			s->rw_isize, &eof);
	verdict(s->rw_dev, DT_CHK_RW_COMPLETE, v);
	if (ret < 0) {
		count_error(s->rw_dev, s->rw_op, -ret);
		why |= DT_EV_ERROR;
	} else if (v == DT_FAIL) {
		why |= DT_EV_SHORT | DT_EV_CHECK;
		e.check_fail = 1U << DT_CHK_RW_COMPLETE;
	}
	e.lat_ns = t->ts_ns - s->rw_start;
	e.flags = eof ? DT_F_EOF : 0;
	e.pos = s->rw_pos;
	e.asked = s->rw_asked;
	e.ret = ret;
	e.ino = s->rw_ino;
	e.isize = s->rw_isize;
	e.seq = s->seq;
	emit(&e, t, s->rw_op, s->rw_dev, why);
}

static __u32 ctx_dev(struct fstate *s, __u32 daxdev_rdev, __u32 *flags)
{
	if (s->f_active)
		return s->f_dev;
	if (s->rw_active)
		return s->rw_dev;
	*flags |= DT_F_NO_CTX;
	return daxdev_rdev;
}

/* A driver returned inside dax_direct_access: its exit reports it. */
static void on_drv(struct fstate *s, const struct dt_tline *t)
{
	if (s->da_active) {
		s->drv_ret = (__s64)arg(t->args, "ret");
		s->drv_seen = true;
	}
}

static void on_da(struct fstate *s, const struct dt_tline *t, bool entry)
{
	struct dt_event e = {};
	__u32 why = 0, flags = 0, dev;
	__s64 ret;

	if (entry) {
		s->da_active = 1;
		s->da_pgoff = arg(t->args, "pgoff");
		s->da_nr = (__s64)arg(t->args, "nr");
		s->da_daxdev = arg(t->args, "rdev");
		s->drv_ret = 0;
		s->drv_seen = false;
		s->da_start = t->ts_ns;
		return;
	}
	if (!s->da_active)
		return;
	s->da_active = 0;
	dev = ctx_dev(s, s->da_daxdev, &flags);
	if (!dev_wanted(dev))
		return;
	ret = (__s64)arg(t->args, "ret");
	account(stats_get(dev, DT_OP_DIRECT_ACCESS), s->da_nr << DT_PAGE_SHIFT,
		ret > 0 ? ret << DT_PAGE_SHIFT : ret, t->ts_ns - s->da_start);
	if (dt_check_ret_range(ret, s->da_nr) == DT_FAIL) {
		e.check_fail |= 1U << DT_CHK_DA_RET_RANGE;
		why |= DT_EV_CHECK;
	}
	verdict(dev, DT_CHK_DA_RET_RANGE, dt_check_ret_range(ret, s->da_nr));
	/* *kaddr / *pfn are out of a kretprobe's reach: not applicable */
	verdict(dev, DT_CHK_DA_KADDR_KERNEL, DT_NA);
	verdict(dev, DT_CHK_DA_KADDR_PFN, DT_NA);
	if (ret < 0) {
		count_error(dev, DT_OP_DIRECT_ACCESS, -ret);
		why |= DT_EV_ERROR;
		if (ret == -5 || ret == -133)
			media(dev, s->da_pgoff);
	}
	s->l_valid = ret > 0;
	s->l_pgoff = s->da_pgoff;
	s->l_ret = ret;
	e.lat_ns = t->ts_ns - s->da_start;
	e.flags = flags | (s->drv_seen ? DT_F_DRV : 0);
	e.pos = e.da_pgoff = s->da_pgoff;
	e.asked = s->da_nr;
	e.ret = e.da_ret = ret;
	e.drv_ret = s->drv_ret;
	e.seq = s->seq;
	emit(&e, t, DT_OP_DIRECT_ACCESS, dev, why);
}

/* Is the user byte at addr there with the permission the copy needed? */
static __u32 user_side(int tid, __u64 addr, __u32 op)
{
	char path[64], line[512], perms[8];
	unsigned long long lo, hi;
	__u32 side = DT_SIDE_UNKNOWN;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", tid);
	f = fopen(path, "r");
	if (!f)
		return DT_SIDE_UNKNOWN;	/* the task is gone */
	while (fgets(line, sizeof(line), f)) {
		/* an exiting task's maps are empty: no answer, not "user" */
		side = DT_SIDE_USER;
		if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) != 3)
			continue;
		if (addr >= lo && addr < hi) {
			bool ok = op == DT_OP_COPY_TO_ITER ? perms[1] == 'w' : perms[0] == 'r';

			side = ok ? DT_SIDE_SOURCE : DT_SIDE_USER;
			break;
		}
	}
	fclose(f);
	return side;
}

static void on_copy(struct fstate *s, const struct dt_tline *t, __u32 op, bool entry)
{
	struct dt_event e = {};
	__u32 why = 0, flags = 0, side = DT_SIDE_NONE, dev;
	__u64 fl, ret;

	if (entry) {
		__u64 ity = arg(t->args, "ity"), off = arg(t->args, "ioff");

		s->c_active = 1;
		s->c_op = op;
		s->c_pgoff = arg(t->args, "pgoff");
		s->c_addr = arg(t->args, "addr");
		s->c_bytes = arg(t->args, "bytes");
		s->da_daxdev = arg(t->args, "rdev");
		fl = arg(t->args, "flags");
		s->c_variant = dt_copy_variant(op, fl, koff.dd_alive, koff.dd_nocache,
					       koff.dd_nomc);
		/* user memory: ITER_UBUF holds the pointer, ITER_IOVEC an iovec */
		s->c_uaddr = 0;
		if ((long)ity == koff.ubuf_val)
			s->c_uaddr = arg(t->args, "ptr") + off;
		else if ((long)ity == koff.iovec_val)
			s->c_uaddr = arg(t->args, "ibase") + off;
		s->c_start = t->ts_ns;
		return;
	}
	if (!s->c_active)
		return;
	s->c_active = 0;
	dev = ctx_dev(s, s->da_daxdev, &flags);
	if (!dev_wanted(dev))
		return;
	ret = arg(t->args, "ret");
	if (ret < s->c_bytes) {
		why = DT_EV_SHORT | DT_EV_CHECK;
		e.check_fail = 1U << DT_CHK_COPY_COMPLETE;
		e.user_addr = s->c_uaddr ? s->c_uaddr + ret : 0;
		side = s->c_uaddr ? user_side(t->pid, e.user_addr, op) : DT_SIDE_UNKNOWN;
		if (s->c_uaddr)
			flags |= DT_F_UADDR;
	}
	/* no kaddr here: tie the copy to a direct_access by page range */
	if (s->l_valid && s->c_pgoff >= s->l_pgoff &&
	    s->c_pgoff < s->l_pgoff + (__u64)s->l_ret) {
		flags |= DT_F_DA_LINKED;
		e.da_pgoff = s->l_pgoff;
		e.da_ret = s->l_ret;
		e.kaddr = (s->c_addr & ~0xfffULL) - ((s->c_pgoff - s->l_pgoff) << DT_PAGE_SHIFT);
	}
	{
		struct dt_stats *st = stats_get(dev, op);

		account(st, s->c_bytes, ret, t->ts_ns - s->c_start);
		if (st) {
			st->variant[s->c_variant]++;
			if (side)
				st->short_side[side]++;
		}
	}
	verdict(dev, DT_CHK_COPY_COMPLETE, dt_check_copy(s->c_bytes, ret));
	e.lat_ns = t->ts_ns - s->c_start;
	e.flags = flags;
	e.pos = s->c_pgoff;
	e.asked = s->c_bytes;
	e.ret = ret;
	e.addr = s->c_addr;
	e.variant = s->c_variant;
	e.side = side;
	e.seq = s->seq;
	emit(&e, t, op, dev, why);
}

static void fault_done(const struct dt_tline *t, __u32 dev, __u32 size, __u32 ret,
		       __u64 pgoff, __u64 ino, __u64 lat, bool lat_ok, __u32 seq)
{
	struct dt_event e = {};
	__u32 why = 0, res = dt_fault_result(ret);
	__u64 bytes = dt_fault_bytes(size);
	struct dt_stats *st;

	if (!dev_wanted(dev))
		return;
	st = stats_get(dev, DT_OP_FAULT);
	if (st) {
		/* a fallback asks the next smaller size: not bytes asked here */
		if (res != DT_FAULT_RES_FALLBACK)
			st->bytes_req += bytes;
		if (lat_ok) {	/* the tracepoints carry no start time */
			st->lat_sum_ns += lat;
			st->lat_hist[dt_log2_slot(lat)]++;
		}
		if (res == DT_FAULT_RES_ERROR) {
			st->errors++;
		} else if (res == DT_FAULT_RES_FALLBACK) {
			st->fallbacks++;
		} else {
			st->bytes_done += bytes;
			st->faults[size]++;
			st->len_hist[dt_log2_slot(bytes)]++;
		}
	}
	if (ret & DT_VMF_ERROR) {
		count_error(dev, DT_OP_FAULT, ret & DT_VMF_ERROR);
		why |= DT_EV_ERROR;
	}
	e.lat_ns = lat;
	e.flags = (ret & DT_VMF_FALLBACK ? DT_F_FALLBACK : 0) | (lat_ok ? 0 : DT_F_NO_LAT);
	e.pos = pgoff << DT_PAGE_SHIFT;
	e.asked = bytes;
	e.ret = ret;
	e.ino = ino;
	e.fault_size = size;
	e.seq = seq;
	emit(&e, t, DT_OP_FAULT, dev, why);
}

static void on_fault(struct fstate *s, const struct dt_tline *t, bool entry)
{
	__u64 pe;

	if (entry) {
		pe = arg(t->args, "pe");
		s->f_active = 1;
		s->f_dev = inode_dev(t->args);
		s->f_pgoff = arg(t->args, "pgoff");
		s->f_ino = arg(t->args, "ino");
		s->f_size = dt_fault_size(pe);
		s->f_start = t->ts_ns;
		s->seq++;
		return;
	}
	if (!s->f_active)
		return;
	s->f_active = 0;
	fault_done(t, s->f_dev, s->f_size, arg(t->args, "ret"), s->f_pgoff, s->f_ino,
		   t->ts_ns - s->f_start, true, s->seq);
}

/* fs_dax:dax_*_fault_done: " dev 259:1 ino 0xc ... pgoff 0x3 ... NOPAGE" */
static void on_fault_tp(const struct dt_tline *t, __u32 size)
{
	unsigned int maj, min;
	unsigned long long ino = 0, pgoff = 0;
	const char *p;
	__u32 ret = 0;

	if (sscanf(t->args, " dev %u:%u ino %llx", &maj, &min, &ino) < 2)
		return;
	p = strstr(t->args, "pgoff ");
	if (p)
		sscanf(p + 6, "%llx", &pgoff);
	if (strstr(t->args, "FALLBACK"))
		ret |= DT_VMF_FALLBACK;
	if (strstr(t->args, "SIGBUS"))
		ret |= DT_VMF_SIGBUS;
	if (strstr(t->args, "OOM"))
		ret |= DT_VMF_OOM;
	if (strstr(t->args, "HWPOISON"))
		ret |= DT_VMF_HWPOISON;
	fault_done(t, dt_kdev(maj, min), size, ret, pgoff, ino, 0, false, 0);
}

/* The target of kprobe event "EVENT_e" or "EVENT_x"; *entry: which. */
static const struct dt_target *kprobe_target(const char *ev, bool *entry)
{
	size_t n = strlen(ev);
	const char *name;
	int i;

	if (n < 3 || ev[n - 2] != '_' || (ev[n - 1] != 'e' && ev[n - 1] != 'x'))
		return NULL;
	*entry = ev[n - 1] == 'e';
	for (i = 0; i < DT_NTARGETS; i++) {
		name = dt_targets[i].ftrace.event;
		if (name && !strncmp(ev, name, n - 2) && !name[n - 2])
			return &dt_targets[i];
	}
	return NULL;
}

/*
 * A tracepoint a target enabled instead of its kprobe events: its index
 * in the target's tp_event[], or -1.
 */
static int tp_index(const char *ev)
{
	const struct dt_target *t;
	const char *name;
	int i, j;

	for (i = 0; i < DT_NTARGETS; i++) {
		t = &dt_targets[i];
		for (j = 0; t->ftrace.tp_note && j < DT_MAX_TP && t->tp_event[j]; j++) {
			name = strchr(t->tp_event[j], '/');
			if (name && !strcmp(name + 1, ev))
				return j;
		}
	}
	return -1;
}

static void handle_line(char *line)
{
	const struct dt_target *tgt;
	struct dt_tline t;
	struct fstate *s;
	bool entry;
	int tp;

	if (dt_tline_parse(line, &t))
		return;
	/* -c is filtered by the kernel (see enable_event) */
	tgt = kprobe_target(t.event, &entry);
	if (!tgt) {
		/* only the fault tracepoints: in DT_FAULT_PTE, _PMD order */
		tp = tp_index(t.event);
		if (tp >= 0)
			on_fault_tp(&t, tp == 0 ? DT_FAULT_PTE : DT_FAULT_PMD);
		return;
	}
	/* entries create the thread's state; exits only find it */
	s = state(t.pid, entry);
	if (!s)
		return;
	switch (tgt->ftrace.kind) {
	case DT_FEV_RW:
		on_rw(s, &t, entry);
		break;
	case DT_FEV_DA:
		on_da(s, &t, entry);
		break;
	case DT_FEV_DRV:
		on_drv(s, &t);
		break;
	case DT_FEV_COPY:
		on_copy(s, &t, tgt->ftrace.op, entry);
		break;
	case DT_FEV_FAULT:
		on_fault(s, &t, entry);
		break;
	default:
		break;
	}
}

/* trace_pipe reports what the ring buffer lost per CPU in the stats file. */
static __u64 overruns(void)
{
	char path[PATH_MAX], line[128];
	unsigned long long v, sum = 0;
	int cpu;
	FILE *f;

	for (cpu = 0; cpu < 1024; cpu++) {
		snprintf(path, sizeof(path), "%s/per_cpu/cpu%d/stats", inst, cpu);
		f = fopen(path, "r");
		if (!f)
			break;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "overrun: %llu", &v) == 1)
				sum += v;
		fclose(f);
	}
	return sum;
}

/*
 * Kprobe event ev's misses in kprobe_profile ("  NAME HITS MISSES", NAME
 * the event's, with or without its group) added to *n: -ENOENT unless
 * exactly one line is ev's (another group may hold an event by that name).
 */
static int profile_misses(FILE *f, const char *ev, __u64 *n)
{
	unsigned long long hits, missed, v = 0;
	char line[256], name[128], *sl;
	int found = 0;

	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %llu %llu", name, &hits, &missed) != 3)
			continue;
		sl = strchr(name, '/');
		if (sl ? (*sl = '\0', !strcmp(name, group) && !strcmp(sl + 1, ev)) :
			 !strcmp(name, ev)) {
			v = missed;
			found++;
		}
	}
	if (found != 1)
		return -ENOENT;
	*n += v;
	return 0;
}

/*
 * Runs the kernel skipped per target: its kprobe events' misses (a
 * kprobe hit inside another, a kretprobe out of instances). A target on
 * tracepoints, or whose events cannot be found there, is unread.
 */
static void kprobe_misses(struct dt_snapshot *s)
{
	FILE *f = fopen(TRACEFS "/kprobe_profile", "re");
	char name[24];
	int i, slot, j, nev, err;

	for (i = 0; i < DT_NTARGETS; i++) {
		if (!dt_states[i].attached)
			continue;
		s->skipped[i] = 0;
		err = !f || dt_states[i].method != DT_M_KPROBE;
		for (slot = 0, nev = 0; !err && slot < DT_MAX_TP; slot++) {
			kprobe_name(name, sizeof(name), &dt_targets[i], slot);
			for (j = 0; j < nmade && strcmp(made[j], name); j++)
				;
			if (j < nmade && ++nev)
				err = profile_misses(f, name, &s->skipped[i]);
		}
		if (err || !nev)
			s->skipped_unread |= 1U << i;
		else
			s->skipped_known |= 1U << i;
	}
	if (f)
		fclose(f);
}

/*
 * A view of the live tables (sorted in place: lookups are linear). Calls
 * are derived from the result counters, by the BPF backend's rule.
 */
static int snap(void *ctx, struct dt_snapshot *s)
{
	int i;

	for (i = 0; i < nst; i++)
		st_tab[i].st.calls = dt_stats_calls(&st_tab[i].st);
	*s = (struct dt_snapshot){
		.stats = st_tab, .nstats = nst, .errs = err_tab, .nerrs = nerr,
		.chks = chk_tab, .nchks = nchk, .media = media_tab, .nmedia = nmedia,
		.events = nevents,
	};
	s->bpf.rb_dropped = overruns();
	s->bpf.map_full = lost;
	kprobe_misses(s);
	dt_snapshot_sort(s);
	return 0;
}

void dt_ftrace_feed(const struct dt_ftrace_cfg *cfg, struct dt_out *out,
		    char *line)
{
	fcfg = cfg;
	fout = out;
	handle_line(line);
}

void dt_ftrace_tables(struct dt_snapshot *s)
{
	snap(NULL, s);
}

static void snap_put(void *ctx, struct dt_snapshot *s)
{
}

static void summary(void)
{
	struct dt_snapshot s;

	snap(NULL, &s);
	dt_summary_print(fout, &s);
}

static int drain(int fd, char *buf, size_t cap, size_t *len)
{
	ssize_t n = read(fd, buf + *len, cap - *len - 1);
	char *line, *nl;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	*len += n;
	buf[*len] = '\0';
	line = buf;
	while ((nl = strchr(line, '\n'))) {
		*nl = '\0';
		handle_line(line);
		line = nl + 1;
	}
	*len -= line - buf;
	memmove(buf, line, *len);
	if (*len == cap - 1)
		*len = 0;	/* a line longer than the buffer: drop it */
	return n;
}

int dt_ftrace_main(const struct dt_ftrace_cfg *cfg, struct dt_out *out,
		   volatile sig_atomic_t *exiting)
{
	static char buf[1 << 16];
	static struct dt_snapshot psnap;
	char err[256], path[PATH_MAX];
	struct pollfd pfd;
	unsigned long printed = 0;
	struct koffs *k = &koff;
	struct utsname u;
	time_t next = 0;
	size_t len = 0;
	int ret, i;

	fcfg = cfg;
	fout = out;
	uname(&u);
	if (strcmp(u.machine, "x86_64")) {
		fprintf(stderr, "daxtrace: the ftrace backend knows x86-64 registers only (this is %s)\n",
			u.machine);
		return 2;
	}
	ret = load_offsets(k, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "daxtrace: %s\n", err);
		return 2;
	}
	clean_stale();
	sentinel_start();
	ret = setup(cfg, k, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "daxtrace: %s\n", err);
		teardown();
		return 1;
	}
	kprobe_misses(&psnap);	/* the probes record's "skipped" */
	out->probe_snap = &psnap;
	if (cfg->list_probes) {
		dt_print_probes(out, "ftrace", false, !out->json);
		coverage(out);
		teardown();
		return 0;
	}
	snprintf(path, sizeof(path), "%s/trace_pipe", inst);
	pfd.fd = open(path, O_RDONLY | O_NONBLOCK);
	pfd.events = POLLIN;
	if (pfd.fd < 0) {
		fprintf(stderr, "daxtrace: cannot open %s: %s\n", path, strerror(errno));
		teardown();
		return 1;
	}
	if (!out->json)
		coverage(out);
	dt_print_header(out, "ftrace", false, cfg->devs, cfg->ndevs, cfg->snoop);
	if (out->json)
		coverage(out);
	if (cfg->interval)
		next = dt_mono_s() + cfg->interval;
	dt_tel_start(cfg->tel, out, snap, snap_put, NULL);
	ret = 0;
	while (!*exiting) {
		i = dt_tel_wait(cfg->tel, pfd.fd, 100);
		if (i > 0 && drain(pfd.fd, buf, sizeof(buf), &len) < 0)
			break;
		if (cfg->interval && dt_mono_s() >= next) {
			summary();
			next += cfg->interval;
			if (cfg->count && ++printed >= cfg->count)
				goto out;
		}
	}
	/* what is still buffered belongs in the final summary */
	while (drain(pfd.fd, buf, sizeof(buf), &len) > 0)
		;
	summary();
out:
	dt_tel_finish(cfg->tel);
	close(pfd.fd);
	teardown();
	return ret;
}
