// SPDX-License-Identifier: GPL-2.0
/*
 * The raw BTF walk against libbpf's own accessors, and the minimal CO-RE
 * BTF against the kernel types it copies, on this machine's kernel BTF.
 */
#define _GNU_SOURCE	/* memfd_create() */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

	fd = dt_kbtf_next_object(&id, name, sizeof(name));
	if (fd == -EPERM) {
		printf("test_core_btf: not allowed to read BTF objects (not root): not tested\n");
		return;
	}
	while (fd >= 0) {
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
		if (found)
			break;
		fd = dt_kbtf_next_object(&id, name, sizeof(name));
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

/* dt_kbtf_read_file() of a BTF made of h, one type record t, and "\0". */
static int read_made(const struct btf_header *h, const void *t, size_t tlen,
		     struct dt_kbtf *b)
{
	int fd = memfd_create("made-btf", 0), err;
	char path[32];

	if (fd < 0)
		return -errno;
	if (write(fd, h, sizeof(*h)) != sizeof(*h) || write(fd, t, tlen) != (ssize_t)tlen ||
	    write(fd, "", 1) != 1) {
		close(fd);
		return -EIO;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = dt_kbtf_read_file(b, path);
	close(fd);
	return err;
}

static void test_bad_btf(void)
{
	struct btf_header h = {
		.magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(h),
		.type_len = 16, .str_off = 16, .str_len = 1,
	};
	/* an int: header, then its encoding (32 bits, signed) */
	const __u32 int_t[4] = { 0, BTF_KIND_INT << 24, 4, BTF_INT_SIGNED << 24 | 32 };
	/* a struct of one member, whose member record is missing */
	const __u32 struct_t[4] = { 0, BTF_KIND_STRUCT << 24 | 1, 4, 0 };
	struct dt_kbtf b;

	EXPECT_EQ(dt_kbtf_read_file(&b, "/nonexistent/btf"), -ENOENT);
	EXPECT_EQ(dt_kbtf_read_file(&b, "/proc/self/cmdline"), -EINVAL);
	/* the same bytes, well formed: read */
	EXPECT_EQ(read_made(&h, int_t, sizeof(int_t), &b), 0);
	EXPECT_EQ(b.n, 1);
	EXPECT(dt_kbtf_type(&b, 1) && btf_is_int(dt_kbtf_type(&b, 1)));
	dt_kbtf_free(&b);
	/* a record's tail past the type section */
	EXPECT_EQ(read_made(&h, struct_t, sizeof(struct_t), &b), -EINVAL);
	EXPECT(b.data == NULL && b.off == NULL);	/* nothing left to free */
	/* the type section where records cannot be read in place */
	h.type_off = 2;
	h.type_len = 12;
	h.str_off = 16;
	EXPECT_EQ(read_made(&h, int_t, sizeof(int_t), &b), -EINVAL);
	/* cut short: the sections end past the file */
	h.type_off = 0;
	h.type_len = 64;
	EXPECT_EQ(read_made(&h, int_t, sizeof(int_t), &b), -EINVAL);
}

/*
 * A BTF holding dax_direct_access as made by mk(): its raw bytes in a
 * file (path), for dt_btf_file_check() and dt_kbtf_read_mem().
 */
enum sig_variant { SIG_OK, SIG_EXTRA, SIG_FEWER, SIG_PTR_PGOFF, SIG_VOID_RET, SIG_OTHER_FUNC };

static struct btf *made_sig(enum sig_variant v)
{
	struct btf *b = btf__new_empty();
	int lng, dd, pdd, vp, proto, n = v == SIG_FEWER ? 5 : 6, i;

	lng = btf__add_int(b, "long", 8, BTF_INT_SIGNED);
	dd = btf__add_struct(b, "dax_device", 16);
	pdd = btf__add_ptr(b, dd);
	vp = btf__add_ptr(b, 0);
	proto = btf__add_func_proto(b, v == SIG_VOID_RET ? 0 : lng);
	btf__add_func_param(b, "dax_dev", pdd);
	btf__add_func_param(b, "pgoff", v == SIG_PTR_PGOFF ? vp : lng);
	btf__add_func_param(b, "nr_pages", lng);
	btf__add_func_param(b, "mode", lng);
	for (i = 4; i < n; i++)
		btf__add_func_param(b, i == 4 ? "kaddr" : "pfn", vp);
	if (v == SIG_EXTRA)
		btf__add_func_param(b, "flags", lng);
	btf__add_func(b, v == SIG_OTHER_FUNC ? "dax_direct_accessed" : "dax_direct_access",
		      BTF_FUNC_GLOBAL, proto);
	return b;
}

/* dt_btf_sigs_check() of a made BTF; why "" when it passed. */
static int sig_of(enum sig_variant v, char *why, size_t len)
{
	struct btf *b = made_sig(v);
	struct dt_kbtf kb;
	const void *raw;
	__u32 sz;
	int err;

	why[0] = '\0';
	raw = btf__raw_data(b, &sz);
	err = dt_kbtf_read_mem(&kb, raw, sz, why, len);
	EXPECT_EQ(err, 0);
	if (!err) {
		err = dt_btf_sigs_check(&kb, why, len);
		dt_kbtf_free(&kb);
	}
	btf__free(b);
	return err;
}

/* dt_btf_file_check() of bytes in a file */
static int file_check(const void *p, size_t n, char *why, size_t len)
{
	int fd = memfd_create("btf-file", 0), err;
	char path[32];

	if (fd < 0 || write(fd, p, n) != (ssize_t)n)
		return -EIO;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	why[0] = '\0';
	err = dt_btf_file_check(path, why, len);
	close(fd);
	return err;
}

/*
 * A function that kept its name but not its parameters is named with
 * what it takes and what the programs read; a BTF daxtrace or libbpf
 * cannot read is named with what is wrong with it.
 */
static void test_signatures(void)
{
	char why[256], want[128];
	struct btf *b;
	const void *raw;
	char *copy;
	__u32 sz, first;

	EXPECT_EQ(sig_of(SIG_OK, why, sizeof(why)), 0);
	EXPECT_STR(why, "");
	EXPECT_EQ(sig_of(SIG_OTHER_FUNC, why, sizeof(why)), 0);	/* not one it traces */
	EXPECT_EQ(sig_of(SIG_EXTRA, why, sizeof(why)), -EPROTO);
	EXPECT_STR(why, "dax_direct_access(struct dax_device *, integer, integer, integer, pointer, pointer, integer) has changed: daxtrace's programs read (struct dax_device *, integer, integer, integer, pointer, pointer)");
	EXPECT_EQ(sig_of(SIG_FEWER, why, sizeof(why)), -EPROTO);
	EXPECT_STR(why, "dax_direct_access(struct dax_device *, integer, integer, integer, pointer) has changed: daxtrace's programs read (struct dax_device *, integer, integer, integer, pointer, pointer)");
	EXPECT_EQ(sig_of(SIG_PTR_PGOFF, why, sizeof(why)), -EPROTO);
	EXPECT_STR(why, "dax_direct_access(struct dax_device *, pointer, integer, integer, pointer, pointer) has changed: daxtrace's programs read (struct dax_device *, integer, integer, integer, pointer, pointer)");
	EXPECT_EQ(sig_of(SIG_VOID_RET, why, sizeof(why)), -EPROTO);
	EXPECT_STR(why, "dax_direct_access(struct dax_device *, integer, integer, integer, pointer, pointer) returns no integer, daxtrace's programs read one: its signature changed");

	/* the whole file: good, then changed, cut short, of an unknown kind */
	b = made_sig(SIG_OK);
	raw = btf__raw_data(b, &sz);
	copy = malloc(sz);
	memcpy(copy, raw, sz);
	EXPECT_EQ(file_check(copy, sz, why, sizeof(why)), 0);
	EXPECT_EQ(file_check(copy, sz - 8, why, sizeof(why)), -EINVAL);
	snprintf(want, sizeof(want),
		 "BTF header places its sections past the end of its %u bytes (cut short?)", sz - 8);
	EXPECT_STR(why, want);
	EXPECT_EQ(file_check("hello\n", 6, why, sizeof(why)), -EINVAL);
	EXPECT_STR(why, "not a BTF file (raw BTF or an ELF with .BTF)");
	/* type [1]'s kind set to 31, as a newer kernel's new kind would be */
	first = ((struct btf_header *)copy)->hdr_len + ((struct btf_header *)copy)->type_off;
	((struct btf_type *)(copy + first))->info |= 31U << 24;
	EXPECT_EQ(file_check(copy, sz, why, sizeof(why)), -EINVAL);
	EXPECT_STR(why, "type [1] is of BTF kind 31, which daxtrace does not know");
	free(copy);
	btf__free(b);
	b = made_sig(SIG_EXTRA);
	raw = btf__raw_data(b, &sz);
	EXPECT_EQ(file_check(raw, sz, why, sizeof(why)), -EPROTO);
	EXPECT_CONTAINS(why, "dax_direct_access(struct dax_device *, integer, integer, integer, pointer, pointer, integer) has changed");
	btf__free(b);
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

/* A kernel type the copy mt came from: same kind, name, size, members. */
static int find_original(const struct btf *k, const struct btf *m, const struct btf_type *mt)
{
	const char *name = btf__name_by_offset(m, mt->name_off);
	int i, n = btf__type_cnt(k);
	const struct btf_type *t;

	for (i = 1; i < n; i++) {
		t = btf__type_by_id(k, i);
		if (btf_kind(t) == btf_kind(mt) && btf_vlen(t) == btf_vlen(mt) &&
		    t->size == mt->size && !strcmp(btf__name_by_offset(k, t->name_off), name))
			return i;
	}
	return -ENOENT;
}

/* Every named struct, union and enum of the copy against its original. */
static void expect_copies(const struct btf *k, const struct btf *m)
{
	int id, i, n = btf__type_cnt(m), kid, bad, checked = 0;
	const struct btf_type *mt, *kt;

	for (id = 1; id < n; id++) {
		mt = btf__type_by_id(m, id);
		if (!mt->name_off || !(btf_is_composite(mt) || btf_is_any_enum(mt)))
			continue;
		kid = find_original(k, m, mt);
		if (kid < 0) {
			fprintf(stderr, "no original of %s [%d]\n",
				btf__name_by_offset(m, mt->name_off), id);
			EXPECT(kid > 0);
			continue;
		}
		kt = btf__type_by_id(k, kid);
		bad = btf_kflag(kt) != btf_kflag(mt);
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
		for (i = 0; btf_is_enum64(kt) && i < btf_vlen(kt); i++)
			bad += btf_enum64_value(&btf_enum64(kt)[i]) !=
			       btf_enum64_value(&btf_enum64(mt)[i]);
		if (bad)
			fprintf(stderr, "%s: %d differences from its original [%d]\n",
				btf__name_by_offset(m, mt->name_off), bad, kid);
		EXPECT_EQ(bad, 0);
		checked++;
	}
	EXPECT(checked > 10);
}

/*
 * libbpf's CO-RE log of loading the object against btf (its relocations
 * run before any program is loaded, so a host that refuses fentry still
 * gets that far), with type ids taken out: they differ between BTFs.
 */
static char core_log[1 << 20];
static size_t core_len;

static int capture(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[1024], *p, *q;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (!strstr(line, "CO-RE") && !strstr(line, ": relo #"))
		return 0;
	for (p = q = line; *p; p++) {	/* "[123]" -> "[]" */
		*q++ = *p;
		if (*p == '[')
			while (p[1] >= '0' && p[1] <= '9')
				p++;
	}
	*q = 0;
	core_len += snprintf(core_log + core_len, sizeof(core_log) - core_len, "%s", line);
	if (core_len >= sizeof(core_log))
		core_len = sizeof(core_log) - 1;
	return 0;
}

static char *relocate(const void *elf, size_t sz, const char *btf)
{
	LIBBPF_OPTS(bpf_object_open_opts, o, .btf_custom_path = btf);
	libbpf_print_fn_t old;
	struct bpf_object *obj = bpf_object__open_mem(elf, sz, &o);

	if (!obj)
		return NULL;
	core_len = 0;
	core_log[0] = 0;
	old = libbpf_set_print(capture);
	bpf_object__load(obj);	/* the programs themselves may be refused */
	libbpf_set_print(old);
	bpf_object__close(obj);
	return strdup(core_log);
}

/* The same relocations, the same answers, as against all of vmlinux. */
static void expect_same_relocations(const void *elf, size_t sz, const char *mini)
{
	char *full = relocate(elf, sz, "/sys/kernel/btf/vmlinux");
	char *small = relocate(elf, sz, mini);

	if (!full || !small || !*full) {
		printf("test_core_btf: libbpf got no CO-RE log here (BPF refused?): relocations not compared\n");
	} else {
		const char *p;
		int lines = 0;

		for (p = full; (p = strchr(p, '\n')); p++)
			lines++;
		printf("test_core_btf: libbpf's CO-RE log, %d lines, compared\n", lines);
		EXPECT(strstr(full, "relo #") != NULL);
		if (strcmp(full, small))
			fprintf(stderr, "CO-RE log against vmlinux:\n%s\nagainst the minimal BTF:\n%s\n",
				full, small);
		EXPECT(!strcmp(full, small));
	}
	free(full);
	free(small);
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

static void test_core_btf(const struct dt_kbtf *kb, const struct btf *k)
{
	struct dt_core_btf_info info = {};
	char path[32], junk[256] = {};
	const void *elf;
	struct btf *m;
	size_t sz;
	int fd;

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
	/* kiocb, file, inode, iov_iter (and its flavour), dax_device, ... */
	EXPECT(info.names >= 10 && info.roots >= info.names);
	expect_copies(k, m);
	/* what the BPF side reads, at the kernel's offsets */
	EXPECT(nested_off(k, "dax_device", "inode", "i_rdev") > 0);
	EXPECT_EQ(nested_off(m, "dax_device", "inode", "i_rdev"),
		  nested_off(k, "dax_device", "inode", "i_rdev"));
	EXPECT_EQ(nested_off(m, "kiocb", "ki_filp", "f_inode"), -1);	/* a pointer */
	/* nothing the relocations do not name */
	EXPECT(btf__find_by_name_kind(k, "sk_buff", BTF_KIND_STRUCT) > 0);
	EXPECT_EQ(btf__find_by_name_kind(m, "sk_buff", BTF_KIND_STRUCT), -ENOENT);
	expect_same_relocations(elf, sz, path);
	btf__free(m);
	close(fd);
}

int main(void)
{
	struct btf *k = btf__parse("/sys/kernel/btf/vmlinux", NULL);
	struct dt_kbtf kb;

	test_bad_btf();
	test_signatures();
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
