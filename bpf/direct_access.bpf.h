/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dax_direct_access, and the drivers' ->direct_access it calls: where the
 * device says the pages are, and the checks of that answer.
 */
#ifndef __DT_DIRECT_ACCESS_BPF_H
#define __DT_DIRECT_ACCESS_BPF_H

#include "core.bpf.h"
#include "account.bpf.h"

/* Read once: page_offset_base does not move after boot. */
static __u64 page_offset_base_cached;

static __always_inline __u32 check_kaddr_pfn(__u64 kaddr, __u64 pfn)
{
	__u64 pob = page_offset_base_cached;

	if (!pob && page_offset_base_addr) {
		bpf_probe_read_kernel(&pob, sizeof(pob),
				      (void *)page_offset_base_addr);
		page_offset_base_cached = pob;
	}
	return dt_check_kaddr_pfn(pob, direct_map_max, kaddr, pfn);
}

static __always_inline void count_media_error(__u32 dev, __u64 pgoff)
{
	struct dt_media_key mk = { .dev = dev, .pgoff = pgoff };
	__u64 one = 1, *n;

	n = bpf_map_lookup_elem(&media_errors, &mk);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&media_errors, &mk, &one, BPF_ANY);
}

/*
 * The driver's side: its return, for the direct_access exit after it.
 * Kept in the thread's state, which that exit looks up anyway: a per-CPU
 * slot cost a map look-up on each side, and lost the value to a
 * preemption in between.
 */
static __always_inline int drv_exit(__u64 daxdev, __u64 pgoff, __s64 ret)
{
	/* inside an op the thread has its state: no claim here */
	struct tstate *ts = ts_get();

	if (!ts)
		return 0;
	ts->drv.daxdev = daxdev;
	ts->drv.pgoff = pgoff;
	ts->drv.ret = ret;
	ts->drv.seen = 1;
	return 0;
}

/*
 * Inside a read or write (not a fault: it asks a pfn too), the kaddr is
 * judged at the copy that uses it, whose addr argument is that kaddr
 * plus pos's offset into the page: a plain argument, where reading the
 * kaddr through this function's void ** costs a helper call per read.
 * Only a call that returned what it was asked for waits: any other sends
 * its event here, kaddr and all. The read/write path always asks for a
 * kaddr (dax_iomap_iter).
 */
static __always_inline __u32 kaddr_at(struct tstate *ts, __s64 nr, __u64 pfnp,
				      __s64 ret)
{
	return kaddr_later && !pfnp && dt_check_ret_range(ret, nr) == DT_PASS &&
	       ret > 0 && ts->rw.active && !ts->fault.active ?
	       DA_KADDR_WAIT : DA_KADDR_HERE;
}

/*
 * A kaddr left for a copy that did not come (a recovery write, a failed
 * copy-around): not judged, n/a. Rare, and written where another
 * program's exit could be counting into the same entry: an atomic add.
 * Global, as the other rare paths: verified once, not in every exit.
 */
__noinline int kaddr_unjudged(struct tstate *ts)
{
	struct dt_stats *st;

	if (!ts)
		return 0;
	ts->last_da.kaddr_at = DA_KADDR_HERE;
	st = stats_at(ts->last_da.slot, DT_OP_DIRECT_ACCESS);
	if (st)
		__sync_fetch_and_add(&st->chk[DT_CHK_DA_KADDR_KERNEL][DT_NA], 1);
	return 0;
}

/* The event of the direct_access last_da holds. */
static __always_inline void da_send(struct tstate *ts, __u32 dev, __u32 why,
				    __u32 chk, __u32 flags, __u64 lat,
				    __s64 drv_ret)
{
	struct dt_event *e = ev_new(DT_OP_DIRECT_ACCESS, dev, why);

	if (!e)
		return;
	e->lat_ns = lat;
	e->check_fail = chk;
	e->flags = flags;
	e->pos = ts->last_da.pgoff;
	e->asked = ts->last_da.nr;
	e->ret = ts->last_da.ret;
	e->da_pgoff = ts->last_da.pgoff;
	e->da_ret = ts->last_da.ret;
	e->drv_ret = drv_ret;
	e->kaddr = ts->last_da.kaddr;
	e->pfn = ts->last_da.pfn;
	e->seq = ts->seq;
	bpf_ringbuf_submit(e, 0);
}

/*
 * The driver's raw return, for an event only: if its exit ran (and, where
 * it could name it, for this call).
 */
static __always_inline __u32 drv_take(struct tstate *ts, __u32 seen,
				      __u64 daxdev, __u64 pgoff, __s64 *ret)
{
	if (!seen || (ts->drv.daxdev &&
		      (ts->drv.daxdev != daxdev || ts->drv.pgoff != pgoff)))
		return 0;
	*ret = ts->drv.ret;
	return DT_F_DRV;
}

/* What the next copy, a late verdict or an event needs of this call. */
static __always_inline void da_keep(struct tstate *ts, const struct da_call *c,
				    __s64 ret, __s32 slot, __u64 kaddr, __u64 pfn)
{
	ts->last_da.valid = ret > 0;
	ts->last_da.daxdev = c->daxdev;
	ts->last_da.pgoff = c->pgoff;
	ts->last_da.nr = c->nr;
	ts->last_da.ret = ret;
	ts->last_da.kaddr = kaddr;
	ts->last_da.pfn = pfn;
	ts->last_da.slot = slot;
}

static __always_inline struct dt_stats *da_account(struct tstate *ts,
						   const struct da_call *c,
						   __s64 ret, __s32 slot,
						   __u64 lat, __u32 lat_ok)
{
	struct dt_stats *st = stats_at(slot, DT_OP_DIRECT_ACCESS);

	if (st)
		account(ts, st, c->nr << DT_PAGE_SHIFT,
			ret > 0 ? ret << DT_PAGE_SHIFT : ret, lat, lat_ok);
	return st;
}

/*
 * A call that left its kaddr to its copy (kaddr_at()) returned the pages
 * it asked for and no pfn was asked: ret_range passes and kaddr_pfn is
 * n/a, both usual verdicts, not counted. Nothing to judge or send here.
 */
static __always_inline void da_wait(struct tstate *ts, const struct da_call *c,
				    __s64 ret, __s32 slot, __u64 lat, __u32 lat_ok)
{
	da_account(ts, c, ret, slot, lat, lat_ok);
	ts->last_da.kaddr_at = DA_KADDR_WAIT;
	ts->last_da.failed_checks = 0;
	ts->last_da.read_flags = 0;
	da_keep(ts, c, ret, slot, 0, 0);
	/* its copy may send its event: what only this exit knows */
	ts->last_da.lat = lat;
	ts->last_da.lat_flag = lat_ok ? 0 : DT_F_NO_LAT;
}

/*
 * Inlined into each exit: a call costs more per read than verifying this
 * body once per place its thread state can come from costs at load. What
 * was read and which checks failed go through ts and reload_unknown(): as
 * constants they would keep the ways here apart down to the end.
 */
static __always_inline int da_done(struct tstate *ts, const struct da_call *c,
				   __s64 ret, __u64 lat, __u32 lat_ok, __u32 at)
{
	__u32 why = 0, chk = 0, flags = 0, got = 0, drv_seen, v;
	__u64 kaddr = 0, pfn = 0;
	__s64 drv_ret = 0;
	struct dt_stats *st;
	struct where w;

	if (!ts || !c)
		return 0;
	if (ts->last_da.kaddr_at == DA_KADDR_WAIT)
		kaddr_unjudged(ts);
	op_where(ts, c->daxdev, &flags, &w);
	if (!w.wanted) {
		ts->drv.seen = 0;
		return 0;
	}
	/* the driver's stays for the copy, which may send this call's event */
	if (at == DA_KADDR_WAIT) {
		da_wait(ts, c, ret, w.slot, lat, lat_ok);
		return 0;
	}
	/* the driver's, taken by this call or by none */
	drv_seen = ts->drv.seen;
	ts->drv.seen = 0;
	ts->last_da.kaddr_at = at;
	if (ret > 0 && c->kaddrp &&
	    !bpf_probe_read_kernel(&kaddr, sizeof(kaddr), (void *)c->kaddrp))
		got |= DT_F_KADDR;
	/* the read/write path passes no pfn: faults do */
	if (ret > 0 && c->pfnp &&
	    !bpf_probe_read_kernel(&pfn, sizeof(pfn), (void *)c->pfnp))
		got |= DT_F_PFN;
	ts->last_da.read_flags = got;
	got = reload_unknown(&ts->last_da.read_flags);

	st = da_account(ts, c, ret, w.slot, lat, lat_ok);

	ts->last_da.failed_checks = 0;
	/* direct_access.ret_range */
	v = dt_check_ret_range(ret, c->nr);
	if (v == DT_FAIL)
		ts->last_da.failed_checks |= 1U << DT_CHK_DA_RET_RANGE;
	verdict(st, DT_CHK_DA_RET_RANGE, v);

	/* the RFC's driver returned a physical address as kaddr */
	/* a kaddr that could not be read is no verdict */
	v = dt_check_kaddr_kernel(got & DT_F_KADDR, ret, kaddr, kernel_half);
	if (v == DT_FAIL)
		ts->last_da.failed_checks |= 1U << DT_CHK_DA_KADDR_KERNEL;
	verdict(st, DT_CHK_DA_KADDR_KERNEL, v);

	/* direct_access.kaddr_pfn */
	v = DT_NA;
	if ((got & DT_F_KADDR) && (got & DT_F_PFN)) {
		v = check_kaddr_pfn(kaddr, pfn);
		if (v == DT_FAIL)
			ts->last_da.failed_checks |= 1U << DT_CHK_DA_KADDR_PFN;
	}
	verdict(st, DT_CHK_DA_KADDR_PFN, v);

	if (ret < 0) {
		count_error(w.dev, DT_OP_DIRECT_ACCESS, -ret);
		why |= DT_EV_ERROR;
		if (dt_media_error(ret))
			count_media_error(w.dev, c->pgoff);
	}
	/* fewer pages than asked is normal (end of a range): counted, not shown */
	chk = reload_unknown(&ts->last_da.failed_checks);
	if (chk)
		why |= DT_EV_CHECK;
	da_keep(ts, c, ret, w.slot, kaddr, pfn);

	if (snoop)
		why |= DT_EV_SNOOP;
	if (!why)
		return 0;
	got |= drv_take(ts, drv_seen, c->daxdev, c->pgoff, &drv_ret);
	da_send(ts, w.dev, why, chk, flags | got | (lat_ok ? 0 : DT_F_NO_LAT), lat,
		drv_ret);
	return 0;
}

/* Entering: the start time if timed (fentry: --deep only), kprobes the arguments. */
static __always_inline struct tstate *da_entry(void)
{
	struct tstate *ts = ts_inner();

	if (!ts)
		return NULL;
	ts->da.active = 1;
	if (timed)
		ts->da.start_ns = now();
	return ts;
}

/*
 * fexit sees every argument, so no entry program is needed but for the
 * latency. The verifier refuses a direct read of the void **kaddr
 * argument ("arg4 type PTR is not a struct"): that one alone comes
 * through bpf_get_func_arg(), a dozen instructions where a direct read
 * is one.
 */
static __always_inline int da_fexit(void *ctx, struct dax_device *dd,
				    unsigned long pgoff, long nr_pages,
				    pfn_t *pfn, long ret)
{
	struct tstate *ts = ts_inner();
	__u64 kaddrp = 0, lat = 0;
	struct da_call c;
	bool lat_ok;
	__u32 at;

	if (!ts)
		return 0;
	lat_ok = deep_entries && took_start(&ts->da.active, ts->da.start_ns, &lat);
	at = kaddr_at(ts, nr_pages, (__u64)pfn, ret);
	if (at == DA_KADDR_HERE)
		bpf_get_func_arg(ctx, 4, &kaddrp);
	c.daxdev = (__u64)dd;
	c.pgoff = pgoff;
	c.nr = nr_pages;
	c.kaddrp = kaddrp;
	c.pfnp = (__u64)pfn;
	da_done(ts, &c, ret, lat, lat_ok, at);
	return 0;
}

/* BPF_KPROBE stops at five arguments; pfn is the sixth (%r9 on x86-64). */
static __always_inline int da_kprobe(struct pt_regs *ctx)
{
	struct tstate *ts = da_entry();

	if (!ts)
		return 0;
	ts->da.call.daxdev = PT_REGS_PARM1(ctx);
	ts->da.call.pgoff = PT_REGS_PARM2(ctx);
	ts->da.call.nr = PT_REGS_PARM3(ctx);
	ts->da.call.kaddrp = PT_REGS_PARM5(ctx);
	ts->da.call.pfnp = ctx->r9;
	return 0;
}

static __always_inline int da_kretprobe(long ret)
{
	struct tstate *ts = ts_get();
	__u64 lat = 0;

	if (!ts || !took_start(&ts->da.active, ts->da.start_ns, &lat))
		return 0;
	da_done(ts, &ts->da.call, ret, lat, timed,
		kaddr_at(ts, ts->da.call.nr, ts->da.call.pfnp, ret));
	return 0;
}

#endif /* __DT_DIRECT_ACCESS_BPF_H */
