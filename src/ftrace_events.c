// SPDX-License-Identifier: GPL-2.0
/*
 * Event definitions for the ftrace backend. A target row's ftrace spec
 * (src/targets.c) names its event and the kind of its handler; the kind
 * says which arguments its kprobe events fetch. Offsets come from the
 * kernel's BTF, never from a version number. Only x86-64 register names
 * are used.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/btf.h>
#include "daxtrace.h"
#include "dax_checks.h"
#include "dax_facts.h"
#include "ftrace_events.h"
#include "ftrace_tracefs.h"

/* ---- kernel structure offsets, from BTF ------------------------------ */

struct koffs {
	long ki_pos, ki_filp, f_inode, i_mode, i_rdev, i_sb, s_dev, i_ino, i_size;
	long it_count, it_dir, it_type, it_off, it_ptr;
	long dd_flags, dd_rdev, vmf_vma, vmf_pgoff, vma_file;
	long vmf_addr, vmf_flags, vmf_pmd, vma_start, vma_end, vma_flags;
	long vma_mm, mm_flags;
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

static void load_offsets(const struct btf *btf, struct koffs *k)
{
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
	k->vmf_addr = moff(btf, "vm_fault", "address");
	k->vmf_flags = moff(btf, "vm_fault", "flags");
	k->vmf_pmd = moff(btf, "vm_fault", "pmd");
	k->vma_start = moff(btf, "vm_area_struct", "vm_start");
	k->vma_end = moff(btf, "vm_area_struct", "vm_end");
	k->vma_flags = moff(btf, "vm_area_struct", "vm_flags");
	k->vma_mm = moff(btf, "vm_area_struct", "vm_mm");
	k->mm_flags = moff(btf, "mm_struct", "flags");
}

int dt_fev_load(struct dt_fkernel *kn, char *err, size_t len)
{
	struct btf *btf = btf__load_vmlinux_btf();

	if (!btf) {
		snprintf(err, len, "ftrace backend needs kernel BTF for structure offsets (/sys/kernel/btf/vmlinux)");
		return -ENOENT;
	}
	load_offsets(btf, &koff);
	kn->iter_ubuf = enum_val(btf, "iter_type", "ITER_UBUF");
	kn->iter_iovec = enum_val(btf, "iter_type", "ITER_IOVEC");
	kn->dd_alive = dax_flag_bit(btf, "DAXDEV_ALIVE", DT_DAXDEV_ALIVE);
	kn->dd_nocache = dax_flag_bit(btf, "DAXDEV_NOCACHE", DT_DAXDEV_NOCACHE);
	kn->dd_nomc = dax_flag_bit(btf, "DAXDEV_NOMC", DT_DAXDEV_NOMC);
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

/* ---- the kprobe events of each kind of handler ----------------------- */

/*
 * The kprobe definitions of a kind of handler for function f:
 * def[DT_P_ENTRY] and def[DT_P_EXIT], "" for none; -ENOENT when a field
 * it needs is not in this kernel's BTF. The argument names are those the
 * handlers read.
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

/*
 * fault.size's inputs (dt_fault_geom): the VMA, the address, i_size, the
 * write flag, the mm's flags and the PMD entry (read at PTE faults only). Left out where
 * BTF lacks a field: the handler then finds no "vs" and judges n/a.
 */
static void def_fault_geom(char *p, size_t len, const struct koffs *k,
			   const char *inode)
{
	const long need[] = { k->vmf_addr, k->vmf_flags, k->vmf_pmd, k->vma_start,
			      k->vma_end, k->vma_flags, k->i_size, k->vma_mm,
			      k->mm_flags };

	if (!have(need, sizeof(need) / sizeof(need[0])))
		return;
	snprintf(p, len,
		 " addr=+%ld(%%di):x64 ff=+%ld(%%di):u32 vs=+%ld(+%ld(%%di)):x64 "
		 "ve=+%ld(+%ld(%%di)):x64 vf=+%ld(+%ld(%%di)):x64 isz=+%ld(%s):s64 "
		 "pmd=+0(+%ld(%%di)):x64 mmf=+%ld(+%ld(+%ld(%%di))):x64",
		 k->vmf_addr, k->vmf_flags, k->vma_start, k->vmf_vma, k->vma_end,
		 k->vmf_vma, k->vma_flags, k->vmf_vma, k->i_size, inode, k->vmf_pmd,
		 k->mm_flags, k->vma_mm, k->vmf_vma);
}

static int def_fault(const char *f, const struct koffs *k, kdef *def)
{
	const long need[] = { k->vmf_vma, k->vmf_pgoff, k->vma_file, k->f_inode,
			      k->i_mode, k->i_rdev, k->i_sb, k->s_dev, k->i_ino };
	char inode[128], geom[400] = "";

	if (!have(need, sizeof(need) / sizeof(need[0])))
		return -ENOENT;
	snprintf(inode, sizeof(inode), "+%ld(+%ld(+%ld(%%di)))", k->f_inode,
		 k->vma_file, k->vmf_vma);
	def_fault_geom(geom, sizeof(geom), k, inode);
	snprintf(def[DT_P_ENTRY], sizeof(kdef),
		 "%s pgoff=+%ld(%%di):u64 pe=%%si:u32 mode=+%ld(%s):u16 "
		 "rdev=+%ld(%s):u32 sdev=+%ld(+%ld(%s)):u32 ino=+%ld(%s):u64%s",
		 f, k->vmf_pgoff, k->i_mode, inode, k->i_rdev, inode, k->s_dev,
		 k->i_sb, inode, k->i_ino, inode, geom);
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

int dt_fev_define(const struct dt_target *t)
{
	kdef def[DT_MAX_TP] = {};
	char name[24];
	int i, err;

	if (!definers[t->ftrace.kind])
		return -EOPNOTSUPP;	/* e.g. iterations: no kprobe definition here */
	err = definers[t->ftrace.kind](t->func, &koff, def);
	for (i = 0; !err && i < DT_MAX_TP; i++) {
		if (!def[i][0])
			continue;
		kprobe_name(name, sizeof(name), t, i);
		err = dt_tfs_kprobe(name, i == DT_P_EXIT, def[i]);
	}
	return err;
}

/*
 * Runs of target t the kernel skipped, its kprobe events' misses (a
 * kprobe hit inside another, a kretprobe out of instances), added to
 * *n: -ENOENT where none of its events, or not each, can be read.
 */
int dt_fev_misses(FILE *profile, const struct dt_target *t, __u64 *n)
{
	char name[24];
	int slot, nev = 0, err = 0;

	for (slot = 0; !err && slot < DT_MAX_TP; slot++) {
		kprobe_name(name, sizeof(name), t, slot);
		err = dt_tfs_kprobe_misses(profile, name, n);
		if (!err)
			nev++;
		else if (err == -ESRCH)
			err = 0;	/* this run made no event for the slot */
	}
	return err || !nev ? -ENOENT : 0;
}

int dt_fev_tracepoints(const struct dt_target *t)
{
	int i, err = 0;

	for (i = 0; i < DT_MAX_TP && t->tp_event[i]; i++)
		if (dt_tfs_tracepoint(t->tp_event[i]))
			err = -ENOENT;
	return err;
}

/* A kprobe event "EVENT_e" or "EVENT_x" of a row. */
static int kprobe_lookup(const char *ev, struct dt_fev_hit *h)
{
	size_t n = strlen(ev);
	const char *name;
	int i;

	if (n < 3 || ev[n - 2] != '_' || (ev[n - 1] != 'e' && ev[n - 1] != 'x'))
		return -ENOENT;
	for (i = 0; i < DT_NTARGETS; i++) {
		name = dt_targets[i].ftrace.event;
		if (name && !strncmp(ev, name, n - 2) && !name[n - 2]) {
			h->t = &dt_targets[i];
			h->slot = ev[n - 1] == 'e' ? DT_P_ENTRY : DT_P_EXIT;
			return 0;
		}
	}
	return -ENOENT;
}

/* A tracepoint a row enables where its kprobe events fail (tp_note). */
static int tp_lookup(const char *ev, struct dt_fev_hit *h)
{
	const struct dt_target *t;
	const char *name;
	int i, j;

	for (i = 0; i < DT_NTARGETS; i++) {
		t = &dt_targets[i];
		for (j = 0; t->ftrace.tp_note && j < DT_MAX_TP && t->tp_event[j]; j++) {
			name = strchr(t->tp_event[j], '/');
			if (name && !strcmp(name + 1, ev)) {
				h->t = t;
				h->slot = j;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int dt_fev_lookup(const char *event, struct dt_fev_hit *h)
{
	memset(h, 0, sizeof(*h));
	if (!kprobe_lookup(event, h))
		return 0;
	h->tp = true;
	return tp_lookup(event, h);
}
