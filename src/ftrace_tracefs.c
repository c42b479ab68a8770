// SPDX-License-Identifier: GPL-2.0
/*
 * tracefs for the ftrace backend. Everything a run makes lives in its own
 * tracing instance (instances/daxtrace-PID) and kprobe group
 * (daxtrace_PID), so other users of ftrace see nothing of it, and all of
 * it is removed at the end, or by the sentinel or the next run when this
 * one was killed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/types.h>
#include "daxtrace.h"
#include "targets.h"
#include "ftrace.h"
#include "ftrace_tracefs.h"

#define TRACEFS		DT_TRACEFS
#define MAX_KPROBES	(DT_NTARGETS * DT_MAX_TP)
#define MAX_TPS		(DT_NTARGETS * DT_MAX_TP)

static char group[32], inst[64];
static char made[MAX_KPROBES][24];	/* kprobe events this run created */
static int nmade;
static const char *tps_on[MAX_TPS];	/* tracepoints this run enabled */
static int ntps;
static char comm_filter[64];

static int write_file(const char *path, const char *s, bool append)
{
	int fd = open(path, O_WRONLY | (append ? O_APPEND : O_TRUNC));
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	return 0;
}

/*
 * -c filters in the kernel: trace_pipe shows "<...>" for a task whose
 * comm is not cached yet (a fresh process), so user space cannot.
 */
static int enable_event(const char *grp, const char *name, const char *val)
{
	char path[PATH_MAX];
	int err;

	if (comm_filter[0] && val[0] == '1') {
		snprintf(path, sizeof(path), "%s/events/%.63s/%.63s/filter", inst, grp, name);
		err = write_file(path, comm_filter, false);
		if (err)
			return err;
	}
	snprintf(path, sizeof(path), "%s/events/%.63s/%.63s/enable", inst, grp, name);
	return write_file(path, val, false);
}

/* Tracepoint "cat/name" switched on ("1") or off ("0"). */
static int tp_enable(const char *spec, const char *val)
{
	char cat[64], name[128];

	if (sscanf(spec, "%63[^/]/%127s", cat, name) != 2)
		return -EINVAL;
	return enable_event(cat, name, val);
}

int dt_tfs_instance(const char *comm, pid_t pid, char *err, size_t len)
{
	char path[PATH_MAX], buf[32];

	snprintf(group, sizeof(group), "daxtrace_%d", getpid());
	snprintf(inst, sizeof(inst), TRACEFS "/instances/daxtrace-%d", getpid());
	if (mkdir(inst, 0750)) {
		snprintf(err, len, "cannot create tracing instance %s: %s", inst, strerror(errno));
		return -errno;
	}
	snprintf(path, sizeof(path), "%s/buffer_size_kb", inst);
	write_file(path, "8192", false);
	if (comm && comm[0])
		snprintf(comm_filter, sizeof(comm_filter), "comm == \"%.15s\"\n", comm);
	if (pid) {
		snprintf(path, sizeof(path), "%s/set_event_pid", inst);
		snprintf(buf, sizeof(buf), "%d", pid);
		write_file(path, buf, false);
	}
	return 0;
}

const char *dt_tfs_group(void)
{
	return group;
}

bool dt_tfs_kprobes(void)
{
	return !access(TRACEFS "/kprobe_events", W_OK);
}

int dt_tfs_kprobe(const char *name, bool ret, const char *def)
{
	char buf[2048];
	int err;

	if (nmade >= MAX_KPROBES)
		return -ENOSPC;
	snprintf(buf, sizeof(buf), "%c:%.31s/%.23s %.1900s\n", ret ? 'r' : 'p', group,
		 name, def);
	err = write_file(TRACEFS "/kprobe_events", buf, true);
	if (err)
		return err;
	snprintf(made[nmade++], sizeof(made[0]), "%s", name);
	return enable_event(group, name, "1");
}

int dt_tfs_tracepoint(const char *spec)
{
	int err;

	if (ntps >= MAX_TPS)
		return -ENOSPC;
	err = tp_enable(spec, "1");
	if (!err)
		tps_on[ntps++] = spec;
	return err;
}

int dt_tfs_pipe_open(char *err, size_t len)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/trace_pipe", inst);
	fd = open(path, O_RDONLY | O_NONBLOCK);
	if (fd < 0) {
		fd = -errno;
		snprintf(err, len, "cannot open %s: %s", path, strerror(-fd));
	}
	return fd;
}

int dt_tfs_drain(int fd, struct dt_tfs_buf *b, void (*fn)(char *line))
{
	size_t cap = sizeof(b->data);
	ssize_t n = read(fd, b->data + b->len, cap - b->len - 1);
	char *line, *nl;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	b->len += n;
	b->data[b->len] = '\0';
	line = b->data;
	while ((nl = strchr(line, '\n'))) {
		*nl = '\0';
		fn(line);
		line = nl + 1;
	}
	b->len -= line - b->data;
	memmove(b->data, line, b->len);
	if (b->len == cap - 1)
		b->len = 0;	/* a line longer than the buffer: drop it */
	return n;
}

/* trace_pipe reports what the ring buffer lost per CPU in the stats file. */
__u64 dt_tfs_overruns(void)
{
	char path[PATH_MAX], line[128];
	unsigned long long v, sum = 0;
	int cpu;
	FILE *f;

	for (cpu = 0; cpu < 1024; cpu++) {
		snprintf(path, sizeof(path), "%s/per_cpu/cpu%d/stats", inst, cpu);
		f = fopen(path, "r");
		if (!f)
			break;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "overrun: %llu", &v) == 1)
				sum += v;
		fclose(f);
	}
	return sum;
}

/* ---- cleanup ------------------------------------------------------------ */

static void remove_group(const char *grp, char names[][24], int n)
{
	char buf[128];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "-:%.63s/%.23s\n", grp, names[i]);
		write_file(TRACEFS "/kprobe_events", buf, true);
	}
}

static void sentinel_stop(void);

void dt_tfs_teardown(void)
{
	int i;

	for (i = 0; i < nmade; i++)
		enable_event(group, made[i], "0");
	for (i = 0; i < ntps; i++)
		tp_enable(tps_on[i], "0");
	ntps = 0;
	rmdir(inst);
	remove_group(group, made, nmade);
	nmade = 0;
	sentinel_stop();
}

/*
 * Remove what run PID left in tracefs: its instance first (which turns
 * its events off), then its kprobe events, which cannot go while enabled.
 * Returns how many things it removed.
 */
static int clean_run(int pid)
{
	char path[PATH_MAX], line[1024], grp[64], names[64][24];
	int n = 0, removed = 0;
	FILE *f;

	snprintf(path, sizeof(path), TRACEFS "/instances/daxtrace-%d", pid);
	if (!rmdir(path))
		removed++;
	snprintf(grp, sizeof(grp), "daxtrace_%d", pid);
	f = fopen(TRACEFS "/kprobe_events", "r");
	while (f && fgets(line, sizeof(line), f) && n < 64) {
		char g[64], e[24], *c = strchr(line, ':');

		/* "p:grp/name ...", "r10:grp/name ..." (kretprobes: maxactive) */
		if (c && sscanf(c + 1, "%63[^/]/%23s", g, e) == 2 && !strcmp(g, grp))
			snprintf(names[n++], sizeof(names[0]), "%s", e);
	}
	if (f)
		fclose(f);
	remove_group(grp, names, n);
	return removed + n;
}

static bool pid_dead(int pid)
{
	return pid != getpid() && kill(pid, 0) && errno == ESRCH;
}

/* A run killed before its sentinel could act left things behind. */
void dt_tfs_clean_stale(void)
{
	char line[1024], g[64], e[24], *c;
	struct dirent *de;
	int pid, n;
	FILE *f;
	DIR *d;

	d = opendir(TRACEFS "/instances");
	while (d && (de = readdir(d))) {
		if (sscanf(de->d_name, "daxtrace-%d", &pid) != 1 || !pid_dead(pid))
			continue;
		n = clean_run(pid);
		fprintf(stderr, "daxtrace: removed the tracing instance and %d kprobe events of killed run %d\n",
			n - 1, pid);
	}
	if (d)
		closedir(d);
	/* groups whose instance is already gone */
	for (;;) {
		pid = 0;
		f = fopen(TRACEFS "/kprobe_events", "r");
		while (f && fgets(line, sizeof(line), f)) {
			c = strchr(line, ':');
			if (c && sscanf(c + 1, "%63[^/]/%23s", g, e) == 2 &&
			    sscanf(g, "daxtrace_%d", &n) == 1 && pid_dead(n)) {
				pid = n;
				break;
			}
		}
		if (f)
			fclose(f);
		if (!pid || !clean_run(pid))
			break;
		fprintf(stderr, "daxtrace: removed the kprobe events of killed run %d\n", pid);
	}
}

/*
 * tracefs objects outlive a SIGKILLed process. A forked sentinel holds
 * the read end of a pipe: when daxtrace exits without saying it cleaned
 * up (one byte), the sentinel sees EOF and removes the run's instance and
 * kprobe events itself.
 */
static int sentinel_fd = -1;
static pid_t sentinel_pid;

void dt_tfs_sentinel_start(void)
{
	int p[2], owner = getpid(), n;
	char c;

	if (pipe2(p, O_CLOEXEC))
		return;
	sentinel_pid = fork();
	if (sentinel_pid < 0) {
		close(p[0]);
		close(p[1]);
		return;
	}
	if (sentinel_pid) {
		close(p[0]);
		sentinel_fd = p[1];
		return;
	}
	/* the child: no stdout, no sockets, no signals but SIGKILL */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	dup2(open("/dev/null", O_RDWR), 0);
	dup2(0, 1);
	if (p[0] != 3)
		dup2(p[0], 3);
	close_range(4, ~0U, 0);
	do {
		n = read(3, &c, 1);
	} while (n < 0 && errno == EINTR);
	if (n != 1) {
		n = clean_run(owner);
		if (n)
			fprintf(stderr, "daxtrace: run %d was killed: removed its tracing instance and kprobe events\n",
				owner);
	}
	_exit(0);
}

/* Everything is cleaned: release the sentinel and reap it. */
static void sentinel_stop(void)
{
	if (sentinel_fd < 0)
		return;
	if (write(sentinel_fd, "x", 1) != 1)
		fprintf(stderr, "daxtrace: cleanup sentinel: %s\n", strerror(errno));
	close(sentinel_fd);
	sentinel_fd = -1;
	waitpid(sentinel_pid, NULL, 0);
}

/* ---- trace_pipe lines --------------------------------------------------- */

/* "  comm-123   [001] d..1.  123.456789: name: (sym+0x0/0x10) k=v ..." */
int dt_tline_parse(char *line, struct dt_tline *t)
{
	char *br = strstr(line, " ["), *dash, *p, *colon;
	unsigned long long sec, usec;
	size_t n;

	memset(t, 0, sizeof(*t));
	if (!br)
		return -EINVAL;
	*br = '\0';
	dash = strrchr(line, '-');
	if (!dash || sscanf(dash + 1, "%d", &t->pid) != 1)
		return -EINVAL;
	for (p = line; *p == ' '; p++)
		;
	n = dash - p < 16 ? dash - p : 16;
	memcpy(t->comm, p, n);
	t->comm[n] = '\0';
	p = strchr(br + 2, ']');
	if (!p)
		return -EINVAL;
	/* flags column, then "sec.usec:" */
	colon = strstr(p, ": ");
	if (!colon)
		return -EINVAL;
	for (p = colon; p > line && p[-1] != ' '; p--)
		;
	if (sscanf(p, "%llu.%llu:", &sec, &usec) != 2)
		return -EINVAL;
	t->ts_ns = sec * 1000000000ULL + usec * 1000ULL;
	p = colon + 2;
	colon = strchr(p, ':');
	if (!colon || colon - p >= (long)sizeof(t->event))
		return -EINVAL;
	memcpy(t->event, p, colon - p);
	t->event[colon - p] = '\0';
	t->args = colon + 1;
	return 0;
}

/* Value of " key=" in the argument list (decimal or 0x hex). */
int dt_targ_u64(const char *args, const char *key, unsigned long long *v)
{
	size_t n = strlen(key);
	const char *p = args;
	char *end;

	if (!n)
		return -EINVAL;	/* strstr(p, "") never advances */
	while ((p = strstr(p, key))) {
		if ((p == args || p[-1] == ' ') && p[n] == '=') {
			errno = 0;
			*v = strtoull(p + n + 1, &end, 0);
			if (errno || end == p + n + 1)
				return -EINVAL;
			return 0;
		}
		p += n;
	}
	return -ENOENT;
}


/*
 * Kprobe event ev's misses in kprobe_profile ("  NAME HITS MISSES", NAME
 * the event's, with or without its group) added to *n: -ESRCH if this
 * run made no event ev, -ENOENT unless exactly one line is its (another
 * group may hold an event by that name).
 */
int dt_tfs_kprobe_misses(FILE *f, const char *ev, __u64 *n)
{
	unsigned long long hits, missed, v = 0;
	char line[256], name[128], *sl;
	int i, found = 0;

	for (i = 0; i < nmade && strcmp(made[i], ev); i++)
		;
	if (i == nmade)
		return -ESRCH;
	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %llu %llu", name, &hits, &missed) != 3)
			continue;
		sl = strchr(name, '/');
		if (sl ? (*sl = '\0', !strcmp(name, group) && !strcmp(sl + 1, ev)) :
			 !strcmp(name, ev)) {
			v = missed;
			found++;
		}
	}
	if (found != 1)
		return -ENOENT;
	*n += v;
	return 0;
}

FILE *dt_tfs_kprobe_profile(void)
{
	return fopen(DT_TRACEFS "/kprobe_profile", "re");
}
