// SPDX-License-Identifier: GPL-2.0
/* libFuzzer: the /metrics request parser and the --metrics address parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char host[256], port[8], err[128], *s;
	bool head, om;

	if (size > DT_HTTP_REQ_MAX)
		size = DT_HTTP_REQ_MAX;
	/* the server parses a NUL-terminated slot buffer */
	s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	dt_http_parse_request(s, size, &head, &om);
	dt_http_parse_addr(s, host, sizeof(host), port, sizeof(port), err, sizeof(err));
	free(s);
	return 0;
}
