// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: `daxtrace report` on arbitrary capture bytes, line by line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "offline_report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dt_out out = { .hist = true };
	struct dt_reader *r;
	char *buf, *line, *nl, *end;

	out.f = fopen("/dev/null", "w");
	out.json = size && (data[0] & 1);
	r = dt_reader_new(&out);
	buf = malloc(size + 1);
	if (!r || !buf || !out.f)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	end = buf + size;
	for (line = buf; line < end; line = nl + 1) {
		nl = memchr(line, '\n', end - line);
		if (!nl)
			nl = end;
		*nl = '\0';
		if (dt_reader_line(r, line, nl - line))
			break;
	}
	dt_reader_finish(r, 1);
	dt_reader_free(r);
	free(buf);
	fclose(out.f);
	return 0;
}
