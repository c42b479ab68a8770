// SPDX-License-Identifier: GPL-2.0
/*
 * The target table. Each row names its programs through the skeleton
 * (DT_PROG), its ftrace event handler and its tracepoint fallback; the
 * methods a target may use are those it has programs for.
 */
#include "targets.h"
#include "dax_trace.skel.h"

const struct dt_target dt_targets[DT_NTARGETS] = {
	[DT_TGT_RW] = {
		.func = "dax_iomap_rw",
		.fentry = { DT_PROG(fe_rw), DT_PROG(fx_rw) },
		.kprobe = { DT_PROG(kp_rw), DT_PROG(kr_rw) },
		.ftrace = { DT_FEV_RW, "rw" },
		.flags = DT_T_TEL,
		.tel_fentry = { DT_PROG(fe_rw_t), DT_PROG(fx_rw_t) },
		.tel_kprobe = { DT_PROG(kp_rw_t), DT_PROG(kr_rw_t) },
	},
	[DT_TGT_ITER] = {
		.func = "dax_iomap_iter",
		.fentry = { DT_PROG(fe_iter), DT_PROG(fx_iter) },
		.kprobe = { DT_PROG(kp_iter), DT_PROG(kr_iter) },
		.tp = { DT_PROG(rt_iomap_iter) },
		.tp_event = { "raw:iomap_iter" },
		.flags = DT_T_TP_DEEP,
		.tel_unseen = "iomap iterations (iter.progress)",
	},
	[DT_TGT_DA] = {
		.func = "dax_direct_access",
		.fentry = { DT_PROG(fe_da), DT_PROG(fx_da) },
		.kprobe = { DT_PROG(kp_da), DT_PROG(kr_da) },
		.ftrace = { DT_FEV_DA, "da" },
		.flags = DT_T_LAT_DEEP,
		.tel_unseen = "direct_access: its calls and errors as such, media errors by offset, the kaddr checks",
	},
	/* the drivers: only the return matters, for the da exit after it */
	[DT_TGT_DRV_PMEM] = {
		.func = "pmem_dax_direct_access",
		.fentry = { [DT_P_EXIT] = DT_PROG(fx_drv_pmem) },
		.kprobe = { [DT_P_EXIT] = DT_PROG(kr_drv_pmem) },
		.ftrace = { DT_FEV_DRV, "drv" },
		.flags = DT_T_DRIVER,
		.tel_unseen = "the driver's own direct_access return",
	},
	[DT_TGT_DRV_FSDEV] = {
		.func = "fsdev_dax_direct_access",
		.fentry = { [DT_P_EXIT] = DT_PROG(fx_drv_fsdev) },
		.kprobe = { [DT_P_EXIT] = DT_PROG(kr_drv_fsdev) },
		.ftrace = { DT_FEV_DRV, "drv" },
		.flags = DT_T_DRIVER,
		.tel_unseen = "the driver's own direct_access return",
	},
	[DT_TGT_DRV_DEVDAX] = {
		.func = "dev_dax_direct_access",
		.fentry = { [DT_P_EXIT] = DT_PROG(fx_drv_devdax) },
		.kprobe = { [DT_P_EXIT] = DT_PROG(kr_drv_devdax) },
		.ftrace = { DT_FEV_DRV, "drv" },
		.flags = DT_T_DRIVER,
		.tel_unseen = "the driver's own direct_access return",
	},
	[DT_TGT_COPY_TO] = {
		.func = "dax_copy_to_iter",
		.fentry = { DT_PROG(fe_copy_to), DT_PROG(fx_copy_to) },
		.kprobe = { DT_PROG(kp_copy_to), DT_PROG(kr_copy_to) },
		.ftrace = { DT_FEV_COPY, "cti", DT_OP_COPY_TO_ITER },
		.flags = DT_T_LAT_DEEP,
		.tel_unseen = "copies to the user: copy variants, short copies and their side (copy.complete)",
	},
	[DT_TGT_COPY_FROM] = {
		.func = "dax_copy_from_iter",
		.fentry = { DT_PROG(fe_copy_from), DT_PROG(fx_copy_from) },
		.kprobe = { DT_PROG(kp_copy_from), DT_PROG(kr_copy_from) },
		.ftrace = { DT_FEV_COPY, "cfi", DT_OP_COPY_FROM_ITER },
		.flags = DT_T_LAT_DEEP,
		.tel_unseen = "copies from the user: copy variants, short copies and their side (copy.complete)",
	},
	/* --deep: which copy routine ran, seen from its return */
	[DT_TGT_VAR_COPY] = {
		.func = "_copy_to_iter",
		.fentry = { [DT_P_EXIT] = DT_PROG(fx_var_copy) },
		.kprobe = { [DT_P_EXIT] = DT_PROG(kr_var_copy) },
		.flags = DT_T_DEEP,
	},
	[DT_TGT_VAR_COPY_MC] = {
		.func = "_copy_mc_to_iter",
		.fentry = { [DT_P_EXIT] = DT_PROG(fx_var_copy_mc) },
		.kprobe = { [DT_P_EXIT] = DT_PROG(kr_var_copy_mc) },
		.flags = DT_T_DEEP,
	},
	[DT_TGT_VAR_MC_USER] = {
		.func = "copy_mc_to_user",
		.fentry = { [DT_P_EXIT] = DT_PROG(fx_var_mc_user) },
		.kprobe = { [DT_P_EXIT] = DT_PROG(kr_var_mc_user) },
		.flags = DT_T_DEEP,
	},
	[DT_TGT_FAULT] = {
		.func = "dax_iomap_fault",
		.fentry = { DT_PROG(fe_fault), DT_PROG(fx_fault) },
		.kprobe = { DT_PROG(kp_fault), DT_PROG(kr_fault) },
		.tp = { DT_PROG(tp_pte_done), DT_PROG(tp_pmd_done) },
		.tp_event = { "fs_dax/dax_pte_fault_done", "fs_dax/dax_pmd_fault_done" },
		.ftrace = { DT_FEV_FAULT, "flt",
			    .tp_note = "ftrace fs_dax:dax_{pte,pmd}_fault_done" },
		.flags = DT_T_TEL,
		.tel_fentry = { [DT_P_EXIT] = DT_PROG(fx_fault_t) },
	},
	[DT_TGT_DEVFAULT] = {
		.func = "dev_dax_huge_fault",
		.fentry = { DT_PROG(fe_devfault), DT_PROG(fx_devfault) },
		.kprobe = { DT_PROG(kp_devfault), DT_PROG(kr_devfault) },
		.ftrace = { DT_FEV_FAULT, "dflt" },
		.flags = DT_T_TEL,
		.tel_fentry = { [DT_P_EXIT] = DT_PROG(fx_devfault_t) },
	},
	[DT_TGT_FAMFS_BEGIN] = {
		.func = "famfs_fuse_iomap_begin",
		.flags = DT_T_DETECT,
	},
	[DT_TGT_FAMFS_READ] = {
		.func = "famfs_fuse_read_iter",
		.flags = DT_T_DETECT,
	},
};

_Static_assert(DT_NTARGETS <= DT_MAX_TARGETS, "raise DT_MAX_TARGETS");

struct dt_target_state dt_states[DT_NTARGETS];
bool dt_telemetry;

/* --telemetry's own programs of a kind, if it has any for this target */
static const struct dt_prog *tel_own(const struct dt_target *t,
				     const struct dt_prog *tel)
{
	if (!dt_telemetry || !(t->flags & DT_T_TEL))
		return NULL;
	return tel[DT_P_ENTRY].name || tel[DT_P_EXIT].name ? tel : NULL;
}

const struct dt_prog *dt_method_progs(const struct dt_target *t,
				      enum dt_method m)
{
	switch (m) {
	case DT_M_FENTRY:
		return tel_own(t, t->tel_fentry) ?: t->fentry;
	case DT_M_KPROBE:
		return tel_own(t, t->tel_kprobe) ?: t->kprobe;
	case DT_M_TRACEPOINT:
		return t->tp;
	default:
		return NULL;
	}
}

/*
 * Do the target's programs take a thread slot (ts_enter())? fentry's and
 * kprobes' do, but --telemetry's fentry programs (tel_slots, tagged by
 * tid, need no freeing); tracepoint programs at most read one.
 */
bool dt_target_uses_slots(const struct dt_target *t,
			  const struct dt_target_state *st)
{
	if (st->method != DT_M_FENTRY && st->method != DT_M_KPROBE)
		return false;
	return dt_method_progs(t, st->method) != t->tel_fentry;
}

bool dt_target_has(const struct dt_target *t, enum dt_method m)
{
	const struct dt_prog *p = dt_method_progs(t, m);

	return p && (p[DT_P_ENTRY].name || p[DT_P_EXIT].name);
}
