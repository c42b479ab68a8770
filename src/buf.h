/* SPDX-License-Identifier: GPL-2.0 */
/* A growable text buffer: metrics exposition and HTTP responses. */
#ifndef __DT_BUF_H
#define __DT_BUF_H

#include <stddef.h>

struct dt_buf {
	char *p;
	size_t len;
	size_t cap;
	int err;		/* sticky -ENOMEM: check once at the end */
};

void dt_buf_printf(struct dt_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void dt_buf_puts(struct dt_buf *b, const char *s);
void dt_buf_add(struct dt_buf *b, const void *data, size_t len);
void dt_buf_reset(struct dt_buf *b);
void dt_buf_free(struct dt_buf *b);

#endif /* __DT_BUF_H */
