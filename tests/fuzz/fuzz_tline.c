// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the ftrace backend's trace_pipe line and argument parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ftrace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "pos", "ret", "nr", "dev", "" };
	unsigned long long v;
	struct dt_tline t;
	char *s = malloc(size + 1);
	size_t i;

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (!dt_tline_parse(s, &t)) {
		if (strlen(t.comm) >= sizeof(t.comm) || strlen(t.event) >= sizeof(t.event))
			abort();
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			dt_targ_u64(t.args, keys[i], &v);
	}
	free(s);
	return 0;
}
