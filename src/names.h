/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The words every output shares: op, check, copy variant, side, fault
 * size, errno and device names, each with its parser for reading a
 * capture back. Below report, metrics, ftrace and the capture reader.
 */
#ifndef __DT_NAMES_H
#define __DT_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "daxtrace.h"
#include "devices.h"

/* Every name is "?" out of range; every parser returns -1 on no match. */
const char *dt_op_name(__u32 op);
const char *dt_check_name(__u32 check);
/* what a check expects, for the text report; "" out of range */
const char *dt_check_expect(__u32 check);
const char *dt_variant_name(__u32 variant);
const char *dt_side_name(__u32 side);
const char *dt_fault_size_name(__u32 size);
/* a fault.size reason: bit n of DT_FSZ_* */
const char *dt_fsz_why_name(__u32 bit);
/* errno name for rw/da/copy; for faults, the VM_FAULT_* error bits */
const char *dt_errno_name(__u32 op, __s32 err, char *buf, size_t len);
bool dt_op_is_copy(__u32 op);

int dt_op_parse(const char *name);
int dt_check_parse(const char *name);
int dt_variant_parse(const char *name);
int dt_side_parse(const char *name);
int dt_fault_size_parse(const char *name);
int dt_fsz_why_parse(const char *name);
int dt_errno_parse(__u32 op, const char *name, __s32 *err);
/* what a file is ranked by in the top files: enum dt_file_rank */
const char *dt_file_rank_name(__u32 rank);
int dt_file_rank_parse(const char *name);

/* The devices a run knows by name; any other dev_t reads "major:minor". */
struct dt_names {
	const struct dt_dev *devs;
	int n;
};

const char *dt_dev_label(const struct dt_names *names, __u32 kdev, char *buf,
			 size_t len);

#endif /* __DT_NAMES_H */
