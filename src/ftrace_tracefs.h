/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ftrace backend's tracefs plumbing: a tracing instance of the run's
 * own, the kprobe events and tracepoints enabled in it, its trace_pipe,
 * and the cleanup that outlives a SIGKILL.
 */
#ifndef __DT_FTRACE_TRACEFS_H
#define __DT_FTRACE_TRACEFS_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

#define DT_TRACEFS	"/sys/kernel/tracing"

/* Remove what killed runs left behind, saying so on stderr. */
void dt_tfs_clean_stale(void);
/* Fork the process that cleans up after this one if it is killed. */
void dt_tfs_sentinel_start(void);
/* Make instances/daxtrace-PID, filtered to comm and pid where given. */
int dt_tfs_instance(const char *comm, pid_t pid, char *err, size_t len);
/* The group of this run's kprobe events, "daxtrace_PID". */
const char *dt_tfs_group(void);
/* Can kprobe events be defined at all (a kernel with kprobes)? */
bool dt_tfs_kprobes(void);
/* Define kprobe (or with ret, kretprobe) event name and enable it. */
int dt_tfs_kprobe(const char *name, bool ret, const char *def);
/* Enable tracepoint "cat/name" in the instance. */
int dt_tfs_tracepoint(const char *spec);
/* The instance's trace_pipe, non-blocking: an fd, or -errno. */
int dt_tfs_pipe_open(char *err, size_t len);

/* What is read from trace_pipe and not yet a whole line. */
struct dt_tfs_buf {
	char data[1 << 16];
	size_t len;
};

/*
 * Hand each whole line that trace_pipe has to fn: bytes read, 0 when
 * nothing was there, or -errno.
 */
int dt_tfs_drain(int fd, struct dt_tfs_buf *b, void (*fn)(char *line));
/* Kprobe event ev's misses (kprobe_profile) added to *n; -ESRCH: not made */
int dt_tfs_kprobe_misses(FILE *f, const char *ev, __u64 *n);
/* kprobe_profile, read once per snapshot by the above; NULL if unreadable */
FILE *dt_tfs_kprobe_profile(void);
/* Events the instance's ring buffer lost, over all CPUs. */
__u64 dt_tfs_overruns(void);
/* Disable and remove all of the above. */
void dt_tfs_teardown(void);

#endif /* __DT_FTRACE_TRACEFS_H */
