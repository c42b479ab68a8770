// SPDX-License-Identifier: GPL-2.0
/*
 * The telemetry side without a kernel: the JSON reader, the HTTP request
 * parser, the Prometheus/OpenMetrics exposition (checked by promtool
 * itself), and a capture -> `daxtrace report` round trip.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "http.h"
#include "json.h"
#include "metrics.h"
#include "offline_report.h"
#include "probe.h"
#include "report.h"
#include "telemetry.h"
#include "unit.h"

static const struct dt_dev devs[] = {
	{ .name = "dax0.0", .kdev = (252u << 20) | 0,
	  .info = { .mode = "devdax", .driver = "device_dax", .size = 262144000,
		    .align = 2097152, .numa_node = 0, .have_size = true,
		    .have_align = true, .have_numa = true } },
	{ .name = "pmem0.1", .kdev = (259u << 20) | 1,
	  .info = { .mode = "fsdax", .driver = "nd_pmem", .size = 775946240,
		    .align = 2097152, .numa_node = 0, .have_size = true,
		    .have_align = true, .have_numa = true,
		    .uuid = "72cbd96b-769f-4d1d-a99d-b2d434bd7bc0",
		    .uuid_of = DT_UUID_NAMESPACE } },
	/* a -d argument names a device again: still one series */
	{ .name = "pmem0.1", .kdev = (259u << 20) | 1 },
};
static const struct dt_names names = { devs, 3 };

static struct dt_json j;

static int parse(const char *s)
{
	return dt_json_parse(&j, s, strlen(s));
}

static void test_json(void)
{
	const struct dt_jnode *r, *a, *k;
	__u64 u;
	__s64 v;

	EXPECT_EQ(parse("{\"a\":[1,-2,{\"b\":\"x\\u00e9\\ud83d\\ude00\"}],\"t\":true,\"n\":null}"), 0);
	r = dt_json_root(&j);
	EXPECT_EQ(r->type, DT_J_OBJ);
	a = dt_json_get(&j, r, "a");
	EXPECT(a && a->type == DT_J_ARR);
	k = dt_json_child(&j, a);
	EXPECT_EQ(dt_json_u64(k, &u), 0);
	EXPECT_EQ(u, 1);
	k = dt_json_next(&j, k);
	EXPECT(dt_json_u64(k, &u) != 0);	/* negative */
	EXPECT_EQ(dt_json_s64(k, &v), 0);
	EXPECT_EQ(v, -2);
	k = dt_json_get(&j, dt_json_next(&j, k), "b");
	EXPECT_STR(k->str, "x\xc3\xa9\xf0\x9f\x98\x80");
	EXPECT(dt_json_get(&j, r, "t")->b);
	EXPECT_EQ(dt_json_get(&j, r, "n")->type, DT_J_NULL);
	EXPECT(!dt_json_get(&j, r, "missing"));

	EXPECT_EQ(parse("18446744073709551615"), 0);
	EXPECT_EQ(dt_json_u64(dt_json_root(&j), &u), 0);
	EXPECT(u == 18446744073709551615ULL);
	EXPECT_EQ(parse("18446744073709551616"), 0);
	EXPECT(dt_json_u64(dt_json_root(&j), &u) != 0);	/* overflow */
	EXPECT_EQ(parse("1.5e3"), 0);
	EXPECT(dt_json_u64(dt_json_root(&j), &u) != 0);	/* not an integer */

	/* each is rejected, with a column */
	EXPECT(parse("") != 0);
	EXPECT(parse("{\"a\":1") != 0);
	EXPECT_STR(j.err, "truncated object");
	EXPECT(parse("{\"a\":1}x") != 0);
	EXPECT_EQ(j.err_col, 8);
	EXPECT(parse("{\"a\" 1}") != 0);
	EXPECT(parse("[1,]") != 0);
	EXPECT(parse("01") != 0);
	EXPECT(parse("-") != 0);
	EXPECT(parse("1.") != 0);
	EXPECT(parse("\"\\x\"") != 0);
	EXPECT(parse("\"\\ud800\"") != 0);
	EXPECT(parse("\"\\u0000\"") != 0);
	EXPECT(parse("\"a\tb\"") != 0);
	EXPECT(parse("tru") != 0);
	EXPECT(parse("[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]") != 0);
	EXPECT_CONTAINS(j.err, "nested deeper");
	{
		char big[3 * DT_JSON_MAX_NODES + 8];
		int i, n = 0;

		big[n++] = '[';
		for (i = 0; i < DT_JSON_MAX_NODES; i++)
			n += sprintf(big + n, "1,");
		big[n - 1] = ']';
		big[n] = '\0';
		EXPECT(parse(big) != 0);
		EXPECT_CONTAINS(j.err, "more than");
	}
}

static void test_http(void)
{
	char h[64], p[8], err[128];
	bool head, om;

	EXPECT_EQ(dt_http_parse_addr("9479", h, sizeof(h), p, sizeof(p), err, sizeof(err)), 0);
	EXPECT_STR(h, "127.0.0.1");
	EXPECT_STR(p, "9479");
	EXPECT_EQ(dt_http_parse_addr("0.0.0.0:80", h, sizeof(h), p, sizeof(p), err, sizeof(err)), 0);
	EXPECT_STR(h, "0.0.0.0");
	EXPECT_EQ(dt_http_parse_addr("[::1]:9479", h, sizeof(h), p, sizeof(p), err, sizeof(err)), 0);
	EXPECT_STR(h, "::1");
	EXPECT(dt_http_parse_addr("::1:9479", h, sizeof(h), p, sizeof(p), err, sizeof(err)));
	EXPECT(dt_http_parse_addr("host:0", h, sizeof(h), p, sizeof(p), err, sizeof(err)));
	EXPECT(dt_http_parse_addr("65536", h, sizeof(h), p, sizeof(p), err, sizeof(err)));
	EXPECT(dt_http_parse_addr("-1", h, sizeof(h), p, sizeof(p), err, sizeof(err)));
	EXPECT(dt_http_parse_addr("x:", h, sizeof(h), p, sizeof(p), err, sizeof(err)));
	EXPECT(dt_http_parse_addr("[::1]9", h, sizeof(h), p, sizeof(p), err, sizeof(err)));

#define REQ(s) dt_http_parse_request(s, strlen(s), &head, &om)
	EXPECT_EQ(REQ("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"), DT_HTTP_METRICS);
	EXPECT(!om && !head);
	EXPECT_EQ(REQ("GET /metrics?x=1 HTTP/1.0\r\nAccept: application/openmetrics-text;version=1.0.0,text/plain;q=0.5\r\n\r\n"),
		  DT_HTTP_METRICS);
	EXPECT(om);
	EXPECT_EQ(REQ("HEAD /metrics HTTP/1.1\n\n"), DT_HTTP_METRICS);
	EXPECT(head);
	EXPECT_EQ(REQ("GET / HTTP/1.1\r\n\r\n"), DT_HTTP_INDEX);
	EXPECT_EQ(REQ("GET /other HTTP/1.1\r\n\r\n"), DT_HTTP_NOT_FOUND);
	EXPECT_EQ(REQ("POST /metrics HTTP/1.1\r\n\r\n"), DT_HTTP_BAD_METHOD);
	EXPECT_EQ(REQ("GET /metrics\r\n\r\n"), DT_HTTP_BAD_REQUEST);
	EXPECT_EQ(REQ("GET /metrics SPDY/3\r\n\r\n"), DT_HTTP_BAD_REQUEST);
	EXPECT_EQ(REQ("GET /metrics HTTP/1.1\r\nHost: x\r\n"), DT_HTTP_INCOMPLETE);
	EXPECT_EQ(REQ("GET /metr"), DT_HTTP_INCOMPLETE);
	{
		static char big[DT_HTTP_REQ_MAX + 1];

		memset(big, 'a', DT_HTTP_REQ_MAX);
		EXPECT_EQ(dt_http_parse_request(big, DT_HTTP_REQ_MAX, &head, &om),
			  DT_HTTP_TOO_LARGE);
	}
	EXPECT_EQ(dt_http_parse_request("GET /\0 HTTP/1.1\r\n\r\n", 19, &head, &om),
		  DT_HTTP_BAD_REQUEST);
}

/* A snapshot whose every number is known. */
static void make_snapshot(struct dt_snapshot *s)
{
	struct dt_stats *st;

	memset(s, 0, sizeof(*s));
	s->nstats = 3;
	s->stats = calloc(3, sizeof(*s->stats));
	s->stats[0].key = (struct dt_key){ devs[1].kdev, DT_OP_READ };
	st = &s->stats[0].st;
	st->calls = 10;
	st->bytes_req = 40960;
	st->bytes_done = 36864;
	st->shorts = 1;
	st->errors = 0;
	st->oks = 9;
	st->lat_sum_ns = 5000;
	st->len_hist[0] = 1;		/* the short read: 0 bytes */
	st->len_hist[12] = 9;		/* 4096 */
	st->lat_hist[8] = 10;		/* 256..511 ns */
	st->chk[DT_CHK_RW_COMPLETE][DT_PASS] = 9;
	st->chk[DT_CHK_RW_COMPLETE][DT_FAIL] = 1;

	s->stats[1].key = (struct dt_key){ devs[1].kdev, DT_OP_DIRECT_ACCESS };
	st = &s->stats[1].st;
	st->calls = 4;
	st->bytes_req = 4 * 4096;
	st->bytes_done = 3 * 4096;
	st->errors = 1;
	st->oks = 3;
	st->len_hist[0] = 1;		/* the EIO */
	st->len_hist[12] = 3;
	st->lat_hist[39] = 4;		/* the open-ended top bucket */
	st->lat_sum_ns = 4ULL << 40;
	st->chk[DT_CHK_DA_RET_RANGE][DT_PASS] = 4;

	s->stats[2].key = (struct dt_key){ devs[0].kdev, DT_OP_COPY_TO_ITER };
	st = &s->stats[2].st;
	st->calls = 2;
	st->bytes_req = 8192;
	st->bytes_done = 4096;
	st->shorts = 1;
	st->oks = 1;
	st->variant[DT_VAR_COPY_MC_TO_ITER] = 2;
	st->short_side[DT_SIDE_SOURCE] = 1;
	st->len_hist[0] = 1;
	st->len_hist[12] = 1;
	st->lat_hist[10] = 2;
	st->lat_sum_ns = 2048;

	/*
	 * Media errors: 1 EIO + 2 EHWPOISON from direct_access, of which the
	 * per-page LRU map kept one; an EIO of a read is not one.
	 */
	s->nerrs = 3;
	s->errs = calloc(3, sizeof(*s->errs));
	s->errs[0].key = (struct dt_err_key){ .dev = devs[1].kdev,
					      .op = DT_OP_DIRECT_ACCESS, .err = 5 };
	s->errs[0].n = 1;
	s->errs[1].key = (struct dt_err_key){ .dev = devs[1].kdev,
					      .op = DT_OP_READ, .err = 5 };
	s->errs[1].n = 4;
	s->errs[2].key = (struct dt_err_key){ .dev = devs[1].kdev,
					      .op = DT_OP_DIRECT_ACCESS, .err = 133 };
	s->errs[2].n = 2;
	s->nmedia = 1;
	s->media = calloc(1, sizeof(*s->media));
	s->media[0].key = (struct dt_media_key){ .dev = devs[1].kdev, .pgoff = 7 };
	s->media[0].n = 1;
	s->events = 3;
	s->bpf.rb_dropped = 2;
	s->bpf.thread_overflow = 7;
	/* measured for dax_iomap_rw only */
	s->skipped[DT_TGT_RW] = 11;
	s->skipped[DT_TGT_ITER] = 99;
	s->skipped_known = 1U << DT_TGT_RW;
	s->skipped_unread = 1U << DT_TGT_FAULT;	/* attached, not readable */
	dt_snapshot_checks(s);
	dt_snapshot_sort(s);
}

static int occurrences(const char *s, const char *what)
{
	int n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

static int run_promtool(const char *text)
{
	FILE *p = popen("promtool check metrics >/dev/null 2>&1", "w");

	if (!p)
		return -1;
	fputs(text, p);
	return pclose(p);
}

static void test_metrics(void)
{
	const struct dt_target t[] = {
		{ .func = "dax_iomap_rw" },
		{ .func = "dax_copy_to_iter" },
	};
	const struct dt_target_state st[] = {
		{ .method = DT_M_FENTRY, .attached = true },
		{ .method = DT_M_OFF },
	};
	struct dt_out o = { .names = &names, .targets = t, .states = st, .ntargets = 2 };
	struct dt_snapshot s;
	struct dt_buf b = {};
	int i;

	make_snapshot(&s);
	EXPECT_EQ(dt_metrics_render(&b, &s, &o, false), 0);
	EXPECT_CONTAINS(b.p, "# TYPE daxtrace_ops_total counter\n");
	/* one identity per device: a uuid where sysfs gives one, "" and "none" where not */
	EXPECT_CONTAINS(b.p, "# TYPE daxtrace_device_info gauge\n");
	EXPECT_CONTAINS(b.p, "daxtrace_device_info{device=\"pmem0.1\",mode=\"fsdax\",driver=\"nd_pmem\",size=\"775946240\",align=\"2097152\",numa_node=\"0\",uuid=\"72cbd96b-769f-4d1d-a99d-b2d434bd7bc0\",uuid_source=\"namespace\"} 1\n");
	EXPECT_CONTAINS(b.p, "daxtrace_device_info{device=\"dax0.0\",mode=\"devdax\",driver=\"device_dax\",size=\"262144000\",align=\"2097152\",numa_node=\"0\",uuid=\"\",uuid_source=\"none\"} 1\n");
	EXPECT_EQ(occurrences(b.p, "daxtrace_device_info{"), 2);
	EXPECT_CONTAINS(b.p, "daxtrace_ops_total{device=\"pmem0.1\",op=\"read\",result=\"ok\"} 9\n");
	EXPECT_CONTAINS(b.p, "daxtrace_ops_total{device=\"pmem0.1\",op=\"read\",result=\"short\"} 1\n");
	EXPECT_CONTAINS(b.p, "daxtrace_ops_total{device=\"pmem0.1\",op=\"direct_access\",result=\"error\"} 1\n");
	EXPECT_CONTAINS(b.p, "daxtrace_bytes_total{device=\"pmem0.1\",op=\"read\",kind=\"requested\"} 40960\n");
	EXPECT_CONTAINS(b.p, "daxtrace_bytes_total{device=\"pmem0.1\",op=\"read\",kind=\"done\"} 36864\n");
	EXPECT_CONTAINS(b.p, "daxtrace_bytes_total{device=\"pmem0.1\",op=\"direct_access\",kind=\"done\"} 12288\n");
	EXPECT_CONTAINS(b.p, "daxtrace_errors_total{device=\"pmem0.1\",op=\"direct_access\",errno=\"EIO\"} 1\n");
	EXPECT_CONTAINS(b.p, "daxtrace_short_copies_total{device=\"dax0.0\",side=\"source\"} 1\n");
	EXPECT_CONTAINS(b.p, "daxtrace_copy_variant_total{device=\"dax0.0\",op=\"copy_to_iter\",variant=\"_copy_mc_to_iter\"} 2\n");
	EXPECT_CONTAINS(b.p, "daxtrace_check_failures_total{device=\"pmem0.1\",check=\"rw.complete\"} 1\n");
	EXPECT_CONTAINS(b.p, "daxtrace_checks_total{device=\"pmem0.1\",check=\"rw.complete\",verdict=\"pass\"} 9\n");
	/* one le set for all: the read's values stop at 8191, dax0.0's at 4095 */
	EXPECT_EQ(occurrences(b.p, "daxtrace_returned_bytes_bucket{device=\"pmem0.1\",op=\"read\","),
		  DT_HIST_SLOTS);
	EXPECT_EQ(occurrences(b.p, "daxtrace_returned_bytes_bucket{device=\"dax0.0\",op=\"copy_to_iter\","),
		  DT_HIST_SLOTS);
	EXPECT_CONTAINS(b.p, "daxtrace_returned_bytes_bucket{device=\"dax0.0\",op=\"copy_to_iter\",le=\"549755813887\"} 2\n");
	/* from the error counters: never back when the LRU drops a page */
	EXPECT_CONTAINS(b.p, "daxtrace_media_errors_total{device=\"pmem0.1\"} 3\n");
	EXPECT_EQ(occurrences(b.p, "daxtrace_media_errors_total{"), 1);
	/* cumulative buckets with inclusive upper bounds 2^(i+1)-1 */
	EXPECT_CONTAINS(b.p, "daxtrace_returned_bytes_bucket{device=\"pmem0.1\",op=\"read\",le=\"1\"} 1\n");
	EXPECT_CONTAINS(b.p, "daxtrace_returned_bytes_bucket{device=\"pmem0.1\",op=\"read\",le=\"4095\"} 1\n");
	EXPECT_CONTAINS(b.p, "daxtrace_returned_bytes_bucket{device=\"pmem0.1\",op=\"read\",le=\"8191\"} 10\n");
	EXPECT_CONTAINS(b.p, "daxtrace_returned_bytes_bucket{device=\"pmem0.1\",op=\"read\",le=\"+Inf\"} 10\n");
	EXPECT_CONTAINS(b.p, "daxtrace_returned_bytes_count{device=\"pmem0.1\",op=\"read\"} 10\n");
	EXPECT_CONTAINS(b.p, "daxtrace_returned_bytes_sum{device=\"pmem0.1\",op=\"read\"} 36864\n");
	EXPECT_CONTAINS(b.p, "daxtrace_latency_seconds_bucket{device=\"pmem0.1\",op=\"read\",le=\"5.11e-07\"} 10\n");
	EXPECT_CONTAINS(b.p, "daxtrace_latency_seconds_sum{device=\"pmem0.1\",op=\"read\"} 5e-06\n");
	/* the top slot is open-ended: only +Inf holds it */
	EXPECT_CONTAINS(b.p, "daxtrace_latency_seconds_bucket{device=\"pmem0.1\",op=\"direct_access\",le=\"549.755813887\"} 0\n");
	EXPECT_CONTAINS(b.p, "daxtrace_latency_seconds_bucket{device=\"pmem0.1\",op=\"direct_access\",le=\"+Inf\"} 4\n");
	EXPECT_CONTAINS(b.p, "daxtrace_probe_attached{target=\"dax_iomap_rw\",method=\"fentry\"} 1\n");
	EXPECT_CONTAINS(b.p, "daxtrace_probe_attached{target=\"dax_copy_to_iter\",method=\"off\"} 0\n");
	EXPECT_CONTAINS(b.p, "daxtrace_ringbuf_dropped_total 2\n");
	EXPECT_CONTAINS(b.p, "daxtrace_thread_slot_overflow_total 7\n");
	EXPECT_CONTAINS(b.p, "daxtrace_kernel_skipped_runs_total{target=\"dax_iomap_rw\"} 11\n");
	EXPECT_EQ(occurrences(b.p, "daxtrace_kernel_skipped_runs_total{"), 1);
	EXPECT_CONTAINS(b.p, "# TYPE daxtrace_build_info gauge\n");
	EXPECT(!strstr(b.p, "# EOF"));
	EXPECT_EQ(run_promtool(b.p), 0);

	/* latency not measured for an op (fexit only): no series, not zeros */
	for (i = 0; i < s.nstats; i++) {
		if (s.stats[i].key.op != DT_OP_COPY_TO_ITER)
			continue;
		memset(s.stats[i].st.lat_hist, 0, sizeof(s.stats[i].st.lat_hist));
		s.stats[i].st.lat_sum_ns = 0;
	}
	dt_buf_reset(&b);
	EXPECT_EQ(dt_metrics_render(&b, &s, &o, false), 0);
	EXPECT(!strstr(b.p, "daxtrace_latency_seconds_count{device=\"dax0.0\""));
	EXPECT_CONTAINS(b.p, "daxtrace_latency_seconds_count{device=\"pmem0.1\",op=\"read\"} 10\n");
	EXPECT_CONTAINS(b.p, "daxtrace_returned_bytes_count{device=\"dax0.0\",op=\"copy_to_iter\"} 2\n");
	EXPECT_EQ(run_promtool(b.p), 0);

	dt_buf_reset(&b);
	EXPECT_EQ(dt_metrics_render(&b, &s, &o, true), 0);
	EXPECT_CONTAINS(b.p, "# TYPE daxtrace_ops counter\n");
	EXPECT_CONTAINS(b.p, "# TYPE daxtrace_build info\n");
	EXPECT_CONTAINS(b.p, "# TYPE daxtrace_device info\n");
	EXPECT_CONTAINS(b.p, "daxtrace_device_info{device=\"pmem0.1\",mode=\"fsdax\",");
	EXPECT_CONTAINS(b.p, "daxtrace_returned_bytes_bucket{device=\"pmem0.1\",op=\"read\",le=\"8191.0\"} 10\n");
	EXPECT(b.len > 6 && !strcmp(b.p + b.len - 6, "# EOF\n"));

	/* a label value that needs escaping stays one valid sample */
	{
		struct dt_dev odd[] = { { .name = "a\"b\\c", .kdev = devs[1].kdev } };
		struct dt_names on = { odd, 1 };

		o.names = &on;
		dt_buf_reset(&b);
		dt_metrics_render(&b, &s, &o, false);
		EXPECT_CONTAINS(b.p, "device=\"a\\\"b\\\\c\"");
		EXPECT_EQ(run_promtool(b.p), 0);
	}
	dt_buf_free(&b);
	dt_snapshot_free(&s);
}

/* Run `daxtrace report ARGS` in a child; its stdout and stderr come back. */
static int report(const char *const *args, char **out, char **err)
{
	char ofile[] = "/tmp/dt-report-out-XXXXXX", efile[] = "/tmp/dt-report-err-XXXXXX";
	int ofd = mkstemp(ofile), efd = mkstemp(efile), status, argc = 1;
	char *argv[16] = { "report" };
	size_t len;
	FILE *f;
	pid_t pid;

	while (args[argc - 1] && argc < 15) {
		argv[argc] = (char *)args[argc - 1];
		argc++;
	}
	fflush(NULL);
	pid = fork();
	if (!pid) {
		dup2(ofd, 1);
		dup2(efd, 2);
		_exit(dt_offline_report_main(argc, argv));
	}
	waitpid(pid, &status, 0);
	f = fopen(ofile, "r");
	*out = NULL;
	if (getdelim(out, &len, '\0', f) < 0 && *out)
		**out = '\0';	/* nothing written */
	fclose(f);
	f = fopen(efile, "r");
	*err = NULL;
	if (getdelim(err, &len, '\0', f) < 0 && *err)
		**err = '\0';	/* nothing written */
	fclose(f);
	if (!*out)
		*out = strdup("");
	if (!*err)
		*err = strdup("");
	close(ofd);
	close(efd);
	unlink(ofile);
	unlink(efile);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static char *write_tmp(const char *text)
{
	static char name[64];
	int fd;

	snprintf(name, sizeof(name), "/tmp/dt-capture-XXXXXX");
	fd = mkstemp(name);
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	return name;
}

static void test_report_roundtrip(void)
{
	struct dt_out o = { .json = true, .names = &names, .hist = true, .run_id = "h:1:1",
			    .targets = dt_targets, .states = dt_states,
			    .ntargets = DT_NTARGETS };
	struct dt_snapshot s;
	char *cap = NULL, *two = NULL, *out, *err, *file;
	size_t len = 0;
	FILE *f;

	make_snapshot(&s);
	f = open_memstream(&cap, &len);
	o.f = f;
	fputs("{\"type\":\"probes\",\"backend\":\"bpf\",\"run\":\"h:1:1\",\"targets\":[]}\n", f);
	/* an earlier cumulative snapshot of the same run is superseded */
	fputs("{\"type\":\"summary\",\"device\":\"pmem0.1\",\"op\":\"read\",\"calls\":1,"
	      "\"bytes_requested\":1,\"bytes_done\":1,\"short\":0,\"errors\":{}}\n"
	      "{\"type\":\"stats\",\"events\":0,\"ringbuf_dropped\":0,\"map_full\":0,\"thread_overflow\":0,"
	      "\"run\":\"h:1:1\"}\n", f);
	dt_summary_print(&o, &s);
	fclose(f);

	file = write_tmp(cap);
	EXPECT_EQ(report((const char *[]){ "-j", file, NULL }, &out, &err), 0);
	/* everything but the stats record (which names the run) is identical */
	{
		char *orig = strstr(cap, "\"run\":\"h:1:1\"}\n") + 15;
		char *ostats = strstr(orig, "{\"type\":\"stats\"");
		char *rstats = strstr(out, "{\"type\":\"stats\"");

		EXPECT(ostats && rstats);
		if (ostats && rstats) {
			EXPECT_EQ(rstats - out, ostats - orig);
			EXPECT(!strncmp(out, orig, ostats - orig));
			if (strncmp(out, orig, ostats - orig))
				fprintf(stderr, "--- original\n%.*s--- report\n%s", (int)(ostats - orig), orig, out);
			EXPECT_STR(rstats, "{\"type\":\"stats\",\"events\":3,\"ringbuf_dropped\":2,\"map_full\":0,\"thread_overflow\":7,\"top_files\":10,\"files_counted\":null,\"file_map_full\":null,\"kernel_skipped_total\":11,\"kernel_skipped\":{\"dax_iomap_rw\":11},\"kernel_skipped_unread\":[\"dax_iomap_fault\"],\"counts_may_be_short\":true}\n");
		}
	}
	free(out);
	free(err);
	EXPECT_EQ(report((const char *[]){ file, NULL }, &out, &err), 0);
	EXPECT_CONTAINS(out, "1 run, 1 file");
	EXPECT_CONTAINS(out, "7 ops in task storage (another live thread held their thread's slot)\n");
	EXPECT_CONTAINS(out, "rw.complete");
	EXPECT_CONTAINS(out, "<-- BROKEN");
	free(out);
	free(err);
	unlink(file);

	/* two runs (a restarted service) sum */
	len = strlen(cap);
	two = malloc(2 * len + 1);
	strcpy(two, cap);
	strcat(two, cap);
	{
		char *p = two + len;

		while ((p = strstr(p, "h:1:1")))
			memcpy(p, "h:2:2", 5);
	}
	file = write_tmp(two);
	EXPECT_EQ(report((const char *[]){ "-j", file, NULL }, &out, &err), 0);
	EXPECT_CONTAINS(out, "\"op\":\"read\",\"calls\":20,\"bytes_requested\":81920");
	EXPECT_CONTAINS(out, "\"check\":\"rw.complete\",\"pass\":18,\"fail\":2");
	EXPECT_CONTAINS(out, "\"events\":6,\"ringbuf_dropped\":4");
	free(out);
	free(err);
	unlink(file);
	free(two);
	free(cap);
	dt_snapshot_free(&s);
}

/* A fault.size failure event comes back from a capture as it went in. */
static void test_report_fault_size(void)
{
	static const char ev[] = "{\"type\":\"event\",\"ts_ns\":101000,\"comm\":\"daxload\",\"pid\":9,\"tid\":9,\"device\":\"259:1\",\"uuid\":null,\"op\":\"fault\",\"why\":[\"check\"],\"offset\":2097152,\"asked\":2097152,\"got\":2048,\"errno\":null,\"checks_failed\":[\"fault.size\"],\"lat_ns\":1000,\"seq\":1,\"size\":\"pmd\",\"fallback\":true,\"ino\":12,\"path\":null,\"fault_size\":{\"best\":\"pmd\",\"why\":[\"kernel\"],\"address\":\"0x7f0000200000\",\"vm_start\":\"0x7f0000000000\",\"vm_end\":\"0x7f0000400000\"}}\n";
	char *out, *err, *file, cap[2048];

	snprintf(cap, sizeof(cap), "{\"type\":\"probes\",\"backend\":\"bpf\",\"run\":\"h:1:1\"}\n%s"
		 "{\"type\":\"check\",\"device\":\"259:1\",\"check\":\"fault.size\",\"pass\":0,"
		 "\"fail\":1,\"na\":0}\n"
		 "{\"type\":\"stats\",\"events\":1,\"ringbuf_dropped\":0,\"run\":\"h:1:1\"}\n", ev);
	file = write_tmp(cap);
	EXPECT_EQ(report((const char *[]){ "-j", file, NULL }, &out, &err), 0);
	EXPECT(!strncmp(out, ev, strlen(ev)));
	EXPECT_CONTAINS(out, "\"check\":\"fault.size\",\"pass\":0,\"fail\":1,\"na\":0");
	free(out);
	free(err);
	EXPECT_EQ(report((const char *[]){ file, NULL }, &out, &err), 0);
	EXPECT_CONTAINS(out, "in VMA 0x7f0000000000-0x7f0000400000: a pmd was possible");
	free(out);
	free(err);
	unlink(file);
}

static void bad_capture(const char *text, const char *want)
{
	char *file = write_tmp(text), *out, *err;

	EXPECT_EQ(report((const char *[]){ file, NULL }, &out, &err), 2);
	EXPECT_CONTAINS(err, want);
	free(out);
	free(err);
	unlink(file);
}

static void test_report_errors(void)
{
	char *out, *err;
	static const char ok[] = "{\"type\":\"stats\",\"events\":0,\"ringbuf_dropped\":0}\n";

	bad_capture("{\"type\":\"stats\",\"events\":0,\"ringbuf_dropped\":0}\n{\"type\":",
		    ":2: truncated: the last line has no newline");
	bad_capture("{\"type\":\"summary\"}\n", ":1: \"device\" is missing");
	bad_capture("\n\n{\"type\":\"summary\",\"device\":\"x\",\"op\":\"nope\"}\n",
		    ":3: unknown op \"nope\"");
	bad_capture("{\"type\":\"summary\",\"device\":\"x\",\"op\":\"read\",\"calls\":-1}\n",
		    ":1: \"calls\" is not a non-negative integer");
	bad_capture("{\"type\":\"check\",\"device\":\"x\",\"check\":\"c\",\"pass\":1}\n",
		    ":1: unknown check \"c\"");
	bad_capture("{\"type\":\"summary\",\"device\":\"x\",\"op\":\"read\",\"calls\":1,"
		    "\"bytes_requested\":1,\"bytes_done\":1,\"short\":0,\"len_hist\":[[3,1]]}\n",
		    "3 is not a power of two");
	bad_capture("{\"type\":\"summary\",\"device\":\"x\",\"op\":\"read\",\"calls\":1,"
		    "\"bytes_requested\":1,\"bytes_done\":1,\"short\":0}\n",
		    "ends inside a snapshot");
	bad_capture("{\"type\":\"event\",\"device\":\"x\",\"op\":\"read\",\"why\":[\"bogus\"]}\n",
		    "unknown name \"bogus\"");
	bad_capture("[1,2]\n", ":1: not a JSON object");
	bad_capture("{\"type\":1}\n", "\"type\" is not a string");
	bad_capture("\x7f\x45\x4c\x46\x02\n", ":1: column 1: unexpected character");
	bad_capture("{\"a\":\"\\q\"}\n", ":1: column 9: bad escape");

	{
		char *file = write_tmp("{\"type\":\"event\",\"device\":\"x\",\"op\":\"read\"}\n");

		EXPECT_EQ(report((const char *[]){ file, NULL }, &out, &err), 1);
		EXPECT_CONTAINS(err, "no summary in the capture (1 events)");
		free(out);
		free(err);
		unlink(file);
	}
	/* a run killed mid-line, then restarted: the cut line is skipped */
	{
		char *file = write_tmp(
			"{\"type\":\"probes\",\"run\":\"a\"}\n"
			"{\"type\":\"summary\",\"device\":\"x\",\"op\":\"read\",\"calls\":2,"
			"\"bytes_requested\":2,\"bytes_done\":2,\"short\":0}\n"
			"{\"type\":\"stats\",\"events\":0,\"ringbuf_dropped\":0,\"run\":\"a\"}\n"
			"{\"type\":\"summary\",\"device\":\"x\",\"op\":\"read\",\"calls\":3,"
			"\"bytes_requested\":3,\"bytes_done\":3,\"short\":0}\n"
			"{\"type\":\"summ\n"
			"{\"type\":\"probes\",\"run\":\"b\"}\n"
			"{\"type\":\"summary\",\"device\":\"x\",\"op\":\"read\",\"calls\":5,"
			"\"bytes_requested\":5,\"bytes_done\":5,\"short\":0}\n"
			"{\"type\":\"stats\",\"events\":0,\"ringbuf_dropped\":0,\"run\":\"b\"}\n");

		EXPECT_EQ(report((const char *[]){ "-j", file, NULL }, &out, &err), 0);
		EXPECT_CONTAINS(out, "\"calls\":7,");	/* run a's complete 2 + run b's 5 */
		EXPECT_CONTAINS(err, ":5: column 14: unterminated string");
		EXPECT_CONTAINS(err, "a killed run's last line, skipped");
		EXPECT_CONTAINS(err, ":6: the run before ended inside a snapshot");
		free(out);
		free(err);
		unlink(file);
	}
	/* a bad line not followed by a run start is an error, at its line */
	bad_capture("{\"type\":\"stats\",\"events\":0,\"ringbuf_dropped\":0}\n{\"type\"\n"
		    "{\"type\":\"stats\",\"events\":0,\"ringbuf_dropped\":0}\n",
		    ":2: column 8: expected ':'");
	{
		static const char nul[] = "{\"type\":\"st\0ats\"}\n";
		char *file = write_tmp("");
		FILE *f = fopen(file, "w");

		fwrite(nul, 1, sizeof(nul) - 1, f);
		fclose(f);
		EXPECT_EQ(report((const char *[]){ file, NULL }, &out, &err), 2);
		EXPECT_CONTAINS(err, ":1: NUL byte in a line");
		free(out);
		free(err);
		unlink(file);
	}
	/* rotated files in any order: the run's largest snapshot wins */
	{
		char one[] = "{\"type\":\"summary\",\"device\":\"x\",\"op\":\"read\",\"calls\":1,"
			     "\"bytes_requested\":1,\"bytes_done\":1,\"short\":0}\n"
			     "{\"type\":\"stats\",\"events\":0,\"ringbuf_dropped\":0,\"run\":\"r\"}\n";
		char nine[] = "{\"type\":\"summary\",\"device\":\"x\",\"op\":\"read\",\"calls\":9,"
			      "\"bytes_requested\":9,\"bytes_done\":9,\"short\":0}\n"
			      "{\"type\":\"stats\",\"events\":0,\"ringbuf_dropped\":0,\"run\":\"r\"}\n";
		char f1[64], f2[64];

		snprintf(f1, sizeof(f1), "%s", write_tmp(one));
		snprintf(f2, sizeof(f2), "%s", write_tmp(nine));
		EXPECT_EQ(report((const char *[]){ "-j", f2, f1, NULL }, &out, &err), 0);
		EXPECT_CONTAINS(out, "\"calls\":9,");
		free(out);
		free(err);
		unlink(f1);
		unlink(f2);
	}
	EXPECT_EQ(report((const char *[]){ "/nonexistent/cap", NULL }, &out, &err), 2);
	EXPECT_CONTAINS(err, "/nonexistent/cap: No such file");
	free(out);
	free(err);
	{
		char *file = write_tmp(ok);

		EXPECT_EQ(report((const char *[]){ file, NULL }, &out, &err), 0);
		free(out);
		free(err);
		unlink(file);
	}
}

static int tiny_render(void *ctx, bool om, struct dt_buf *b)
{
	dt_buf_printf(b, "up 1\n");
	return b->err;
}

static int clients(const struct dt_http *h)
{
	int i, n = 0;

	for (i = 0; i < DT_HTTP_MAX_CLIENTS; i++)
		n += h->c[i].fd >= 0;
	return n;
}

/*
 * Run the server's side of poll() until fd has something to read (fd
 * >= 0) or the server holds want clients, or 2 s pass: within the
 * request deadline, so no client is dropped for its age here.
 */
static void serve_until(struct dt_http *h, int fd, int want)
{
	struct pollfd pf[DT_HTTP_MAX_CLIENTS + 1], me = { .fd = fd, .events = POLLIN };
	int i, n;

	for (i = 0; i < 200; i++) {
		if (fd >= 0 ? poll(&me, 1, 0) > 0 : clients(h) == want)
			break;
		n = dt_http_pollfds(h, pf, DT_HTTP_MAX_CLIENTS + 1);
		poll(pf, n, 10);
		dt_http_service(h, pf, n);
	}
}

static int connect_to(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * Every slot held by a client that never finishes its request: a scrape
 * still gets its answer, from the slot held longest.
 */
static void test_http_slots(void)
{
	static struct dt_http h;
	int idle[DT_HTTP_MAX_CLIENTS], port, fd, i;
	const char *req = "GET /metrics HTTP/1.1\r\n\r\n";
	char addr[16], err[128], resp[256] = "";
	ssize_t n;

	for (port = 39000 + getpid() % 1000, i = 0; i < 20; i++, port++) {
		snprintf(addr, sizeof(addr), "%d", port);
		if (!dt_http_open(&h, addr, tiny_render, NULL, err, sizeof(err)))
			break;
	}
	EXPECT(i < 20);
	if (i == 20)
		return;
	for (i = 0; i < DT_HTTP_MAX_CLIENTS; i++) {
		idle[i] = connect_to(port);
		EXPECT(idle[i] >= 0);
		EXPECT_EQ(send(idle[i], "GET /met", 8, 0), 8);
	}
	serve_until(&h, -1, DT_HTTP_MAX_CLIENTS);	/* accepted, not answered */
	EXPECT_EQ(clients(&h), DT_HTTP_MAX_CLIENTS);
	EXPECT_EQ(h.evicted, 0);
	fd = connect_to(port);
	n = strlen(req);
	EXPECT_EQ(send(fd, req, n, 0), n);
	serve_until(&h, fd, 0);
	n = recv(fd, resp, sizeof(resp) - 1, MSG_DONTWAIT);
	resp[n > 0 ? n : 0] = '\0';
	EXPECT_CONTAINS(resp, "HTTP/1.1 200 OK");
	EXPECT_CONTAINS(resp, "\r\n\r\nup 1\n");
	EXPECT_EQ(h.evicted, 1);
	EXPECT_EQ(h.rejected, 0);
	/* the one evicted is the first, held longest: closed (reset: unread data) */
	n = recv(idle[0], resp, sizeof(resp), MSG_DONTWAIT);
	EXPECT(n == 0 || (n < 0 && errno == ECONNRESET));
	n = recv(idle[1], resp, sizeof(resp), MSG_DONTWAIT);
	EXPECT(n < 0 && errno == EAGAIN);	/* the others wait on */
	close(fd);
	for (i = 0; i < DT_HTTP_MAX_CLIENTS; i++)
		close(idle[i]);
	dt_http_close(&h);
}

static bool file_is(const char *path, const char *want)
{
	char got[64] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(got, 1, sizeof(got) - 1, f);
	fclose(f);
	got[n] = '\0';
	return !strcmp(got, want);
}

/*
 * Rotation as root in a directory others may write: a symlink planted
 * where the fresh file goes must not be followed.
 */
static void test_capture_rotate(void)
{
	char dir[] = "/tmp/dt_rot.XXXXXX", path[64], victim[64], planted[80];
	char p1[80], p2[80];
	struct dt_capture c = { .path = path, .keep = 2 };
	struct stat st;
	FILE *f;

	EXPECT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/cap.json", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(planted, sizeof(planted), "%s.new", path);
	snprintf(p1, sizeof(p1), "%s.1", path);
	snprintf(p2, sizeof(p2), "%s.2", path);
	f = fopen(victim, "w");
	EXPECT(f != NULL);
	fputs("precious\n", f);
	fclose(f);
	EXPECT_EQ(symlink(victim, planted), 0);

	f = fopen(path, "w");
	fputs("first\n", f);
	EXPECT_EQ(dt_capture_rotate(&c, &f), 0);
	fputs("second\n", f);
	EXPECT_EQ(dt_capture_rotate(&c, &f), 0);
	fputs("third\n", f);
	fclose(f);

	EXPECT(file_is(victim, "precious\n"));
	EXPECT(lstat(path, &st) == 0 && S_ISREG(st.st_mode));
	EXPECT(file_is(path, "third\n"));
	EXPECT(file_is(p1, "second\n"));
	EXPECT(file_is(p2, "first\n"));
	EXPECT_EQ(c.rotations, 2);
	unlink(path);
	unlink(p1);
	unlink(p2);
	unlink(planted);
	unlink(victim);
	EXPECT_EQ(rmdir(dir), 0);	/* nothing else was left behind */
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? (mode_t)-1 : st.st_mode & 07777;
}

/* Captures hold kernel addresses: owner-only, whatever umask or the old file said. */
static void test_capture_modes(void)
{
	char dir[] = "/tmp/dt_mode.XXXXXX", path[64], p1[80], err[128];
	struct dt_capture c = { .path = path, .keep = 1 };
	mode_t old = umask(022);
	FILE *f;

	EXPECT(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/cap.json", dir);
	snprintf(p1, sizeof(p1), "%s.1", path);
	EXPECT_EQ(dt_capture_open(&c, &f, err, sizeof(err)), 0);
	EXPECT_EQ(mode_of(path), 0600);
	fputs("one\n", f);
	EXPECT_EQ(dt_capture_rotate(&c, &f), 0);
	EXPECT_EQ(mode_of(path), 0600);
	EXPECT_EQ(mode_of(p1), 0600);
	fclose(f);
	/* an existing capture others could read is made owner-only */
	EXPECT_EQ(chmod(path, 0644), 0);
	EXPECT_EQ(dt_capture_open(&c, &f, err, sizeof(err)), 0);
	EXPECT_EQ(mode_of(path), 0600);
	fclose(f);
	/* never a chmod of something that is not a plain file (a FIFO here) */
	unlink(path);
	EXPECT_EQ(mkfifo(path, 0644), 0);
	EXPECT_EQ(dt_capture_open(&c, &f, err, sizeof(err)), -EINVAL);
	EXPECT(strstr(err, ": not a regular file") != NULL);
	EXPECT_EQ(mode_of(path), 0644);
	unlink(path);
	unlink(p1);
	EXPECT_EQ(rmdir(dir), 0);
	umask(old);
}

int main(void)
{
	test_json();
	test_http();
	test_http_slots();
	test_metrics();
	test_report_roundtrip();
	test_report_fault_size();
	test_report_errors();
	test_capture_rotate();
	test_capture_modes();
	dt_json_free(&j);
	return unit_done("test_telemetry");
}
