// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer: device-name checking and resolution (-d). Resolution runs
 * against an empty root, so any name is looked up but none is found.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "devices.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dt_dev d;
	char err[256], *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (!dt_dev_name_check(s, err, sizeof(err)) && strlen(s) > DT_DEV_NAME_MAX)
		abort();
	mkdir("/tmp/daxtrace-fuzz-root", 0755);
	if (!dt_dev_resolve("/tmp/daxtrace-fuzz-root", s, &d, err, sizeof(err)))
		abort();	/* nothing exists under the empty root */
	free(s);
	return 0;
}
