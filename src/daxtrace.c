// SPDX-License-Identifier: GPL-2.0
/*
 * daxtrace: what the Linux DAX I/O path really does.
 *
 * CLI, device resolution, load/attach and the event loop. Probing lives
 * in probe.c, all output in report.c, the BPF side in dax_trace.bpf.c.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "clock.h"
#include "core_btf.h"
#include "daxtrace.h"
#include "dax_checks.h"
#include "dax_trace.skel.h"
#include "devices.h"
#include "ftrace.h"
#include "offline_report.h"
#include "parse.h"
#include "probe.h"
#include "report.h"
#include "telemetry.h"

#define EXIT_USAGE	2
#define MAX_FORCE	16

enum backend {
	BK_AUTO,
	BK_BPF,
	BK_FTRACE,
};

static struct env {
	struct dt_dev devs[DT_MAX_DEVS];
	int ndevs;
	const char *force[MAX_FORCE];
	int nforce;
	const char *btf_path;
	pid_t pid;
	char comm[DT_COMM_LEN];
	bool snoop;
	bool deep;
	bool json;
	bool timestamps;
	bool list_probes;
	bool verbose;
	bool no_hist;
	enum backend backend;
	unsigned long interval;	/* seconds, 0: only at exit */
	unsigned long count;	/* intervals, 0: forever */
	const char *metrics_addr;
	const char *textfile;
	const char *capture;
	unsigned long long rotate_size;
	int rotate_keep;
	unsigned int thread_slots;
	bool rotate_given;
} env = {
	.rotate_size = 64ULL << 20,
	.rotate_keep = 4,
	.thread_slots = DT_TFAST,
};

/* 512 KiB of client slots: static, so idle memory never moves. */
static struct dt_telemetry tel;

static volatile sig_atomic_t exiting;
static __u64 nevents;

const char *argp_program_version = "daxtrace " DT_VERSION;
const char argp_program_doc[] =
"Trace the Linux DAX I/O path: read/write, direct_access, the copy routines\n"
"and DAX faults; check the driver's answers against what the path expects.\n"
"\n"
"USAGE: daxtrace [-d DEV]... [-p PID] [-c COMM] [-s] [--deep] [-j] [-T]\n"
"                [--metrics [ADDR:]PORT] [--metrics-textfile PATH]\n"
"                [-o FILE [--rotate-size SIZE] [--rotate-keep N]]\n"
"                [--backend auto|bpf|ftrace] [--list-probes] [-v]\n"
"                [INTERVAL [COUNT]]\n"
"       daxtrace report [-j] [--no-hist] FILE...\n"
"\n"
"EXAMPLES:\n"
"    daxtrace -d dax0.0          # anomalies live, summary at Ctrl-C\n"
"    daxtrace -d pmem0.1 -s      # every DAX op on pmem0.1\n"
"    daxtrace -j 5               # JSON lines, a summary every 5 s\n"
"    daxtrace --list-probes      # how each target is traced here\n"
"    daxtrace --metrics 9479     # Prometheus /metrics on 127.0.0.1:9479\n"
"    daxtrace -o /var/log/daxtrace.json 60   # rotated capture, summary/min\n"
"    daxtrace report /var/log/daxtrace.json.1 /var/log/daxtrace.json\n";

enum {
	OPT_DEEP = 0x100,
	OPT_LIST_PROBES,
	OPT_METHOD,
	OPT_BTF,
	OPT_NO_HIST,
	OPT_BACKEND,
	OPT_METRICS,
	OPT_TEXTFILE,
	OPT_ROTATE_SIZE,
	OPT_ROTATE_KEEP,
	OPT_THREAD_SLOTS,
};

static const struct argp_option opts[] = {
	{ "device", 'd', "DEV", 0, "Trace only DEV (dax0.0, /dev/pmem0.1, ...); repeatable", 0 },
	{ "pid", 'p', "PID", 0, "Trace only this process", 0 },
	{ "comm", 'c', "COMM", 0, "Trace only tasks with this command name", 0 },
	{ "snoop", 's', NULL, 0, "Print every DAX operation, not only anomalies", 0 },
	{ "deep", OPT_DEEP, NULL, 0,
	  "Also trace the copy routines and iomap_iter (they fire on all I/O)", 0 },
	{ "json", 'j', NULL, 0, "JSON lines output", 0 },
	{ "timestamp", 'T', NULL, 0, "Include a time column", 0 },
	{ "list-probes", OPT_LIST_PROBES, NULL, 0,
	  "Attach, print how each target is traced, and exit", 0 },
	{ "method", OPT_METHOD, "TARGET=METHOD", 0,
	  "Force fentry|kprobe|tracepoint|off for one target (testing)", 0 },
	{ "btf", OPT_BTF, "PATH", 0, "Kernel BTF to use instead of /sys/kernel/btf/vmlinux", 0 },
	{ "no-hist", OPT_NO_HIST, NULL, 0, "No histograms in the text summary", 0 },
	{ "backend", OPT_BACKEND, "auto|bpf|ftrace", 0,
	  "BPF programs, or tracefs kprobe events (default auto: BPF where it can attach)", 0 },
	{ "metrics", OPT_METRICS, "[ADDR:]PORT", 0,
	  "Serve Prometheus/OpenMetrics /metrics (ADDR defaults to 127.0.0.1)", 0 },
	{ "metrics-textfile", OPT_TEXTFILE, "PATH", 0,
	  "Write the metrics to PATH atomically every INTERVAL (default 15 s) and at exit", 0 },
	{ "output", 'o', "FILE", 0, "Capture JSON lines to FILE (appends; implies -j)", 0 },
	{ "rotate-size", OPT_ROTATE_SIZE, "SIZE", 0,
	  "Rotate the -o capture past SIZE bytes (K/M/G suffixes; default 64M)", 0 },
	{ "rotate-keep", OPT_ROTATE_KEEP, "N", 0, "Rotated captures kept: FILE.1..FILE.N (default 4)", 0 },
	{ "thread-slots", OPT_THREAD_SLOTS, "N", 0,
	  "Per-thread state slots, a power of 2 (default 4096; BPF backend)", 0 },
	{ "verbose", 'v', NULL, 0, "Verbose debug output (libbpf too)", 0 },
	{ NULL, 'h', NULL, OPTION_HIDDEN, "Show the full help", 0 },
	{},
};

static void usage_error(struct argp_state *state, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One line, exit 2: bad input never gets further than here. */
static void usage_error(struct argp_state *state, const char *fmt, ...)
{
	va_list ap;

	fputs("daxtrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

static error_t parse_arg(int key, char *arg, struct argp_state *state)
{
	static int pos_args;
	unsigned long v;
	char err[256];
	int ret;

	switch (key) {
	case 'h':
		argp_state_help(state, stderr, ARGP_HELP_STD_HELP);
		break;
	case 'd':
		if (env.ndevs >= DT_MAX_DEVS)
			usage_error(state, "too many -d devices (max %d)", DT_MAX_DEVS);
		if (dt_dev_resolve("", arg, &env.devs[env.ndevs], err, sizeof(err)))
			usage_error(state, "-d %s: %s", arg, err);
		env.ndevs++;
		break;
	case 'p':
		if (dt_parse_ulong(arg, INT_MAX, &v) || !v)
			usage_error(state, "invalid PID '%s' (want 1..%d)", arg, INT_MAX);
		env.pid = v;
		break;
	case 'c':
		if (!*arg || strlen(arg) >= DT_COMM_LEN)
			usage_error(state, "invalid COMM '%s' (want 1..%d characters)",
				    arg, DT_COMM_LEN - 1);
		strcpy(env.comm, arg);
		break;
	case 's':
		env.snoop = true;
		break;
	case OPT_DEEP:
		env.deep = true;
		break;
	case 'j':
		env.json = true;
		break;
	case 'T':
		env.timestamps = true;
		break;
	case OPT_LIST_PROBES:
		env.list_probes = true;
		break;
	case OPT_METHOD:
		if (env.nforce >= MAX_FORCE)
			usage_error(state, "too many --method options");
		/* now, before -o or --metrics make anything */
		if (dt_method_arg_check(arg))
			usage_error(state, "bad --method '%s' (want TARGET=fentry|kprobe|tracepoint|off)",
				    arg);
		env.force[env.nforce++] = arg;
		break;
	case OPT_BTF: {
		char why[256];

		if (access(arg, R_OK))
			usage_error(state, "--btf %s: %s", arg, strerror(errno));
		/* a wrong file would only fail at load time, as exit 1 */
		if (dt_btf_file_check(arg, why, sizeof(why)))
			usage_error(state, "--btf %s: %s", arg, why);
		env.btf_path = arg;
		break;
	}
	case OPT_NO_HIST:
		env.no_hist = true;
		break;
	case OPT_BACKEND:
		if (!strcmp(arg, "auto"))
			env.backend = BK_AUTO;
		else if (!strcmp(arg, "bpf"))
			env.backend = BK_BPF;
		else if (!strcmp(arg, "ftrace"))
			env.backend = BK_FTRACE;
		else
			usage_error(state, "invalid --backend '%s' (want auto, bpf or ftrace)", arg);
		break;
	case OPT_METRICS: {
		char h[256], p[8];

		if (dt_http_parse_addr(arg, h, sizeof(h), p, sizeof(p), err, sizeof(err)))
			usage_error(state, "--metrics %s: %s", arg, err);
		env.metrics_addr = arg;
		break;
	}
	case OPT_TEXTFILE:
		ret = dt_path_writable(arg);
		if (ret)
			usage_error(state, "--metrics-textfile '%s': cannot write there: %s",
				    arg, strerror(-ret));
		env.textfile = arg;
		break;
	case 'o':
		ret = dt_path_writable(arg);
		if (ret)
			usage_error(state, "-o '%s': cannot write there: %s", arg, strerror(-ret));
		env.capture = arg;
		env.json = true;
		break;
	case OPT_ROTATE_SIZE:
		if (dt_parse_size(arg, &env.rotate_size))
			usage_error(state, "invalid --rotate-size '%s' (want 4K..1024G, e.g. 64M)", arg);
		env.rotate_given = true;
		break;
	case OPT_ROTATE_KEEP:
		if (dt_parse_ulong(arg, 1000, &v))
			usage_error(state, "invalid --rotate-keep '%s' (want 0..1000)", arg);
		env.rotate_keep = v;
		env.rotate_given = true;
		break;
	case OPT_THREAD_SLOTS:
		if (dt_parse_ulong(arg, DT_TFAST_MAX, &v) || !v || (v & (v - 1)))
			usage_error(state, "invalid --thread-slots '%s' (want a power of 2, 1..%d)",
				    arg, DT_TFAST_MAX);
		env.thread_slots = v;
		break;
	case 'v':
		env.verbose = true;
		dt_probe_verbose = true;
		break;
	case ARGP_KEY_END:
		if (env.backend == BK_FTRACE && (env.deep || env.nforce))
			usage_error(state, "--deep and --method need the bpf backend");
		if (env.list_probes && (env.metrics_addr || env.textfile || env.capture))
			usage_error(state, "--list-probes exits at once: no --metrics, --metrics-textfile or -o");
		if (env.rotate_given && !env.capture)
			usage_error(state, "--rotate-size and --rotate-keep need -o FILE");
		break;
	case ARGP_KEY_ARG:
		if (pos_args == 0) {
			if (dt_parse_ulong(arg, 86400, &v) || !v)
				usage_error(state, "invalid INTERVAL '%s' (want 1..86400 seconds)", arg);
			env.interval = v;
		} else if (pos_args == 1) {
			if (dt_parse_ulong(arg, 1000000000, &v) || !v)
				usage_error(state, "invalid COUNT '%s' (want a positive number)", arg);
			env.count = v;
		} else {
			usage_error(state, "unexpected argument '%s'", arg);
		}
		pos_args++;
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static bool libbpf_quiet;	/* the optimistic first load: its log is not worth reading */
static bool libbpf_read_kbtf;	/* libbpf parsed all of the kernel's BTF itself */

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (strstr(fmt, "loading kernel BTF"))
		libbpf_read_kbtf = true;
	if (!env.verbose || libbpf_quiet)
		return 0;	/* failures are reported once, with context, by us */
	return vfprintf(stderr, fmt, ap);
}

static void sig_handler(int sig)
{
	exiting = 1;
}

/* Fail early, with the name of what is missing. */
static int check_environment(char *err, size_t len)
{
	struct stat st;

	if (geteuid()) {
		snprintf(err, len, "must run as root (needs CAP_BPF, CAP_PERFMON and tracefs)");
		return -EPERM;
	}
	if (!env.btf_path && stat("/sys/kernel/btf/vmlinux", &st)) {
		snprintf(err, len,
			 "kernel has no BTF (/sys/kernel/btf/vmlinux missing): CO-RE needs CONFIG_DEBUG_INFO_BTF=y, or pass --btf PATH");
		return -ENOENT;
	}
	/* tracepoints, kprobe events and the ftrace backend: all here */
	if (stat("/sys/kernel/tracing/events", &st) &&
	    mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL)) {
		snprintf(err, len, "tracefs is not mounted and mounting it at /sys/kernel/tracing failed: %s",
			 strerror(errno));
		return -ENOENT;
	}
	return 0;
}

static int handle_event(void *ctx, void *data, size_t size)
{
	const struct dt_out *o = ctx;
	const struct dt_event *e = data;

	if (size < sizeof(*e) || e->kind != DT_REC_EVENT)
		return 0;
	nevents++;
	dt_event_print(o, e);
	return 0;
}

/*
 * libbpf 1.1 parses all of vmlinux's BTF for any fentry/fexit program
 * that does not attach to another BPF program, only to look up its
 * target, which trace_prepare() hands it already: 16 ms of a start-up.
 * A stand-in attach_prog_fd, which libbpf only keeps until
 * trace_prepare() clears it, tells it not to. CO-RE still gets the
 * kernel's BTF where it needs it (no minimal BTF: libbpf loads it).
 */
static void no_vmlinux_btf(struct bpf_program *p)
{
	if (p)
		bpf_program__set_attach_target(p, INT_MAX, NULL);
}

/* The skeleton's program in a row's slot, NULL where the row has none. */
static struct bpf_program *skel_prog(struct dax_trace_bpf *skel,
				     const struct dt_prog *p)
{
	return p->name ? *(struct bpf_program **)((char *)skel + p->skel_off) : NULL;
}

/* Switch on exactly the programs of the chosen method of every target. */
static void select_programs(struct dax_trace_bpf *skel)
{
	const struct dt_prog *progs[DT_MAX_TP];
	struct bpf_program *p;
	int i, j, n;

	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, false);
	for (i = 0; i < DT_NTARGETS; i++) {
		n = dt_target_programs(&dt_targets[i], &dt_states[i], progs);
		for (j = 0; j < n; j++) {
			p = skel_prog(skel, progs[j]);
			bpf_program__set_autoload(p, true);
			if (dt_states[i].method == DT_M_FENTRY)
				no_vmlinux_btf(p);
		}
	}
}

/* The target whose fentry or fexit program this is. */
static int prog_target(const struct bpf_program *prog)
{
	const char *name = bpf_program__name(prog);
	const struct dt_prog *fentry;
	int i, j;

	for (i = 0; i < DT_NTARGETS; i++) {
		fentry = dt_targets[i].fentry;
		for (j = 0; j < DT_MAX_TP; j++)
			if (fentry[j].name && !strcmp(fentry[j].name, name))
				return i;
	}
	return -1;
}

/*
 * fentry/fexit load against the BTF ids probing found in one pass:
 * libbpf's own look-up walks all of vmlinux BTF per program, and again
 * per module BTF it tries (a third of start-up under emulation). The
 * driver programs, SEC("fexit"), get their target the same way.
 */
static int trace_prepare(struct bpf_program *prog, struct bpf_prog_load_opts *opts,
			 long cookie)
{
	int i = prog_target(prog);
	const struct dt_target_state *st = i < 0 ? NULL : &dt_states[i];

	if (!st || st->method != DT_M_FENTRY || st->btf_id <= 0)
		return -ESRCH;
	opts->attach_prog_fd = 0;	/* the stand-in of no_vmlinux_btf() */
	opts->attach_btf_id = st->btf_id;
	opts->attach_btf_obj_fd = st->btf_fd;
	return 0;
}

static int trace_attach(const struct bpf_program *prog, long cookie,
			struct bpf_link **link)
{
	*link = bpf_program__attach_trace(prog);
	return *link ? 0 : -errno;
}

static int register_trace_handlers(void)
{
	LIBBPF_OPTS(libbpf_prog_handler_opts, o,
		    .prog_prepare_load_fn = trace_prepare,
		    .prog_attach_fn = trace_attach);
	int err;

	err = libbpf_register_prog_handler("fentry+", BPF_PROG_TYPE_TRACING,
					   BPF_TRACE_FENTRY, &o);
	if (err >= 0)
		err = libbpf_register_prog_handler("fexit+", BPF_PROG_TYPE_TRACING,
						   BPF_TRACE_FEXIT, &o);
	return err < 0 ? err : 0;
}

static int attach_target(struct dax_trace_bpf *skel, enum dt_target_id id)
{
	const struct dt_target *t = &dt_targets[id];
	struct dt_target_state *st = &dt_states[id];
	const struct dt_prog *progs[DT_MAX_TP];
	struct bpf_program *p;
	int i, n = dt_target_programs(t, st, progs);
	bool ret;

	if (!n)
		return 0;
	for (i = 0; i < n; i++) {
		p = skel_prog(skel, progs[i]);
		/* the kprobe method's exit slot is its kretprobe */
		ret = progs[i] == &t->kprobe[DT_P_EXIT];
		if (st->method == DT_M_KPROBE)
			st->links[i] = bpf_program__attach_kprobe(p, ret, t->func);
		else
			st->links[i] = bpf_program__attach(p);
		if (!st->links[i])
			return -errno ?: -EINVAL;
	}
	st->attached = true;
	return 0;
}

static void detach_all(void)
{
	int i, j;

	for (i = 0; i < DT_NTARGETS; i++) {
		for (j = 0; j < DT_MAX_TP; j++) {
			bpf_link__destroy(dt_states[i].links[j]);
			dt_states[i].links[j] = NULL;
		}
		dt_states[i].attached = false;
	}
}

/* Copy one hash map into an array of {key, value} entries. */
static int dump_map(struct bpf_map *map, void **arr, size_t esz, size_t voff,
		    int *cnt)
{
	int fd = bpf_map__fd(map), cap = bpf_map__max_entries(map);
	size_t ksz = bpf_map__key_size(map);
	char key[64], prev[64];
	bool first = true;
	char *ent;

	*cnt = 0;
	*arr = calloc(cap, esz);
	if (!*arr)
		return -ENOMEM;
	if (ksz > sizeof(key))
		return -E2BIG;
	while (*cnt < cap && !bpf_map_get_next_key(fd, first ? NULL : prev, key)) {
		ent = (char *)*arr + *cnt * esz;
		memcpy(ent, key, ksz);
		if (!bpf_map_lookup_elem(fd, key, ent + voff))
			(*cnt)++;
		memcpy(prev, key, ksz);
		first = false;
	}
	return 0;
}

/* Both histograms of stats row `row`: 2 * DT_HIST_SLOTS buckets in a row. */
static int read_hists(struct dax_trace_bpf *skel, __u32 row, struct dt_stats *st)
{
	__u32 keys[2 * DT_HIST_SLOTS], in = dt_hist_key(row, DT_HIST_LEN) - 1, out;
	__u64 vals[2 * DT_HIST_SLOTS];
	__u32 n = 2 * DT_HIST_SLOTS;
	LIBBPF_OPTS(bpf_map_batch_opts, opts);

	/* a batch starts after in_batch; row 0 starts at the map's start */
	if (bpf_map_lookup_batch(bpf_map__fd(skel->maps.hists), row ? &in : NULL,
				 &out, keys, vals, &n, &opts) && errno != ENOENT)
		return -errno;
	if (n != 2 * DT_HIST_SLOTS || keys[0] != dt_hist_key(row, DT_HIST_LEN))
		return -EIO;
	memcpy(st->len_hist, vals, sizeof(st->len_hist));
	memcpy(st->lat_hist, vals + DT_HIST_SLOTS, sizeof(st->lat_hist));
	return 0;
}

/*
 * The counters of every device the BPF side gave a slot: stats is an
 * array of DT_OP_MAX entries per slot; ops never seen stay all zero.
 */
static int read_stats(struct dax_trace_bpf *skel, struct dt_snapshot *s)
{
	int fd = bpf_map__fd(skel->maps.stats), i, op, nslot;
	struct { __u32 dev, slot; } *slots;
	struct dt_stats st;
	__u32 key;
	int err;

	err = dump_map(skel->maps.dev_slot, (void **)&slots, sizeof(*slots),
		       sizeof(__u32), &nslot);
	if (err) {
		free(slots);
		return err;
	}
	s->stats = calloc(nslot * DT_OP_MAX + 1, sizeof(*s->stats));
	if (!s->stats) {
		free(slots);
		return -ENOMEM;
	}
	for (i = 0; i < nslot; i++) {
		for (op = 0; op < DT_OP_MAX && slots[i].slot < DT_MAX_DEVS; op++) {
			key = slots[i].slot * DT_OP_MAX + op;
			memset(&st, 0, sizeof(st));
			if (bpf_map_lookup_elem(fd, &key, &st))
				continue;
			st.calls = dt_stats_calls(&st);
			if (!st.calls)
				continue;
			err = read_hists(skel, key, &st);
			if (err)
				goto out;
			s->stats[s->nstats].key = (struct dt_key){ slots[i].dev, op };
			s->stats[s->nstats++].st = st;
		}
	}
out:
	free(slots);
	return err;
}

/*
 * struct bpf_link_info of uapi 6.7, as far as a kprobe's own misses (its
 * kretprobe ran out of instances): older headers lack it.
 */
struct kprobe_link_info {
	__u32 type, id, prog_id, :32;
	__u32 perf_type, :32;
	__u64 func_name;
	__u32 name_len, offset;
	__u64 addr, missed, cookie;
};

/* A kprobe link's misses; false where the kernel does not say (< 6.7). */
static bool link_missed(struct bpf_link *l, __u64 *n)
{
	struct kprobe_link_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_link__fd(l), &info, &len))
		return false;
	/* BPF_PERF_EVENT_KPROBE (3) or _KRETPROBE (4): the kernel filled it in */
	if (info.perf_type != 3 && info.perf_type != 4)
		return false;
	*n += info.missed;
	return true;
}

/* Runs of one target's programs the kernel skipped: false if unknown. */
static bool target_skipped(struct dax_trace_bpf *skel, enum dt_target_id id,
			   __u64 *n)
{
	const struct dt_target_state *st = &dt_states[id];
	const struct dt_prog *progs[DT_MAX_TP];
	struct bpf_prog_info info;
	struct bpf_program *p;
	int i, np = dt_target_programs(&dt_targets[id], st, progs);
	__u32 len;

	*n = 0;
	for (i = 0; i < np; i++) {
		p = skel_prog(skel, progs[i]);
		memset(&info, 0, sizeof(info));
		len = sizeof(info);
		if (!p || bpf_obj_get_info_by_fd(bpf_program__fd(p), &info, &len))
			return false;
		*n += info.recursion_misses;
	}
	for (i = 0; st->method == DT_M_KPROBE && i < DT_MAX_TP; i++)
		if (st->links[i] && !link_missed(st->links[i], n))
			return false;
	return true;
}

static void read_skipped(struct dax_trace_bpf *skel, struct dt_snapshot *s)
{
	int i;

	for (i = 0; i < DT_NTARGETS; i++) {
		if (!dt_states[i].attached)
			continue;
		if (target_skipped(skel, i, &s->skipped[i]))
			s->skipped_known |= 1U << i;
		else
			s->skipped_unread |= 1U << i;
	}
}

static int read_snapshot(struct dax_trace_bpf *skel, struct dt_snapshot *s)
{
	int err;

	memset(s, 0, sizeof(*s));
	err = read_stats(skel, s);
	err = err ?: dump_map(skel->maps.errors, (void **)&s->errs, sizeof(*s->errs),
			      offsetof(struct dt_err_ent, n), &s->nerrs);
	err = err ?: dump_map(skel->maps.media_errors, (void **)&s->media,
			      sizeof(*s->media), offsetof(struct dt_media_ent, n),
			      &s->nmedia);
	if (err || dt_snapshot_checks(s))
		return err ?: -ENOMEM;
	s->bpf = skel->bss->bpf_stats;
	s->events = nevents;
	read_skipped(skel, s);
	dt_snapshot_sort(s);
	return 0;
}

static int bpf_snap(void *ctx, struct dt_snapshot *s)
{
	return read_snapshot(ctx, s);
}

static void bpf_snap_put(void *ctx, struct dt_snapshot *s)
{
	dt_snapshot_free(s);
}

static void print_summary(struct dax_trace_bpf *skel, const struct dt_out *o)
{
	struct dt_snapshot s;
	int err = read_snapshot(skel, &s);

	if (err) {
		fprintf(stderr, "daxtrace: reading the BPF maps: %s\n", strerror(-err));
		dt_snapshot_free(&s);
		return;
	}
	dt_summary_print(o, &s);
	dt_snapshot_free(&s);
}

static __s64 boot_to_epoch(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return (rt.tv_sec - mono.tv_sec) * 1000000000LL + (rt.tv_nsec - mono.tv_nsec);
}

static double cpu_ms(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

/*
 * -v: where start-up time goes (probing, loading, attaching), elapsed and
 * as this process's CPU: the kernel's verifier and attach work is ours.
 * what NULL starts the clock.
 */
static void phase(const char *what, double *t)
{
	static double cpu;
	double n = dt_mono_ms(), c = cpu_ms();

	if (env.verbose && what)
		fprintf(stderr, "daxtrace: %s took %.0f ms (CPU %.0f ms)\n",
			what, n - *t, c - cpu);
	*t = n;
	cpu = c;
}

/*
 * Before anything is loaded: a port in use or an unwritable capture is
 * bad input, and must not cost a BPF load to find out.
 */
static int setup_telemetry(struct dt_out *out, char *err, size_t len)
{
	int ret;

	if (env.metrics_addr) {
		ret = dt_tel_open_http(&tel, env.metrics_addr, err, len);
		if (ret) {
			char m[512];

			snprintf(m, sizeof(m), "--metrics %s: %s", env.metrics_addr, err);
			snprintf(err, len, "%.*s", (int)len - 1, m);
			return ret;
		}
	}
	tel.textfile = env.textfile;
	tel.tf_interval = env.interval ?: 15;
	if (env.capture) {
		tel.cap.path = env.capture;
		tel.cap.max_bytes = env.rotate_size;
		tel.cap.keep = env.rotate_keep;
		ret = dt_capture_open(&tel.cap, &out->f, err, len);
		if (ret)
			return ret;
		tel.cap_on = true;
	}
	return 0;
}

/* Unique per process, so an offline report can tell runs apart. */
static void make_run_id(char *buf, size_t len)
{
	struct timespec ts;
	char host[64] = "";

	clock_gettime(CLOCK_REALTIME, &ts);
	gethostname(host, sizeof(host) - 1);
	snprintf(buf, len, "%s:%d:%lld.%09ld", host, (int)getpid(),
		 (long long)ts.tv_sec, ts.tv_nsec);
}


/*
 * Probing's errors no backend can get round: a traced function's
 * signature changed (-EPROTO), fentry forced without BTF (-ENOKEY).
 */
static bool probe_fatal(int err)
{
	return err == -EPROTO || err == -ENOKEY;
}

/*
 * --backend auto: without BPF on the read path ftrace does better, unless
 * --method chose the read path's method itself.
 */
static bool bpf_misses_rw(int err)
{
	const struct dt_target_state *rw = &dt_states[DT_TGT_RW];

	return err || (rw->method < DT_M_FENTRY && !rw->forced);
}

/*
 * ...but --deep and --method are the BPF backend's own: rather than drop
 * them on the way to ftrace, say why BPF cannot run. True: stay, failed.
 */
static bool keeps_bpf(const char *why)
{
	if (!env.deep && !env.nforce)
		return false;
	fprintf(stderr, "daxtrace: --deep and --method need the bpf backend, which cannot trace %s here (%s)\n",
		dt_targets[DT_TGT_RW].func, why);
	return true;
}

/*
 * Start-up's buffers are freed by now (the kernel's BTF is 5.5 MB on
 * 6.1), but glibc keeps freed heap below a trim threshold that grows
 * with each big free: give it back before running for hours.
 */
static void startup_done(void)
{
	malloc_trim(0);
}

static int run_ftrace(struct dt_out *out)
{
	struct dt_ftrace_cfg cfg = {
		.devs = env.devs, .ndevs = env.ndevs, .pid = env.pid,
		.comm = env.comm, .snoop = env.snoop, .list_probes = env.list_probes,
		.interval = env.interval, .count = env.count, .tel = &tel,
	};
	char why[256];

	dt_probe_release();	/* BTF fds kept for a BPF load that will not come */
	if (dt_probe_check_sigs(why, sizeof(why))) {
		fprintf(stderr, "daxtrace: %s\n", why);
		return 1;
	}
	startup_done();
	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);
	return dt_ftrace_main(&cfg, out, &exiting);
}

static int load_err;	/* why the kernel refused the programs */

/*
 * The kernel types the object's CO-RE relocations can need, from
 * probing's parse of the kernel's BTF: libbpf then searches those, not
 * all of vmlinux once per type. -errno: libbpf searches vmlinux.
 */
static int core_btf_make(void)
{
	struct dt_core_btf_info info = {};
	const void *elf;
	size_t sz;
	int fd;

	elf = dax_trace_bpf__elf_bytes(&sz);
	fd = dt_core_btf(dt_probe_kernel_btf(), elf, sz, &info);
	if (env.verbose && fd >= 0)
		fprintf(stderr, "daxtrace: CO-RE: relocating against %d kernel types (%u bytes): the %d that go by the names of the object's %d relocation roots, and what they hold\n",
			info.types, info.bytes, info.roots, info.names);
	else if (env.verbose)
		fprintf(stderr, "daxtrace: CO-RE: no minimal BTF (%s): libbpf searches the kernel's\n",
			strerror(-fd));
	return fd;
}

/*
 * Open, load and attach with the methods probing chose, errors reported
 * here. first: probing was optimistic, so a refusal is -EAGAIN, silent,
 * for the caller to probe for real and come back. -ENOEXEC: BPF refused
 * (load_err says why; the caller words it for the backend it falls to).
 */
static int bpf_start(struct dax_trace_bpf **skelp, bool first, double *t0)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts);
	struct dax_trace_bpf *skel;
	char core_path[32];
	int core_fd = -1;
	__u8 one = 1;
	int err, i;

	open_opts.btf_custom_path = env.btf_path;
	/* the retry goes without: a type only a module has is found there */
	if (first && !env.btf_path) {
		core_fd = core_btf_make();
		if (core_fd >= 0) {
			snprintf(core_path, sizeof(core_path), "/proc/self/fd/%d", core_fd);
			open_opts.btf_custom_path = core_path;
		}
	}
	dt_probe_free_btf();	/* before libbpf parses its own */
	skel = dax_trace_bpf__open_opts(&open_opts);
	if (!skel) {
		err = -errno;
		fprintf(stderr, "daxtrace: failed to open BPF object: %s\n", strerror(errno));
		if (core_fd >= 0)
			close(core_fd);
		return err;
	}
	*skelp = skel;
	skel->rodata->targ_tgid = env.pid;
	memcpy((char *)skel->rodata->targ_comm, env.comm, DT_COMM_LEN);
	skel->rodata->filter_dev = env.ndevs > 0;
	skel->rodata->snoop = env.snoop;
	skel->rodata->page_offset_base_addr = dt_kallsyms_addr("page_offset_base");
	if (dt_paging_l5()) {
		skel->rodata->kernel_half = DT_KERNEL_HALF_L5;
		skel->rodata->direct_map_max = DT_DIRECT_MAP_MAX_L5;
	}
	skel->rodata->tfast_mask = env.thread_slots - 1;
	err = bpf_map__set_max_entries(skel->maps.tfast, env.thread_slots);
	if (err) {
		fprintf(stderr, "daxtrace: failed to size the thread slots: %s\n",
			strerror(-err));
		if (core_fd >= 0)
			close(core_fd);
		return err;
	}

	select_programs(skel);
	phase("opening the BPF object", t0);
	libbpf_quiet = first;	/* the retry's log is the one worth reading */
	libbpf_read_kbtf = false;
	err = dax_trace_bpf__load(skel);
	dt_probe_release();	/* the loaded programs hold their BTF */
	if (core_fd >= 0)
		close(core_fd);
	libbpf_quiet = false;
	phase("loading (CO-RE + verifier)", t0);
	if (env.verbose && !err)
		fprintf(stderr, "daxtrace: libbpf %s\n", libbpf_read_kbtf ?
			"parsed the kernel's BTF itself" :
			"did not parse the kernel's BTF: it had the attach ids and CO-RE's types");
	if (err && first)
		goto retry;
	if (err) {
		load_err = err;
		return -ENOEXEC;
	}
	for (i = 0; i < env.ndevs; i++) {
		err = bpf_map_update_elem(bpf_map__fd(skel->maps.dev_filter),
					  &env.devs[i].kdev, &one, BPF_ANY);
		if (err) {
			err = -errno;
			fprintf(stderr, "daxtrace: failed to set device filter: %s\n",
				strerror(errno));
			return err;
		}
	}
	for (i = 0; i < DT_NTARGETS; i++) {
		err = attach_target(skel, i);
		if (err && first && dt_states[i].method == DT_M_FENTRY)
			goto retry;
		if (err) {
			fprintf(stderr, "daxtrace: failed to attach %s (%s): %s\n",
				dt_targets[i].func, dt_method_name(dt_states[i].method),
				strerror(-err));
			return err;
		}
	}
	return 0;
retry:
	detach_all();
	dax_trace_bpf__destroy(skel);
	*skelp = NULL;
	return -EAGAIN;
}

int main(int argc, char **argv)
{
	static const struct argp argp = {
		.options = opts,
		.parser = parse_arg,
		.doc = argp_program_doc,
	};
	static struct dt_dev all[DT_MAX_DEVS * 2];
	struct dt_names names = {};
	struct dt_out out = {};
	struct dax_trace_bpf *skel = NULL;
	struct dt_snapshot probe_snap = {};
	struct ring_buffer *rb = NULL;
	unsigned long printed = 0;
	char err_msg[256], run_id[128];
	time_t next = 0;
	bool auto_backend;
	double t0;
	int err, i;

	if (argc > 1 && !strcmp(argv[1], "report"))
		return dt_offline_report_main(argc - 1, argv + 1);
	/*
	 * A transparent huge page in a heap of a few MB added 2 MB to RSS in
	 * one run in five or so, wherever brk landed. daxtrace execs nothing,
	 * so no other program inherits this.
	 */
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	/* quiet until -v is parsed: --btf is checked through libbpf */
	libbpf_set_print(libbpf_print);
	argv[0] = "daxtrace";	/* argp's messages then read "daxtrace: ..." */
	argp_err_exit_status = EXIT_USAGE;
	err = argp_parse(&argp, argc, argv, 0, NULL, NULL);
	if (err)
		return EXIT_USAGE;

	err = check_environment(err_msg, sizeof(err_msg));
	if (err) {
		fprintf(stderr, "daxtrace: %s\n", err_msg);
		return EXIT_USAGE;
	}
	out.f = stdout;
	err = setup_telemetry(&out, err_msg, sizeof(err_msg));
	if (err) {
		fprintf(stderr, "daxtrace: %s\n", err_msg);
		dt_tel_close(&tel);
		return EXIT_USAGE;
	}
	make_run_id(run_id, sizeof(run_id));
	out.run_id = run_id;

	/* Names for every DAX device, so any dev_t the kernel reports reads well. */
	names.n = dt_dev_list("", all, DT_MAX_DEVS);
	for (i = 0; i < env.ndevs && names.n < DT_MAX_DEVS * 2; i++)
		all[names.n++] = env.devs[i];
	names.devs = all;
	out.json = env.json;
	out.timestamps = env.timestamps;
	out.hist = !env.no_hist;
	out.names = &names;
	out.boot_to_epoch_ns = boot_to_epoch();

	out.targets = dt_targets;
	out.states = dt_states;
	out.ntargets = DT_NTARGETS;
	auto_backend = env.backend == BK_AUTO;
	phase(NULL, &t0);
	if (env.backend != BK_FTRACE) {
		err = dt_probe_targets(env.deep, env.force, env.nforce, true,
				       err_msg, sizeof(err_msg));
		if (err == -EINVAL || probe_fatal(err) || (err && env.backend == BK_BPF)) {
			fprintf(stderr, "daxtrace: %s\n", err_msg);
			return err == -EINVAL ? EXIT_USAGE : 1;
		}
		if (env.backend == BK_AUTO && bpf_misses_rw(err)) {
			if (keeps_bpf(err ? err_msg : dt_states[DT_TGT_RW].note))
				return 1;
			env.backend = BK_FTRACE;
		}
	}
	if (env.backend == BK_FTRACE) {
		err = run_ftrace(&out);
		dt_tel_close(&tel);
		return err;
	}
	phase("probing the kernel", &t0);

	err = register_trace_handlers();
	if (err) {
		fprintf(stderr, "daxtrace: failed to register fentry/fexit handlers: %s\n",
			strerror(-err));
		return 1;
	}
	err = bpf_start(&skel, true, &t0);
	if (err == -EAGAIN) {
		/* the kernel refused what looked fine: test each target */
		if (env.verbose)
			fprintf(stderr, "daxtrace: optimistic load refused: probing each target\n");
		err = dt_probe_targets(env.deep, env.force, env.nforce, false,
				       err_msg, sizeof(err_msg));
		phase("probing each target", &t0);
		if (auto_backend && err != -EINVAL && !probe_fatal(err) && bpf_misses_rw(err)) {
			if (keeps_bpf(err ? err_msg : dt_states[DT_TGT_RW].note))
				return 1;
			err = run_ftrace(&out);
			dt_tel_close(&tel);
			return err;
		}
		if (err) {
			fprintf(stderr, "daxtrace: %s\n", err_msg);
			return err == -EINVAL ? EXIT_USAGE : 1;
		}
		err = bpf_start(&skel, false, &t0);
	}
	if (err == -ENOEXEC && auto_backend) {
		/* e.g. a lockdown that refuses BPF: ftrace still sees the path */
		if (keeps_bpf(strerror(-load_err))) {
			err = 1;
			goto cleanup;
		}
		fprintf(stderr, "daxtrace: BPF programs refused (%s): using the ftrace backend\n",
			strerror(-load_err));
		err = run_ftrace(&out);
		dt_tel_close(&tel);
		return err;
	}
	if (err == -ENOEXEC) {
		fprintf(stderr, "daxtrace: failed to load BPF programs: %s (-v shows the verifier log; --backend ftrace needs no BPF)\n",
			strerror(-load_err));
		err = load_err;
	}
	if (err)
		goto cleanup;

	phase("attaching", &t0);
	startup_done();
	if (env.verbose)
		fprintf(stderr, "daxtrace: attached after %.0f ms of CPU since exec\n",
			cpu_ms());
	/* the probes record shows each target's skipped runs: measured or null */
	read_skipped(skel, &probe_snap);
	out.probe_snap = &probe_snap;
	if (env.list_probes) {
		dt_print_probes(&out, "bpf", env.deep, !env.json);
		goto cleanup;
	}

	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, &out, NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "daxtrace: failed to create ring buffer: %s\n", strerror(errno));
		goto cleanup;
	}
	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);

	/* Everything is attached: only now may a script start its workload. */
	dt_print_header(&out, "bpf", env.deep, env.devs, env.ndevs, env.snoop);
	out.probe_snap = NULL;
	dt_tel_start(&tel, &out, bpf_snap, bpf_snap_put, skel);
	if (env.interval)
		next = dt_mono_s() + env.interval;
	while (!exiting) {
		err = dt_tel_wait(&tel, ring_buffer__epoll_fd(rb), 100);
		if (err < 0) {
			fprintf(stderr, "daxtrace: poll: %s\n", strerror(-err));
			goto cleanup;
		}
		err = ring_buffer__consume(rb);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "daxtrace: reading ring buffer: %s\n", strerror(-err));
			goto cleanup;
		}
		err = 0;
		if (env.interval && dt_mono_s() >= next) {
			print_summary(skel, &out);
			next += env.interval;
			if (env.count && ++printed >= env.count)
				break;
		}
	}
	/* Whatever is still queued belongs in the final summary. */
	if (!env.count || printed < env.count) {
		ring_buffer__consume(rb);
		print_summary(skel, &out);
	}
	dt_tel_finish(&tel);

cleanup:
	ring_buffer__free(rb);
	detach_all();
	dax_trace_bpf__destroy(skel);
	dt_tel_close(&tel);
	return err ? 1 : 0;	/* not -err: 2 is bad input's */
}
