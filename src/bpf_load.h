/* SPDX-License-Identifier: GPL-2.0 */
/* The BPF backend's start: open, configure, load, attach; and detach. */
#ifndef __DT_BPF_LOAD_H
#define __DT_BPF_LOAD_H

#include <stdarg.h>
#include <stdbool.h>
#include <bpf/libbpf.h>
#include "daxtrace.h"	/* the skeleton names its types */
#include "dax_trace.skel.h"
#include "targets.h"

/*
 * -v: where start-up time goes (probing, loading, attaching), elapsed and
 * as this process's CPU: the kernel's verifier and attach work is ours.
 * what NULL starts the clock.
 */
struct dt_phase {
	double ms;
	double cpu_ms;
};

void dt_phase(struct dt_phase *p, const char *what);
double dt_cpu_ms(void);

/*
 * libbpf's messages: shown with -v, never during the optimistic first
 * load (its refusal is retried, and the retry's log is the one to read).
 */
int dt_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap);

/* fentry/fexit load against the BTF ids probing found: once, before a start. */
int dt_bpf_register_handlers(void);

/*
 * Open, load and attach with the methods probing chose, errors reported
 * here. first: probing was optimistic, so a refusal is -EAGAIN, silent,
 * for the caller to probe for real and come back. -ENOEXEC: BPF refused
 * (*load_err says why; the caller words it for the backend it falls to).
 * *skelp is set once opened, for the caller to destroy.
 */
int dt_bpf_start(struct dax_trace_bpf **skelp, bool first, struct dt_phase *t0,
		 int *load_err);
void dt_bpf_detach(void);

/* The skeleton's program in a row's slot, NULL where the row has none. */
struct bpf_program *dt_skel_prog(struct dax_trace_bpf *skel, const struct dt_prog *p);

#endif /* __DT_BPF_LOAD_H */
