/* SPDX-License-Identifier: GPL-2.0 */
/* The running kernel's preemption model. */
#ifndef __DT_PREEMPT_H
#define __DT_PREEMPT_H

#include <stdbool.h>

/* Can a tracing program be preempted here (full, lazy, rt)? */
bool dt_preemptible(void);
/* "none", "voluntary", "full", "lazy", "rt" or "dynamic, mode unknown" */
const char *dt_preempt_model(void);

#endif /* __DT_PREEMPT_H */
