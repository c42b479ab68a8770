// SPDX-License-Identifier: GPL-2.0
/*
 * A minimal kernel BTF for libbpf's CO-RE relocation. libbpf looks for
 * each type the object relocates by walking every type of vmlinux, once
 * per type: twelve walks, a fifth of start-up under emulation. Handed a
 * BTF that holds only the kernel types its relocations can pick (and
 * what those hold by value), it walks that instead.
 *
 * The roots are read from the object's own .BTF.ext, as libbpf reads
 * them, and matched by libbpf's rules (flavours by their essential name,
 * on both sides). Pointers inside the copy point to void: a field or
 * enum relocation never follows one (each BPF_CORE_READ step is a
 * relocation of its own, rooted at the pointee). Kinds that compare
 * whole type graphs or hand out kernel type ids, a root vmlinux lacks
 * (libbpf would then search the modules), or anything unexpected: no
 * minimal BTF, and libbpf searches the kernel's as it always did.
 */
#define _GNU_SOURCE	/* memfd_create() */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "kbtf.h"
#include "core_btf.h"

#define NAME_SLOTS	1024	/* power of two, well above the names */

struct names {
	const char *s[NAME_SLOTS];
	size_t len[NAME_SLOTS];
	bool found[NAME_SLOTS];	/* a vmlinux type goes by it */
	int n;
	struct dt_prefixes pre;
};

#define COPYING		(~0U)	/* map[]: being copied, not yet done */

struct copy {
	const struct dt_kbtf *src;
	struct btf *dst;
	__u32 *map;		/* kernel type id -> id in dst, 0: not yet */
	int void_ptr;
};

/* A section of the object's ELF image, by name; NULL if absent or bad. */
static const void *elf_section(const void *elf, size_t sz, const char *want,
			       size_t *len)
{
	const Elf64_Ehdr *eh = elf;
	const Elf64_Shdr *sh, *strs;
	size_t wlen = strlen(want) + 1;
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
	    strs->sh_size < wlen)
		return NULL;
	for (i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_name > strs->sh_size - wlen ||
		    sh[i].sh_offset > sz || sh[i].sh_size > sz - sh[i].sh_offset)
			continue;
		name = (const char *)elf + strs->sh_offset + sh[i].sh_name;
		if (!memcmp(name, want, wlen)) {
			*len = sh[i].sh_size;
			return (const char *)elf + sh[i].sh_offset;
		}
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

/*
 * A flavour ("iov_iter___old") goes by its essential name: up to the
 * last "___" with no underscore on either side, as libbpf has it.
 */
static size_t essential_len(const char *s)
{
	size_t n = strlen(s), i;

	for (i = n >= 5 ? n - 5 + 1 : 0; i-- > 0;) {
		if (s[i] != '_' && !memcmp(s + i + 1, "___", 3) && s[i + 4] != '_')
			return i + 1;
	}
	return n;
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

/* The slot of s's essential name, -1 if it is none of the roots'. */
static int names_find(const struct names *nm, const char *s)
{
	size_t len = essential_len(s);
	unsigned int i = name_hash(s, len);

	for (;; i++) {
		i &= NAME_SLOTS - 1;
		if (!nm->s[i])
			return -1;
		if (nm->len[i] == len && !memcmp(nm->s[i], s, len))
			return i;
	}
}

/* The kinds a root can be, and its kernel candidates with it. */
#define ROOT_KINDS	(DT_KIND(BTF_KIND_STRUCT) | DT_KIND(BTF_KIND_UNION) | \
			 DT_KIND(BTF_KIND_ENUM) | DT_KIND(BTF_KIND_ENUM64) | \
			 DT_KIND(BTF_KIND_TYPEDEF))

/* .BTF.ext's header, as far as the CO-RE relocations (libbpf's layout). */
struct btf_ext_head {
	__u16 magic;
	__u8 version;
	__u8 flags;
	__u32 hdr_len;
	__u32 func_info_off, func_info_len;
	__u32 line_info_off, line_info_len;
	__u32 core_relo_off, core_relo_len;
};

/* One relocation's root: its name, if it is one the copy can serve. */
static int add_root(const struct btf *ob, const struct bpf_core_relo *r,
		    struct names *nm)
{
	const struct btf_type *t = btf__type_by_id(ob, r->type_id);

	switch (r->kind) {
	case BPF_CORE_TYPE_ID_LOCAL:
		return 0;	/* the object's own id: no kernel type */
	case BPF_CORE_TYPE_ID_TARGET:
	case BPF_CORE_TYPE_EXISTS:
	case BPF_CORE_TYPE_SIZE:
	case BPF_CORE_TYPE_MATCHES:
		return -EOPNOTSUPP;	/* whole graphs, or kernel ids */
	default:
		break;
	}
	if (!t || !t->name_off || !(ROOT_KINDS & DT_KIND(btf_kind(t))))
		return -EOPNOTSUPP;
	return names_add(nm, btf__name_by_offset(ob, t->name_off));
}

/* The names of the types the object's CO-RE relocations are rooted at. */
static int collect_names(const void *elf, size_t sz, const struct btf *ob,
			 struct names *nm)
{
	const struct btf_ext_head *h;
	const char *p, *end;
	__u32 rec, n, i;
	size_t len = 0;
	int err;

	h = elf_section(elf, sz, ".BTF.ext", &len);
	if (!h || len < sizeof(*h) || h->magic != BTF_MAGIC ||
	    h->hdr_len < sizeof(*h) || h->hdr_len > len ||
	    h->core_relo_off > len - h->hdr_len ||
	    h->core_relo_len > len - h->hdr_len - h->core_relo_off ||
	    h->core_relo_len < sizeof(rec))
		return -ENOENT;
	p = (const char *)h + h->hdr_len + h->core_relo_off;
	end = p + h->core_relo_len;
	memcpy(&rec, p, sizeof(rec));
	if (rec < sizeof(struct bpf_core_relo))
		return -EINVAL;
	for (p += sizeof(rec); end - p >= 8; ) {	/* sec_name_off, num_info */
		memcpy(&n, p + 4, sizeof(n));
		p += 8;
		if (n > (size_t)(end - p) / rec)
			return -EINVAL;
		for (i = 0; i < n; i++, p += rec) {
			err = add_root(ob, (const struct bpf_core_relo *)p, nm);
			if (err)
				return err;
		}
	}
	return p == end ? 0 : -EINVAL;
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
						  btf_kflag(t) ? (__s64)e[i].val :
						  (__s64)(__u32)e[i].val);
		/*
		 * libbpf marks an enum signed when a value is negative; the
		 * kernel's says which it is (an unsigned one's values past
		 * 2^31 would read negative), and CO-RE's enum values follow it
		 */
		if (id > 0 && !err)
			((struct btf_type *)btf__type_by_id(c->dst, id))->info =
				(t->info & (1U << 31)) |
				(btf__type_by_id(c->dst, id)->info & ~(1U << 31));
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

	if (!id)
		return 0;
	if (id >= dt_kbtf_count(c->src))
		return -EINVAL;
	if (c->map[id] == COPYING)	/* held by value within itself */
		return -ELOOP;
	if (c->map[id])
		return c->map[id];
	t = dt_kbtf_type(c->src, id);
	if (!t)
		return -EINVAL;
	c->map[id] = COPYING;
	name = dt_kbtf_name(c->src, t->name_off);
	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
		if (!c->void_ptr)
			c->void_ptr = btf__add_ptr(c->dst, 0);
		nid = c->void_ptr;
		break;
	case BTF_KIND_INT:
		/* what btf__add_int() can say: whole bytes at offset 0 */
		nid = btf_int_offset(t) || btf_int_bits(t) != t->size * 8 ? -EINVAL :
		      btf__add_int(c->dst, name, t->size, btf_int_encoding(t));
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
		/* a function type: held through a pointer, not by a root */
		nid = -EINVAL;
		break;
	}
	c->map[id] = nid > 0 ? nid : 0;
	return nid < 0 ? nid : (nid ? nid : -EINVAL);
}

struct roots {
	struct copy *c;
	struct names *nm;
	int n;
};

static int root_fn(void *ctx, __u32 id, const struct btf_type *t, const char *name)
{
	struct roots *r = ctx;
	int slot, err;

	slot = *name ? names_find(r->nm, name) : -1;
	if (slot < 0)
		return 0;
	err = copy_type(r->c, id);
	if (err < 0)
		return err;
	r->nm->found[slot] = true;
	r->n++;
	return 0;
}

/*
 * Every vmlinux type CO-RE could pick for one of the roots; -ENOENT if a
 * root has none (libbpf would look in the modules' BTF next).
 */
static int copy_roots(struct copy *c, struct names *nm, int *nroots)
{
	struct roots r = { .c = c, .nm = nm };
	int err = dt_kbtf_walk(c->src, ROOT_KINDS, &nm->pre, root_fn, &r), i;

	*nroots = r.n;
	for (i = 0; !err && i < NAME_SLOTS; i++) {
		if (nm->s[i] && !nm->found[i])
			err = -ENOENT;
	}
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
	size_t btf_len = 0;
	const void *btf_sec = elf_section(elf, sz, ".BTF", &btf_len);
	struct btf *ob = btf_sec ? btf__new(btf_sec, btf_len) : NULL;
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
	err = collect_names(elf, sz, ob, nm);
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

/*
 * What bpf/dax_trace.bpf.c takes each traced function's parameters to be:
 * its fexit programs read the arguments and then the return value by
 * position, its kprobes by register. "S" is a pointer to struct S, "*"
 * any pointer, "i" an integer or enum (of any size). The same on 6.1,
 * 6.12 and 7.3: pfn_t * became unsigned long * (both "*"), a fault's
 * enum page_entry_size became unsigned int order (both "i"), and
 * dax_iomap_rw's ops may become a function (a pointer still).
 */
static const struct dt_sig {
	const char *func;
	int nargs;
	const char *args[6];
} sigs[] = {
	{ "dax_iomap_rw", 3, { "kiocb", "iov_iter", "*" } },
	{ "dax_iomap_iter", 2, { "iomap_iter", "iov_iter" } },
	{ "dax_direct_access", 6, { "dax_device", "i", "i", "i", "*", "*" } },
	{ "pmem_dax_direct_access", 6, { "dax_device", "i", "i", "i", "*", "*" } },
	{ "fsdev_dax_direct_access", 6, { "dax_device", "i", "i", "i", "*", "*" } },
	{ "dev_dax_direct_access", 6, { "dax_device", "i", "i", "i", "*", "*" } },
	{ "dax_copy_to_iter", 5, { "dax_device", "i", "*", "i", "iov_iter" } },
	{ "dax_copy_from_iter", 5, { "dax_device", "i", "*", "i", "iov_iter" } },
	{ "_copy_to_iter", 3, { "*", "i", "iov_iter" } },
	{ "_copy_mc_to_iter", 3, { "*", "i", "iov_iter" } },
	{ "copy_mc_to_user", 3, { "*", "*", "i" } },
	{ "dax_iomap_fault", 5, { "vm_fault", "i", "*", "*", "*" } },
	{ "dev_dax_huge_fault", 2, { "vm_fault", "i" } },
};

static const struct btf_type *skip_mods(const struct dt_kbtf *b, __u32 *id)
{
	const struct btf_type *t = dt_kbtf_type(b, *id);
	int n = 0;

	while (t && n++ < 32 && (btf_is_mod(t) || btf_is_typedef(t) ||
				 btf_is_type_tag(t))) {
		*id = t->type;
		t = dt_kbtf_type(b, *id);
	}
	return t;
}

/* A type as the table has it: "i", "*", a struct's name; "" otherwise. */
static const char *sig_class(const struct dt_kbtf *b, __u32 id)
{
	const struct btf_type *t = skip_mods(b, &id), *to;

	if (!t)
		return "";
	if (btf_is_int(t) || btf_is_any_enum(t))
		return "i";
	if (!btf_is_ptr(t))
		return "";
	id = t->type;
	to = skip_mods(b, &id);
	if (to && to->name_off && (btf_is_composite(to) || btf_is_fwd(to)))
		return dt_kbtf_name(b, to->name_off);
	return "*";
}

static bool sig_match(const char *want, const char *got)
{
	if (!strcmp(want, "i"))
		return !strcmp(got, "i");
	if (!strcmp(want, "*"))
		return *got && strcmp(got, "i");
	return !strcmp(want, got);
}

/* One class as the message names it: "struct kiocb *", "integer", ... */
static void class_text(char *buf, size_t len, const char *c)
{
	if (!strcmp(c, "i"))
		snprintf(buf, len, "integer");
	else if (!strcmp(c, "*"))
		snprintf(buf, len, "pointer");
	else if (!*c)
		snprintf(buf, len, "other");
	else
		snprintf(buf, len, "struct %s *", c);
}

/* "struct kiocb *, integer, pointer": how the message names a list. */
static void sig_text(char *buf, size_t len, const char *const *cls, int n)
{
	size_t at = 0;
	char c[80];
	int i;

	buf[0] = '\0';
	for (i = 0; i < n && at < len; i++) {
		class_text(c, sizeof(c), cls[i]);
		at += snprintf(buf + at, len - at, "%s%s", i ? ", " : "", c);
	}
}

int dt_btf_sig_check(const struct dt_kbtf *b, __u32 func_id, char *why, size_t len)
{
	const struct btf_type *fn = dt_kbtf_type(b, func_id), *proto;
	const struct btf_param *p;
	const char *got[8], *name;
	char g[160], w[160];
	__u32 ret;
	int i, j, n;

	if (!fn || !btf_is_func(fn))
		return 0;
	name = dt_kbtf_name(b, fn->name_off);
	for (i = 0; i < (int)(sizeof(sigs) / sizeof(sigs[0])); i++)
		if (!strcmp(sigs[i].func, name))
			break;
	if (i == (int)(sizeof(sigs) / sizeof(sigs[0])))
		return 0;
	proto = dt_kbtf_type(b, fn->type);
	if (!proto || !btf_is_func_proto(proto)) {
		snprintf(why, len, "%s in BTF is not a function", name);
		return -EPROTO;
	}
	p = btf_params(proto);
	n = btf_vlen(proto);
	for (j = 0; j < n && j < 8; j++)
		got[j] = sig_class(b, p[j].type);
	for (j = 0; j < n && j < sigs[i].nargs && sig_match(sigs[i].args[j], got[j]); j++)
		;
	ret = proto->type;
	if (n == sigs[i].nargs && j == n && !strcmp(sig_class(b, ret), "i"))
		return 0;
	sig_text(g, sizeof(g), got, n < 8 ? n : 8);
	sig_text(w, sizeof(w), sigs[i].args, sigs[i].nargs);
	if (n == sigs[i].nargs && j == n)
		snprintf(why, len, "%s(%s) returns no integer, daxtrace's programs read one: its signature changed",
			 name, g);
	else
		snprintf(why, len, "%s(%s) has changed: daxtrace's programs read (%s)",
			 name, g, w);
	return -EPROTO;
}

struct sig_walk {
	const struct dt_kbtf *b;
	char *why;
	size_t len;
};

static int sig_fn(void *ctx, __u32 id, const struct btf_type *t, const char *name)
{
	struct sig_walk *w = ctx;

	return dt_btf_sig_check(w->b, id, w->why, w->len);
}

int dt_btf_sigs_check(const struct dt_kbtf *b, char *why, size_t len)
{
	struct sig_walk w = { b, why, len };
	struct dt_prefixes pre = {};
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		dt_prefix_add(&pre, sigs[i].func);
	return dt_kbtf_walk(b, DT_KIND(BTF_KIND_FUNC), &pre, sig_fn, &w);
}

static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "re");
	size_t cap = 0, n = 0, r;
	char *buf = NULL, *nb;
	int err = 0;

	if (!f)
		return -errno;
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 1 << 20;
			nb = realloc(buf, cap);
			if (!nb) {
				err = -ENOMEM;
				break;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r);
	if (!err && ferror(f))
		err = -EIO;
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*len = n;
	return 0;
}

int dt_btf_file_check(const char *path, char *why, size_t len)
{
	struct dt_kbtf b;
	const void *raw;
	struct btf *lb;
	size_t n = 0, blen;
	char *data = NULL;
	int err = read_file(path, &data, &n);

	if (err) {
		snprintf(why, len, "%s", strerror(-err));
		return err;
	}
	raw = data;
	blen = n;
	if (n >= SELFMAG && !memcmp(data, ELFMAG, SELFMAG)) {
		raw = elf_section(data, n, ".BTF", &blen);
		if (!raw) {
			snprintf(why, len, "an ELF file without a .BTF section");
			free(data);
			return -ENOENT;
		}
	}
	err = dt_kbtf_read_mem(&b, raw, blen, why, len);
	if (!err) {
		err = dt_btf_sigs_check(&b, why, len);
		dt_kbtf_free(&b);
	}
	if (!err) {
		/* what libbpf will be handed: it must read it too */
		lb = btf__new(raw, blen);
		err = libbpf_get_error(lb);
		if (err)
			snprintf(why, len, "libbpf %s cannot parse it: %s",
				 libbpf_version_string(), strerror(-err));
		btf__free(lb);
	}
	free(data);
	return err;
}
