/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal test harness: each failed expectation is printed, main exits 1. */
#ifndef __DT_UNIT_H
#define __DT_UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_failures;
static int unit_checks;

#define EXPECT(cond) do {						\
	unit_checks++;							\
	if (!(cond)) {							\
		unit_failures++;					\
		fprintf(stderr, "%s:%d: expected %s\n", __FILE__, __LINE__, #cond); \
	}								\
} while (0)

#define EXPECT_EQ(a, b) do {						\
	long long _a = (long long)(a), _b = (long long)(b);		\
	unit_checks++;							\
	if (_a != _b) {							\
		unit_failures++;					\
		fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n",	\
			__FILE__, __LINE__, #a, _a, _b);		\
	}								\
} while (0)

#define EXPECT_STR(a, b) do {						\
	const char *_a = (a), *_b = (b);				\
	unit_checks++;							\
	if (strcmp(_a, _b)) {						\
		unit_failures++;					\
		fprintf(stderr, "%s:%d: %s ==\n  \"%s\"\nexpected\n  \"%s\"\n", \
			__FILE__, __LINE__, #a, _a, _b);		\
	}								\
} while (0)

#define EXPECT_CONTAINS(hay, needle) do {				\
	unit_checks++;							\
	if (!strstr((hay), (needle))) {					\
		unit_failures++;					\
		fprintf(stderr, "%s:%d: output lacks \"%s\":\n%s\n",	\
			__FILE__, __LINE__, (needle), (hay));		\
	}								\
} while (0)

static inline int unit_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, unit_checks, unit_failures);
	return unit_failures ? 1 : 0;
}

#endif /* __DT_UNIT_H */
