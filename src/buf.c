// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"

static int grow(struct dt_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	while (cap < b->len + need + 1)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	p = realloc(b->p, cap);
	if (!p) {
		b->err = -ENOMEM;
		return -ENOMEM;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void dt_buf_printf(struct dt_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(b, n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += n;
}

void dt_buf_add(struct dt_buf *b, const void *data, size_t len)
{
	if (b->err || grow(b, len))
		return;
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void dt_buf_puts(struct dt_buf *b, const char *s)
{
	dt_buf_add(b, s, strlen(s));
}

void dt_buf_reset(struct dt_buf *b)
{
	b->len = 0;
	b->err = 0;
	if (b->p)
		b->p[0] = '\0';
}

void dt_buf_free(struct dt_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}
