/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The /metrics endpoint: a single-threaded, non-blocking HTTP/1.1 server
 * driven from the tracer's own poll loop. Fixed client slots, a fixed
 * request buffer and a deadline per connection bound its memory and
 * time, whatever the clients do; a client that holds a slot without
 * sending its request gives it up to a new one when all are taken.
 */
#ifndef __DT_HTTP_H
#define __DT_HTTP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include "buf.h"

#define DT_HTTP_MAX_CLIENTS	64
#define DT_HTTP_REQ_MAX		8192	/* request line + headers */
#define DT_HTTP_DEADLINE_MS	10000	/* whole exchange, from accept */
#define DT_HTTP_REQ_DEADLINE_MS	3000	/* the request, from accept */

/* Fill b with the body for /metrics; return 0 or -errno. */
typedef int (*dt_http_render_fn)(void *ctx, bool openmetrics, struct dt_buf *b);

struct dt_http_client {
	int fd;			/* -1: free slot */
	double accepted_ms;
	size_t rlen;
	char req[DT_HTTP_REQ_MAX + 1];
	struct dt_buf resp;
	size_t sent;
};

struct dt_http {
	int lfd;
	dt_http_render_fn render;
	void *ctx;
	/* evicted: still sending its request when all slots were wanted */
	unsigned long long served, rejected, timed_out, evicted;
	struct dt_buf cache[2];		/* this pass's text / OpenMetrics body */
	bool cached[2];
	bool render_err[2];
	struct dt_http_client c[DT_HTTP_MAX_CLIENTS];
};

int dt_http_parse_addr(const char *arg, char *host, size_t hlen, char *port,
		       size_t plen, char *err, size_t errlen);
int dt_http_open(struct dt_http *h, const char *addr, dt_http_render_fn render,
		 void *ctx, char *err, size_t errlen);
/* Fill pfds (listen socket first); returns how many were used. */
int dt_http_pollfds(struct dt_http *h, struct pollfd *pfds, int max);
void dt_http_service(struct dt_http *h, const struct pollfd *pfds, int n);
void dt_http_close(struct dt_http *h);

/* Exposed for the unit tests and the fuzzer. */
enum dt_http_verdict {
	DT_HTTP_INCOMPLETE,
	DT_HTTP_METRICS,
	DT_HTTP_INDEX,
	DT_HTTP_NOT_FOUND,
	DT_HTTP_BAD_METHOD,
	DT_HTTP_BAD_REQUEST,
	DT_HTTP_TOO_LARGE,
};

enum dt_http_verdict dt_http_parse_request(const char *req, size_t len,
					   bool *head, bool *openmetrics);

#endif /* __DT_HTTP_H */
