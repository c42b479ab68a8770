// SPDX-License-Identifier: GPL-2.0
/*
 * Option values: strict, so "12abc", "-1", " 5" and overflow are bad
 * input rather than silently something else. Fuzzed (tests/fuzz).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "parse.h"

int dt_parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	/* strtoul would skip blanks and take a sign: only digits here */
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || *end || *out > max)
		return -ERANGE;
	return 0;
}

/* "64M", "1048576", "512K": bytes, at least 4 KiB. */
int dt_parse_size(const char *s, unsigned long long *out)
{
	unsigned long long v, mul = 1;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	if (*end && !end[1]) {
		switch (*end) {
		case 'k': case 'K': mul = 1ULL << 10; break;
		case 'm': case 'M': mul = 1ULL << 20; break;
		case 'g': case 'G': mul = 1ULL << 30; break;
		default: return -EINVAL;
		}
	} else if (*end) {
		return -EINVAL;
	}
	if (v > (1ULL << 40) / mul || v * mul < 4096)
		return -ERANGE;
	*out = v * mul;
	return 0;
}

/*
 * PATH can be written as a file (textfile, capture): not empty, not a
 * directory, writable if it exists, in a writable directory. -errno.
 */
int dt_path_writable(const char *path)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;
	size_t len = strlen(path);

	if (!len)
		return -EINVAL;
	if (len >= sizeof(dir))
		return -ENAMETOOLONG;
	if (path[len - 1] == '/' || (!stat(path, &st) && S_ISDIR(st.st_mode)))
		return -EISDIR;
	if (!access(path, F_OK) && access(path, W_OK))
		return -errno;
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	return access(dir, W_OK) ? -errno : 0;
}
