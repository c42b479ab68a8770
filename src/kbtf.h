/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel's BTF, read raw: vmlinux's from sysfs, a module's from its
 * BTF object. libbpf's btf__parse() and its accessors cost a fifth of
 * start-up under emulation for what probing needs of 100k+ types: a
 * handful of FUNC ids and the types CO-RE relocates against.
 */
#ifndef __DT_KBTF_H
#define __DT_KBTF_H

#include <stddef.h>
#include <linux/types.h>

struct btf_type;

struct dt_kbtf {
	char *data;		/* the raw BTF */
	const char *types, *strs;
	__u32 str_len;
	__u32 *off;		/* id - start_id -> offset of its record in types */
	__u32 start_id, n;	/* its own types: ids start_id .. start_id + n - 1 */
	__u32 start_str;	/* a module's names below this are its base's */
	const struct dt_kbtf *base;	/* a module's: vmlinux's */
};

/* 0 or -errno; a failed read leaves *b empty, for dt_kbtf_free(). */
int dt_kbtf_read_file(struct dt_kbtf *b, const char *path);
/*
 * A vmlinux BTF from memory (copied); on failure why says what is wrong
 * with it: not BTF, cut short, a kind unknown here.
 */
int dt_kbtf_read_mem(struct dt_kbtf *b, const void *raw, size_t size,
		     char *why, size_t wlen);
/* A module's split BTF, from the fd of its BTF object. */
int dt_kbtf_read_fd(struct dt_kbtf *b, int btf_fd, const struct dt_kbtf *base);
void dt_kbtf_free(struct dt_kbtf *b);
/*
 * The fd of the next kernel BTF object (vmlinux's, a module's) after *id,
 * its name in name; -ENOENT when none is left, -EPERM without the
 * privilege to look (CAP_SYS_ADMIN). Reading a BTF through its
 * object takes one copy, where sysfs hands it out a page per read()
 * (1350 of them for 6.1's vmlinux).
 */
int dt_kbtf_next_object(__u32 *id, char *name, size_t len);

/* All ids below this are valid, the base's included (btf__type_cnt()). */
static inline __u32 dt_kbtf_count(const struct dt_kbtf *b)
{
	return b->start_id + b->n;
}

/* NULL for id 0 (void) or out of range. */
const struct btf_type *dt_kbtf_type(const struct dt_kbtf *b, __u32 id);
/* "" for an offset out of range. */
const char *dt_kbtf_name(const struct dt_kbtf *b, __u32 off);

/*
 * Names looked for, by their first two bytes: most of the types a walk
 * passes are then rejected with one bit test, before any string compare.
 */
struct dt_prefixes {
	unsigned char bit[65536 / 8];
};

static inline unsigned int dt_prefix_of(const char *s)
{
	return (unsigned char)s[0] << 8 | (s[0] ? (unsigned char)s[1] : 0);
}

static inline void dt_prefix_add(struct dt_prefixes *p, const char *s)
{
	unsigned int i = dt_prefix_of(s);

	p->bit[i / 8] |= 1 << (i % 8);
}

static inline int dt_prefix_has(const struct dt_prefixes *p, const char *s)
{
	unsigned int i = dt_prefix_of(s);

	return p->bit[i / 8] & (1 << (i % 8));
}

#define DT_KIND(k)	(1U << (k))

/*
 * fn(ctx, id, type, name) for each of b's own types (a module's: not its
 * base's) of a kind in kinds (DT_KIND() bits) whose name's first two
 * bytes are in pre (NULL: any), in id order, until fn returns non-zero,
 * which is returned.
 */
typedef int (*dt_kbtf_fn)(void *ctx, __u32 id, const struct btf_type *t,
			  const char *name);
int dt_kbtf_walk(const struct dt_kbtf *b, unsigned int kinds,
		 const struct dt_prefixes *pre, dt_kbtf_fn fn, void *ctx);

#endif /* __DT_KBTF_H */
