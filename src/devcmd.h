/* SPDX-License-Identifier: GPL-2.0 */
/*
 * `daxtrace devices [-j]`: every DAX device on the machine, its mode,
 * driver, size, alignment, NUMA node and uuid, the file system mounted on
 * it, what daxtrace can trace there, and what is misconfigured.
 */
#ifndef __DT_DEVCMD_H
#define __DT_DEVCMD_H

#include <stdbool.h>
#include <stdio.h>
#include "devices.h"
#include "targets.h"

#define DT_DEVROWS_MAX	128

/* How a mounted file system does DAX: from its super options. */
enum dt_mnt_dax {
	DT_MDAX_NONE,		/* nothing mounted */
	DT_MDAX_ALWAYS,		/* dax or dax=always */
	DT_MDAX_INODE,		/* per file (ext4/xfs without dax=always) */
	DT_MDAX_NEVER,		/* dax=never */
	DT_MDAX_FS,		/* a DAX-only file system (famfs, fsdevfs, ...) */
};

struct dt_devrow {
	struct dt_dev dev;
	bool has_devt;		/* dev holds a real major:minor */
	bool dax;		/* a block device: its queue does DAX */
	char mount[256];	/* the first mount point, "" if none */
	char fstype[32];
	int nmounts;
	enum dt_mnt_dax mdax;
	char problem[256];	/* "" when nothing is wrong */
	char fix[192];
};

int dt_devices_scan(const char *root, struct dt_devrow *rows, int max);
/* states: the probed targets, NULL when probing was not possible */
void dt_devices_print(FILE *f, const struct dt_devrow *rows, int n,
		      const struct dt_target_state *states, const char *probe_err,
		      bool json);
int dt_devices_main(int argc, char **argv);

#endif /* __DT_DEVCMD_H */
