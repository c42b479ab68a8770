/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What this kernel lets us trace, and how: one method chosen per target
 * (probe.c), from where each target is (kernel_syms.c) and the
 * preemption model (preempt.c).
 */
#ifndef __DT_PROBE_H
#define __DT_PROBE_H

#include <stdbool.h>

#include "kernel_syms.h"
#include "preempt.h"
#include "targets.h"

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
/* a traced function whose signature changed: -EPROTO, err says which */
int dt_probe_check_sigs(char *err, size_t errlen);
int dt_probe_targets(bool deep, const char *const *force, int nforce,
		     bool optimistic, char *err, size_t errlen);
/* The programs of its chosen method, in attach order: how many */
int dt_target_programs(const struct dt_target *t, const struct dt_target_state *st,
		       const struct dt_prog *progs[DT_MAX_TP]);

#endif /* __DT_PROBE_H */
