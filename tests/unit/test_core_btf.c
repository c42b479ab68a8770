// SPDX-License-Identifier: GPL-2.0
/*
 * The raw BTF walk against libbpf's own accessors, and the minimal CO-RE
 * BTF against the kernel types it copies, on this machine's kernel BTF.
 */
#define _GNU_SOURCE	/* memfd_create() */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "kbtf.h"
#include "core_btf.h"
#include "daxtrace.h"
#include "dax_trace.skel.h"
#include "unit.h"

struct walk_check {
	const struct btf *btf;
	__u32 next, bad_id, bad_type, bad_name;
};

/* Each type as the walk gives it against libbpf's parse of the same BTF. */
static int walk_fn(void *ctx, __u32 id, const struct btf_type *t, const char *name)
{
	struct walk_check *w = ctx;
	const struct btf_type *lt = btf__type_by_id(w->btf, id);

	if (id != w->next)
		w->bad_id++;
	/* the record and what follows it, up to the next one */
	if (!lt || memcmp(t, lt, sizeof(*t)) ||
	    (id + 1 < btf__type_cnt(w->btf) &&
	     memcmp(t, lt, (const char *)btf__type_by_id(w->btf, id + 1) - (const char *)lt)))
		w->bad_type++;
	if (strcmp(name, btf__name_by_offset(w->btf, t->name_off)))
		w->bad_name++;
	w->next = id + 1;
	return 0;
}

static int count_fn(void *ctx, __u32 id, const struct btf_type *t, const char *name)
{
	(*(int *)ctx)++;
	return btf_is_func(t) ? 0 : -1;	/* only FUNCs may come */
}

static int stop_fn(void *ctx, __u32 id, const struct btf_type *t, const char *name)
{
	return ++*(int *)ctx == 3 ? 42 : 0;
}

static void expect_walk(const struct dt_kbtf *kb, const struct btf *lb, __u32 first)
{
	struct walk_check w = { .btf = lb, .next = first };

	EXPECT_EQ(dt_kbtf_count(kb), btf__type_cnt(lb));
	EXPECT_EQ(dt_kbtf_walk(kb, ~0U, NULL, walk_fn, &w), 0);
	EXPECT_EQ(w.next, btf__type_cnt(lb));	/* every type, in order */
	EXPECT_EQ(w.bad_id, 0);
	EXPECT_EQ(w.bad_type, 0);
	EXPECT_EQ(w.bad_name, 0);
}

static void test_walk(const struct dt_kbtf *kb, const struct btf *k)
{
	int i, n = btf__type_cnt(k), funcs = 0, seen = 0;
	struct dt_prefixes pre = {};

	expect_walk(kb, k, 1);
	for (i = 1; i < n; i++)
		funcs += btf_is_func(btf__type_by_id(k, i));
	EXPECT_EQ(dt_kbtf_walk(kb, DT_KIND(BTF_KIND_FUNC), NULL, count_fn, &seen), 0);
	EXPECT_EQ(seen, funcs);
	/* by name prefix: only FUNCs named "da..." come */
	for (i = 1, funcs = 0; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(k, i);

		funcs += btf_is_func(t) && !strncmp(btf__name_by_offset(k, t->name_off), "da", 2);
	}
	dt_prefix_add(&pre, "dax_iomap_rw");
	seen = 0;
	EXPECT_EQ(dt_kbtf_walk(kb, DT_KIND(BTF_KIND_FUNC), &pre, count_fn, &seen), 0);
	EXPECT_EQ(seen, funcs);
	EXPECT(funcs > 10);
	seen = 0;
	EXPECT_EQ(dt_kbtf_walk(kb, ~0U, NULL, stop_fn, &seen), 42);
	EXPECT_EQ(seen, 3);
	EXPECT(dt_kbtf_type(kb, 0) == NULL);
	EXPECT(dt_kbtf_type(kb, n) == NULL);
	EXPECT(!memcmp(dt_kbtf_type(kb, n - 1), btf__type_by_id(k, n - 1),
		       sizeof(struct btf_type)));
	EXPECT_STR(dt_kbtf_name(kb, 1u << 31), "");
}

/* vmlinux's BTF through its BTF object: the same bytes as sysfs gives. */
static void test_vmlinux_object(const struct dt_kbtf *kb)
{
	char name[64] = "";
	struct dt_kbtf vb;
	__u32 id = 0;
	int fd, found = 0;

	while (!found && (fd = dt_kbtf_next_object(&id, name, sizeof(name))) >= 0) {
		if (!strcmp(name, "vmlinux")) {
			found = 1;
			EXPECT_EQ(dt_kbtf_read_fd(&vb, fd, NULL), 0);
			EXPECT_EQ(vb.n, kb->n);
			EXPECT_EQ(vb.str_len, kb->str_len);
			EXPECT(vb.n == kb->n &&
			       !memcmp(vb.types, kb->types, kb->off[kb->n - 1] + 12));
			dt_kbtf_free(&vb);
		}
		close(fd);
	}
	EXPECT(found);
}

/* A module's split BTF, read from its object, against libbpf's. */
static void test_module(const struct dt_kbtf *kb, const struct btf *k)
{
	char name[64] = "";
	struct dt_kbtf mb;
	struct btf *lm;
	__u32 id = 0;
	int fd, tested = 0;

	while (!tested && (fd = dt_kbtf_next_object(&id, name, sizeof(name))) >= 0) {
		if (!strcmp(name, "vmlinux")) {
			close(fd);
			continue;
		}
		lm = btf__load_from_kernel_by_id_split(id, (struct btf *)k);
		if (lm && btf__base_btf(lm) && !dt_kbtf_read_fd(&mb, fd, kb)) {
			EXPECT_EQ(mb.start_id, btf__type_cnt(k));
			expect_walk(&mb, lm, btf__type_cnt(k));
			/* a module's type reaches its base's through it */
			EXPECT(dt_kbtf_type(&mb, 1) == dt_kbtf_type(kb, 1));
			dt_kbtf_free(&mb);
			tested = 1;
			printf("test_core_btf: module %s's BTF read split\n", name);
		}
		btf__free(lm);
		close(fd);
	}
	if (!tested)
		printf("test_core_btf: no module BTF here: the split read is not tested\n");
}

static void test_bad_btf(void)
{
	struct dt_kbtf b;
	char path[32];
	int fd = memfd_create("bad-btf", 0);
	const struct btf_header h = {
		.magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h),
		.type_len = 12, .str_len = 1,	/* a type, cut off */
	};

	EXPECT_EQ(dt_kbtf_read_file(&b, "/nonexistent/btf"), -ENOENT);
	EXPECT_EQ(dt_kbtf_read_file(&b, "/proc/self/cmdline"), -EINVAL);
	EXPECT(fd >= 0);
	EXPECT_EQ(write(fd, &h, sizeof(h)), sizeof(h));
	EXPECT_EQ(write(fd, "\0\0\0\0\0\0\0\x04", 8), 8);	/* 8 of 12 */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	EXPECT_EQ(dt_kbtf_read_file(&b, path), -EINVAL);
	EXPECT(b.data == NULL && b.off == NULL);	/* nothing left to free */
	close(fd);
}

/* Kinds equal, modifiers and typedefs skipped, a pointer's target aside. */
static bool same_shape(const struct btf *a, __u32 ia, const struct btf *b, __u32 ib)
{
	const struct btf_type *ta, *tb;

	ta = btf__type_by_id(a, btf__resolve_type(a, ia));
	tb = btf__type_by_id(b, btf__resolve_type(b, ib));
	return btf_kind(ta) == btf_kind(tb) &&
	       btf__resolve_size(a, ia) == btf__resolve_size(b, ib);
}

/* The copy of kernel type kt: same kind and name, same size and shape. */
static int find_copy(const struct btf *k, int kid, const struct btf *m)
{
	const struct btf_type *kt = btf__type_by_id(k, kid), *t;
	const char *name = btf__name_by_offset(k, kt->name_off);
	int i, n = btf__type_cnt(m);

	for (i = 1; i < n; i++) {
		t = btf__type_by_id(m, i);
		if (btf_kind(t) != btf_kind(kt) || btf_vlen(t) != btf_vlen(kt) ||
		    strcmp(btf__name_by_offset(m, t->name_off), name))
			continue;
		if (btf_is_typedef(t) ? same_shape(k, kid, m, i) : t->size == kt->size)
			return i;
	}
	return -ENOENT;
}

/* One kernel type against its copy: every member and enumerator. */
static void expect_copy(const struct btf *k, int kid, const struct btf *m)
{
	const struct btf_type *kt = btf__type_by_id(k, kid), *mt;
	const char *name = btf__name_by_offset(k, kt->name_off);
	int mid = find_copy(k, kid, m), i, bad = 0;

	if (mid < 0) {
		fprintf(stderr, "no copy of %s [%d]\n", name, kid);
		EXPECT(mid > 0);
		return;
	}
	mt = btf__type_by_id(m, mid);
	for (i = 0; btf_is_composite(kt) && i < btf_vlen(kt); i++) {
		const struct btf_member *a = &btf_members(kt)[i], *b = &btf_members(mt)[i];

		bad += strcmp(btf__name_by_offset(k, a->name_off),
			      btf__name_by_offset(m, b->name_off)) != 0;
		bad += btf_member_bit_offset(kt, i) != btf_member_bit_offset(mt, i);
		bad += btf_member_bitfield_size(kt, i) != btf_member_bitfield_size(mt, i);
		bad += !same_shape(k, a->type, m, b->type);
	}
	for (i = 0; btf_is_enum(kt) && i < btf_vlen(kt); i++)
		bad += btf_enum(kt)[i].val != btf_enum(mt)[i].val ||
		       strcmp(btf__name_by_offset(k, btf_enum(kt)[i].name_off),
			      btf__name_by_offset(m, btf_enum(mt)[i].name_off));
	if (bad)
		fprintf(stderr, "%s [%d]: %d differences in its copy\n", name, kid, bad);
	EXPECT_EQ(bad, 0);
}

/* The offset of a member's member, as CO-RE computes it: by name. */
static long nested_off(const struct btf *b, const char *sname, const char *m1,
		       const char *m2)
{
	int id = btf__find_by_name_kind(b, sname, BTF_KIND_STRUCT), i, j;
	const struct btf_type *t, *in;

	if (id < 0)
		return -1;
	t = btf__type_by_id(b, id);
	for (i = 0; i < btf_vlen(t); i++) {
		if (strcmp(btf__name_by_offset(b, btf_members(t)[i].name_off), m1))
			continue;
		in = btf__type_by_id(b, btf__resolve_type(b, btf_members(t)[i].type));
		for (j = 0; btf_is_composite(in) && j < btf_vlen(in); j++) {
			if (!strcmp(btf__name_by_offset(b, btf_members(in)[j].name_off), m2))
				return btf_member_bit_offset(t, i) +
				       btf_member_bit_offset(in, j);
		}
	}
	return -1;
}

static bool rootable(const struct btf_type *t)
{
	return btf_is_composite(t) || btf_is_any_enum(t) || btf_is_typedef(t);
}

/*
 * Whether the object has a struct, union, enum or typedef of this name,
 * or a flavour of it (a forward declaration is no CO-RE root).
 */
static bool named_by(const struct btf *ob, const char *name)
{
	int i, n = btf__type_cnt(ob);
	size_t len = strlen(name);
	const char *s;

	for (i = 1; i < n; i++) {
		if (!rootable(btf__type_by_id(ob, i)))
			continue;
		s = btf__name_by_offset(ob, btf__type_by_id(ob, i)->name_off);
		if (!strncmp(s, name, len) && (!s[len] || !strncmp(s + len, "___", 3)))
			return true;
	}
	return false;
}

static void test_core_btf(const struct dt_kbtf *kb, const struct btf *k)
{
	struct bpf_object *obj;
	const struct btf *ob;
	struct dt_core_btf_info info = {};
	const struct btf_type *t;
	char path[32], junk[256] = {};
	const void *elf;
	struct btf *m;
	size_t sz;
	int fd, i, n = btf__type_cnt(k), roots = 0;

	elf = dax_trace_bpf__elf_bytes(&sz);
	EXPECT_EQ(dt_core_btf(NULL, elf, sz, &info), -ENOENT);
	EXPECT_EQ(dt_core_btf(kb, junk, sizeof(junk), &info), -ENOENT);
	/* the object cut short: its section headers are past the end */
	EXPECT_EQ(dt_core_btf(kb, elf, 64, &info), -ENOENT);
	EXPECT_EQ(dt_core_btf(kb, elf, sz / 2, &info), -ENOENT);
	fd = dt_core_btf(kb, elf, sz, &info);
	EXPECT(fd >= 0);
	if (fd < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	m = btf__parse(path, NULL);	/* what libbpf will read */
	EXPECT(m != NULL);
	if (!m)
		return;
	EXPECT_EQ(btf__type_cnt(m) - 1, info.types);
	obj = bpf_object__open_mem(elf, sz, NULL);	/* the object's own BTF */
	ob = obj ? bpf_object__btf(obj) : NULL;
	EXPECT(ob != NULL);
	if (!ob)
		return;
	EXPECT(info.names > 100);	/* the object names over a hundred types */
	/* each kernel type named like one of the object's, copied whole */
	for (i = 1; i < n; i++) {
		t = btf__type_by_id(k, i);
		if (!rootable(t) || !t->name_off)
			continue;
		if (!named_by(ob, btf__name_by_offset(k, t->name_off)))
			continue;
		roots++;
		expect_copy(k, i, m);
	}
	EXPECT_EQ(roots, info.roots);
	/* what the BPF side reads, at the kernel's offsets */
	EXPECT(nested_off(k, "dax_device", "inode", "i_rdev") > 0);
	EXPECT_EQ(nested_off(m, "dax_device", "inode", "i_rdev"),
		  nested_off(k, "dax_device", "inode", "i_rdev"));
	EXPECT_EQ(nested_off(m, "kiocb", "ki_filp", "f_inode"), -1);	/* a pointer */
	EXPECT(btf__find_by_name_kind(m, "iov_iter", BTF_KIND_STRUCT) > 0);
	EXPECT(btf__find_by_name_kind(m, "iter_type", BTF_KIND_ENUM) > 0);
	/* nothing the object does not name */
	EXPECT(btf__find_by_name_kind(k, "sk_buff", BTF_KIND_STRUCT) > 0);
	EXPECT_EQ(btf__find_by_name_kind(m, "sk_buff", BTF_KIND_STRUCT), -ENOENT);
	bpf_object__close(obj);
	btf__free(m);
	close(fd);
}

int main(void)
{
	struct btf *k = btf__parse("/sys/kernel/btf/vmlinux", NULL);
	struct dt_kbtf kb;

	test_bad_btf();
	if (!k) {
		printf("test_core_btf: skipped, this kernel has no BTF (%s)\n",
		       strerror(errno));
		return unit_done("test_core_btf");
	}
	EXPECT_EQ(dt_kbtf_read_file(&kb, "/sys/kernel/btf/vmlinux"), 0);
	test_walk(&kb, k);
	test_vmlinux_object(&kb);
	test_module(&kb, k);
	test_core_btf(&kb, k);
	dt_kbtf_free(&kb);
	btf__free(k);
	return unit_done("test_core_btf");
}
