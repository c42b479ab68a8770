// SPDX-License-Identifier: GPL-2.0
/*
 * daxtrace: what the Linux DAX I/O path really does.
 *
 * main(): parse the command line (cli.c), check the environment and open
 * the exporters, decide on one backend, run it, clean up once. The BPF
 * backend starts in bpf_load.c and is read in bpf_read.c; the ftrace
 * backend is ftrace.c; probing is probe.c; all output is report*.c.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "bpf_load.h"
#include "bpf_read.h"
#include "cli.h"
#include "clock.h"
#include "daxtrace.h"
#include "devices.h"
#include "ftrace.h"
#include "inopath.h"
#include "probe.h"
#include "report.h"
#include "telemetry.h"

/* 512 KiB of client slots: static, so idle memory never moves. */
static struct dt_telemetry tel;

static volatile sig_atomic_t exiting;
static __u64 nevents;

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

static __s64 boot_to_epoch(void)
{
	struct timespec rt, mono;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	return (rt.tv_sec - mono.tv_sec) * 1000000000LL + (rt.tv_nsec - mono.tv_nsec);
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

/* The output both backends write through, from the options. */
static void setup_output(struct dt_out *out, char *run_id, size_t len)
{
	static struct dt_dev all[DT_MAX_DEVS * 2];
	static struct dt_names names;
	int i;

	make_run_id(run_id, len);
	out->run_id = run_id;
	/* Names for every DAX device, so any dev_t the kernel reports reads well. */
	names.n = dt_dev_list("", all, DT_MAX_DEVS);
	for (i = 0; i < env.ndevs && names.n < DT_MAX_DEVS * 2; i++)
		all[names.n++] = env.devs[i];
	names.devs = all;
	out->json = env.json;
	out->timestamps = env.timestamps;
	out->hist = !env.no_hist;
	out->names = &names;
	out->boot_to_epoch_ns = boot_to_epoch();
	out->targets = dt_targets;
	out->states = dt_states;
	out->ntargets = DT_NTARGETS;
	out->top_files = env.top_files;
	out->path_of = dt_inopath_of;
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

/* ---- the backend decision ---------------------------------------------- */

/*
 * The one backend this run uses, or none (status is then the exit
 * status), and what to say about it on stderr ("" for nothing).
 */
#define BK_NONE	DT_BK_AUTO	/* a decision is never auto: none, exit */

struct decision {
	enum dt_backend backend;	/* BK_NONE: exit with status */
	int status;
	char why[320];
};

static bool fail(struct decision *d, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool fail(struct decision *d, int status, const char *fmt, ...)
{
	va_list ap;

	d->backend = BK_NONE;
	d->status = status;
	va_start(ap, fmt);
	vsnprintf(d->why, sizeof(d->why), fmt, ap);
	va_end(ap);
	return false;
}

/*
 * --backend auto falls to ftrace where BPF cannot trace the read path;
 * but --deep and --method are the BPF backend's own: rather than drop
 * them on the way, say why BPF cannot run. announce: say that ftrace
 * takes over (BPF was refused at load, which the user did not expect).
 */
static bool fall_to_ftrace(struct decision *d, const char *why, bool announce)
{
	if (env.deep || env.nforce || env.telemetry)
		return fail(d, 1, "%s need%s the bpf backend, which cannot trace %s here (%s)",
			    env.telemetry ? "--telemetry" : "--deep and --method",
			    env.telemetry ? "s" : "", dt_targets[DT_TGT_RW].func, why);
	d->backend = DT_BK_FTRACE;
	if (announce)
		snprintf(d->why, sizeof(d->why),
			 "BPF programs refused (%s): using the ftrace backend", why);
	return false;
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
 * Probe each target's method. True: go on with BPF. Under auto, without
 * BPF on the read path ftrace does better, unless --method chose the
 * read path's method itself.
 */
static bool probe_for_bpf(struct decision *d, bool optimistic)
{
	const struct dt_target_state *rw = &dt_states[DT_TGT_RW];
	char msg[256];
	int err;

	err = dt_probe_targets(env.deep, env.force, env.nforce, optimistic,
			       msg, sizeof(msg));
	if (err == -EINVAL)
		return fail(d, DT_EXIT_USAGE, "%s", msg);
	if (probe_fatal(err))
		return fail(d, 1, "%s", msg);
	if (env.backend == DT_BK_AUTO &&
	    (err || (rw->method < DT_M_FENTRY && !rw->forced)))
		return fall_to_ftrace(d, err ? msg : rw->note, false);
	if (err)
		return fail(d, 1, "%s", msg);
	return true;
}

/*
 * ftrace, or BPF loaded and attached in *skel. BPF starts from an
 * optimistic probe; where the kernel refuses what looked fine, each
 * target is tested for real and BPF starts again.
 */
static void decide_backend(struct decision *d, struct dax_trace_bpf **skel,
			   struct dt_phase *t0)
{
	int err, load_err = 0;
	bool ok;

	d->backend = env.backend == DT_BK_FTRACE ? DT_BK_FTRACE : DT_BK_BPF;
	if (d->backend == DT_BK_FTRACE || !probe_for_bpf(d, true))
		return;
	dt_phase(t0, "probing the kernel");
	err = dt_bpf_register_handlers();
	if (err) {
		fail(d, 1, "failed to register fentry/fexit handlers: %s", strerror(-err));
		return;
	}
	err = dt_bpf_start(skel, true, t0, &load_err);
	if (err == -EAGAIN) {
		if (env.verbose)
			fprintf(stderr, "daxtrace: optimistic load refused: probing each target\n");
		ok = probe_for_bpf(d, false);
		dt_phase(t0, "probing each target");
		if (!ok)
			return;
		err = dt_bpf_start(skel, false, t0, &load_err);
	}
	if (err == -ENOEXEC && env.backend == DT_BK_AUTO) {
		/* e.g. a lockdown that refuses BPF: ftrace still sees the path */
		dax_trace_bpf__destroy(*skel);
		*skel = NULL;
		fall_to_ftrace(d, strerror(-load_err), true);
	} else if (err == -ENOEXEC) {
		fail(d, 1, "failed to load BPF programs: %s (-v shows the verifier log; --backend ftrace needs no BPF)",
		     strerror(-load_err));
	} else if (err) {
		fail(d, 1, "%s", "");	/* dt_bpf_start() said what */
	}
}

/* ---- the runs ------------------------------------------------------------ */

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

static int bpf_snap(void *ctx, struct dt_snapshot *s)
{
	int err = dt_bpf_snapshot(ctx, nevents, !env.telemetry, s);

	if (!err)
		dt_files_finish(s, env.top_files);
	return err;
}

static void bpf_snap_put(void *ctx, struct dt_snapshot *s)
{
	dt_snapshot_free(s);
}

static void print_summary(struct dax_trace_bpf *skel, const struct dt_out *o)
{
	struct dt_snapshot s;
	int err = bpf_snap(skel, &s);

	if (err) {
		fprintf(stderr, "daxtrace: reading the BPF maps: %s\n", strerror(-err));
		dt_snapshot_free(&s);
		return;
	}
	dt_summary_print(o, &s);
	dt_snapshot_free(&s);
}

/* Events until Ctrl-C or COUNT intervals, summaries every INTERVAL. */
static int bpf_loop(struct dax_trace_bpf *skel, struct ring_buffer *rb,
		    struct dt_out *out)
{
	unsigned long printed = 0;
	time_t next = 0;
	int err = 0;

	if (env.interval)
		next = dt_mono_s() + env.interval;
	while (!exiting) {
		err = dt_tel_wait(&tel, ring_buffer__epoll_fd(rb), 100);
		if (err < 0) {
			fprintf(stderr, "daxtrace: poll: %s\n", strerror(-err));
			return err;
		}
		err = ring_buffer__consume(rb);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "daxtrace: reading ring buffer: %s\n", strerror(-err));
			return err;
		}
		err = 0;
		if (env.interval && dt_mono_s() >= next) {
			print_summary(skel, out);
			next += env.interval;
			if (env.count && ++printed >= env.count)
				break;
		}
	}
	/* Whatever is still queued belongs in the final summary. */
	if (!env.count || printed < env.count) {
		ring_buffer__consume(rb);
		print_summary(skel, out);
	}
	dt_tel_finish(&tel);
	return 0;
}

static int run_bpf(struct dax_trace_bpf *skel, struct dt_out *out,
		   struct dt_phase *t0)
{
	struct dt_snapshot probe_snap = {};
	struct ring_buffer *rb;
	int err;

	dt_phase(t0, "attaching");
	startup_done();
	if (env.verbose)
		fprintf(stderr, "daxtrace: attached after %.0f ms of CPU since exec\n",
			dt_cpu_ms());
	/* the probes record shows each target's skipped runs: measured or null */
	dt_bpf_read_skipped(skel, &probe_snap);
	out->probe_snap = &probe_snap;
	if (env.list_probes) {
		dt_print_probes(out, "bpf", env.deep, !env.json);
		return 0;
	}
	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), handle_event, out, NULL);
	if (!rb) {
		err = -errno;
		fprintf(stderr, "daxtrace: failed to create ring buffer: %s\n", strerror(errno));
		return err;
	}
	signal(SIGINT, sig_handler);
	signal(SIGTERM, sig_handler);

	/* Everything is attached: only now may a script start its workload. */
	dt_print_header(out, "bpf", env.deep, env.devs, env.ndevs, env.snoop);
	out->probe_snap = NULL;
	dt_tel_start(&tel, out, bpf_snap, bpf_snap_put, skel);
	err = bpf_loop(skel, rb, out);
	ring_buffer__free(rb);
	return err;
}

int main(int argc, char **argv)
{
	struct dax_trace_bpf *skel = NULL;
	struct decision d = {};
	struct dt_out out = { .f = stdout };
	struct dt_phase t0;
	char err[256], run_id[128];
	int status;

	/* `daxtrace report ...` and the like: their own command line */
	if (dt_cli_subcommand(argc, argv, &status))
		return status;
	/*
	 * A transparent huge page in a heap of a few MB added 2 MB to RSS in
	 * one run in five or so, wherever brk landed. daxtrace execs nothing,
	 * so no other program inherits this.
	 */
	prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0);
	/* quiet until -v is parsed: --btf is checked through libbpf */
	libbpf_set_print(dt_libbpf_print);
	status = dt_cli_parse(argc, argv);
	if (status)
		return status;
	dt_telemetry = env.telemetry;

	if (check_environment(err, sizeof(err)) ||
	    setup_telemetry(&out, err, sizeof(err))) {
		fprintf(stderr, "daxtrace: %s\n", err);
		status = DT_EXIT_USAGE;
		goto cleanup;
	}
	setup_output(&out, run_id, sizeof(run_id));

	dt_phase(&t0, NULL);
	decide_backend(&d, &skel, &t0);
	if (d.why[0])
		fprintf(stderr, "daxtrace: %s\n", d.why);
	switch (d.backend) {
	case DT_BK_BPF:
		status = run_bpf(skel, &out, &t0) ? 1 : 0;	/* not -err: 2 is bad input's */
		break;
	case DT_BK_FTRACE:
		status = run_ftrace(&out);
		break;
	case BK_NONE:
		status = d.status;
	}

cleanup:
	dt_bpf_detach();
	dax_trace_bpf__destroy(skel);
	dt_tel_close(&tel);
	return status;
}
