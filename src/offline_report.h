/* SPDX-License-Identifier: GPL-2.0 */
/* `daxtrace report FILE...`: a capture read back into the text report. */
#ifndef __DT_OFFLINE_REPORT_H
#define __DT_OFFLINE_REPORT_H

#include <stddef.h>
#include "report.h"

int dt_offline_report_main(int argc, char **argv);

/* The reader underneath, one line at a time (the fuzzer drives it too). */
struct dt_reader;

struct dt_reader *dt_reader_new(struct dt_out *out);
int dt_reader_line(struct dt_reader *r, char *line, size_t len);
const char *dt_reader_error(const struct dt_reader *r);
int dt_reader_finish(struct dt_reader *r, int nfiles);
void dt_reader_free(struct dt_reader *r);

#endif /* __DT_OFFLINE_REPORT_H */
