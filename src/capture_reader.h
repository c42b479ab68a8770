/* SPDX-License-Identifier: GPL-2.0 */
/* A JSON-lines capture read back, one line at a time (the fuzzer drives it too). */
#ifndef __DT_CAPTURE_READER_H
#define __DT_CAPTURE_READER_H

#include <stddef.h>
#include <stdio.h>
#include "report.h"

struct dt_reader;

struct dt_reader *dt_reader_new(struct dt_out *out);
int dt_reader_line(struct dt_reader *r, char *line, size_t len);
/* Every line of f, which errors name as file: 0 or -EINVAL. */
int dt_reader_file(struct dt_reader *r, const char *file, FILE *f);
const char *dt_reader_error(const struct dt_reader *r);
/* Sum the runs and print: 0, 1 (no snapshot at all) or 2 (bad input). */
int dt_reader_finish(struct dt_reader *r, int nfiles);
void dt_reader_free(struct dt_reader *r);

#endif /* __DT_CAPTURE_READER_H */
