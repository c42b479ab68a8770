// SPDX-License-Identifier: GPL-2.0
/*
 * The ftrace backend's handlers: one per meaning, as the BPF programs'
 * are, each the user-space twin of its BPF handler. Entry events keep
 * what the exit needs in the thread's state; exit events account, judge
 * the checks and emit the event record. Kernel facts and checks are the
 * shared ones of include/dax_facts.h and include/dax_checks.h.
 *
 * A kretprobe cannot read the entry's arguments, so what direct_access
 * stores through kaddr and pfn is out of reach: its kaddr checks are n/a,
 * never passed, and a copy is tied to its direct_access by page range.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "daxtrace.h"
#include "dax_checks.h"
#include "dax_facts.h"
#include "ftrace_handlers.h"

#define NSTATE		4096	/* threads with state at once */

/* ---- per-thread state and the tables -------------------------------- */

struct fstate {
	int tid;
	__u32 seq;		/* the thread's op sequence: ties copies to their rw */
	struct {
		bool active;
		__u32 op, dev;
		__u64 start, pos, asked, ino, isize;
		__u64 shorts;	/* short copies inside it, for its file's row */
	} rw;
	struct {
		bool active;
		bool geom_ok;	/* fault.size's inputs were fetched */
		bool chr;	/* on a character device (device-dax): no file */
		__u32 dev, size;
		__u64 start, pgoff, ino;
		struct dt_fault_geom geom;
		/* the thread's last fallback, as the BPF side keeps it */
		__u64 fb_vma, fb_start;
		__u32 fb_size;
	} fault;
	struct {
		bool active;
		bool drv_seen;	/* drv_ret is the driver's, not 0 for unknown */
		__u32 daxdev;
		__u64 start, pgoff;
		__s64 nr, drv_ret;
	} da;
	struct {		/* the thread's last direct_access, for its copies */
		bool valid;
		__u64 pgoff;
		__s64 ret;
	} last_da;
	struct {
		bool active;
		__u32 op, variant, daxdev;
		__u64 start, pgoff, addr, bytes, uaddr;
	} copy;
};

static struct fstate states[NSTATE];
static struct dt_stat_ent st_tab[DT_MAX_DEVS * DT_OP_MAX];
static struct dt_err_ent err_tab[1024];
static struct dt_chk_ent chk_tab[DT_MAX_DEVS * DT_CHK_MAX];
static struct dt_media_ent media_tab[4096];
static int nst, nerr, nchk, nmedia;
static __u64 nevents;
static __u64 lost;	/* ops or updates lost to a full table: map_full */

/*
 * Per-file counters, as the BPF side's files map: DT_FILES files at most,
 * found by open addressing over twice as many slots (one thread reads
 * trace_pipe: no per-CPU copies); an op whose file finds the table full
 * is counted in file_full.
 */
#define NFILE_SLOTS	(2 * DT_FILES)
static struct {
	bool used;
	struct dt_file_key key;
	struct dt_file_val v;
} file_tab[NFILE_SLOTS];
static int nfile;
static __u64 file_full;

static const struct dt_ftrace_cfg *fcfg;
static struct dt_out *fout;
static struct dt_fkernel kern;

static bool idle(const struct fstate *s)
{
	return !s->rw.active && !s->fault.active && !s->da.active && !s->copy.active;
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

static struct dt_file_val *file_row(__u32 dev, __u64 ino)
{
	unsigned int h = (unsigned int)((ino * 0x9e3779b97f4a7c15ULL) >> 32) ^ dev, i;

	if (!fout || !fout->top_files)
		return NULL;
	for (i = 0; i < NFILE_SLOTS; i++) {
		unsigned int k = (h + i) % NFILE_SLOTS;

		if (file_tab[k].used && file_tab[k].key.dev == dev && file_tab[k].key.ino == ino)
			return &file_tab[k].v;
		if (!file_tab[k].used) {
			if (nfile >= DT_FILES)
				break;
			file_tab[k].used = true;
			file_tab[k].key = (struct dt_file_key){ .dev = dev, .ino = ino };
			nfile++;
			return &file_tab[k].v;
		}
	}
	file_full++;
	return NULL;
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
	(*dt_op_counter(st, asked, ret))++;
	st->len_hist[dt_log2_slot(done)]++;
	st->lat_hist[dt_log2_slot(lat)]++;
}

/* Value of an event argument, 0 where it is missing. */
static __u64 arg(const char *args, const char *key)
{
	unsigned long long v = 0;

	dt_targ_u64(args, key, &v);
	return v;
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

/* A character device file's (/dev/daxX.Y) own device, else its filesystem's. */
static __u32 inode_dev(const char *args)
{
	return (arg(args, "mode") & 0170000) == 0020000 ? arg(args, "rdev") :
							   arg(args, "sdev");
}

/*
 * The device a direct_access or copy belongs to: the traced fault's or
 * read/write's around it, else the dax device's own.
 */
static __u32 ctx_dev(struct fstate *s, __u32 daxdev_rdev, __u32 *flags)
{
	if (s->fault.active)
		return s->fault.dev;
	if (s->rw.active)
		return s->rw.dev;
	*flags |= DT_F_NO_CTX;
	return daxdev_rdev;
}

/* ---- dax_iomap_rw ------------------------------------------------------- */

static void rw_entry(struct fstate *s, const struct dt_tline *t,
		     const struct dt_target *tgt)
{
	s->rw.active = true;
	s->rw.op = arg(t->args, "dir") ? DT_OP_WRITE : DT_OP_READ;
	s->rw.dev = inode_dev(t->args);
	s->rw.pos = arg(t->args, "pos");
	s->rw.asked = arg(t->args, "cnt");
	s->rw.ino = arg(t->args, "ino");
	s->rw.isize = arg(t->args, "isize");
	s->rw.shorts = 0;
	s->rw.start = t->ts_ns;
	s->seq++;
	s->last_da.valid = false;
}

static void rw_exit(struct fstate *s, const struct dt_tline *t,
		    const struct dt_target *tgt)
{
	struct dt_event e = {};
	struct dt_file_val *fv;
	__u32 why = 0, v;
	__s64 ret;
	int eof;

	if (!s->rw.active)
		return;
	s->rw.active = false;
	if (!dev_wanted(s->rw.dev))
		return;
	ret = (__s64)arg(t->args, "ret");
	account(stats_get(s->rw.dev, s->rw.op), s->rw.asked, ret, t->ts_ns - s->rw.start);
	v = dt_check_rw(s->rw.op == DT_OP_READ, s->rw.pos, s->rw.asked, ret,
			s->rw.isize, &eof);
	verdict(s->rw.dev, DT_CHK_RW_COMPLETE, v);
	fv = file_row(s->rw.dev, s->rw.ino);
	if (fv)
		dt_file_rw(fv, s->rw.op, ret, s->rw.shorts);
	if (ret < 0) {
		count_error(s->rw.dev, s->rw.op, -ret);
		why |= DT_EV_ERROR;
	} else if (v == DT_FAIL) {
		why |= DT_EV_SHORT | DT_EV_CHECK;
		e.check_fail = 1U << DT_CHK_RW_COMPLETE;
	}
	e.lat_ns = t->ts_ns - s->rw.start;
	e.flags = eof ? DT_F_EOF : 0;
	e.pos = s->rw.pos;
	e.asked = s->rw.asked;
	e.ret = ret;
	e.ino = s->rw.ino;
	e.isize = s->rw.isize;
	e.seq = s->seq;
	emit(&e, t, s->rw.op, s->rw.dev, why);
}

/* ---- dax_direct_access and the drivers' ---------------------------------- */

/* A driver returned inside dax_direct_access: its exit reports it. */
static void drv_exit(struct fstate *s, const struct dt_tline *t,
		     const struct dt_target *tgt)
{
	if (s->da.active) {
		s->da.drv_ret = (__s64)arg(t->args, "ret");
		s->da.drv_seen = true;
	}
}

static void da_entry(struct fstate *s, const struct dt_tline *t,
		     const struct dt_target *tgt)
{
	s->da.active = true;
	s->da.pgoff = arg(t->args, "pgoff");
	s->da.nr = (__s64)arg(t->args, "nr");
	s->da.daxdev = arg(t->args, "rdev");
	s->da.drv_ret = 0;
	s->da.drv_seen = false;
	s->da.start = t->ts_ns;
}

static void da_exit(struct fstate *s, const struct dt_tline *t,
		    const struct dt_target *tgt)
{
	struct dt_event e = {};
	__u32 why = 0, flags = 0, dev, v;
	__s64 ret;

	if (!s->da.active)
		return;
	s->da.active = false;
	dev = ctx_dev(s, s->da.daxdev, &flags);
	if (!dev_wanted(dev))
		return;
	ret = (__s64)arg(t->args, "ret");
	account(stats_get(dev, DT_OP_DIRECT_ACCESS), s->da.nr << DT_PAGE_SHIFT,
		ret > 0 ? ret << DT_PAGE_SHIFT : ret, t->ts_ns - s->da.start);
	v = dt_check_ret_range(ret, s->da.nr);
	if (v == DT_FAIL) {
		e.check_fail |= 1U << DT_CHK_DA_RET_RANGE;
		why |= DT_EV_CHECK;
	}
	verdict(dev, DT_CHK_DA_RET_RANGE, v);
	/* *kaddr / *pfn are out of a kretprobe's reach: not applicable */
	verdict(dev, DT_CHK_DA_KADDR_KERNEL, DT_NA);
	verdict(dev, DT_CHK_DA_KADDR_PFN, DT_NA);
	if (ret < 0) {
		count_error(dev, DT_OP_DIRECT_ACCESS, -ret);
		why |= DT_EV_ERROR;
		if (dt_media_error(ret))
			media(dev, s->da.pgoff);
	}
	s->last_da.valid = ret > 0;
	s->last_da.pgoff = s->da.pgoff;
	s->last_da.ret = ret;
	e.lat_ns = t->ts_ns - s->da.start;
	e.flags = flags | (s->da.drv_seen ? DT_F_DRV : 0);
	e.pos = e.da_pgoff = s->da.pgoff;
	e.asked = s->da.nr;
	e.ret = e.da_ret = ret;
	e.drv_ret = s->da.drv_ret;
	e.seq = s->seq;
	emit(&e, t, DT_OP_DIRECT_ACCESS, dev, why);
}

/* ---- dax_copy_to_iter / dax_copy_from_iter ------------------------------ */

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

/* The user address an iov_iter stands at: ITER_UBUF holds it, ITER_IOVEC an iovec. */
static __u64 iter_user_addr(const char *args)
{
	long ity = (long)arg(args, "ity");
	__u64 off = arg(args, "ioff");

	if (ity == kern.iter_ubuf)
		return arg(args, "ptr") + off;
	if (ity == kern.iter_iovec)
		return arg(args, "ibase") + off;
	return 0;
}

static void copy_entry(struct fstate *s, const struct dt_tline *t,
		       const struct dt_target *tgt)
{
	__u32 op = tgt->ftrace.op;

	s->copy.active = true;
	s->copy.op = op;
	s->copy.pgoff = arg(t->args, "pgoff");
	s->copy.addr = arg(t->args, "addr");
	s->copy.bytes = arg(t->args, "bytes");
	s->copy.daxdev = arg(t->args, "rdev");
	s->copy.variant = dt_copy_variant(op, arg(t->args, "flags"), kern.dd_alive,
				       kern.dd_nocache, kern.dd_nomc);
	s->copy.uaddr = iter_user_addr(t->args);
	s->copy.start = t->ts_ns;
}

static void copy_account(__u32 dev, __u32 op, const struct fstate *s, __u64 ret,
			 __u64 lat, __u32 side)
{
	struct dt_stats *st = stats_get(dev, op);

	account(st, s->copy.bytes, ret, lat);
	if (st) {
		st->variant[s->copy.variant]++;
		if (side)
			st->short_side[side]++;
	}
	verdict(dev, DT_CHK_COPY_COMPLETE, dt_check_copy(s->copy.bytes, ret));
}

static void copy_exit(struct fstate *s, const struct dt_tline *t,
		      const struct dt_target *tgt)
{
	struct dt_event e = {};
	__u32 why = 0, flags = 0, side = DT_SIDE_NONE, dev, op = s->copy.op;
	__u64 ret;

	if (!s->copy.active)
		return;
	s->copy.active = false;
	dev = ctx_dev(s, s->copy.daxdev, &flags);
	if (!dev_wanted(dev))
		return;
	ret = arg(t->args, "ret");
	if (ret < s->copy.bytes) {
		why = DT_EV_SHORT | DT_EV_CHECK;
		e.check_fail = 1U << DT_CHK_COPY_COMPLETE;
		e.user_addr = s->copy.uaddr ? s->copy.uaddr + ret : 0;
		side = s->copy.uaddr ? user_side(t->pid, e.user_addr, op) : DT_SIDE_UNKNOWN;
		if (s->copy.uaddr)
			flags |= DT_F_UADDR;
		/* its read/write's file row takes it at that op's exit */
		if (s->rw.active)
			s->rw.shorts++;
	}
	/* no kaddr here: tie the copy to a direct_access by page range */
	if (s->last_da.valid && s->copy.pgoff >= s->last_da.pgoff &&
	    s->copy.pgoff < s->last_da.pgoff + (__u64)s->last_da.ret) {
		flags |= DT_F_DA_LINKED;
		e.da_pgoff = s->last_da.pgoff;
		e.da_ret = s->last_da.ret;
		e.kaddr = (s->copy.addr & ~0xfffULL) - ((s->copy.pgoff - s->last_da.pgoff) << DT_PAGE_SHIFT);
	}
	copy_account(dev, op, s, ret, t->ts_ns - s->copy.start, side);
	e.lat_ns = t->ts_ns - s->copy.start;
	e.flags = flags;
	e.pos = s->copy.pgoff;
	e.asked = s->copy.bytes;
	e.ret = ret;
	e.addr = s->copy.addr;
	e.variant = s->copy.variant;
	e.side = side;
	e.seq = s->seq;
	emit(&e, t, op, dev, why);
}

/* ---- faults -------------------------------------------------------------- */

/*
 * A fault ended: its kprobe exit, or its tracepoint (no latency, no seq,
 * no geom: fault.size n/a).
 */
struct fault_end {
	__u32 dev, size, ret, seq;
	__u64 pgoff, ino, lat;
	bool lat_ok;
	bool file;	/* ino is a file's, not device-dax's character device */
	const struct dt_fault_geom *geom;
};

static void fault_account(const struct fault_end *f)
{
	__u32 res = dt_fault_result(f->ret);
	__u64 mapped = dt_fault_mapped(res, f->size);
	struct dt_stats *st = stats_get(f->dev, DT_OP_FAULT);

	if (!st)
		return;
	st->bytes_req += dt_fault_asked(res, f->size);
	if (f->lat_ok) {
		st->lat_sum_ns += f->lat;
		st->lat_hist[dt_log2_slot(f->lat)]++;
	}
	(*dt_fault_counter(st, res, f->size))++;
	if (res == DT_FAULT_RES_DONE) {
		st->bytes_done += mapped;
		st->len_hist[dt_log2_slot(mapped)]++;
	}
}

static void fault_done(const struct dt_tline *t, const struct fault_end *f)
{
	struct dt_event e = {};
	struct dt_file_val *fv;
	__u32 why = 0, v = DT_NA;

	if (!dev_wanted(f->dev))
		return;
	fault_account(f);
	fv = f->file ? file_row(f->dev, f->ino) : NULL;
	if (fv)
		dt_file_fault(fv, f->size, f->ret);
	if (f->ret & DT_VMF_ERROR) {
		count_error(f->dev, DT_OP_FAULT, f->ret & DT_VMF_ERROR);
		why |= DT_EV_ERROR;
	}
	e.lat_ns = f->lat;
	e.flags = (f->ret & DT_VMF_FALLBACK ? DT_F_FALLBACK : 0) |
		  (f->lat_ok ? 0 : DT_F_NO_LAT);
	e.pos = f->pgoff << DT_PAGE_SHIFT;
	e.asked = dt_fault_bytes(f->size);
	e.ret = f->ret;
	e.ino = f->ino;
	e.fault_size = f->size;
	e.seq = f->seq;
	if (f->geom) {
		v = dt_fault_size_verdict(f->geom, f->size, f->ret, &e.best, &e.size_why);
		e.flags |= DT_F_FSZ;
		e.vm_start = f->geom->vm_start;
		e.vm_end = f->geom->vm_end;
		e.address = f->geom->address;
	}
	verdict(f->dev, DT_CHK_FAULT_SIZE, v);
	if (v == DT_FAIL) {
		e.check_fail = 1U << DT_CHK_FAULT_SIZE;
		why |= DT_EV_CHECK;
	}
	emit(&e, t, DT_OP_FAULT, f->dev, why);
}

static __u64 devdax_align(__u32 dev)
{
	int i;

	for (i = 0; i < kern.ndevdax; i++)
		if (kern.devdax[i] == dev)
			return kern.devdax_align[i];
	return 0;
}

/* fault.size's inputs from the entry's fetches; false where not fetched. */
static bool fault_geom(struct fstate *s, const char *args)
{
	struct dt_fault_geom *g = &s->fault.geom;
	unsigned long long vs;
	__u64 vma, pmd = 0;

	if (dt_targ_u64(args, "vs", &vs))
		return false;
	g->vm_start = vs;
	g->vm_end = arg(args, "ve");
	g->address = arg(args, "addr");
	g->pgoff = s->fault.pgoff;
	/* device-dax's rule is its character device's: not fs-dax on it (fsdev) */
	g->dev_align = (arg(args, "mode") & 0170000) == 0020000 ?
		       devdax_align(s->fault.dev) : 0;
	g->isize = g->dev_align ? 0 : arg(args, "isz");
	g->cow = (arg(args, "ff") & DT_FAULT_FLAG_WRITE) &&
		 !(arg(args, "vf") & DT_VM_SHARED);
	g->nohuge = !!(arg(args, "vf") & DT_VM_NOHUGEPAGE);
	g->thp_off = !!(arg(args, "mmf") & DT_MMF_DISABLE_THP);
	if (s->fault.size == DT_FAULT_PTE)
		pmd = arg(args, "pmd");
	/* the VMA's own address is not fetched: its start stands in for it */
	vma = g->vm_start;
	dt_fault_blocked(g, s->fault.size, pmd, vma, s->fault.fb_vma,
			 s->fault.fb_start, s->fault.fb_size);
	s->fault.fb_vma = vma;
	return true;
}

static void fault_entry(struct fstate *s, const struct dt_tline *t,
			const struct dt_target *tgt)
{
	s->fault.active = true;
	s->fault.dev = inode_dev(t->args);
	s->fault.pgoff = arg(t->args, "pgoff");
	s->fault.ino = arg(t->args, "ino");
	s->fault.chr = (arg(t->args, "mode") & 0170000) == 0020000;
	s->fault.size = dt_fault_size(arg(t->args, "pe"));
	s->fault.geom_ok = fault_geom(s, t->args);
	s->fault.start = t->ts_ns;
	s->seq++;
}

/* Remember a fallback: the smaller fault after it at that place is its sequel. */
static void fault_fell(struct fstate *s, __u32 ret)
{
	__u64 bytes = dt_fault_bytes(s->fault.size);

	if (dt_fault_result(ret) != DT_FAULT_RES_FALLBACK) {
		s->fault.fb_size = 0;
		return;
	}
	s->fault.fb_size = s->fault.size;
	s->fault.fb_start = s->fault.geom.address & ~(bytes - 1);
}

static void fault_exit(struct fstate *s, const struct dt_tline *t,
		       const struct dt_target *tgt)
{
	struct fault_end f = {
		.dev = s->fault.dev, .size = s->fault.size, .ret = arg(t->args, "ret"),
		.seq = s->seq, .pgoff = s->fault.pgoff, .ino = s->fault.ino,
		.lat = t->ts_ns - s->fault.start, .lat_ok = true,
		.file = !s->fault.chr, .geom = s->fault.geom_ok ? &s->fault.geom : NULL,
	};

	if (!s->fault.active)
		return;
	s->fault.active = false;
	fault_done(t, &f);
	if (s->fault.geom_ok)
		fault_fell(s, f.ret);
}

/*
 * The names fs_dax's tracepoints print for the VM_FAULT bits daxtrace
 * reads (VM_FAULT_RESULT_TRACE, include/linux/mm_types.h), whole words:
 * HWPOISON is not HWPOISON_LARGE.
 */
static const struct {
	const char *name;
	__u32 bit;
} vmf_names[] = {
	{ "OOM", DT_VMF_OOM },
	{ "SIGBUS", DT_VMF_SIGBUS },
	{ "HWPOISON", DT_VMF_HWPOISON },
	{ "HWPOISON_LARGE", DT_VMF_HWPOISON_LARGE },
	{ "SIGSEGV", DT_VMF_SIGSEGV },
	{ "FALLBACK", DT_VMF_FALLBACK },
};

static __u32 vmf_bit(const char *word, size_t n)
{
	unsigned int i;

	for (i = 0; i < sizeof(vmf_names) / sizeof(vmf_names[0]); i++)
		if (strlen(vmf_names[i].name) == n && !strncmp(word, vmf_names[i].name, n))
			return vmf_names[i].bit;
	return 0;
}

/* The result, the last field: "NOPAGE", "SIGBUS", "NOPAGE|FALLBACK"... */
static __u32 vm_fault_bits(const char *args)
{
	const char *p = strrchr(args, ' ');
	__u32 ret = 0;
	size_t n;

	for (p = p ? p + 1 : args; *p; p += n + (p[n] == '|')) {
		n = strcspn(p, "|");
		ret |= vmf_bit(p, n);
	}
	return ret;
}

/*
 * fs_dax:dax_{pte,pmd}_fault_done, the row's tp_event[index]: index is
 * the size (DT_FAULT_PTE, DT_FAULT_PMD).
 * " dev 259:1 ino 0xc ... pgoff 0x3 ... NOPAGE"
 */
static void fault_tp(const struct dt_tline *t, int index)
{
	unsigned int maj, min;
	unsigned long long ino = 0, pgoff = 0;
	struct fault_end f = { .size = index, .file = true };
	const char *p;

	if (sscanf(t->args, " dev %u:%u ino %llx", &maj, &min, &ino) < 2)
		return;
	p = strstr(t->args, "pgoff ");
	if (p)
		sscanf(p + 6, "%llx", &pgoff);
	f.dev = dt_kdev(maj, min);
	f.ret = vm_fault_bits(t->args);
	f.pgoff = pgoff;
	f.ino = ino;
	fault_done(t, &f);
}

/* ---- dispatch ------------------------------------------------------------ */

typedef void handler_fn(struct fstate *s, const struct dt_tline *t,
			const struct dt_target *tgt);

/* The handlers of each kind of row (struct dt_fevent): one per meaning. */
static const struct {
	handler_fn *entry, *exit;
	void (*tp)(const struct dt_tline *t, int index);
} kinds[] = {
	[DT_FEV_RW] = { rw_entry, rw_exit },
	[DT_FEV_DA] = { da_entry, da_exit },
	[DT_FEV_DRV] = { NULL, drv_exit },
	[DT_FEV_COPY] = { copy_entry, copy_exit },
	[DT_FEV_FAULT] = { fault_entry, fault_exit, fault_tp },
};

void dt_fh_line(char *line)
{
	struct dt_fev_hit h;
	struct dt_tline t;
	struct fstate *s;
	handler_fn *fn;

	/* -c is filtered by the kernel (see enable_event()) */
	if (dt_tline_parse(line, &t) || dt_fev_lookup(t.event, &h))
		return;
	if (h.t->ftrace.kind >= sizeof(kinds) / sizeof(kinds[0]))
		return;
	if (h.tp) {
		if (kinds[h.t->ftrace.kind].tp)
			kinds[h.t->ftrace.kind].tp(&t, h.slot);
		return;
	}
	fn = h.slot == DT_P_ENTRY ? kinds[h.t->ftrace.kind].entry :
				    kinds[h.t->ftrace.kind].exit;
	if (!fn)
		return;
	/* entries create the thread's state; exits only find it */
	s = state(t.pid, h.slot == DT_P_ENTRY);
	if (s)
		fn(s, &t, h.t);
}

void dt_fh_tables(struct dt_snapshot *s)
{
	int i;

	for (i = 0; i < nst; i++)
		st_tab[i].st.calls = dt_stats_calls(&st_tab[i].st);
	*s = (struct dt_snapshot){
		.stats = st_tab, .nstats = nst, .errs = err_tab, .nerrs = nerr,
		.chks = chk_tab, .nchks = nchk, .media = media_tab, .nmedia = nmedia,
		.events = nevents,
	};
	s->bpf.map_full = lost;
	s->bpf.file_full = file_full;
	s->files_counted = nfile;
	s->files_known = fout && fout->top_files;
	/* the files are the snapshot's own: dt_snapshot_top_files() trims them */
	s->files = nfile ? calloc(nfile, sizeof(*s->files)) : NULL;
	for (i = 0; s->files && i < NFILE_SLOTS; i++) {
		if (!file_tab[i].used)
			continue;
		s->files[s->nfiles].key = file_tab[i].key;
		s->files[s->nfiles++].v = file_tab[i].v;
	}
	dt_snapshot_sort(s);
}

void dt_fh_start(const struct dt_ftrace_cfg *cfg, struct dt_out *out,
		 const struct dt_fkernel *k)
{
	fcfg = cfg;
	fout = out;
	kern = *k;
}

void dt_fh_reset(void)
{
	memset(states, 0, sizeof(states));
	nst = nerr = nchk = nmedia = 0;
	memset(st_tab, 0, sizeof(st_tab));
	memset(err_tab, 0, sizeof(err_tab));
	memset(chk_tab, 0, sizeof(chk_tab));
	memset(media_tab, 0, sizeof(media_tab));
	nevents = 0;
	lost = 0;
	memset(file_tab, 0, sizeof(file_tab));
	nfile = 0;
	file_full = 0;
}
