/* SPDX-License-Identifier: GPL-2.0 */
/* What this kernel lets us trace, and how: one method chosen per target. */
#ifndef __DT_PROBE_H
#define __DT_PROBE_H

#include <stdbool.h>

#include "targets.h"

struct dt_kbtf;

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
/* a traced function whose signature changed: -EPROTO, err says which */
int dt_probe_check_sigs(char *err, size_t errlen);
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
int dt_target_programs(const struct dt_target *t, const struct dt_target_state *st,
		       const struct dt_prog *progs[DT_MAX_TP]);
/* Can a tracing program be preempted here (full, lazy, rt)? */
bool dt_preemptible(void);
const char *dt_preempt_model(void);
void dt_target_module(enum dt_target_id id);

#endif /* __DT_PROBE_H */
