/* SPDX-License-Identifier: GPL-2.0 */
/* Prometheus / OpenMetrics exposition of a snapshot. */
#ifndef __DT_METRICS_H
#define __DT_METRICS_H

#include <stdbool.h>
#include "buf.h"
#include "report.h"

#define DT_CT_PROM	"text/plain; version=0.0.4; charset=utf-8"
#define DT_CT_OM	"application/openmetrics-text; version=1.0.0; charset=utf-8"

int dt_metrics_render(struct dt_buf *b, const struct dt_snapshot *s,
		      const struct dt_out *o, bool openmetrics);
int dt_metrics_write_file(const char *path, const struct dt_buf *b);

#endif /* __DT_METRICS_H */
