// SPDX-License-Identifier: GPL-2.0
/*
 * Tracing comes first: nothing here blocks. A client that is slow,
 * silent, malformed or oversized gets an error or its slot back at the
 * deadline; its bytes never grow anything beyond the slot's buffer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "clock.h"
#include "http.h"
#include "metrics.h"

/* "PORT", ":PORT", "HOST:PORT" or "[V6]:PORT"; no host means loopback. */
int dt_http_parse_addr(const char *arg, char *host, size_t hlen, char *port,
		       size_t plen, char *err, size_t errlen)
{
	const char *colon, *p;
	unsigned long v;
	char *end;
	size_t n;

	if (arg[0] == '[') {
		colon = strstr(arg, "]:");
		if (!colon) {
			snprintf(err, errlen, "want [IPV6]:PORT");
			return -EINVAL;
		}
		n = colon - arg - 1;
		p = colon + 2;
		arg++;
	} else {
		colon = strrchr(arg, ':');
		n = colon ? (size_t)(colon - arg) : 0;
		p = colon ? colon + 1 : arg;
		if (colon && memchr(arg, ':', n)) {
			snprintf(err, errlen, "an IPv6 address needs brackets: [ADDR]:PORT");
			return -EINVAL;
		}
	}
	if (n >= hlen) {
		snprintf(err, errlen, "address too long");
		return -EINVAL;
	}
	memcpy(host, arg, n);
	host[n] = '\0';
	if (!n)
		snprintf(host, hlen, "127.0.0.1");
	errno = 0;
	v = strtoul(p, &end, 10);
	if (!*p || *end || *p == '-' || *p == '+' || errno || v < 1 || v > 65535) {
		snprintf(err, errlen, "invalid port '%s' (want 1..65535)", p);
		return -EINVAL;
	}
	snprintf(port, plen, "%lu", v);
	return 0;
}

int dt_http_open(struct dt_http *h, const char *addr, dt_http_render_fn render,
		 void *ctx, char *err, size_t errlen)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	}, *ai;
	char host[256], port[8], e[128];
	int i, one = 1, rc;

	memset(h, 0, sizeof(*h));
	h->lfd = -1;
	for (i = 0; i < DT_HTTP_MAX_CLIENTS; i++)
		h->c[i].fd = -1;
	h->render = render;
	h->ctx = ctx;
	if (dt_http_parse_addr(addr, host, sizeof(host), port, sizeof(port), e, sizeof(e))) {
		snprintf(err, errlen, "%s", e);
		return -EINVAL;
	}
	rc = getaddrinfo(host, port, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(rc));
		return -EINVAL;
	}
	h->lfd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->lfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "socket: %s", strerror(errno));
		goto out;
	}
	setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->lfd, ai->ai_addr, ai->ai_addrlen) || listen(h->lfd, 128)) {
		rc = -errno;
		snprintf(err, errlen, "cannot listen on %s:%s: %s", host, port,
			 strerror(errno));
		close(h->lfd);
		h->lfd = -1;
	}
out:
	freeaddrinfo(ai);
	return rc;
}

int dt_http_pollfds(struct dt_http *h, struct pollfd *pfds, int max)
{
	int i, n = 0;

	if (!h || h->lfd < 0 || max < 1)
		return 0;
	pfds[n].fd = h->lfd;
	pfds[n++].events = POLLIN;
	for (i = 0; i < DT_HTTP_MAX_CLIENTS && n < max; i++) {
		struct dt_http_client *c = &h->c[i];

		if (c->fd < 0)
			continue;
		pfds[n].fd = c->fd;
		pfds[n++].events = c->resp.len ? POLLOUT : POLLIN;
	}
	return n;
}

static void drop(struct dt_http_client *c)
{
	close(c->fd);
	c->fd = -1;
	c->rlen = 0;
	c->sent = 0;
	/* nothing kept between scrapes: idle memory is the slots alone */
	dt_buf_free(&c->resp);
}

static bool header_has(const char *req, const char *name, const char *needle)
{
	size_t nl = strlen(name);
	const char *l;

	for (l = strchr(req, '\n'); l; l = strchr(l, '\n')) {
		l++;
		if (!strncasecmp(l, name, nl) && l[nl] == ':') {
			const char *end = strchr(l, '\n');
			size_t len = end ? (size_t)(end - l) : strlen(l);

			return memmem(l, len, needle, strlen(needle)) != NULL;
		}
	}
	return false;
}

/* Look at a (partial) request: what to answer, or wait for more. */
enum dt_http_verdict dt_http_parse_request(const char *req, size_t len,
					   bool *head, bool *openmetrics)
{
	const char *eol = memchr(req, '\n', len), *sp1, *sp2, *path_end;
	size_t plen;

	*head = false;
	*openmetrics = false;
	if (memchr(req, '\0', len))
		return DT_HTTP_BAD_REQUEST;
	if (!eol)
		return len >= DT_HTTP_REQ_MAX ? DT_HTTP_TOO_LARGE : DT_HTTP_INCOMPLETE;
	if (!memmem(req, len, "\r\n\r\n", 4) && !memmem(req, len, "\n\n", 2))
		return len >= DT_HTTP_REQ_MAX ? DT_HTTP_TOO_LARGE : DT_HTTP_INCOMPLETE;
	sp1 = memchr(req, ' ', eol - req);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', eol - sp1 - 1) : NULL;
	if (!sp1 || !sp2 || sp1 == req || sp2 == sp1 + 1 ||
	    strncmp(sp2 + 1, "HTTP/1.", 7))
		return DT_HTTP_BAD_REQUEST;
	if (sp1 - req == 4 && !memcmp(req, "HEAD", 4))
		*head = true;
	else if (sp1 - req != 3 || memcmp(req, "GET", 3))
		return DT_HTTP_BAD_METHOD;
	path_end = memchr(sp1 + 1, '?', sp2 - sp1 - 1) ?: sp2;
	plen = path_end - sp1 - 1;
	*openmetrics = header_has(req, "accept", "application/openmetrics-text");
	if (plen == 8 && !memcmp(sp1 + 1, "/metrics", 8))
		return DT_HTTP_METRICS;
	if (plen == 1 && sp1[1] == '/')
		return DT_HTTP_INDEX;
	return DT_HTTP_NOT_FOUND;
}

static void respond(struct dt_http_client *c, const char *status, const char *ctype,
		    const char *body, size_t blen, bool head)
{
	struct dt_buf *b = &c->resp;

	dt_buf_reset(b);
	dt_buf_printf(b, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		      "%sConnection: close\r\n\r\n", status, ctype, blen,
		      !strncmp(status, "405", 3) ? "Allow: GET, HEAD\r\n" : "");
	if (!head)
		dt_buf_add(b, body, blen);
}

static void answer(struct dt_http *h, struct dt_http_client *c,
		   enum dt_http_verdict v, bool head, bool om)
{
	static const char page[] =
		"<html><head><title>daxtrace</title></head><body>"
		"<a href=\"/metrics\">/metrics</a></body></html>\n";
	struct dt_buf *body = &h->cache[om];

	switch (v) {
	case DT_HTTP_METRICS:
		/* one snapshot per loop pass, however many scrapes arrive in it */
		if (!h->cached[om]) {
			dt_buf_reset(body);
			h->cached[om] = true;
			h->render_err[om] = h->render(h->ctx, om, body) || body->err;
		}
		if (h->render_err[om]) {
			respond(c, "500 Internal Server Error", "text/plain", "snapshot failed\n",
				16, head);
			break;
		}
		respond(c, "200 OK", om ? DT_CT_OM : DT_CT_PROM, body->p, body->len, head);
		h->served++;
		break;
	case DT_HTTP_INDEX:
		respond(c, "200 OK", "text/html", page, sizeof(page) - 1, head);
		break;
	case DT_HTTP_NOT_FOUND:
		respond(c, "404 Not Found", "text/plain", "not found: try /metrics\n", 24, head);
		break;
	case DT_HTTP_BAD_METHOD:
		respond(c, "405 Method Not Allowed", "text/plain", "GET or HEAD only\n", 17,
			false);
		break;
	case DT_HTTP_TOO_LARGE:
		respond(c, "431 Request Header Fields Too Large", "text/plain",
			"request too large\n", 18, false);
		h->rejected++;
		break;
	default:
		respond(c, "400 Bad Request", "text/plain", "bad request\n", 12, false);
		h->rejected++;
		break;
	}
	if (c->resp.err)
		drop(c);
}

/*
 * A free slot, else the one held longest by a client that has not sent
 * its request yet: 64 idle connections (anyone who can connect can open
 * them) must not lock out every scrape until their deadlines.
 */
static int free_slot(struct dt_http *h)
{
	int i, old = -1;

	for (i = 0; i < DT_HTTP_MAX_CLIENTS; i++) {
		if (h->c[i].fd < 0)
			return i;
		if (!h->c[i].resp.len &&
		    (old < 0 || h->c[i].accepted_ms < h->c[old].accepted_ms))
			old = i;
	}
	if (old >= 0) {
		drop(&h->c[old]);
		h->evicted++;
	}
	return old;
}

static void accept_all(struct dt_http *h, double now)
{
	int fd, i;

	for (;;) {
		fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		i = free_slot(h);
		if (i < 0) {
			/* every slot is sending a response: shed load */
			close(fd);
			h->rejected++;
			continue;
		}
		h->c[i].fd = fd;
		h->c[i].rlen = 0;
		h->c[i].sent = 0;
		h->c[i].accepted_ms = now;
	}
}

static void on_readable(struct dt_http *h, struct dt_http_client *c)
{
	enum dt_http_verdict v;
	bool head, om;
	ssize_t n;

	n = recv(c->fd, c->req + c->rlen, DT_HTTP_REQ_MAX - c->rlen, 0);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		drop(c);
		return;
	}
	if (n < 0)
		return;
	c->rlen += n;
	c->req[c->rlen] = '\0';
	v = dt_http_parse_request(c->req, c->rlen, &head, &om);
	if (v != DT_HTTP_INCOMPLETE)
		answer(h, c, v, head, om);
}

static void on_writable(struct dt_http_client *c)
{
	ssize_t n;

	n = send(c->fd, c->resp.p + c->sent, c->resp.len - c->sent, MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		drop(c);
		return;
	}
	c->sent += n;
	if (c->sent == c->resp.len)
		drop(c);
}

void dt_http_service(struct dt_http *h, const struct pollfd *pfds, int n)
{
	double now = dt_mono_ms();
	int i, k;

	if (!h || h->lfd < 0)
		return;
	h->cached[0] = h->cached[1] = false;
	for (k = 0; k < n; k++) {
		if (!pfds[k].revents)
			continue;
		if (pfds[k].fd == h->lfd) {
			accept_all(h, now);
			continue;
		}
		for (i = 0; i < DT_HTTP_MAX_CLIENTS; i++) {
			struct dt_http_client *c = &h->c[i];

			if (c->fd != pfds[k].fd)
				continue;
			if (pfds[k].revents & (POLLERR | POLLNVAL))
				drop(c);
			else if (c->resp.len)
				on_writable(c);
			else if (pfds[k].revents & (POLLIN | POLLHUP))
				on_readable(h, c);
			break;
		}
	}
	for (i = 0; i < DT_HTTP_MAX_CLIENTS; i++) {
		struct dt_http_client *c = &h->c[i];
		double age = now - c->accepted_ms;

		if (c->fd >= 0 && (age > DT_HTTP_DEADLINE_MS ||
				   (!c->resp.len && age > DT_HTTP_REQ_DEADLINE_MS))) {
			drop(c);
			h->timed_out++;
		}
	}
	/* the pass's bodies are copied into the responses: give them back */
	dt_buf_free(&h->cache[0]);
	dt_buf_free(&h->cache[1]);
}

void dt_http_close(struct dt_http *h)
{
	int i;

	if (!h)
		return;
	for (i = 0; i < DT_HTTP_MAX_CLIENTS; i++) {
		if (h->c[i].fd >= 0)
			drop(&h->c[i]);
		dt_buf_free(&h->c[i].resp);
	}
	dt_buf_free(&h->cache[0]);
	dt_buf_free(&h->cache[1]);
	if (h->lfd >= 0)
		close(h->lfd);
	h->lfd = -1;
}
