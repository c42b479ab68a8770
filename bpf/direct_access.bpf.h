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

/* The driver's side: its return, for the direct_access exit after it. */
static __always_inline int drv_exit(__u64 daxdev, __u64 pgoff, __s64 ret)
{
	struct drv_seen *d;
	__u32 zero = 0;

	d = bpf_map_lookup_elem(&drv_seen, &zero);
	if (d) {
		d->task = bpf_get_current_task();
		d->daxdev = daxdev;
		d->pgoff = pgoff;
		d->ret = ret;
	}
	return 0;
}

/*
 * Inlined into each exit: a call costs more per read than verifying this
 * body once per place its thread state can come from costs at load. What
 * was read and which checks failed go through ts and reload_unknown(): as
 * constants they would keep the ways here apart down to the end.
 */
static __always_inline int da_done(struct tstate *ts, const struct da_call *c,
				   __s64 ret, __u64 lat, __u32 lat_ok)
{
	__u32 why = 0, chk = 0, flags = 0, got = 0, v, zero = 0;
	__u64 kaddr = 0, pfn = 0;
	struct drv_seen *drv;
	__s64 drv_ret = 0;
	struct dt_stats *st;
	struct dt_event *e;
	struct where w;

	if (!ts || !c)
		return 0;
	op_where(ts, c->daxdev, &flags, &w);
	if (!w.wanted)
		return 0;
	if (ret > 0 && c->kaddrp &&
	    !bpf_probe_read_kernel(&kaddr, sizeof(kaddr), (void *)c->kaddrp))
		got |= DT_F_KADDR;
	/* the read/write path passes no pfn: faults do */
	if (ret > 0 && c->pfnp &&
	    !bpf_probe_read_kernel(&pfn, sizeof(pfn), (void *)c->pfnp))
		got |= DT_F_PFN;
	ts->last_da.read_flags = got;
	got = reload_unknown(&ts->last_da.read_flags);

	st = stats_at(w.slot, DT_OP_DIRECT_ACCESS);
	if (st)
		account(ts, st, c->nr << DT_PAGE_SHIFT,
			ret > 0 ? ret << DT_PAGE_SHIFT : ret, lat, lat_ok);

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

	ts->last_da.valid = ret > 0;
	ts->last_da.pgoff = c->pgoff;
	ts->last_da.ret = ret;
	ts->last_da.kaddr = kaddr;
	ts->last_da.pfn = pfn;

	if (snoop)
		why |= DT_EV_SNOOP;
	/*
	 * The driver's raw return, for the event only: if its exit ran on
	 * this CPU for this task (and, where it could name it, for this
	 * call). Every call clears it, so a call whose driver never ran
	 * (dax_direct_access failed first) cannot take an earlier one's.
	 */
	drv = bpf_map_lookup_elem(&drv_seen, &zero);
	if (drv && why && drv->task == bpf_get_current_task() &&
	    (!drv->daxdev ||
	     (drv->daxdev == c->daxdev && drv->pgoff == c->pgoff))) {
		drv_ret = drv->ret;
		got |= DT_F_DRV;
	}
	if (drv)
		drv->task = 0;
	if (!why)
		return 0;
	e = ev_new(DT_OP_DIRECT_ACCESS, w.dev, why);
	if (!e)
		return 0;
	e->lat_ns = lat;
	e->check_fail = chk;
	e->flags = flags | got | (lat_ok ? 0 : DT_F_NO_LAT);
	e->pos = c->pgoff;
	e->asked = c->nr;
	e->ret = ret;
	e->da_pgoff = c->pgoff;
	e->da_ret = ret;
	e->drv_ret = drv_ret;
	e->kaddr = kaddr;
	e->pfn = pfn;
	e->seq = ts->seq;
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* Entering: the start time (fentry: --deep only), kprobes the arguments. */
static __always_inline struct tstate *da_entry(void)
{
	struct tstate *ts = ts_inner();

	if (!ts)
		return NULL;
	ts->da.active = 1;
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

	if (!ts)
		return 0;
	lat_ok = deep_entries && took_start(&ts->da.active, ts->da.start_ns, &lat);
	bpf_get_func_arg(ctx, 4, &kaddrp);
	c.daxdev = (__u64)dd;
	c.pgoff = pgoff;
	c.nr = nr_pages;
	c.kaddrp = kaddrp;
	c.pfnp = (__u64)pfn;
	da_done(ts, &c, ret, lat, lat_ok);
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
	da_done(ts, &ts->da.call, ret, lat, true);
	return 0;
}

#endif /* __DT_DIRECT_ACCESS_BPF_H */
