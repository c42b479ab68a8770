/* SPDX-License-Identifier: GPL-2.0 */
/* Where each target is in the running kernel: BTF, address, module, ftrace site. */
#ifndef __DT_KERNEL_SYMS_H
#define __DT_KERNEL_SYMS_H

#include <stdbool.h>
#include "targets.h"

struct dt_kbtf;

/* Address of a kernel symbol, 0 if absent (or hidden by kptr_restrict). */
unsigned long dt_kallsyms_addr(const char *sym);
/* Does the kernel run 5-level paging (x86-64 LA57)? */
bool dt_paging_l5(void);
/* Fill in the target's module, "" for vmlinux or when absent. */
void dt_target_module(enum dt_target_id id);

/* Can a fentry trampoline attach there? true when the kernel cannot say */
bool dt_ftrace_site(const char *func);
/* The target's FUNC in kernel BTF, 0 if it has none; *fd: its object. */
int dt_btf_func(const struct dt_target *t, int *fd);
/* Keep where fentry attaches: the fd outlives probing, until the load. */
void dt_keep_btf(enum dt_target_id tid);
/* While held (probing), the kernel's BTF stays parsed between look-ups. */
void dt_syms_hold_btf(bool hold);
/* There, but not in the kernel's BTF: a module built without BTF. */
bool dt_target_no_btf(enum dt_target_id id);

/*
 * Probing keeps its parse of the kernel's BTF for whoever needs it next;
 * free it before libbpf parses its own.
 */
const struct dt_kbtf *dt_probe_kernel_btf(void);
void dt_probe_free_btf(void);
/* Closes the BTF fds kept for the load, and frees the kernel's BTF. */
void dt_probe_release(void);

#endif /* __DT_KERNEL_SYMS_H */
