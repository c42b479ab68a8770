/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What daxtrace traces: one row per kernel function, and the choices a
 * run makes for it kept apart. Adding a target is a row here plus its
 * BPF programs and, for the ftrace backend, its event handler.
 */
#ifndef __DT_TARGETS_H
#define __DT_TARGETS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "daxtrace.h"

struct bpf_link;

/* Indexes dt_targets[], dt_states[] and dt_snapshot's skipped[] alike. */
enum dt_target_id {
	DT_TGT_RW,		/* dax_iomap_rw */
	DT_TGT_ITER,		/* dax_iomap_iter */
	DT_TGT_DA,		/* dax_direct_access */
	DT_TGT_DRV_PMEM,	/* the drivers' ->direct_access */
	DT_TGT_DRV_FSDEV,
	DT_TGT_DRV_DEVDAX,
	DT_TGT_COPY_TO,		/* dax_copy_to_iter */
	DT_TGT_COPY_FROM,	/* dax_copy_from_iter */
	DT_TGT_VAR_COPY,	/* the copy routines of --deep */
	DT_TGT_VAR_COPY_MC,
	DT_TGT_VAR_MC_USER,
	DT_TGT_FAULT,		/* dax_iomap_fault */
	DT_TGT_DEVFAULT,	/* dev_dax_huge_fault */
	DT_TGT_FAMFS_BEGIN,	/* famfs: detected only */
	DT_TGT_FAMFS_READ,
	DT_NTARGETS,
};

#define DT_MAX_TARGETS	24	/* room for targets in a snapshot */

enum dt_method {
	DT_M_ABSENT,		/* nothing works for it on this kernel */
	DT_M_OFF,		/* present, but not wanted in this mode */
	DT_M_FENTRY,		/* fentry/fexit */
	DT_M_KPROBE,		/* kprobe/kretprobe */
	DT_M_TRACEPOINT,	/* tracepoint or raw tracepoint fallback */
};

#define DT_T_DEEP	(1U << 0)	/* fires on non-DAX I/O: --deep only */
#define DT_T_TP_DEEP	(1U << 1)	/* its tracepoint fallback: --deep only */
#define DT_T_DRIVER	(1U << 2)	/* a driver ->direct_access slot */
#define DT_T_DETECT	(1U << 3)	/* only reported, never attached */
#define DT_T_LAT_DEEP	(1U << 4)	/* fentry: its entry program (latency
					 * only; fexit has the args): --deep */
#define DT_T_TEL	(1U << 5)	/* traced by --telemetry too */

/*
 * A method's programs: [DT_P_ENTRY] fentry or kprobe, [DT_P_EXIT] fexit
 * or kretprobe; a tracepoint fallback fills both with its two events.
 */
#define DT_MAX_TP	2
#define DT_P_ENTRY	0
#define DT_P_EXIT	1

/*
 * A program of bpf/dax_trace.bpf.c. DT_PROG() takes its offset in the
 * skeleton, so a program renamed or gone fails the build; the name stays
 * for what libbpf and the probes record print.
 */
struct dt_prog {
	const char *name;	/* NULL: no program in this slot */
	size_t skel_off;	/* offsetof(struct dax_trace_bpf, progs.NAME) */
};

#define DT_PROG(p)	{ #p, offsetof(struct dax_trace_bpf, progs.p) }

/* How the ftrace backend traces a target: the handler of its events. */
enum dt_fev_kind {
	DT_FEV_NONE,		/* not traced by the ftrace backend */
	DT_FEV_RW,		/* read/write: entry args, return */
	DT_FEV_DA,		/* dax_direct_access */
	DT_FEV_DRV,		/* a driver's return, for the da exit after it */
	DT_FEV_COPY,		/* dax_copy_{to,from}_iter */
	DT_FEV_FAULT,		/* a fault handler */
};

struct dt_fevent {
	enum dt_fev_kind kind;
	const char *event;	/* kprobe events "EVENT_e", "EVENT_x" */
	enum dt_op op;		/* DT_FEV_COPY: its direction */
	/*
	 * Non-NULL: where kprobe events fail, its tracepoints (tp_event[])
	 * are enabled instead, and this is the note then.
	 */
	const char *tp_note;
};

struct dt_target {
	const char *func;		/* kernel function */
	struct dt_prog fentry[DT_MAX_TP];
	struct dt_prog kprobe[DT_MAX_TP];
	struct dt_prog tp[DT_MAX_TP];	/* tracepoint fallback programs */
	/*
	 * "cat/name" or "raw:name"; the fault tracepoints in DT_FAULT_PTE,
	 * DT_FAULT_PMD order
	 */
	const char *tp_event[DT_MAX_TP];
	struct dt_fevent ftrace;
	unsigned int flags;		/* DT_T_* */
	/*
	 * --telemetry: its fentry/fexit and kprobe programs where it has
	 * its own (else, and for tracepoints, the row's), or for a target
	 * it leaves off, what is then not seen
	 */
	struct dt_prog tel_fentry[DT_MAX_TP];
	struct dt_prog tel_kprobe[DT_MAX_TP];
	const char *tel_unseen;
};

/* What probing and attaching chose for a target in this run. */
struct dt_target_state {
	enum dt_method method;
	bool forced;			/* --method chose it */
	bool no_entry;			/* fentry without its entry program */
	bool attached;
	char module[64];		/* its module (from BTF, /proc/modules or
					 * kallsyms), "" for vmlinux */
	int btf_id;			/* fentry: its FUNC in kernel BTF */
	int btf_fd;			/* ...in this module's BTF (0: vmlinux) */
	char note[112];
	struct bpf_link *links[DT_MAX_TP];
};

extern const struct dt_target dt_targets[DT_NTARGETS];
/* The run's profile: --telemetry, else diagnosis (the default). */
extern bool dt_telemetry;
extern struct dt_target_state dt_states[DT_NTARGETS];

/* The programs a method may use, NULL for none (absent, off). */
const struct dt_prog *dt_method_progs(const struct dt_target *t,
				      enum dt_method m);
/* Do the programs of its chosen method take thread slots? */
bool dt_target_uses_slots(const struct dt_target *t,
			  const struct dt_target_state *st);
/* Does the row have a program for this method? */
bool dt_target_has(const struct dt_target *t, enum dt_method m);

#endif /* __DT_TARGETS_H */
