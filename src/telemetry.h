/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a long-running daxtrace hands to the outside world besides its
 * event stream: the /metrics endpoint, the node_exporter textfile and the
 * rotated -o capture. Both backends' loops wait through dt_tel_wait(),
 * so all three work the same on either.
 */
#ifndef __DT_TELEMETRY_H
#define __DT_TELEMETRY_H

#include <stdbool.h>
#include <time.h>
#include "http.h"
#include "report.h"

struct dt_capture {
	const char *path;
	unsigned long long max_bytes;	/* rotate past this */
	int keep;			/* rotated files kept: PATH.1 .. PATH.keep */
	unsigned long rotations;
};

struct dt_telemetry {
	struct dt_http http;
	bool http_on;
	const char *http_addr;
	const char *textfile;
	unsigned long tf_interval;	/* seconds */
	time_t tf_next;
	bool tf_failed;			/* reported once, then retried quietly */
	struct dt_capture cap;
	bool cap_on;
	bool cap_failed;
	unsigned long long cap_retry_at;	/* file offset past a failed rotation */
	/* the backend's view of its totals */
	int (*snap)(void *ctx, struct dt_snapshot *s);
	void (*put)(void *ctx, struct dt_snapshot *s);
	void *ctx;
	struct dt_out *out;
};

int dt_capture_open(struct dt_capture *c, FILE **f, char *err, size_t errlen);
int dt_capture_rotate(struct dt_capture *c, FILE **f);

int dt_tel_open_http(struct dt_telemetry *t, const char *addr, char *err, size_t errlen);
void dt_tel_start(struct dt_telemetry *t, struct dt_out *out,
		  int (*snap)(void *, struct dt_snapshot *),
		  void (*put)(void *, struct dt_snapshot *), void *ctx);
/* Wait up to timeout_ms for fd (may be -1); serve scrapes meanwhile. */
int dt_tel_wait(struct dt_telemetry *t, int fd, int timeout_ms);
void dt_tel_finish(struct dt_telemetry *t);
void dt_tel_close(struct dt_telemetry *t);

#endif /* __DT_TELEMETRY_H */
