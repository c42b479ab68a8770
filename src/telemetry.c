// SPDX-License-Identifier: GPL-2.0
/*
 * Glue between a backend's event loop and the exporters. The loop stays
 * the backend's; this only widens its poll() to the HTTP sockets and does
 * the periodic chores (textfile, capture rotation) between events.
 */
#define _GNU_SOURCE	/* mkostemp */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "clock.h"
#include "metrics.h"
#include "telemetry.h"

/*
 * Captures hold kernel addresses (kaddr, pfn) that kptr_restrict hides
 * from other users: owner-only, also a file that was there with a wider
 * mode. 0, or -errno.
 */
static int owner_only(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if (!(st.st_mode & 077))
		return 0;
	if (fchmod(fd, 0600))
		return -errno;
	fprintf(stderr, "daxtrace: %s was mode %04o, now 0600: captures hold kernel addresses\n",
		path, (unsigned int)(st.st_mode & 07777));
	return 0;
}

static int capture_file(const char *path, FILE **f)
{
	int fd, err;

	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = owner_only(fd, path);
	if (!err) {
		*f = fdopen(fd, "a+");
		if (*f)
			return 0;
		err = -errno;
	}
	close(fd);
	return err;
}

/*
 * -o FILE: open for append, so a restarted service extends its capture.
 * A run killed mid-line left no newline: start on a fresh line, so the
 * cut record stays one bad line that `daxtrace report` can skip.
 */
int dt_capture_open(struct dt_capture *c, FILE **f, char *err, size_t errlen)
{
	int ch = EOF, ret = capture_file(c->path, f);

	if (ret) {
		*f = NULL;
		snprintf(err, errlen, "-o %s: %s", c->path,
			 ret == -EINVAL ? "not a regular file" : strerror(-ret));
		return ret;
	}
	if (!fseek(*f, -1, SEEK_END))
		ch = fgetc(*f);
	fseek(*f, 0, SEEK_END);
	if (ch != EOF && ch != '\n')
		fputc('\n', *f);
	setvbuf(*f, NULL, _IOLBF, 0);
	return 0;
}

/*
 * A new file beside PATH, under a name nobody could have planted a
 * symlink at (mkostemp: O_EXCL), owner-only as the capture it follows.
 */
static FILE *fresh_file(const char *path, char *fresh, size_t len)
{
	FILE *nf;
	int fd, e;

	if (snprintf(fresh, len, "%s.new.XXXXXX", path) >= (int)len) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	fd = mkostemp(fresh, O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fchmod(fd, 0600))
		goto fail;
	nf = fdopen(fd, "w");
	if (nf)
		return nf;
fail:
	e = errno;
	close(fd);
	unlink(fresh);
	errno = e;
	return NULL;
}

/*
 * PATH.(keep-1) -> PATH.keep, ..., PATH -> PATH.1, then a fresh PATH.
 * The new file is made first: if that fails nothing has moved, and the
 * capture goes on in the old file.
 */
int dt_capture_rotate(struct dt_capture *c, FILE **f)
{
	char from[PATH_MAX], to[PATH_MAX], fresh[PATH_MAX];
	FILE *nf;
	int i;

	fflush(*f);
	nf = fresh_file(c->path, fresh, sizeof(fresh));
	if (!nf)
		return -errno;
	for (i = c->keep; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", c->path);
		else
			snprintf(from, sizeof(from), "%s.%d", c->path, i - 1);
		snprintf(to, sizeof(to), "%s.%d", c->path, i);
		if (rename(from, to) && errno != ENOENT)
			goto undo;
	}
	if (rename(fresh, c->path))
		goto undo;
	setvbuf(nf, NULL, _IOLBF, 0);
	fclose(*f);
	*f = nf;
	c->rotations++;
	return 0;
undo:
	i = -errno;
	fclose(nf);
	unlink(fresh);
	return i;
}

static int http_render(void *ctx, bool om, struct dt_buf *b)
{
	struct dt_telemetry *t = ctx;
	struct dt_snapshot s;
	int err;

	err = t->snap(t->ctx, &s);
	if (!err)
		err = dt_metrics_render(b, &s, t->out, om);
	t->put(t->ctx, &s);
	return err;
}

int dt_tel_open_http(struct dt_telemetry *t, const char *addr, char *err, size_t errlen)
{
	int ret = dt_http_open(&t->http, addr, http_render, t, err, errlen);

	/*
	 * Scrape bodies are tens of KiB and live for one response: give them
	 * their own mappings, returned on free, so a burst of concurrent
	 * scrapes leaves no heap behind (glibc would raise the threshold).
	 */
	mallopt(M_MMAP_THRESHOLD, 16 << 10);
	t->http_on = !ret;
	t->http_addr = addr;
	return ret;
}

static void write_textfile(struct dt_telemetry *t)
{
	struct dt_buf b = {};
	int err;

	err = http_render(t, false, &b);
	if (!err)
		err = dt_metrics_write_file(t->textfile, &b);
	dt_buf_free(&b);
	if (err && !t->tf_failed)
		fprintf(stderr, "daxtrace: --metrics-textfile %s: %s (retrying)\n",
			t->textfile, strerror(-err));
	t->tf_failed = err != 0;
}

/*
 * Rotation happens between records, so no record spans two files. After
 * a failure, the next try waits for another SIZE of output.
 */
static void maybe_rotate(void *ctx)
{
	struct dt_telemetry *t = ctx;
	long pos = ftell(t->out->f);
	int err;

	if (pos < 0 || (unsigned long long)pos < t->cap.max_bytes + t->cap_retry_at)
		return;
	err = dt_capture_rotate(&t->cap, &t->out->f);
	if (!err) {
		if (t->cap_failed)
			fprintf(stderr, "daxtrace: rotating %s works again\n", t->cap.path);
		t->cap_failed = false;
		t->cap_retry_at = 0;
		return;
	}
	if (!t->cap_failed)
		fprintf(stderr, "daxtrace: cannot rotate %s: %s (the capture grows on; retrying)\n",
			t->cap.path, strerror(-err));
	t->cap_failed = true;
	t->cap_retry_at = pos;
}

void dt_tel_start(struct dt_telemetry *t, struct dt_out *out,
		  int (*snap)(void *, struct dt_snapshot *),
		  void (*put)(void *, struct dt_snapshot *), void *ctx)
{
	if (!t)
		return;
	t->out = out;
	t->snap = snap;
	t->put = put;
	t->ctx = ctx;
	/* after every probe is attached: also a ready signal for scripts */
	if (t->http_on)
		fprintf(stderr, "daxtrace: serving /metrics on %s\n", t->http_addr);
	if (t->cap_on) {
		out->after_record = maybe_rotate;
		out->after_ctx = t;
		fprintf(stderr, "daxtrace: capturing to %s (rotating past %llu bytes, keeping %d)\n",
			t->cap.path, t->cap.max_bytes, t->cap.keep);
	}
	if (t->textfile) {
		write_textfile(t);
		t->tf_next = dt_mono_s() + t->tf_interval;
	}
}

static void chores(struct dt_telemetry *t)
{
	/* monotonic: a clock step must not stall the textfile */
	if (t->out && t->textfile && dt_mono_s() >= t->tf_next) {
		write_textfile(t);
		t->tf_next = dt_mono_s() + t->tf_interval;
	}
}

int dt_tel_wait(struct dt_telemetry *t, int fd, int timeout_ms)
{
	struct pollfd pfds[1 + 1 + DT_HTTP_MAX_CLIENTS];
	int n = 0, ret;

	if (fd >= 0) {
		pfds[0].fd = fd;
		pfds[0].events = POLLIN;
		pfds[0].revents = 0;
		n = 1;
	}
	if (t && t->http_on)
		n += dt_http_pollfds(&t->http, pfds + n, 1 + DT_HTTP_MAX_CLIENTS);
	ret = poll(pfds, n, timeout_ms);
	if (ret < 0)
		return errno == EINTR ? 0 : -errno;
	if (t && t->http_on)
		dt_http_service(&t->http, pfds + (fd >= 0), n - (fd >= 0));
	if (t)
		chores(t);
	return fd >= 0 && (pfds[0].revents & POLLIN);
}

/* Last words at exit: the textfile reflects the final totals. */
void dt_tel_finish(struct dt_telemetry *t)
{
	if (t && t->textfile && t->snap)
		write_textfile(t);
}

void dt_tel_close(struct dt_telemetry *t)
{
	if (!t)
		return;
	if (t->http_on)
		dt_http_close(&t->http);
	t->http_on = false;
	if (t->cap_on && t->out && t->out->f) {
		fclose(t->out->f);
		t->out->f = NULL;
	}
	t->cap_on = false;
}
