// SPDX-License-Identifier: GPL-2.0
/*
 * kmodio: the fixed I/O mix the e2e tests run on /dev/daxfault0, with the
 * kernel's answers printed as one JSON line.
 *
 * In phys_kaddr mode the copy routines dereference a physical address as
 * if it were a kernel one. On x86-64 that is a user address of whichever
 * process called read() or write(): the copy faults (EFAULT) only if that
 * process has nothing mapped there. A non-PIE caller (Debian's python3 is
 * one) has its heap in low memory, where the chunk's physical address may
 * land: the "failed" copy then reads or overwrites the caller's own heap.
 * So this helper reserves the chunk's physical range, as a user range,
 * with a PROT_NONE mapping first: every such access faults, every time.
 *
 *	kmodio [--mmap]
 *	kmodio --demo		(make demo: one mmap read, one 8 KiB pread)
 *	kmodio --scribble	(the range mapped read-write instead: one pwrite)
 *
 * After the JSON line it waits for end of file on stdin: the ftrace
 * backend reads a short copy's user side from /proc/PID/maps after the
 * fact, so the process must outlive the tracer's last event.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#define DEV		"/dev/daxfault0"
#define PHYS_PARAM	"/sys/module/daxfault/parameters/phys_base"
#define PG		4096L
#define RANGE		(1L << 20)	/* first range: device bytes [0, 1 MiB) */
#define KSIZE		(2L << 20)
#define CHUNK		(4L << 20)	/* range, hole, range, spare */

static void die(const char *what)
{
	fprintf(stderr, "kmodio: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned char pat(long off)
{
	return (unsigned char)((off * 7 + 3) & 255);
}

static int matches(const unsigned char *b, long off, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (b[i] != pat(off + i))
			return 0;
	return 1;
}

/*
 * Keep the chunk's physical range, read as a user range, unmapped-alike
 * (prot PROT_NONE), or have memory there (--scribble). Returns the base.
 */
static unsigned char *guard_phys(int prot)
{
	unsigned long base;
	void *p;
	FILE *f = fopen(PHYS_PARAM, "r");

	if (!f)
		die(PHYS_PARAM);
	if (fscanf(f, "%lu", &base) != 1) {
		errno = EINVAL;
		die(PHYS_PARAM);
	}
	fclose(f);
	p = mmap((void *)base, CHUNK, prot,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p != (void *)base)
		die("cannot map the chunk's physical range as a user range");
	return p;
}

/* The one write of the mix: device page 1 gets its pattern. Bytes or -errno. */
static ssize_t write_page(int fd)
{
	static unsigned char wbuf[PG];
	ssize_t n;
	long i;

	for (i = 0; i < PG; i++)
		wbuf[i] = pat(PG + i);
	n = pwrite(fd, wbuf, PG, PG);
	return n < 0 ? -errno : n;
}

/*
 * What a caller with memory at the physical address sees: the write
 * "succeeds", into the caller's own memory. Prints the bytes written
 * and how many of them landed at base + the page's offset.
 */
static int scribble(int fd, const unsigned char *base)
{
	ssize_t n = write_page(fd);
	long i, landed = 0;

	for (i = 0; i < PG; i++)
		landed += base[PG + i] == pat(PG + i);
	printf("{\"write\":%zd,\"landed\":%ld}\n", n, landed);
	return fflush(stdout) ? 1 : 0;
}

/* A read: [bytes, data as expected] or [-errno, null]. */
static void do_read(int fd, const char *name, long off)
{
	static unsigned char buf[2 * PG];
	ssize_t n = pread(fd, buf, sizeof(buf), off);

	if (n < 0)
		printf("\"%s\":[%d,null],", name, -errno);
	else
		printf("\"%s\":[%zd,%s],", name, n,
		       matches(buf, off, n) ? "true" : "false");
}

/* What the RFC's reporter saw: mmap works, read() does not. */
static int demo(int fd)
{
	static unsigned char buf[2 * PG];
	unsigned char *m = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
	ssize_t n;

	if (m == MAP_FAILED)
		die("mmap " DEV);
	printf("mmap read of %s: ok (%d)\n", DEV, m[0]);
	munmap(m, PG);
	n = pread(fd, buf, sizeof(buf), 0);
	if (n < 0)
		printf("pread(8192) of %s: %s\n", DEV, strerror(errno));
	else
		printf("pread(8192) of %s: %zd bytes\n", DEV, n);
	return fflush(stdout) ? 1 : 0;
}

int main(int argc, char **argv)
{
	char c;
	int fd, do_mmap = argc > 1 && !strcmp(argv[1], "--mmap");
	int do_demo = argc > 1 && !strcmp(argv[1], "--demo");
	int do_scribble = argc > 1 && !strcmp(argv[1], "--scribble");
	unsigned char *m, *base;

	if (argc > 2 || (argc == 2 && !do_mmap && !do_demo && !do_scribble)) {
		fprintf(stderr, "usage: kmodio [--mmap | --demo | --scribble]\n");
		return 2;
	}
	base = guard_phys(do_scribble ? PROT_READ | PROT_WRITE : PROT_NONE);
	fd = open(DEV, O_RDWR);
	if (fd < 0)
		die(DEV);
	if (do_demo)
		return demo(fd);
	if (do_scribble)
		return scribble(fd, base);
	putchar('{');
	do_read(fd, "head", 0);
	do_read(fd, "cross", RANGE - PG);
	printf("\"write\":%zd", write_page(fd));
	if (do_mmap) {
		m = mmap(NULL, KSIZE, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			die("mmap " DEV);
		printf(",\"mmap\":[%s,%s]", m[8] == pat(8) ? "true" : "false",
		       m[300 * PG + 8] == pat(300 * PG + 8) ? "true" : "false");
		munmap(m, KSIZE);
	}
	printf("}\n");
	close(fd);
	if (fflush(stdout))
		return 1;
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
