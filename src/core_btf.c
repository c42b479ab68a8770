// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal kernel BTF for libbpf's CO-RE relocation. libbpf looks for
 * each type the object relocates by walking every type of vmlinux, once
 * per type: twelve walks, a fifth of start-up under emulation. Handed a
 * BTF that holds only the kernel types the object names (and what those
 * hold by value), it walks that instead. Pointers inside it point to
 * void: a CO-RE access never follows one within a relocation (each
 * BPF_CORE_READ step is a relocation of its own, rooted at the pointee).
 */
#define _GNU_SOURCE	/* memfd_create() */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/btf.h>
#include "kbtf.h"
#include "core_btf.h"

#define NAME_SLOTS	1024	/* power of two, well above the names */

struct names {
	const char *s[NAME_SLOTS];
	size_t len[NAME_SLOTS];
	int n;
	struct dt_prefixes pre;
};

struct copy {
	const struct dt_kbtf *src;
	struct btf *dst;
	__u32 *map;		/* kernel type id -> id in dst, 0: not yet */
	int void_ptr;
};

/* The object's own .BTF, found in its ELF image by section name. */
static struct btf *obj_btf(const void *elf, size_t sz)
{
	const Elf64_Ehdr *eh = elf;
	const Elf64_Shdr *sh, *strs;
	const char *name;
	int i;

	if (sz < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shoff > sz ||
	    eh->e_shstrndx >= eh->e_shnum ||
	    eh->e_shnum > (sz - eh->e_shoff) / sizeof(*sh))
		return NULL;
	sh = (const void *)((const char *)elf + eh->e_shoff);
	strs = &sh[eh->e_shstrndx];
	if (strs->sh_offset > sz || strs->sh_size > sz - strs->sh_offset ||
	    strs->sh_size < sizeof(".BTF"))
		return NULL;
	for (i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_name > strs->sh_size - sizeof(".BTF") ||
		    sh[i].sh_offset > sz || sh[i].sh_size > sz - sh[i].sh_offset)
			continue;
		name = (const char *)elf + strs->sh_offset + sh[i].sh_name;
		if (!memcmp(name, ".BTF", sizeof(".BTF")))
			return btf__new((const char *)elf + sh[i].sh_offset,
					sh[i].sh_size);
	}
	return NULL;
}

static unsigned int name_hash(const char *s, size_t len)
{
	unsigned int h = 2166136261u;

	while (len--)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* A flavour ("iov_iter___old") is looked for by its essential name. */
static size_t essential_len(const char *s)
{
	const char *f = strstr(s, "___");

	return f ? (size_t)(f - s) : strlen(s);
}

static int names_add(struct names *nm, const char *s)
{
	size_t len = essential_len(s);
	unsigned int i = name_hash(s, len);
	char e[2] = { s[0], len > 1 ? s[1] : 0 };	/* the essential name's */

	for (;; i++) {
		i &= NAME_SLOTS - 1;
		if (!nm->s[i])
			break;
		if (nm->len[i] == len && !memcmp(nm->s[i], s, len))
			return 0;
	}
	if (nm->n >= NAME_SLOTS / 2)
		return -E2BIG;
	nm->s[i] = s;
	nm->len[i] = len;
	nm->n++;
	dt_prefix_add(&nm->pre, e);
	return 0;
}

static bool names_has(const struct names *nm, const char *s)
{
	size_t len = strlen(s);
	unsigned int i = name_hash(s, len);

	for (;; i++) {
		i &= NAME_SLOTS - 1;
		if (!nm->s[i])
			return false;
		if (nm->len[i] == len && !memcmp(nm->s[i], s, len))
			return true;
	}
}

/* What CO-RE may look up: the object's named structs, unions, enums, typedefs. */
#define ROOT_KINDS	(DT_KIND(BTF_KIND_STRUCT) | DT_KIND(BTF_KIND_UNION) | \
			 DT_KIND(BTF_KIND_ENUM) | DT_KIND(BTF_KIND_ENUM64) | \
			 DT_KIND(BTF_KIND_TYPEDEF))

static bool rootable(const struct btf_type *t)
{
	return ROOT_KINDS & DT_KIND(btf_kind(t));
}

static int collect_names(const struct btf *ob, struct names *nm)
{
	int i, n = btf__type_cnt(ob), err;
	const struct btf_type *t;

	for (i = 1; i < n; i++) {
		t = btf__type_by_id(ob, i);
		if (!rootable(t) || !t->name_off)
			continue;
		err = names_add(nm, btf__name_by_offset(ob, t->name_off));
		if (err)
			return err;
	}
	return 0;
}

static int copy_type(struct copy *c, __u32 id);

/* Members' types first: btf__add_field() must follow its struct at once. */
static int copy_composite(struct copy *c, const struct btf_type *t, const char *name)
{
	const struct btf_member *m = btf_members(t);
	int i, n = btf_vlen(t), err, id;

	for (i = 0; i < n; i++) {
		err = copy_type(c, m[i].type);
		if (err < 0)
			return err;
	}
	id = btf_is_struct(t) ? btf__add_struct(c->dst, name, t->size) :
				btf__add_union(c->dst, name, t->size);
	for (i = 0; id > 0 && i < n; i++) {
		err = btf__add_field(c->dst, dt_kbtf_name(c->src, m[i].name_off),
				     m[i].type ? c->map[m[i].type] : 0,
				     btf_member_bit_offset(t, i),
				     btf_member_bitfield_size(t, i));
		if (err)
			return err;
	}
	return id;
}

static int copy_enum(struct copy *c, const struct btf_type *t, const char *name)
{
	int i, n = btf_vlen(t), id, err = 0;

	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);

		id = btf__add_enum(c->dst, name, t->size);
		for (i = 0; id > 0 && !err && i < n; i++)
			err = btf__add_enum_value(c->dst,
						  dt_kbtf_name(c->src, e[i].name_off),
						  e[i].val);
	} else {
		const struct btf_enum64 *e = btf_enum64(t);

		id = btf__add_enum64(c->dst, name, t->size, btf_kflag(t));
		for (i = 0; id > 0 && !err && i < n; i++)
			err = btf__add_enum64_value(c->dst,
						    dt_kbtf_name(c->src, e[i].name_off),
						    btf_enum64_value(&e[i]));
	}
	return err ?: id;
}

/* A type referring to one other (typedef, const, ...): that one first. */
static int copy_ref(struct copy *c, const struct btf_type *t, const char *name)
{
	int ref = copy_type(c, t->type);

	if (ref < 0)
		return ref;
	switch (btf_kind(t)) {
	case BTF_KIND_TYPEDEF:
		return btf__add_typedef(c->dst, name, ref);
	case BTF_KIND_VOLATILE:
		return btf__add_volatile(c->dst, ref);
	case BTF_KIND_CONST:
		return btf__add_const(c->dst, ref);
	case BTF_KIND_RESTRICT:
		return btf__add_restrict(c->dst, ref);
	default:
		return btf__add_type_tag(c->dst, name, ref);
	}
}

/* id's copy in dst (copied now if it is not there yet), or -errno. */
static int copy_type(struct copy *c, __u32 id)
{
	const struct btf_type *t;
	const struct btf_array *a;
	const char *name;
	int nid, elem, idx;

	if (!id || c->map[id])
		return id ? (int)c->map[id] : 0;
	t = dt_kbtf_type(c->src, id);
	if (!t)
		return -EINVAL;
	name = dt_kbtf_name(c->src, t->name_off);
	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
		if (!c->void_ptr)
			c->void_ptr = btf__add_ptr(c->dst, 0);
		nid = c->void_ptr;
		break;
	case BTF_KIND_INT:
		nid = btf__add_int(c->dst, name, t->size, btf_int_encoding(t));
		break;
	case BTF_KIND_FLOAT:
		nid = btf__add_float(c->dst, name, t->size);
		break;
	case BTF_KIND_FWD:
		nid = btf__add_fwd(c->dst, name,
				   btf_kflag(t) ? BTF_FWD_UNION : BTF_FWD_STRUCT);
		break;
	case BTF_KIND_ARRAY:
		a = btf_array(t);
		elem = copy_type(c, a->type);
		idx = elem < 0 ? elem : copy_type(c, a->index_type);
		nid = idx < 0 ? idx : btf__add_array(c->dst, idx, elem, a->nelems);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		nid = copy_composite(c, t, name);
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		nid = copy_enum(c, t, name);
		break;
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
		nid = copy_ref(c, t, name);
		break;
	default:
		/* a function type is only ever held through a pointer */
		return -EINVAL;
	}
	if (nid > 0)
		c->map[id] = nid;
	return nid < 0 ? nid : (nid ? nid : -EINVAL);
}

struct roots {
	struct copy *c;
	const struct names *nm;
	int n;
};

static int root_fn(void *ctx, __u32 id, const struct btf_type *t, const char *name)
{
	struct roots *r = ctx;
	int err;

	if (!*name || !names_has(r->nm, name))
		return 0;
	err = copy_type(r->c, id);
	if (err < 0)
		return err;
	r->n++;
	return 0;
}

/* Every kernel type CO-RE could pick for one of the object's names. */
static int copy_roots(struct copy *c, const struct names *nm, int *nroots)
{
	struct roots r = { .c = c, .nm = nm };
	int err = dt_kbtf_walk(c->src, ROOT_KINDS, &nm->pre, root_fn, &r);

	*nroots = r.n;
	return err;
}

static int write_all(int fd, const void *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w ? -errno : -EIO;
		p = (const char *)p + w;
		n -= w;
	}
	return 0;
}

int dt_core_btf(const struct dt_kbtf *kernel, const void *elf, size_t sz,
		struct dt_core_btf_info *info)
{
	struct names *nm = calloc(1, sizeof(*nm));
	struct copy c = { .src = kernel };
	struct btf *ob = obj_btf(elf, sz);
	const void *raw;
	__u32 rawsz;
	int fd = -1, err = -ENOMEM;

	c.dst = btf__new_empty();
	c.map = kernel ? calloc(dt_kbtf_count(kernel), sizeof(*c.map)) : NULL;
	if (!ob || !kernel) {
		err = -ENOENT;
		goto out;
	}
	if (!nm || !c.dst || !c.map)
		goto out;
	err = collect_names(ob, nm);
	if (!err)
		err = copy_roots(&c, nm, &info->roots);
	if (err)
		goto out;
	raw = btf__raw_data(c.dst, &rawsz);
	if (!raw) {
		err = -ENOMEM;
		goto out;
	}
	info->names = nm->n;
	info->types = btf__type_cnt(c.dst) - 1;
	info->bytes = rawsz;
	fd = memfd_create("daxtrace-core-btf", MFD_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto out;
	}
	err = write_all(fd, raw, rawsz);
out:
	if (err && fd >= 0)
		close(fd);
	btf__free(c.dst);
	btf__free(ob);
	free(c.map);
	free(nm);
	return err ?: fd;
}
