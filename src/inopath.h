/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A file's path from its device and inode number, found by a bounded
 * walk of the mount of that device, cached (inopath.c).
 */
#ifndef __DT_INOPATH_H
#define __DT_INOPATH_H

#include <stddef.h>
#include <linux/types.h>
#include "snapshot.h"

/* for the tests: where the mounts are read, how far a walk goes */
extern const char *dt_inopath_mountinfo;
extern unsigned long dt_inopath_budget;

/* The path of ino on dev's filesystem, or NULL: valid until the next call. */
const char *dt_inopath(__u32 dev, __u64 ino);
/* Each file of s (sorted by device) given its path, where it resolves. */
void dt_inopath_files(struct dt_snapshot *s);

/* Where dev is mounted, its root's mount preferred: 0 or -errno. */
int dt_inopath_mount(__u32 dev, char *buf, size_t len);
/* The paths of want[0..n) on dev, found[i] malloc'd or NULL: 0 or -errno. */
int dt_inopath_walk(__u32 dev, const __u64 *want, char **found, int n);
void dt_inopath_reset(void);

/* A live snapshot's files: the top N kept (s is then sorted), paths found. */
void dt_files_finish(struct dt_snapshot *s, int top);
/* dt_inopath() as struct dt_out's path_of */
const char *dt_inopath_of(void *ctx, __u32 dev, __u64 ino);

#endif /* __DT_INOPATH_H */
