// SPDX-License-Identifier: GPL-2.0
/*
 * The command line: argp options, each value checked as it is parsed
 * (one line on stderr and exit 2, before anything is loaded or opened),
 * the checks between options at the end, --version, and the table of
 * subcommands.
 */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cli.h"
#include "core_btf.h"
#include "http.h"
#include "devcmd.h"
#include "offline_report.h"
#include "parse.h"
#include "probe.h"

struct dt_env env = {
	.rotate_size = 64ULL << 20,
	.rotate_keep = 4,
	.thread_slots = DT_TFAST,
	.top_files = DT_TOP_FILES,
};

/*
 * `daxtrace NAME ARGS...`: each subcommand parses its own ARGS. A new
 * one is a row here and a line in argp_program_doc's USAGE.
 */
static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
} subcommands[] = {
	{ "report", dt_offline_report_main },
	{ "devices", dt_devices_main },
};

bool dt_cli_subcommand(int argc, char **argv, int *status)
{
	size_t i;

	if (argc < 2)
		return false;
	for (i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		if (!strcmp(argv[1], subcommands[i].name)) {
			*status = subcommands[i].main(argc - 1, argv + 1);
			return true;
		}
	}
	return false;
}

#ifdef DT_STATIC
#define DT_LINK		"static"
#else
#define DT_LINK		"dynamic"
#endif
#ifdef __SANITIZE_ADDRESS__
#define DT_SANITIZE	", sanitizers"
#else
#define DT_SANITIZE	""
#endif

/*
 * What a bug report needs: the release, the libbpf it was compiled
 * against and the one it runs with (the same when static), and how it
 * was built. Both backends are always built in.
 */
static void print_version(FILE *f, struct argp_state *state)
{
	fprintf(f, "daxtrace %s\n", DT_VERSION);
	fprintf(f, "libbpf: built with %d.%d, running %s\n", LIBBPF_MAJOR_VERSION,
		LIBBPF_MINOR_VERSION, libbpf_version_string());
	fprintf(f, "build: %s%s; backends: bpf ftrace\n", DT_LINK, DT_SANITIZE);
}

void (*argp_program_version_hook)(FILE *, struct argp_state *) = print_version;

const char argp_program_doc[] =
"Trace the Linux DAX I/O path: read/write, direct_access, the copy routines\n"
"and DAX faults; check the driver's answers against what the path expects.\n"
"\n"
"USAGE: daxtrace [-d DEV]... [-p PID] [-c COMM] [-s|--deep|--telemetry] [-j] [-T]\n"
"                [--metrics [ADDR:]PORT] [--metrics-textfile PATH]\n"
"                [-o FILE [--rotate-size SIZE] [--rotate-keep N]]\n"
"                [--backend auto|bpf|ftrace] [--list-probes] [-v]\n"
"                [--top-files N] [INTERVAL [COUNT]]\n"
"       daxtrace report [-j] [--no-hist] [--top-files N] FILE...\n"
"       daxtrace devices [-j]\n"
"\n"
"EXAMPLES:\n"
"    daxtrace -d dax0.0          # anomalies live, summary at Ctrl-C\n"
"    daxtrace -d pmem0.1 -s      # every DAX op on pmem0.1\n"
"    daxtrace -j 5               # JSON lines, a summary every 5 s\n"
"    daxtrace --list-probes      # how each target is traced here\n"
"    daxtrace --metrics 9479     # Prometheus /metrics on 127.0.0.1:9479\n"
"    daxtrace --telemetry --metrics 9479   # counters only, least overhead\n"
"    daxtrace -o /var/log/daxtrace.json 60   # rotated capture, summary/min\n"
"    daxtrace report /var/log/daxtrace.json.1 /var/log/daxtrace.json\n"
"    daxtrace devices            # DAX devices, their modes, what is wrong\n";

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
	OPT_TELEMETRY,
	OPT_TOP_FILES,
};

static const struct argp_option opts[] = {
	{ "device", 'd', "DEV", 0, "Trace only DEV (dax0.0, /dev/pmem0.1, ...); repeatable", 0 },
	{ "pid", 'p', "PID", 0, "Trace only this process", 0 },
	{ "comm", 'c', "COMM", 0, "Trace only tasks with this command name", 0 },
	{ "snoop", 's', NULL, 0, "Print every DAX operation, not only anomalies", 0 },
	{ "deep", OPT_DEEP, NULL, 0,
	  "Also trace the copy routines and iomap_iter (they fire on all I/O), and time every op", 0 },
	{ "telemetry", OPT_TELEMETRY, NULL, 0,
	  "Counters and histograms of reads, writes and faults only, at the least cost: no direct_access, copies or checks", 0 },
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
	{ "top-files", OPT_TOP_FILES, "N", 0,
	  "Top N files per device in the summaries (default 10; 0: no per-file counting)", 0 },
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
	exit(DT_EXIT_USAGE);
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
	case OPT_TELEMETRY:
		env.telemetry = true;
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
		if (env.nforce >= DT_MAX_FORCE)
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
			env.backend = DT_BK_AUTO;
		else if (!strcmp(arg, "bpf"))
			env.backend = DT_BK_BPF;
		else if (!strcmp(arg, "ftrace"))
			env.backend = DT_BK_FTRACE;
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
	case OPT_TOP_FILES:
		if (dt_parse_ulong(arg, DT_TOP_FILES_MAX, &v))
			usage_error(state, "invalid --top-files '%s' (want 0..%d)", arg,
				    DT_TOP_FILES_MAX);
		env.top_files = v;
		env.top_files_given = true;
		break;
	case 'v':
		env.verbose = true;
		dt_probe_verbose = true;
		break;
	case ARGP_KEY_END:
		if (env.backend == DT_BK_FTRACE && (env.deep || env.nforce))
			usage_error(state, "--deep and --method need the bpf backend");
		if (env.backend == DT_BK_FTRACE && env.telemetry)
			usage_error(state, "--telemetry needs the bpf backend");
		if (env.telemetry && (env.deep || env.snoop))
			usage_error(state, "--telemetry keeps counters only: no --deep or -s");
		if (env.telemetry && env.top_files_given && env.top_files)
			usage_error(state, "--telemetry keeps no per-file counts: no --top-files");
		if (env.telemetry)
			env.top_files = 0;
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

int dt_cli_parse(int argc, char **argv)
{
	static const struct argp argp = {
		.options = opts,
		.parser = parse_arg,
		.doc = argp_program_doc,
	};

	argv[0] = "daxtrace";	/* argp's messages then read "daxtrace: ..." */
	argp_err_exit_status = DT_EXIT_USAGE;
	return argp_parse(&argp, argc, argv, 0, NULL, NULL) ? DT_EXIT_USAGE : 0;
}
