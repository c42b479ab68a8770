/*
 * daxload - DAX I/O workload generator with a known ground truth.
 *
 * Each named case does a fixed amount of I/O on a file in a DAX mount (or
 * on a devdax char device) and prints one JSON line saying what the kernel
 * actually returned, so a tracer's counts can be compared exactly.
 *
 *	daxload [--dir DIR] [--devdax PATH] [--pmem NAME] [--seed N] CASE...
 *	daxload --list
 *
 * Build: gcc -static -O2 -Wall -Wextra -Werror -pthread -o daxload daxload.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/fs.h>
#include <linux/fiemap.h>
#include <linux/userfaultfd.h>

#define KiB		1024L
#define MiB		(1024L * KiB)
#define PG		(4 * KiB)
#define PMD_SIZE	(2 * MiB)
#define MAX_ERRNO	256
#define MT_THREADS	4

enum { OP_WRITE, OP_READ, NR_OPS };
static const char *const op_name[NR_OPS] = { "write", "read" };

struct opstat {
	long calls, asked, done, shrt;
	long errs[MAX_ERRNO];	/* count per errno value */
};

/* Per-thread counters; mt-mix merges one per thread into the result. */
struct tally {
	struct opstat op[NR_OPS];
	long long rext;
	int rext_bad;		/* FIEMAP failed: read_extents is unknown */
};

struct event {
	int op, err;			/* err 0: null */
	long long off, asked, got;
	long long phys, ufault;		/* -1: null */
};

struct result {
	const char *name;
	char path[PATH_MAX];
	struct tally t;
	long pte, pmd, pud;
	long da;		/* direct_access calls expected; -1: not known */
	long moves;		/* mt-migrate: CPU changes seen; -1: not asked */
	/* fault.size's verdicts, and the fallbacks that fail; -1: not known */
	long fsz_pass, fsz_fail, fsz_fail_fb;
	unsigned long long fsz_ino;	/* the file the faults were in */
	int nev;
	struct event ev[2];
	/* per-file: each file's own tally (also merged into t) and faults */
	int nfiles;
	struct {
		char path[PATH_MAX];
		unsigned long long ino;
		struct tally t;
		long pte;
	} files[3];
};

/* One open DAX file plus what we know about it. */
struct dfile {
	int fd;
	char path[PATH_MAX];
	long long size;		/* i_size, from write return values */
	unsigned salt;
	struct tally *t;
	struct fiemap_extent *ext;
	unsigned next;
	int mapped;		/* 0: not yet, 1: ext valid, -1: FIEMAP failed */
};

struct dcase {
	const char *name;
	const char *desc;
	void (*fn)(struct result *r);
	unsigned flags;
};

#define F_DIR		0x1	/* needs --dir */
#define F_DEVDAX	0x2	/* needs --devdax */
#define F_PMEM		0x4	/* needs --pmem */
#define F_NOALL		0x8	/* destructive: only run when named */

static const char *opt_dir, *opt_devdax, *opt_pmem;
static int opt_keep;		/* --keep: leave the case's files in place */
static unsigned long long opt_seed = 1;
static const char *cur_case;	/* whose files die() should remove */

/*
 * Print "daxload: msg" and exit with code (2: usage, 1: anything else).
 * On 1, remove the current case's files first (best effort).  The lock is
 * never dropped: a second failing thread blocks instead of racing exit().
 */
static void __attribute__((noreturn, format(printf, 2, 3))) fail(int code, const char *fmt, ...)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	char path[PATH_MAX];
	va_list ap;
	int i;

	pthread_mutex_lock(&lock);
	fputs("daxload: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(code == 2 ? " (see daxload --list)\n" : "\n", stderr);
	for (i = -1; cur_case && i < MT_THREADS; i++) {
		if (i < 0)
			snprintf(path, sizeof(path), "%s/daxload.%s", opt_dir, cur_case);
		else
			snprintf(path, sizeof(path), "%s/daxload.%s.%d", opt_dir, cur_case, i);
		unlink(path);	/* may well not exist; nothing to do if it fails */
	}
	exit(code);
}

#define die(...)	fail(1, __VA_ARGS__)
#define bad_usage(...)	fail(2, __VA_ARGS__)

static void __attribute__((noreturn)) sys_fail(const char *call, const char *path)
{
	int e = errno;

	die("%s %s: %s", call, path, strerror(e));
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

/* xorshift64; each case (and thread) restarts its own stream from --seed. */
static uint64_t rng_init(unsigned stream)
{
	uint64_t s = opt_seed * 0x9E3779B97F4A7C15ULL + stream * 0xBF58476D1CE4E5B9ULL + 1;

	return s ? s : 1;
}

/* A page-aligned offset such that [off, off+len) stays inside span. */
static long long rand_off(uint64_t *s, long span, long len)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return (long long)(x % ((span - len) / PG + 1)) * PG;
}

static unsigned char pat(long long off, unsigned salt)
{
	return (unsigned char)((off * 7 + salt) & 0xff);
}

static void fill(unsigned char *b, long len, long long off, unsigned salt)
{
	long i;

	for (i = 0; i < len; i++)
		b[i] = pat(off + i, salt);
}

static void check(const struct dfile *f, const unsigned char *b, long len, long long off)
{
	long i;

	for (i = 0; i < len; i++)
		if (b[i] != pat(off + i, f->salt))
			die("%s: data mismatch at offset %lld: got 0x%02x, want 0x%02x",
			    f->path, off + i, b[i], pat(off + i, f->salt));
}

/* Count the FIEMAP extents that [off, off+len), clipped to i_size, touches. */
static void add_extents(struct dfile *f, long long off, long long len)
{
	long long end = off + len < f->size ? off + len : f->size, lo;
	unsigned i;

	if (f->mapped <= 0) {
		f->t->rext_bad = 1;
		return;
	}
	for (i = 0; i < f->next; i++) {
		lo = (long long)f->ext[i].fe_logical;
		if (lo < end && lo + (long long)f->ext[i].fe_length > off)
			f->t->rext++;
	}
}

/* Book one syscall exactly as the kernel answered it. */
static void account(struct dfile *f, int op, long asked, ssize_t ret, int err, long long off)
{
	struct opstat *s = &f->t->op[op];

	s->calls++;
	s->asked += asked;
	if (ret < 0) {
		if (err <= 0 || err >= MAX_ERRNO)
			die("errno %d out of range", err);
		s->errs[err]++;
	} else {
		s->done += ret;
		s->shrt += ret < asked;
		if (op == OP_WRITE && off + ret > f->size)
			f->size = off + ret;
	}
	if (op == OP_READ)
		add_extents(f, off, ret >= 0 ? ret : asked);
}

/*
 * The only way cases touch file data: one pread/pwrite (n == 1) or one
 * preadv/pwritev (n > 1), booked before anything can clobber errno.
 */
static ssize_t do_io(struct dfile *f, int op, const struct iovec *iov, int n,
		     long long off, int may_fail)
{
	static const char *const call[2][NR_OPS] = {
		{ "pwrite", "pread" }, { "pwritev", "preadv" },
	};
	long asked = 0;
	ssize_t ret;
	int i, e;

	for (i = 0; i < n; i++)
		asked += iov[i].iov_len;
	if (n == 1)
		ret = op == OP_READ ? pread(f->fd, iov->iov_base, asked, off) :
				      pwrite(f->fd, iov->iov_base, asked, off);
	else
		ret = op == OP_READ ? preadv(f->fd, iov, n, off) : pwritev(f->fd, iov, n, off);
	e = errno;
	account(f, op, asked, ret, e, off);
	errno = e;
	if (ret < 0 && !may_fail)
		sys_fail(call[n > 1][op], f->path);
	return ret;
}

static ssize_t do_rw(struct dfile *f, int op, void *buf, long len, long long off, int may_fail)
{
	struct iovec iov = { buf, len };

	return do_io(f, op, &iov, 1, off, may_fail);
}

static void do_fsync(struct dfile *f)
{
	if (fsync(f->fd))
		sys_fail("fsync", f->path);
}

/* Snapshot the extent map once setup data is on media, before the reads. */
static void map_file(struct dfile *f)
{
	const unsigned batch = 64;
	size_t sz = sizeof(struct fiemap) + batch * sizeof(struct fiemap_extent);
	struct fiemap *fm = xmalloc(sz);
	unsigned long long start = 0;
	struct fiemap_extent *last;
	unsigned n;

	f->mapped = 1;
	do {
		memset(fm, 0, sz);
		fm->fm_start = start;
		fm->fm_length = FIEMAP_MAX_OFFSET - start;
		fm->fm_flags = FIEMAP_FLAG_SYNC;
		fm->fm_extent_count = batch;
		if (ioctl(f->fd, FS_IOC_FIEMAP, fm) < 0) {
			fprintf(stderr, "daxload: note: FIEMAP %s: %s; read_extents is null\n",
				f->path, strerror(errno));
			f->mapped = -1;
			f->t->rext_bad = 1;
			break;
		}
		n = fm->fm_mapped_extents;
		if (!n)
			break;
		f->ext = realloc(f->ext, (f->next + n) * sizeof(*f->ext));
		if (!f->ext)
			die("out of memory");
		memcpy(f->ext + f->next, fm->fm_extents, n * sizeof(*f->ext));
		f->next += n;
		last = &fm->fm_extents[n - 1];
		start = last->fe_logical + last->fe_length;
	} while (n == batch && !(last->fe_flags & FIEMAP_EXTENT_LAST));
	free(fm);
}

/* Create DIR/daxload.<case>[.<idx>]; idx < 0 means no suffix. */
static void open_case(struct dfile *f, const char *name, struct tally *t, int idx)
{
	const char *s;

	memset(f, 0, sizeof(*f));
	f->t = t;
	for (s = name; *s; s++)
		f->salt = f->salt * 31 + (unsigned char)*s;
	if (idx < 0) {
		snprintf(f->path, sizeof(f->path), "%s/daxload.%s", opt_dir, name);
	} else {
		f->salt += 17u * idx;
		snprintf(f->path, sizeof(f->path), "%s/daxload.%s.%d", opt_dir, name, idx);
	}
	f->fd = open(f->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (f->fd < 0)
		sys_fail("open", f->path);
}

static void close_case(struct dfile *f)
{
	if (close(f->fd))
		sys_fail("close", f->path);
	if (!opt_keep && unlink(f->path))
		sys_fail("unlink", f->path);
	free(f->ext);
	f->ext = NULL;
}

/* Write total bytes of pattern in chunk-sized pwrites, then fsync. */
static void setup_file(struct dfile *f, long total, long chunk)
{
	unsigned char *buf = xmalloc(chunk);
	long long off;

	for (off = 0; off < total; off += chunk) {
		fill(buf, chunk, off, f->salt);
		do_rw(f, OP_WRITE, buf, chunk, off, 0);
	}
	free(buf);
	do_fsync(f);
}

#define RW_RAND	0x1	/* random aligned offsets instead of sequential */
#define RW_VEC	0x2	/* 3 iovecs of 4096 + 8192 + 512 bytes; sz is their sum */

/* The plain cases: optional setup, then n reads or n writes of sz bytes. */
static void rw_case(struct result *r, long setup, int op, int n, long sz, unsigned how)
{
	unsigned char *buf = xmalloc(sz);
	struct iovec iov[3] = {
		{ buf, 4096 }, { buf + 4096, 8192 }, { buf + 12288, 512 },
	};
	int i, niov = how & RW_VEC ? 3 : 1;
	uint64_t rng = rng_init(0);
	struct dfile f;
	long long off;
	ssize_t got;

	if (niov == 1)
		iov[0].iov_len = sz;
	open_case(&f, r->name, &r->t, -1);
	if (setup)
		setup_file(&f, setup, MiB);
	if (op == OP_READ)
		map_file(&f);
	for (i = 0; i < n; i++) {
		off = how & RW_RAND ? rand_off(&rng, setup, sz) : (long long)i * sz;
		if (op == OP_WRITE)
			fill(buf, sz, off, f.salt);
		got = do_io(&f, op, iov, niov, off, 0);
		if (op == OP_READ)
			check(&f, buf, got, off);
	}
	if (op == OP_WRITE)
		do_fsync(&f);
	close_case(&f);
	free(buf);
}

static void c_seq_read_4k(struct result *r) { rw_case(r, 4 * MiB, OP_READ, 1024, 4 * KiB, 0); }
static void c_seq_write_4k(struct result *r) { rw_case(r, 0, OP_WRITE, 1024, 4 * KiB, 0); }
static void c_seq_read_1m(struct result *r) { rw_case(r, 16 * MiB, OP_READ, 16, MiB, 0); }
static void c_seq_write_1m(struct result *r) { rw_case(r, 0, OP_WRITE, 16, MiB, 0); }
static void c_rand_read_4k(struct result *r) { rw_case(r, 4 * MiB, OP_READ, 1000, 4 * KiB, RW_RAND); }
static void c_rand_write_4k(struct result *r) { rw_case(r, 4 * MiB, OP_WRITE, 1000, 4 * KiB, RW_RAND); }
static void c_rand_read_1m(struct result *r) { rw_case(r, 16 * MiB, OP_READ, 64, MiB, RW_RAND); }
static void c_rand_write_1m(struct result *r) { rw_case(r, 16 * MiB, OP_WRITE, 64, MiB, RW_RAND); }
static void c_readv(struct result *r) { rw_case(r, MiB, OP_READ, 64, 12800, RW_VEC); }
static void c_writev(struct result *r) { rw_case(r, 0, OP_WRITE, 64, 12800, RW_VEC); }

/*
 * Reads that meet i_size: 128 KiB from a 10000-byte file (10000 come
 * back), then 4 KiB at i_size (0 come back). Both short, both at EOF.
 */
static void c_read_eof(struct result *r)
{
	unsigned char *buf = xmalloc(128 * KiB);
	struct dfile f;
	ssize_t got;

	open_case(&f, r->name, &r->t, -1);
	fill(buf, 10000, 0, f.salt);
	do_rw(&f, OP_WRITE, buf, 10000, 0, 0);
	do_fsync(&f);
	map_file(&f);
	got = do_rw(&f, OP_READ, buf, 128 * KiB, 0, 0);
	if (got != 10000)
		die("%s: pread of 128 KiB at 0 returned %zd, want 10000", f.path, got);
	check(&f, buf, got, 0);
	got = do_rw(&f, OP_READ, buf, 4 * KiB, 10000, 0);
	if (got != 0)
		die("%s: pread at i_size returned %zd, want 0", f.path, got);
	close_case(&f);
	free(buf);
}

/* Read 8 KiB into a buffer whose second page faults: a partial user copy. */
static void c_short_copy(struct result *r)
{
	unsigned char *buf;
	struct dfile f;
	ssize_t got;

	open_case(&f, r->name, &r->t, -1);
	setup_file(&f, 16 * KiB, 16 * KiB);
	map_file(&f);
	buf = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		sys_fail("mmap", "(anonymous 8 KiB buffer)");
	memset(buf, 0, PG);	/* fault the good page in now, not during the copy */
	if (mprotect(buf + PG, PG, PROT_NONE))
		sys_fail("mprotect", "(anonymous buffer)");
	got = do_rw(&f, OP_READ, buf, 2 * PG, 0, 1);
	if (got < 0)
		sys_fail("pread (half-protected buffer)", f.path);
	if (got >= 2 * PG)
		die("%s: pread into a half-protected buffer returned %zd, want < %ld",
		    f.path, got, 2 * PG);
	check(&f, buf, got, 0);
	r->ev[r->nev++] = (struct event){ .op = OP_READ, .off = 0, .asked = 2 * PG,
					  .got = got, .phys = -1, .ufault = PG };
	if (munmap(buf, 2 * PG))
		sys_fail("munmap", "(anonymous buffer)");
	close_case(&f);
}

/*
 * A 4 KiB pread into, and a 4 KiB pwrite from, a buffer with no access at
 * all: the copy moves nothing, so each returns -EFAULT.
 */
static void c_rw_efault(struct result *r)
{
	struct dfile f;
	void *buf;

	open_case(&f, r->name, &r->t, -1);
	setup_file(&f, 16 * KiB, 16 * KiB);
	buf = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		sys_fail("mmap", "(PROT_NONE buffer)");
	if (do_rw(&f, OP_READ, buf, PG, 0, 1) != -1 || errno != EFAULT)
		die("%s: pread into a PROT_NONE buffer did not fail with EFAULT", f.path);
	if (do_rw(&f, OP_WRITE, buf, PG, PG, 1) != -1 || errno != EFAULT)
		die("%s: pwrite from a PROT_NONE buffer did not fail with EFAULT", f.path);
	if (munmap(buf, PG))
		sys_fail("munmap", "(PROT_NONE buffer)");
	close_case(&f);
}

/* Device byte offset of file offset off; [off, off+len) must be in one real extent. */
static long long phys_of(const struct dfile *f, long long off, long len)
{
	const unsigned bad = FIEMAP_EXTENT_UNKNOWN | FIEMAP_EXTENT_DELALLOC |
		FIEMAP_EXTENT_ENCODED | FIEMAP_EXTENT_DATA_ENCRYPTED |
		FIEMAP_EXTENT_NOT_ALIGNED | FIEMAP_EXTENT_DATA_INLINE |
		FIEMAP_EXTENT_DATA_TAIL | FIEMAP_EXTENT_UNWRITTEN;
	const struct fiemap_extent *e;
	unsigned i;

	for (i = 0; i < f->next; i++) {
		e = &f->ext[i];
		if ((long long)e->fe_logical > off ||
		    (long long)(e->fe_logical + e->fe_length) < off + len)
			continue;
		if (e->fe_flags & bad)
			die("%s: extent at %lld has flags 0x%x, need a plain mapped one",
			    f->path, off, e->fe_flags);
		return (long long)(e->fe_physical + (off - e->fe_logical));
	}
	die("%s: no single extent covers [%lld, %lld)", f->path, off, off + len);
}

/* Mark 8 sectors at byte phys bad in the pmem driver's badblocks list. */
static void set_badblock(long long phys)
{
	char path[PATH_MAX], line[64];
	int fd, n;

	if (phys % 512)
		die("phys %lld is not sector aligned", phys);
	snprintf(path, sizeof(path), "/sys/block/%s/badblocks", opt_pmem);
	n = snprintf(line, sizeof(line), "%lld 8\n", phys / 512);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		sys_fail("open", path);
	if (write(fd, line, n) != n)
		sys_fail("write", path);
	if (close(fd))
		sys_fail("close", path);
	fprintf(stderr, "daxload: note: badblock %lld+8 stays set in %s\n", phys / 512, path);
}

/* Poison the media under file offset 32 KiB, read it, then read a good page. */
static void c_media_error(struct result *r)
{
	const long long off = 32 * KiB;
	unsigned char *buf = xmalloc(PG);
	struct dfile f;
	long long phys;
	ssize_t got;

	open_case(&f, r->name, &r->t, -1);
	setup_file(&f, 64 * KiB, 64 * KiB);
	map_file(&f);
	if (f.mapped < 0)
		die("%s: media-error needs FIEMAP to find the device offset", f.path);
	phys = phys_of(&f, off, PG);
	set_badblock(phys);
	got = do_rw(&f, OP_READ, buf, PG, off, 1);
	r->ev[r->nev++] = (struct event){ .op = OP_READ, .off = off, .asked = PG, .got = got,
					  .err = got < 0 ? errno : 0, .phys = phys, .ufault = -1 };
	if (got >= 0)
		fprintf(stderr, "daxload: warning: %s: pread over the badblock returned %zd\n",
			f.path, got);
	got = do_rw(&f, OP_READ, buf, PG, 0, 0);
	check(&f, buf, got, 0);
	close_case(&f);
	free(buf);
}

/* Touch one byte per page of a 1 MiB shared mapping: 256 PTE faults. */
static void mmap_case(struct result *r, int write)
{
	volatile unsigned char *p;
	struct dfile f;
	unsigned char v;
	long off;

	open_case(&f, r->name, &r->t, -1);
	setup_file(&f, MiB, MiB);
	p = mmap(NULL, MiB, PROT_READ | (write ? PROT_WRITE : 0), MAP_SHARED, f.fd, 0);
	if (p == MAP_FAILED)
		sys_fail("mmap", f.path);
	for (off = 0; off < MiB; off += PG, r->pte++) {
		if (write) {
			p[off] = pat(off, f.salt) ^ 0xff;	/* a store only, no read */
			continue;
		}
		v = p[off];
		if (v != pat(off, f.salt))
			die("%s: mapped byte at %ld is 0x%02x, want 0x%02x",
			    f.path, off, v, pat(off, f.salt));
	}
	if (write && msync((void *)p, MiB, MS_SYNC))
		sys_fail("msync", f.path);
	if (munmap((void *)p, MiB))
		sys_fail("munmap", f.path);
	close_case(&f);
}

/*
 * A 2 MiB file chunk can be mapped by one PMD fault only if one extent
 * backs all of it at a 2 MiB-aligned device offset: FIEMAP tells which.
 */
static int chunk_pmd_ok(const struct dfile *f, long long start)
{
	const struct fiemap_extent *e;
	unsigned int i;

	for (i = 0; i < f->next; i++) {
		e = &f->ext[i];
		if (e->fe_logical > (unsigned long long)start ||
		    e->fe_logical + e->fe_length < (unsigned long long)start + PMD_SIZE)
			continue;
		return !(e->fe_flags & FIEMAP_EXTENT_UNWRITTEN) &&
		       (e->fe_physical + (start - e->fe_logical)) % PMD_SIZE == 0;
	}
	return 0;
}

/* xfs: a 2 MiB extent size hint asks for PMD-alignable extents */
static void pmd_extent_hint(int fd)
{
	struct fsxattr fsx;

	if (!ioctl(fd, FS_IOC_FSGETXATTR, &fsx)) {
		fsx.fsx_xflags |= FS_XFLAG_EXTSIZE;
		fsx.fsx_extsize = PMD_SIZE;
		ioctl(fd, FS_IOC_FSSETXATTR, &fsx);	/* ext4 says no: fine */
	}
}

/*
 * 4 MiB of a DAX file mapped at a 2 MiB-aligned address, one byte loaded
 * per page: per 2 MiB chunk, one PMD fault where the extent allows it,
 * else 512 PTE faults.
 */
static void c_mmap_pmd(struct result *r)
{
	const long len = 4 * MiB;
	volatile unsigned char *p;
	unsigned char *resv;
	struct dfile f;
	uintptr_t a;
	long off;

	open_case(&f, r->name, &r->t, -1);
	pmd_extent_hint(f.fd);
	setup_file(&f, len, MiB);
	map_file(&f);
	if (f.mapped < 0)
		die("%s: mmap-pmd needs FIEMAP to know the extents' alignment", f.path);
	/* reserve, then map the file over the aligned part of the reservation */
	resv = mmap(NULL, len + PMD_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (resv == MAP_FAILED)
		sys_fail("mmap", "(address reservation)");
	a = ((uintptr_t)resv + PMD_SIZE - 1) & ~(uintptr_t)(PMD_SIZE - 1);
	p = mmap((void *)a, len, PROT_READ, MAP_SHARED | MAP_FIXED, f.fd, 0);
	if (p == MAP_FAILED)
		sys_fail("mmap", f.path);
	for (off = 0; off < len; off += PMD_SIZE) {
		if (chunk_pmd_ok(&f, off))
			r->pmd++;
		else
			r->pte += PMD_SIZE / PG;
	}
	for (off = 0; off < len; off += PG) {
		if (p[off] != pat(off, f.salt))
			die("%s: mapped byte at %ld is 0x%02x, want 0x%02x",
			    f.path, off, p[off], pat(off, f.salt));
	}
	if (munmap(resv, len + PMD_SIZE))
		sys_fail("munmap", f.path);
	close_case(&f);
}

/* len bytes of f at file offset 0 mapped at a 2 MiB boundary plus skew. */
static volatile unsigned char *map_at(const struct dfile *f, long len, long skew,
				      unsigned char **resv)
{
	void *p;
	uintptr_t a;

	*resv = mmap(NULL, len + 2 * PMD_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*resv == MAP_FAILED)
		sys_fail("mmap", "(address reservation)");
	a = ((uintptr_t)*resv + PMD_SIZE - 1) & ~(uintptr_t)(PMD_SIZE - 1);
	p = mmap((void *)(a + skew), len, PROT_READ, MAP_SHARED | MAP_FIXED, f->fd, 0);
	if (p == MAP_FAILED)
		sys_fail("mmap", f->path);
	return p;
}

/* Load one byte per page of len bytes at p; the file holds pat() where written. */
static void touch_pages(const struct dfile *f, volatile unsigned char *p, long len,
			long written)
{
	unsigned char v, want;
	long off;

	for (off = 0; off < len; off += PG) {
		v = p[off];
		want = off < written || off >= 4 * MiB - PG ? pat(off, f->salt) : 0;
		if (v != want)
			die("%s: mapped byte at %ld is 0x%02x, want 0x%02x", f->path, off, v, want);
	}
}

/*
 * fault.size's outcomes, in one 4 MiB file: the first 2 MiB written
 * whole, of the second only its first and last page (a hole between).
 *   1. the file at a 2 MiB boundary: a chunk one aligned extent backs
 *      is one PMD fault (pass); the others fall back (fail: the VMA and
 *      i_size allowed a PMD), then 512 PTE faults (pass: the PMD fell
 *      back there, then a page table is under it).
 *   2. its first 2 MiB one page past a 2 MiB boundary: no PMD fits; the
 *      PMD tries fall back as they should (n/a), 512 PTE faults pass.
 *   3. its first 2 MiB at a boundary with THP disabled for the process
 *      (PR_SET_THP_DISABLE): no PMD is tried, 512 PTE faults; the first
 *      fails (a PMD was possible there), 511 pass (a page table is under
 *      them by then).
 * Every PUD try falls back for fs-dax: n/a, not counted here.
 */
static void c_fault_size(struct result *r)
{
	unsigned char *buf = xmalloc(PMD_SIZE), *resv;
	volatile unsigned char *p;
	struct dfile f;
	struct stat st;
	long off;

	open_case(&f, r->name, &r->t, -1);
	pmd_extent_hint(f.fd);
	if (fstat(f.fd, &st))
		sys_fail("fstat", f.path);
	r->fsz_ino = st.st_ino;
	r->fsz_pass = r->fsz_fail = r->fsz_fail_fb = 0;
	fill(buf, PMD_SIZE, 0, f.salt);
	do_rw(&f, OP_WRITE, buf, PMD_SIZE, 0, 0);
	fill(buf, PG, PMD_SIZE, f.salt);
	do_rw(&f, OP_WRITE, buf, PG, PMD_SIZE, 0);
	fill(buf, PG, 4 * MiB - PG, f.salt);
	do_rw(&f, OP_WRITE, buf, PG, 4 * MiB - PG, 0);
	do_fsync(&f);
	map_file(&f);
	if (f.mapped < 0)
		die("%s: fault-size needs FIEMAP to know the extents' alignment", f.path);

	p = map_at(&f, 4 * MiB, 0, &resv);
	for (off = 0; off < 4 * MiB; off += PMD_SIZE) {
		if (chunk_pmd_ok(&f, off)) {
			r->pmd++;
			r->fsz_pass++;
			continue;
		}
		r->fsz_fail++;
		r->fsz_fail_fb++;
		r->pte += PMD_SIZE / PG;
		r->fsz_pass += PMD_SIZE / PG;
	}
	touch_pages(&f, p, 4 * MiB, PMD_SIZE + PG);
	if (munmap(resv, 4 * MiB + 2 * PMD_SIZE))
		sys_fail("munmap", f.path);

	p = map_at(&f, PMD_SIZE, PG, &resv);
	touch_pages(&f, p, PMD_SIZE, PMD_SIZE);
	r->pte += PMD_SIZE / PG;
	r->fsz_pass += PMD_SIZE / PG;
	if (munmap(resv, PMD_SIZE + 2 * PMD_SIZE))
		sys_fail("munmap", f.path);

	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		sys_fail("prctl", "PR_SET_THP_DISABLE");
	p = map_at(&f, PMD_SIZE, 0, &resv);
	touch_pages(&f, p, PMD_SIZE, PMD_SIZE);
	if (prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0))
		sys_fail("prctl", "PR_SET_THP_DISABLE");
	r->pte += PMD_SIZE / PG;
	r->fsz_fail++;
	r->fsz_pass += PMD_SIZE / PG - 1;
	if (munmap(resv, PMD_SIZE + 2 * PMD_SIZE))
		sys_fail("munmap", f.path);
	close_case(&f);
	free(buf);
}

static void merge_tally(struct tally *dst, const struct tally *src);

/* A file of per-file: its own tally, its path and inode in the result. */
static void per_file_open(struct result *r, struct dfile *f, int idx)
{
	struct stat st;

	open_case(f, r->name, &r->files[idx].t, idx);
	if (fstat(f->fd, &st))
		sys_fail("fstat", f->path);
	snprintf(r->files[idx].path, sizeof(r->files[idx].path), "%s", f->path);
	r->files[idx].ino = st.st_ino;
	r->nfiles = idx + 1;
}

/*
 * Three files with known per-file counts:
 *   .0: 1 MiB written in one pwrite, then 40 preads of 4 KiB;
 *   .1: 16 KiB written, 25 preads of 4 KiB, one 8 KiB pread into a
 *       buffer whose second page faults (short), one pread into NULL
 *       (EFAULT): its copies are the run's only short ones;
 *   .2: 2 MiB (its first and last page written, a hole between) mapped
 *       at a 2 MiB boundary, one byte loaded per page: the PMD try falls
 *       back, then 512 PTE faults. No reads or writes but its setup.
 * With --keep the files stay, so their paths can be resolved after.
 */
static void c_per_file(struct result *r)
{
	unsigned char *buf = xmalloc(MiB), *resv, *half;
	volatile unsigned char *p;
	struct dfile f[3];
	long long off;
	int i;

	per_file_open(r, &f[0], 0);
	setup_file(&f[0], MiB, MiB);
	for (i = 0; i < 40; i++) {
		off = (long long)i * 4 * KiB;
		do_rw(&f[0], OP_READ, buf, 4 * KiB, off, 0);
		check(&f[0], buf, 4 * KiB, off);
	}

	per_file_open(r, &f[1], 1);
	setup_file(&f[1], 16 * KiB, 16 * KiB);
	for (i = 0; i < 25; i++) {
		off = (long long)(i % 4) * 4 * KiB;
		do_rw(&f[1], OP_READ, buf, 4 * KiB, off, 0);
		check(&f[1], buf, 4 * KiB, off);
	}
	half = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (half == MAP_FAILED)
		sys_fail("mmap", "(anonymous 8 KiB buffer)");
	memset(half, 0, PG);
	if (mprotect(half + PG, PG, PROT_NONE))
		sys_fail("mprotect", "(anonymous buffer)");
	if (do_rw(&f[1], OP_READ, half, 2 * PG, 0, 1) >= 2 * PG)
		die("%s: pread into a half-protected buffer was not short", f[1].path);
	if (do_rw(&f[1], OP_READ, NULL, 4 * KiB, 0, 1) >= 0 || errno != EFAULT)
		die("%s: pread into NULL did not fail with EFAULT", f[1].path);
	if (munmap(half, 2 * PG))
		sys_fail("munmap", "(anonymous buffer)");

	per_file_open(r, &f[2], 2);
	fill(buf, PG, 0, f[2].salt);
	do_rw(&f[2], OP_WRITE, buf, PG, 0, 0);
	fill(buf, PG, PMD_SIZE - PG, f[2].salt);
	do_rw(&f[2], OP_WRITE, buf, PG, PMD_SIZE - PG, 0);
	do_fsync(&f[2]);
	p = map_at(&f[2], PMD_SIZE, 0, &resv);
	for (off = 0; off < PMD_SIZE; off += PG) {
		unsigned char want = off == 0 || off == PMD_SIZE - PG ? pat(off, f[2].salt) : 0;

		if (p[off] != want)
			die("%s: mapped byte at %lld is 0x%02x, want 0x%02x",
			    f[2].path, off, p[off], want);
	}
	r->files[2].pte = PMD_SIZE / PG;
	r->pte = PMD_SIZE / PG;
	if (munmap(resv, PMD_SIZE + 2 * PMD_SIZE))
		sys_fail("munmap", f[2].path);
	for (i = 0; i < 3; i++) {
		close_case(&f[i]);
		merge_tally(&r->t, &r->files[i].t);
	}
	free(buf);
}

static void c_mmap_read(struct result *r) { mmap_case(r, 0); }
static void c_mmap_write(struct result *r) { mmap_case(r, 1); }

/* len bytes of --devdax, shared; *fd is its descriptor. */
static volatile unsigned char *devdax_map(struct result *r, long len, int *fd)
{
	void *p;

	snprintf(r->path, sizeof(r->path), "%s", opt_devdax);
	*fd = open(opt_devdax, O_RDWR | O_CLOEXEC);
	if (*fd < 0)
		sys_fail("open", opt_devdax);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (p == MAP_FAILED)
		sys_fail("mmap", opt_devdax);
	return p;
}

static void devdax_unmap(volatile unsigned char *p, long len, int fd)
{
	if (munmap((void *)p, len))
		sys_fail("munmap", opt_devdax);
	if (close(fd))
		sys_fail("close", opt_devdax);
}

/* 4 MiB of a 2 MiB-aligned devdax: one PMD fault per 2 MiB touched. */
static void c_devdax_mmap(struct result *r)
{
	const long len = 4 * MiB;
	uintptr_t pmd, last = UINTPTR_MAX;
	volatile unsigned char *p;
	long off;
	int fd;

	p = devdax_map(r, len, &fd);
	if ((uintptr_t)p % PMD_SIZE)
		fprintf(stderr, "daxload: warning: %s mapped at %p, not 2 MiB aligned\n",
			opt_devdax, (void *)p);
	for (off = 0; off < len; off += PG) {
		p[off] = (unsigned char)(off / PG);
		pmd = ((uintptr_t)p + off) / PMD_SIZE;
		r->pmd += pmd != last;
		last = pmd;
	}
	devdax_unmap(p, len, fd);
}

/*
 * 1 GiB of a 1 GiB-aligned devdax (daxvm --devdax-align 1G): a store per
 * 2 MiB, one PUD fault for all of them. Device-dax places the mapping at
 * an address of its alignment.
 */
static void c_devdax_mmap_1g(struct result *r)
{
	const long len = 1L << 30;
	volatile unsigned char *p;
	long off;
	int fd;

	p = devdax_map(r, len, &fd);
	if ((uintptr_t)p % len)
		die("%s mapped at %p, not 1 GiB aligned", opt_devdax, (void *)p);
	for (off = 0; off < len; off += PMD_SIZE)
		p[off] = (unsigned char)(off / PMD_SIZE);
	r->pud = 1;
	devdax_unmap(p, len, fd);
}

/*
 * mt-migrate moves every worker between the CPUs while it does I/O: each
 * re-pins itself to the next CPU every MIG_EVERY ops, and the main thread
 * re-pins them all meanwhile, so threads also move in the middle of a
 * read, a write or a fault. A thread counts the times it finds itself on
 * another CPU than at its previous op.
 */
#define MIG_EVERY	4
static int mig_cpus;		/* CPUs to move between; 0: not migrating */
static int mig_live;		/* workers still running (atomic) */

struct mig {
	int tid;		/* published before the barrier (atomic) */
	int last;		/* CPU at the previous op; -1 before the first */
	unsigned n;
	long moves;
};

/* 0, or -errno: a thread that has already exited is ESRCH */
static int pin(int tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof(set), &set) ? -errno : 0;
}

static void mig_start(struct mig *m)
{
	m->last = -1;
	if (mig_cpus) {	/* before the barrier the pinner also waits at */
		__atomic_store_n(&m->tid, (int)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&mig_live, 1, __ATOMIC_SEQ_CST);
	}
}

static void mig_end(void)
{
	if (mig_cpus)
		__atomic_sub_fetch(&mig_live, 1, __ATOMIC_SEQ_CST);
}

/* Before an op: every MIG_EVERY-th, onto the next CPU; moves counted. */
static void mig_step(struct mig *m)
{
	int cpu, err;

	if (!mig_cpus)
		return;
	if (m->n++ % MIG_EVERY == 0) {
		err = pin(0, (m->n / MIG_EVERY + m->tid) % mig_cpus);
		if (err)
			die("sched_setaffinity: %s", strerror(-err));
	}
	cpu = sched_getcpu();
	m->moves += m->last >= 0 && cpu != m->last;
	m->last = cpu;
}

struct mt_arg {
	struct result *r;
	pthread_barrier_t *bar;
	int idx;
	struct tally t;
	struct mig mig;
};

static void *mt_thread(void *arg)
{
	struct mt_arg *a = arg;
	unsigned char *buf = xmalloc(PG);
	uint64_t rng = rng_init(1 + a->idx);
	struct dfile f;
	long long off;
	ssize_t got;
	int i, ret;

	open_case(&f, a->r->name, &a->t, a->idx);
	setup_file(&f, MiB, MiB);
	map_file(&f);
	mig_start(&a->mig);
	/* No thread starts mixing I/O while another is still setting up. */
	ret = pthread_barrier_wait(a->bar);
	if (ret && ret != PTHREAD_BARRIER_SERIAL_THREAD)
		die("pthread_barrier_wait: %s", strerror(ret));
	for (i = 0; i < 256; i++) {
		off = rand_off(&rng, MiB, PG);
		mig_step(&a->mig);
		got = do_rw(&f, OP_READ, buf, PG, off, 0);
		check(&f, buf, got, off);
		off = rand_off(&rng, MiB, PG);
		fill(buf, PG, off, f.salt);	/* same pattern: later reads still verify */
		mig_step(&a->mig);
		do_rw(&f, OP_WRITE, buf, PG, off, 0);
	}
	mig_end();
	close_case(&f);
	free(buf);
	return NULL;
}

static void merge_tally(struct tally *dst, const struct tally *src)
{
	const struct opstat *s;
	struct opstat *d;
	int op, i;

	for (op = 0; op < NR_OPS; op++) {
		s = &src->op[op];
		d = &dst->op[op];
		d->calls += s->calls;
		d->asked += s->asked;
		d->done += s->done;
		d->shrt += s->shrt;
		for (i = 0; i < MAX_ERRNO; i++)
			d->errs[i] += s->errs[i];
	}
	dst->rext += src->rext;
	dst->rext_bad |= src->rext_bad;
}

static void c_mt_mix(struct result *r)
{
	struct mt_arg a[MT_THREADS];
	pthread_t th[MT_THREADS];
	pthread_barrier_t bar;
	int i, ret;

	ret = pthread_barrier_init(&bar, NULL, MT_THREADS);
	if (ret)
		die("pthread_barrier_init: %s", strerror(ret));
	for (i = 0; i < MT_THREADS; i++) {
		a[i] = (struct mt_arg){ .r = r, .bar = &bar, .idx = i };
		ret = pthread_create(&th[i], NULL, mt_thread, &a[i]);
		if (ret)
			die("pthread_create: %s", strerror(ret));
	}
	for (i = 0; i < MT_THREADS; i++) {
		ret = pthread_join(th[i], NULL);
		if (ret)
			die("pthread_join: %s", strerror(ret));
		merge_tally(&r->t, &a[i].t);
	}
	ret = pthread_barrier_destroy(&bar);
	if (ret)
		die("pthread_barrier_destroy: %s", strerror(ret));
}

/*
 * mt-both: 8 threads of mt-mix I/O on the fsdax files and, at the same
 * time, 8 threads each mapping its own 2 MiB of devdax and storing one
 * byte per page: one PMD fault each. ops are fsdax, faults are devdax.
 */
struct dd_arg {
	pthread_barrier_t *bar;
	int idx;
	long pmd;
	struct mig mig;
};

static void *dd_thread(void *arg)
{
	struct dd_arg *a = arg;
	volatile unsigned char *p;
	uintptr_t last = UINTPTR_MAX, pmd;
	long off;
	int fd, ret;

	fd = open(opt_devdax, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		sys_fail("open", opt_devdax);
	p = mmap(NULL, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)a->idx * PMD_SIZE);
	if (p == MAP_FAILED)
		sys_fail("mmap", opt_devdax);
	mig_start(&a->mig);
	ret = pthread_barrier_wait(a->bar);
	if (ret && ret != PTHREAD_BARRIER_SERIAL_THREAD)
		die("pthread_barrier_wait: %s", strerror(ret));
	for (off = 0; off < PMD_SIZE; off += PG) {
		if (off % (64 * PG) == 0)
			mig_step(&a->mig);
		p[off] = (unsigned char)(a->idx + off / PG);
		pmd = ((uintptr_t)p + off) / PMD_SIZE;
		a->pmd += pmd != last;
		last = pmd;
	}
	for (off = 0; off < PMD_SIZE; off += PG)
		if (p[off] != (unsigned char)(a->idx + off / PG))
			die("%s: byte at %ld of thread %d's slice changed", opt_devdax,
			    off, a->idx);
	mig_end();
	if (munmap((void *)p, PMD_SIZE) || close(fd))
		sys_fail("munmap/close", opt_devdax);
	return NULL;
}

#define MT_BOTH	8

/*
 * The main thread, while mt-migrate's workers run: each worker onto the
 * other CPU every half millisecond, wherever it is (in a read, a fault).
 */
static void mig_pinner(struct mt_arg *a, struct dd_arg *d, pthread_barrier_t *bar)
{
	struct mig *m;
	unsigned k;
	int i, tid, err;

	/*
	 * Past the workers' barrier every tid is published and counted in
	 * mig_live; polling mig_live for all of them instead could miss the
	 * moment and wait forever once a fast worker had ended.
	 */
	err = pthread_barrier_wait(bar);
	if (err && err != PTHREAD_BARRIER_SERIAL_THREAD)
		die("pthread_barrier_wait: %s", strerror(err));
	for (k = 0; __atomic_load_n(&mig_live, __ATOMIC_SEQ_CST) > 0; k++) {
		for (i = 0; i < 2 * MT_BOTH; i++) {
			m = i < MT_BOTH ? &a[i].mig : &d[i - MT_BOTH].mig;
			tid = __atomic_load_n(&m->tid, __ATOMIC_SEQ_CST);
			err = pin(tid, (k + i) % mig_cpus);
			if (err && err != -ESRCH)
				die("sched_setaffinity %d: %s", tid, strerror(-err));
		}
		usleep(500);
	}
}

static void c_mt_both(struct result *r)
{
	struct mt_arg a[MT_BOTH];
	struct dd_arg d[MT_BOTH];
	pthread_t th[2 * MT_BOTH];
	pthread_barrier_t bar;
	int i, ret;

	snprintf(r->path, sizeof(r->path), "%s", opt_dir);
	ret = pthread_barrier_init(&bar, NULL, 2 * MT_BOTH + !!mig_cpus);
	if (ret)
		die("pthread_barrier_init: %s", strerror(ret));
	for (i = 0; i < MT_BOTH; i++) {
		a[i] = (struct mt_arg){ .r = r, .bar = &bar, .idx = i };
		d[i] = (struct dd_arg){ .bar = &bar, .idx = i };
		ret = pthread_create(&th[i], NULL, mt_thread, &a[i]) ?:
		      pthread_create(&th[MT_BOTH + i], NULL, dd_thread, &d[i]);
		if (ret)
			die("pthread_create: %s", strerror(ret));
	}
	if (mig_cpus)
		mig_pinner(a, d, &bar);
	for (i = 0; i < 2 * MT_BOTH; i++) {
		ret = pthread_join(th[i], NULL);
		if (ret)
			die("pthread_join: %s", strerror(ret));
	}
	for (i = 0; i < MT_BOTH; i++) {
		merge_tally(&r->t, &a[i].t);
		r->pmd += d[i].pmd;
		if (mig_cpus)
			r->moves += a[i].mig.moves + d[i].mig.moves;
	}
	pthread_barrier_destroy(&bar);
}

static void c_mt_migrate(struct result *r)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 2)
		die("mt-migrate needs 2 CPUs or more, this system has %ld", n);
	mig_cpus = n > 2 ? 2 : n;	/* CPU 0 and 1 */
	mig_live = 0;
	r->moves = 0;
	c_mt_both(r);
	mig_cpus = 0;
}

/*
 * held-read: one thread's 4 KiB pread stays inside dax_iomap_rw while
 * the main thread does 256 sequential 4 KiB preads: the first read's user
 * page is missing under userfaultfd, so its copy waits until the main
 * thread supplies the page. Then the first read completes. A tracer that
 * shares per-thread state between threads must keep both apart.
 */
struct held_arg {
	struct dfile f;		/* a copy sharing the fd, with its own tally */
	struct tally t;
	unsigned char *buf;
};

static void *held_thread(void *arg)
{
	struct held_arg *a = arg;
	ssize_t got;

	got = do_rw(&a->f, OP_READ, a->buf, PG, 0, 0);
	check(&a->f, a->buf, got, 0);
	return NULL;
}

/* Wait (at most 30 s) until a thread faults on the registered page. */
static void uffd_wait_fault(int uffd)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;
	int n;

	n = poll(&pfd, 1, 30000);
	if (n < 0)
		sys_fail("poll", "(userfaultfd)");
	if (!n)
		die("held-read: the reading thread never reached its user page");
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
		sys_fail("read", "(userfaultfd)");
	if (msg.event != UFFD_EVENT_PAGEFAULT)
		die("held-read: userfaultfd event %u, want a page fault", msg.event);
}

static void c_held_read(struct result *r)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct uffdio_copy cp = { .len = PG };
	unsigned char *buf = xmalloc(PG), *zero = xmalloc(PG);
	struct held_arg a = { 0 };
	struct dfile mine;
	pthread_t th;
	int uffd, i, ret;
	ssize_t got;

	open_case(&a.f, r->name, &r->t, -1);
	setup_file(&a.f, MiB, MiB);
	map_file(&a.f);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		sys_fail("userfaultfd", "(held-read)");
	if (ioctl(uffd, UFFDIO_API, &api))
		sys_fail("UFFDIO_API", "(held-read)");
	a.buf = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a.buf == MAP_FAILED)
		sys_fail("mmap", "(anonymous page)");
	reg.range.start = (uintptr_t)a.buf;
	reg.range.len = PG;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		sys_fail("UFFDIO_REGISTER", "(held-read)");
	/* the main thread's dfile keeps r->t; the held reader books its own */
	mine = a.f;
	a.f.t = &a.t;
	ret = pthread_create(&th, NULL, held_thread, &a);
	if (ret)
		die("pthread_create: %s", strerror(ret));
	uffd_wait_fault(uffd);
	for (i = 0; i < 256; i++) {
		got = do_rw(&mine, OP_READ, buf, PG, (long long)i * PG, 0);
		check(&mine, buf, got, (long long)i * PG);
	}
	memset(zero, 0, PG);
	cp.dst = (uintptr_t)a.buf;
	cp.src = (uintptr_t)zero;
	if (ioctl(uffd, UFFDIO_COPY, &cp))
		sys_fail("UFFDIO_COPY", "(held-read)");
	ret = pthread_join(th, NULL);
	if (ret)
		die("pthread_join: %s", strerror(ret));
	merge_tally(&r->t, &a.t);
	if (munmap(a.buf, PG) || close(uffd))
		sys_fail("munmap/close", "(held-read)");
	close_case(&mine);
	free(buf);
	free(zero);
}

/*
 * fsdev-mix: I/O on the files of a fsdevfs mount (tests/kmod/fsdevfs.c),
 * given as --dir: 16 MiB files interleaved over a fsdev_dax device in
 * 2 MiB strips, as famfs lays files out. One thread, so no count depends
 * on how a tracer copes with concurrency. dax_iomap_rw() calls
 * direct_access once per strip a pread or pwrite touches (FIEMAP must show
 * one extent per strip, no two contiguous on the device), and each fault
 * once: the sum is "direct_access". f0 takes the preads and pwrites, f1
 * the faults; what the file holds is kept in a shadow copy and every read
 * and load is checked against it.
 */
#define FSDEV_STRIP	(2 * MiB)

struct fsdev_file {
	struct dfile f;
	unsigned char *shadow;
};

static long fsdev_strips(long long off, long long len)
{
	return len > 0 ? (off + len - 1) / FSDEV_STRIP - off / FSDEV_STRIP + 1 : 0;
}

static void fsdev_open(struct fsdev_file *x, const char *name, struct tally *t)
{
	struct dfile *f = &x->f;
	const struct fiemap_extent *e;
	struct stat st;
	unsigned int i;

	memset(x, 0, sizeof(*x));
	f->t = t;
	snprintf(f->path, sizeof(f->path), "%s/%s", opt_dir, name);
	f->fd = open(f->path, O_RDWR | O_CLOEXEC);
	if (f->fd < 0)
		sys_fail("open", f->path);
	if (fstat(f->fd, &st))
		sys_fail("fstat", f->path);
	f->size = st.st_size;
	if (f->size < 16 * MiB || f->size % FSDEV_STRIP)
		die("%s: size %lld, want a multiple of 2 MiB, at least 16 MiB: is %s a fsdevfs mount?",
		    f->path, f->size, opt_dir);
	map_file(f);
	if (f->mapped < 0 || (long long)f->next != f->size / FSDEV_STRIP)
		die("%s: FIEMAP shows %u extents, want one per 2 MiB strip", f->path, f->next);
	for (i = 0; i < f->next; i++) {
		e = &f->ext[i];
		if (e->fe_logical != i * FSDEV_STRIP || e->fe_length != FSDEV_STRIP ||
		    e->fe_physical % FSDEV_STRIP ||
		    (i && e->fe_physical == e[-1].fe_physical + FSDEV_STRIP))
			die("%s: extent %u (logical %llu, physical %llu, length %llu) is not a "
			    "2 MiB strip apart from its neighbours", f->path, i,
			    (unsigned long long)e->fe_logical, (unsigned long long)e->fe_physical,
			    (unsigned long long)e->fe_length);
	}
	x->shadow = xmalloc(f->size);
}

static void fsdev_close(struct fsdev_file *x)
{
	if (close(x->f.fd))
		sys_fail("close", x->f.path);
	free(x->f.ext);
	free(x->shadow);
}

static void fsdev_write(struct fsdev_file *x, long long off, long len, unsigned int salt,
			long *da)
{
	unsigned char *b = xmalloc(len);
	ssize_t got;

	fill(b, len, off, salt);
	got = do_rw(&x->f, OP_WRITE, b, len, off, 0);
	if (got != len)
		die("%s: pwrite of %ld bytes at %lld returned %zd", x->f.path, len, off, got);
	memcpy(x->shadow + off, b, len);
	*da += fsdev_strips(off, len);
	free(b);
}

static void fsdev_read(struct fsdev_file *x, long long off, long len, long *da)
{
	long long want = off + len < x->f.size ? len : x->f.size - off;
	unsigned char *b = xmalloc(len);
	ssize_t got;

	got = do_rw(&x->f, OP_READ, b, len, off, 0);
	if (got != want)
		die("%s: pread of %ld bytes at %lld returned %zd, want %lld",
		    x->f.path, len, off, got, want);
	if (memcmp(b, x->shadow + off, got))
		die("%s: pread at %lld: not what was written there", x->f.path, off);
	*da += fsdev_strips(off, got);
	free(b);
}

/* Load (or store) one byte per page of [off, off+len) of a mapping at p. */
static void fsdev_touch(struct fsdev_file *x, volatile unsigned char *p, long long foff,
			long len, int store)
{
	long i;

	for (i = 0; i < len; i += PG) {
		if (store) {
			x->shadow[foff + i] ^= 0xff;
			p[i] = x->shadow[foff + i];
		} else if (p[i] != x->shadow[foff + i]) {
			die("%s: mapped byte at %lld is 0x%02x, want 0x%02x", x->f.path,
			    foff + i, p[i], x->shadow[foff + i]);
		}
	}
}

/* [off, off+len) of f1 through 2 MiB mappings: a PMD fault each, if aligned. */
static void fsdev_pmd_faults(struct result *r, struct fsdev_file *x, volatile unsigned char *p,
			     long long off, long len, int store)
{
	long long c;

	fsdev_touch(x, p + off, off, len, store);
	for (c = off; c < off + len; c += PMD_SIZE) {
		if (chunk_pmd_ok(&x->f, c))
			r->pmd++;
		else
			r->pte += PMD_SIZE / PG;
	}
}

/* A 1 MiB window at off: no PMD fits in it, one PTE fault per page. */
static void fsdev_pte_window(struct result *r, struct fsdev_file *x, long long off, int store)
{
	volatile unsigned char *p;

	p = mmap(NULL, MiB, PROT_READ | (store ? PROT_WRITE : 0), MAP_SHARED, x->f.fd, off);
	if (p == MAP_FAILED)
		sys_fail("mmap", x->f.path);
	fsdev_touch(x, p, off, MiB, store);
	r->pte += MiB / PG;
	if (store && msync((void *)p, MiB, MS_SYNC))
		sys_fail("msync", x->f.path);
	if (munmap((void *)p, MiB))
		sys_fail("munmap", x->f.path);
}

static void c_fsdev_mix(struct result *r)
{
	static const long long wr[][2] = {	/* offset, length */
		{ 0, 4 * KiB },			/* one strip */
		{ 2 * MiB - 64 * KiB, 128 * KiB },	/* across a strip boundary: two */
		{ 6 * MiB, 2 * MiB },		/* exactly one strip */
		{ 9 * MiB, 3 * MiB },		/* two */
	};
	static const long long rd[][2] = {
		{ 0, 4 * KiB },
		{ 2 * MiB - 32 * KiB, 64 * KiB },	/* two strips */
		{ 3 * MiB, MiB },
		{ MiB, 4 * MiB },		/* three */
	};
	struct fsdev_file x, y;
	volatile unsigned char *p;
	unsigned char *resv;
	long long off, size;
	long da = 0;
	uintptr_t a;
	unsigned int i;

	snprintf(r->path, sizeof(r->path), "%s", opt_dir);
	/* f0: whole in 1 MiB pwrites, then writes and reads across strips */
	fsdev_open(&x, "f0", &r->t);
	for (off = 0; off < x.f.size; off += MiB)
		fsdev_write(&x, off, MiB, 1, &da);
	for (i = 0; i < sizeof(wr) / sizeof(wr[0]); i++)
		fsdev_write(&x, wr[i][0], wr[i][1], 2, &da);
	for (i = 0; i < sizeof(rd) / sizeof(rd[0]); i++)
		fsdev_read(&x, rd[i][0], rd[i][1], &da);
	for (i = 0; i < sizeof(wr) / sizeof(wr[0]); i++)
		fsdev_read(&x, wr[i][0], wr[i][1], &da);
	/* 8 KiB at i_size - 4 KiB: 4 KiB come back, a short read at EOF */
	fsdev_read(&x, x.f.size - 4 * KiB, 8 * KiB, &da);
	fsdev_close(&x);

	/* f1: whole in 1 MiB pwrites, then faults */
	fsdev_open(&y, "f1", &r->t);
	size = y.f.size;
	for (off = 0; off < size; off += MiB)
		fsdev_write(&y, off, MiB, 3, &da);
	/* all of f1 at a 2 MiB-aligned address: loads over 4 MiB, stores over 2 */
	resv = mmap(NULL, size + PMD_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (resv == MAP_FAILED)
		sys_fail("mmap", "(address reservation)");
	a = ((uintptr_t)resv + PMD_SIZE - 1) & ~(uintptr_t)(PMD_SIZE - 1);
	p = mmap((void *)a, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, y.f.fd, 0);
	if (p == MAP_FAILED)
		sys_fail("mmap", y.f.path);
	fsdev_pmd_faults(r, &y, p, 0, 4 * MiB, 0);
	fsdev_pmd_faults(r, &y, p, 4 * MiB, PMD_SIZE, 1);
	if (msync((void *)(p + 4 * MiB), PMD_SIZE, MS_SYNC))
		sys_fail("msync", y.f.path);
	if (munmap(resv, size + PMD_SIZE))
		sys_fail("munmap", y.f.path);
	fsdev_pte_window(r, &y, 8 * MiB, 0);
	fsdev_pte_window(r, &y, 13 * MiB, 1);
	da += r->pte + r->pmd;
	/* what the stores left, read back */
	fsdev_read(&y, 4 * MiB, PMD_SIZE, &da);
	fsdev_read(&y, 13 * MiB, MiB, &da);
	fsdev_close(&y);
	r->da = da;
}

static const struct dcase cases[] = {
	{ "seq-read-4k", "4 MiB file, 1024 sequential 4 KiB preads", c_seq_read_4k, F_DIR },
	{ "seq-write-4k", "1024 sequential 4 KiB pwrites to a new file", c_seq_write_4k, F_DIR },
	{ "seq-read-1m", "16 MiB file, 16 sequential 1 MiB preads", c_seq_read_1m, F_DIR },
	{ "seq-write-1m", "16 sequential 1 MiB pwrites to a new file", c_seq_write_1m, F_DIR },
	{ "rand-read-4k", "4 MiB file, 1000 random 4 KiB preads", c_rand_read_4k, F_DIR },
	{ "rand-write-4k", "4 MiB file, 1000 random 4 KiB pwrites", c_rand_write_4k, F_DIR },
	{ "rand-read-1m", "16 MiB file, 64 random 1 MiB preads", c_rand_read_1m, F_DIR },
	{ "rand-write-1m", "16 MiB file, 64 random 1 MiB pwrites", c_rand_write_1m, F_DIR },
	{ "readv", "1 MiB file, 64 preadv of 4096+8192+512 bytes", c_readv, F_DIR },
	{ "writev", "64 pwritev of 4096+8192+512 bytes to a new file", c_writev, F_DIR },
	{ "short-copy", "8 KiB pread into a buffer whose 2nd page faults", c_short_copy, F_DIR },
	{ "rw-efault", "4 KiB pread into and pwrite from a PROT_NONE buffer: EFAULT each",
	  c_rw_efault, F_DIR | F_NOALL },
	{ "read-eof", "10000-byte file: 128 KiB pread at 0, 4 KiB pread at i_size",
	  c_read_eof, F_DIR },
	{ "media-error", "pread over a badblock set via sysfs (destructive, needs --pmem)",
	  c_media_error, F_DIR | F_PMEM | F_NOALL },
	{ "mmap-read", "1 MiB MAP_SHARED, load one byte per page", c_mmap_read, F_DIR },
	{ "mmap-write", "1 MiB MAP_SHARED, store one byte per page", c_mmap_write, F_DIR },
	{ "mmap-pmd", "4 MiB MAP_SHARED at a 2 MiB-aligned address: PMD faults where extents allow",
	  c_mmap_pmd, F_DIR },
	{ "fault-size", "4 MiB file (2 MiB, a page, a hole, a page) mapped aligned; "
	  "2 MiB of it misaligned; aligned with THP disabled",
	  c_fault_size, F_DIR },
	{ "per-file", "3 files: 40 preads; 25 preads, a short one and an EFAULT; "
	  "2 MiB with a hole mapped (a PMD fallback, 512 PTE faults)", c_per_file, F_DIR },
	{ "devdax-mmap", "4 MiB of --devdax mapped, store one byte per page",
	  c_devdax_mmap, F_DEVDAX },
	{ "devdax-mmap-1g", "1 GiB of a 1 GiB-aligned --devdax mapped, a store per 2 MiB: one PUD fault",
	  c_devdax_mmap_1g, F_DEVDAX | F_NOALL },
	{ "mt-mix", "4 threads, 1 MiB file each, 256 x (4 KiB pread + pwrite)", c_mt_mix, F_DIR },
	{ "mt-both", "16 threads: 8 x mt-mix on fsdax, 8 x one PMD fault each on --devdax",
	  c_mt_both, F_DIR | F_DEVDAX },
	{ "mt-migrate", "mt-both while each thread moves between CPU 0 and 1 every 4 ops, and is moved meanwhile",
	  c_mt_migrate, F_DIR | F_DEVDAX },
	{ "held-read", "a 4 KiB pread held in its copy (userfaultfd) while 256 others run",
	  c_held_read, F_DIR },
	{ "fsdev-mix", "--dir is a fsdevfs mount: preads, pwrites, PTE and PMD faults over its 2 MiB strips",
	  c_fsdev_mix, F_DIR | F_NOALL },
};
#define NR_CASES (int)(sizeof(cases) / sizeof(cases[0]))

static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/* The errno name as a JSON string, or null for 0. */
static void json_errno(int e)
{
	switch (e) {
	case 0: printf("null"); break;
	case EIO: printf("\"EIO\""); break;
	case EFAULT: printf("\"EFAULT\""); break;
	case ENOSPC: printf("\"ENOSPC\""); break;
	case EHWPOISON: printf("\"EHWPOISON\""); break;
	case EINVAL: printf("\"EINVAL\""); break;
	default: printf("\"E%d\"", e); break;
	}
}

/* ,"key":v for a non-negative v, else ,"key":null */
static void json_num(const char *key, long long v)
{
	if (v < 0)
		printf(",\"%s\":null", key);
	else
		printf(",\"%s\":%lld", key, v);
}

static void print_result(const struct result *r)
{
	const struct opstat *s;
	const struct event *ev;
	int op, i, first = 1;
	char sep;

	printf("{\"case\":");
	json_str(r->name);
	printf(",\"pid\":%d,\"path\":", (int)getpid());
	json_str(r->path);
	printf(",\"ops\":[");
	for (op = 0; op < NR_OPS; op++) {
		s = &r->t.op[op];
		if (!s->calls)
			continue;
		printf("%s{\"op\":\"%s\",\"calls\":%ld,\"bytes_requested\":%ld,"
		       "\"bytes_done\":%ld,\"short\":%ld,\"errors\":",
		       first ? "" : ",", op_name[op], s->calls, s->asked, s->done, s->shrt);
		for (i = 0, sep = '{'; i < MAX_ERRNO; i++) {
			if (!s->errs[i])
				continue;
			putchar(sep);
			json_errno(i);
			printf(":%ld", s->errs[i]);
			sep = ',';
		}
		if (sep == '{')
			putchar('{');	/* no errors: {} */
		printf("}}");
		first = 0;
	}
	printf("],\"faults\":{\"pte\":%ld,\"pmd\":%ld,\"pud\":%ld}", r->pte, r->pmd, r->pud);
	json_num("read_extents", r->t.rext_bad ? -1 : r->t.rext);
	if (r->moves >= 0)
		json_num("cpu_moves", r->moves);
	if (r->da >= 0)
		json_num("direct_access", r->da);
	if (r->fsz_pass >= 0) {
		printf(",\"fault_size\":{\"pass\":%ld,\"fail\":%ld,\"fail_fallbacks\":%ld,"
		       "\"ino\":%llu}", r->fsz_pass, r->fsz_fail, r->fsz_fail_fb, r->fsz_ino);
	}
	if (r->nfiles) {
		printf(",\"files\":[");
		for (i = 0; i < r->nfiles; i++) {
			const struct tally *t = &r->files[i].t;
			long errs = 0;
			int e;

			for (e = 0; e < MAX_ERRNO; e++)
				errs += t->op[OP_READ].errs[e] + t->op[OP_WRITE].errs[e];
			printf("%s{\"path\":", i ? "," : "");
			json_str(r->files[i].path);
			printf(",\"ino\":%llu,\"reads\":%ld,\"writes\":%ld,\"bytes_read\":%ld,"
			       "\"bytes_written\":%ld,\"errors\":%ld,\"pte\":%ld}",
			       r->files[i].ino, t->op[OP_READ].calls, t->op[OP_WRITE].calls,
			       t->op[OP_READ].done, t->op[OP_WRITE].done, errs, r->files[i].pte);
		}
		putchar(']');
	}
	printf(",\"events\":[");
	for (i = 0; i < r->nev; i++) {
		ev = &r->ev[i];
		printf("%s{\"op\":\"%s\",\"off\":%lld,\"asked\":%lld,\"got\":%lld,\"errno\":",
		       i ? "," : "", op_name[ev->op], ev->off, ev->asked, ev->got);
		json_errno(ev->err);
		json_num("phys", ev->phys);
		json_num("user_fault_at", ev->ufault);
		putchar('}');
	}
	printf("]}\n");
	if (fflush(stdout))
		sys_fail("write", "(stdout)");
}

static void run_case(const struct dcase *c)
{
	struct result r;

	memset(&r, 0, sizeof(r));
	r.name = c->name;
	r.da = -1;
	r.moves = -1;
	r.fsz_pass = r.fsz_fail = r.fsz_fail_fb = -1;
	if (c->flags & F_DIR)
		snprintf(r.path, sizeof(r.path), "%s/daxload.%s", opt_dir, c->name);
	cur_case = c->flags & F_DIR ? c->name : NULL;
	c->fn(&r);
	cur_case = NULL;
	print_result(&r);
}

/* Accept "--opt VAL" and "--opt=VAL"; returns VAL, or NULL if not this opt. */
static const char *opt_arg(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);

	if (strncmp(argv[*i], opt, n) || (argv[*i][n] && argv[*i][n] != '='))
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (*i + 1 >= argc)
		bad_usage("%s needs a value", opt);
	return argv[++*i];
}

static int set(const char *s)
{
	return s && *s;
}

/* Check that every requested case has what it needs before running any. */
static void validate(const struct dcase *c)
{
	if ((c->flags & F_DIR) && !set(opt_dir))
		bad_usage("case %s needs --dir (or DAXVM_MNT)", c->name);
	if ((c->flags & F_DIR) && strlen(opt_dir) > PATH_MAX - 64)
		bad_usage("--dir path too long");
	if ((c->flags & F_DEVDAX) && !set(opt_devdax))
		bad_usage("case %s needs --devdax (or DAXVM_DEVDAX)", c->name);
	if ((c->flags & F_PMEM) && !set(opt_pmem))
		bad_usage("case %s needs --pmem (or DAXVM_PMEM)", c->name);
	if ((c->flags & F_PMEM) && (strchr(opt_pmem, '/') || strlen(opt_pmem) > NAME_MAX))
		bad_usage("bad --pmem '%s': want a block device name like pmem0.1", opt_pmem);
}

int main(int argc, char **argv)
{
	const struct dcase **run = xmalloc(sizeof(*run) * argc * NR_CASES);
	const char **names = xmalloc(sizeof(*names) * argc);
	int i, j, nrun = 0, nnames = 0, list = 0;
	static char devdax[PATH_MAX];
	const char *v;
	char *end;

	opt_dir = getenv("DAXVM_MNT");
	opt_pmem = getenv("DAXVM_PMEM");
	if (set(v = getenv("DAXVM_DEVDAX"))) {
		snprintf(devdax, sizeof(devdax), "/dev/%s", v);
		opt_devdax = devdax;
	}
	for (i = 1; i < argc; i++) {
		if ((v = opt_arg(argc, argv, &i, "--dir"))) {
			opt_dir = v;
		} else if ((v = opt_arg(argc, argv, &i, "--devdax"))) {
			opt_devdax = v;
		} else if ((v = opt_arg(argc, argv, &i, "--pmem"))) {
			opt_pmem = v;
		} else if ((v = opt_arg(argc, argv, &i, "--seed"))) {
			errno = 0;
			opt_seed = strtoull(v, &end, 0);
			if (errno || !*v || *end || *v == '-')
				bad_usage("bad --seed value '%s'", v);
		} else if (!strcmp(argv[i], "--keep")) {
			opt_keep = 1;
		} else if (!strcmp(argv[i], "--list")) {
			list = 1;
		} else if (argv[i][0] == '-') {
			bad_usage("unknown option '%s'", argv[i]);
		} else {
			names[nnames++] = argv[i];
		}
	}
	/* Expand after parsing, so "all" sees --devdax wherever it was given. */
	for (i = 0; i < nnames; i++) {
		if (!strcmp(names[i], "all")) {
			for (j = 0; j < NR_CASES; j++)
				if (!(cases[j].flags & F_NOALL) &&
				    (!(cases[j].flags & F_DEVDAX) || set(opt_devdax)))
					run[nrun++] = &cases[j];
			continue;
		}
		for (j = 0; j < NR_CASES && strcmp(names[i], cases[j].name); j++)
			;
		if (j == NR_CASES)
			bad_usage("unknown case '%s'", names[i]);
		run[nrun++] = &cases[j];
	}
	if (list) {
		for (j = 0; j < NR_CASES; j++)
			printf("%s\t%s\n", cases[j].name, cases[j].desc);
		free(names);
		free(run);
		return fflush(stdout) ? 1 : 0;
	}
	if (!nrun)
		bad_usage("no case given; usage: daxload [--dir DIR] [--devdax PATH] "
			  "[--pmem NAME] [--seed N] [--keep] CASE... | --list");
	for (i = 0; i < nrun; i++)
		validate(run[i]);
	if (sysconf(_SC_PAGESIZE) != PG)
		die("page size is not 4096; the expected fault counts assume it");
	for (i = 0; i < nrun; i++)
		run_case(run[i]);
	free(names);
	free(run);
	return 0;
}
