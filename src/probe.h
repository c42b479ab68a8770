/* SPDX-License-Identifier: GPL-2.0 */
/* What this kernel lets us trace, and how: one method chosen per target. */
#ifndef __DT_PROBE_H
#define __DT_PROBE_H

#include <stdbool.h>

struct bpf_link;
struct dt_kbtf;

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

#define DT_MAX_TP	2
#define DT_MAX_TARGETS	24	/* rows of dt_targets[], at most */

struct dt_target {
	const char *func;		/* kernel function */
	const char *fe, *fx, *kp, *kr;	/* program names, NULL: none */
	const char *tp_prog[DT_MAX_TP];	/* tracepoint fallback programs */
	const char *tp[DT_MAX_TP];	/* "cat/name", or "raw:name" */
	unsigned int flags;
	/* filled in by probing and attaching */
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

extern struct dt_target dt_targets[];
extern const int dt_ntargets;
extern bool dt_probe_verbose;	/* -v: say where symbols were found */

const char *dt_method_name(enum dt_method m);
int dt_method_parse(const char *s, enum dt_method *m);
/* --method's TARGET=METHOD: 0, or -EINVAL */
int dt_method_arg_check(const char *arg);
/*
 * optimistic: fentry wherever the kernel lists the function and has its
 * BTF, without a test load; if the real load then fails, probe again
 * without it.
 */
int dt_probe_targets(bool deep, const char *const *force, int nforce,
		     bool optimistic, char *err, size_t errlen);
/* Closes the BTF fds kept for the load, and frees the kernel's BTF. */
void dt_probe_release(void);
/*
 * Probing keeps its parse of the kernel's BTF for whoever needs it next;
 * free it before libbpf parses its own.
 */
const struct dt_kbtf *dt_probe_kernel_btf(void);
void dt_probe_free_btf(void);
unsigned long dt_kallsyms_addr(const char *sym);
bool dt_paging_l5(void);
/* The programs of its chosen method, in attach order: how many */
int dt_target_programs(const struct dt_target *t, const char *names[DT_MAX_TP]);
/* Can a tracing program be preempted here (full, lazy, rt)? */
bool dt_preemptible(void);
const char *dt_preempt_model(void);
void dt_target_module(struct dt_target *t);

#endif /* __DT_PROBE_H */
