// SPDX-License-Identifier: GPL-2.0
/*
 * preadloop FILE BS COUNT [RATE]: COUNT sequential preads of BS bytes
 * (wrapping at the file's end), timed with CLOCK_MONOTONIC, at most RATE
 * per second if given (paced per millisecond: the capacity search needs
 * an even rate, not bursts). Prints one JSON line:
 * {"bs":BS,"count":COUNT,"ns":TOTAL,"ns_per_op":X}. The file must exist
 * and hold at least BS bytes; the caller makes it.
 *
 * The loop starts and ends with a marker instruction, a NOP with an
 * operand no compiler makes: under QEMU with bench/lockcount.c's plugin,
 * the atomic instructions executed between the two are counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* nopl 0x4458410N(%rax): bench/lockcount.c's markers */
#define MARK(n)	__asm__ volatile(".byte 0x0f, 0x1f, 0x80, " #n ", 0x41, 0x58, 0x44" ::: "memory")

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int parse(const char *s, long long *v)
{
	char *end;

	errno = 0;
	*v = strtoll(s, &end, 10);
	return errno || *end || *v <= 0 ? -1 : 0;
}

int main(int argc, char **argv)
{
	long long bs, count, rate = 0, i, off = 0, t0, t1, due;
	struct stat st;
	char *buf;
	int fd;

	if ((argc != 4 && argc != 5) || parse(argv[2], &bs) || parse(argv[3], &count) ||
	    (argc == 5 && parse(argv[4], &rate))) {
		fprintf(stderr, "usage: preadloop FILE BS COUNT [RATE]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || st.st_size < bs) {
		fprintf(stderr, "preadloop: %s: unusable (%s)\n", argv[1], strerror(errno));
		return 1;
	}
	buf = malloc(bs);
	if (!buf)
		return 1;
	t0 = now_ns();
	MARK(0);
	for (i = 0; i < count; i++) {
		if (rate) {
			/* op i is due at t0 + i / rate */
			due = t0 + i * 1000000000LL / rate;
			while (now_ns() < due) {
				struct timespec ts = { 0, 200000 };

				nanosleep(&ts, NULL);
			}
		}
		if (off + bs > st.st_size)
			off = 0;
		if (pread(fd, buf, bs, off) != bs) {
			fprintf(stderr, "preadloop: short pread at %lld\n", off);
			return 1;
		}
		off += bs;
	}
	MARK(1);
	t1 = now_ns();
	printf("{\"bs\":%lld,\"count\":%lld,\"ns\":%lld,\"ns_per_op\":%.1f}\n",
	       bs, count, t1 - t0, (double)(t1 - t0) / count);
	free(buf);
	close(fd);
	return 0;
}
