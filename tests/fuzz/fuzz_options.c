// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: option value parsers (numbers, sizes, methods, paths). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "parse.h"
#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned long long sz;
	enum dt_method m;
	unsigned long v;
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (!dt_parse_ulong(s, 86400, &v) && v > 86400)
		abort();
	if (!dt_parse_size(s, &sz) && (sz < 4096 || sz > (1ULL << 40)))
		abort();
	dt_method_parse(s, &m);
	dt_path_writable(s);
	free(s);
	return 0;
}
