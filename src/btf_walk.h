/* SPDX-License-Identifier: GPL-2.0 */
/* One fast pass over a BTF's own types. */
#ifndef __DT_BTF_WALK_H
#define __DT_BTF_WALK_H

#include <linux/types.h>

struct btf;
struct btf_type;

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
 * fn(ctx, id, type, name) for each type of a kind in kinds (DT_KIND()
 * bits) of btf's own (for a module's
 * split BTF: not its base's), in id order, until fn returns non-zero,
 * which is returned. -EINVAL for a type section libbpf could not have
 * parsed.
 */
typedef int (*dt_btf_fn)(void *ctx, __u32 id, const struct btf_type *t,
			 const char *name);
int dt_btf_walk(const struct btf *btf, unsigned int kinds, dt_btf_fn fn,
		void *ctx);

#endif /* __DT_BTF_WALK_H */
