// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel's BTF read raw, with an index of its type records: one pass
 * at read, where libbpf's btf__parse() copies the file twice and does
 * per-type work that vmlinux's 100k+ types make a large part of start-up,
 * then a walk with its accessors as much again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <linux/btf.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "kbtf.h"

/* The bytes following a type's header, by kind; -1: a kind unknown here. */
static long type_tail(const struct btf_type *t)
{
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return 4;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (long)btf_vlen(t) * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (long)btf_vlen(t) * sizeof(struct btf_enum);
	case BTF_KIND_ENUM64:
		return (long)btf_vlen(t) * sizeof(struct btf_enum64);
	case BTF_KIND_FUNC_PROTO:
		return (long)btf_vlen(t) * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return (long)btf_vlen(t) * sizeof(struct btf_var_secinfo);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	default:
		return -1;
	}
}

/* What is wrong with a BTF, where the caller asked (why not NULL). */
__attribute__((format(printf, 3, 4)))
static void say(char *why, size_t wlen, const char *fmt, ...)
{
	va_list ap;

	if (!why)
		return;
	va_start(ap, fmt);
	vsnprintf(why, wlen, fmt, ap);
	va_end(ap);
}

/*
 * Takes data (malloc'ed): on failure, *b is left empty, data freed and
 * why (if not NULL) says what is wrong with it.
 */
static int index_types(struct dt_kbtf *b, char *data, size_t size,
		       const struct dt_kbtf *base, char *why, size_t wlen)
{
	const struct btf_header *h = (const void *)data;
	const char *p, *end;
	const struct btf_type *t;
	long tail;

	memset(b, 0, sizeof(*b));
	b->data = data;
	if (size < sizeof(h->magic) || h->magic != BTF_MAGIC) {
		say(why, wlen, "%s", "not a BTF file (raw BTF or an ELF with .BTF)");
		goto bad;
	}
	if (size < sizeof(*h) || h->version != BTF_VERSION) {
		say(why, wlen, size < sizeof(*h) ? "BTF cut short in its header" :
		    "BTF version %u, this daxtrace reads version 1", h->version);
		goto bad;
	}
	if (h->hdr_len < sizeof(*h) || h->hdr_len > size ||
	    h->type_off > size - h->hdr_len ||
	    h->type_len > size - h->hdr_len - h->type_off ||
	    h->str_off > size - h->hdr_len ||
	    h->str_len > size - h->hdr_len - h->str_off ||
	    (h->str_len && data[h->hdr_len + h->str_off + h->str_len - 1]) ||
	    (h->hdr_len + h->type_off) % 4) {	/* records are read in place */
		say(why, wlen, "BTF header places its sections past the end of its %zu bytes (cut short?)",
		    size);
		goto bad;
	}
	b->types = data + h->hdr_len + h->type_off;
	b->strs = data + h->hdr_len + h->str_off;
	b->str_len = h->str_len;
	b->base = base;
	b->start_id = base ? dt_kbtf_count(base) : 1;
	b->start_str = base ? base->str_len : 0;
	/* every record is at least a header long */
	b->off = malloc((h->type_len / sizeof(*t) + 1) * sizeof(*b->off));
	if (!b->off) {
		dt_kbtf_free(b);
		return -ENOMEM;
	}
	p = b->types;
	end = p + h->type_len;
	while (p < end) {
		t = (const void *)p;
		tail = (size_t)(end - p) < sizeof(*t) ? -1 : type_tail(t);
		if ((size_t)(end - p) >= sizeof(*t) && tail < 0) {
			say(why, wlen, "type [%u] is of BTF kind %u, which daxtrace does not know",
			    b->start_id + b->n, btf_kind(t));
			goto bad;
		}
		if (tail < 0 || (size_t)(end - p) - sizeof(*t) < (size_t)tail) {
			say(why, wlen, "type [%u] runs past the end of the BTF's types (cut short?)",
			    b->start_id + b->n);
			goto bad;
		}
		b->off[b->n++] = p - b->types;
		p += sizeof(*t) + tail;
	}
	return 0;
bad:
	dt_kbtf_free(b);
	return -EINVAL;
}

static int read_all(int fd, char **out, size_t *len)
{
	size_t cap, n = 0;
	struct stat st;
	char *buf, *nb;
	ssize_t r;

	/* sysfs gives the BTF's size; read on past it all the same */
	cap = !fstat(fd, &st) && st.st_size > 0 ? (size_t)st.st_size + 1 : 1 << 20;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(buf);
			return r;
		}
		if (!r)
			break;
		n += r;
	}
	*out = buf;
	*len = n;
	return 0;
}

int dt_kbtf_read_file(struct dt_kbtf *b, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	char *data = NULL;
	size_t len = 0;

	memset(b, 0, sizeof(*b));
	if (fd < 0)
		return -errno;
	err = read_all(fd, &data, &len);
	close(fd);
	if (err)
		return err;
	return index_types(b, data, len, NULL, NULL, 0);
}

int dt_kbtf_read_mem(struct dt_kbtf *b, const void *raw, size_t size,
		     char *why, size_t wlen)
{
	char *data = malloc(size ?: 1);

	memset(b, 0, sizeof(*b));
	if (!data)
		return -ENOMEM;
	memcpy(data, raw, size);
	return index_types(b, data, size, NULL, why, wlen);
}

int dt_kbtf_read_fd(struct dt_kbtf *b, int btf_fd, const struct dt_kbtf *base)
{
	struct bpf_btf_info info = {};
	__u32 len = sizeof(info), size;
	char *data;
	int err;

	memset(b, 0, sizeof(*b));
	if (bpf_obj_get_info_by_fd(btf_fd, &info, &len))
		return -errno;
	size = info.btf_size;
	data = malloc(size ?: 1);
	if (!data)
		return -ENOMEM;
	memset(&info, 0, sizeof(info));
	info.btf = (unsigned long)data;
	info.btf_size = size;
	len = sizeof(info);
	if (bpf_obj_get_info_by_fd(btf_fd, &info, &len)) {
		err = -errno;
		free(data);
		return err;
	}
	return index_types(b, data, size, base, NULL, 0);
}

int dt_kbtf_next_object(__u32 *id, char *name, size_t len)
{
	struct bpf_btf_info info;
	__u32 ilen;
	int fd;

	while (!bpf_btf_get_next_id(*id, id)) {
		fd = bpf_btf_get_fd_by_id(*id);
		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		info.name = (unsigned long)name;
		info.name_len = len;
		ilen = sizeof(info);
		if (!bpf_obj_get_info_by_fd(fd, &info, &ilen) && info.kernel_btf)
			return fd;
		close(fd);
	}
	return errno == ENOENT ? -ENOENT : -errno;	/* -EPERM: not root */
}

void dt_kbtf_free(struct dt_kbtf *b)
{
	free(b->off);
	free(b->data);
	memset(b, 0, sizeof(*b));
}

const struct btf_type *dt_kbtf_type(const struct dt_kbtf *b, __u32 id)
{
	if (id < b->start_id)
		return b->base ? dt_kbtf_type(b->base, id) : NULL;
	if (id - b->start_id >= b->n)
		return NULL;
	return (const void *)(b->types + b->off[id - b->start_id]);
}

const char *dt_kbtf_name(const struct dt_kbtf *b, __u32 off)
{
	if (off < b->start_str)
		return b->base ? dt_kbtf_name(b->base, off) : "";
	off -= b->start_str;
	return off < b->str_len ? b->strs + off : "";
}

int dt_kbtf_walk(const struct dt_kbtf *b, unsigned int kinds,
		 const struct dt_prefixes *pre, dt_kbtf_fn fn, void *ctx)
{
	const struct btf_type *t;
	const char *name;
	__u32 i;
	int ret;

	for (i = 0; i < b->n; i++) {
		t = (const void *)(b->types + b->off[i]);
		if (!(kinds & DT_KIND(btf_kind(t))))
			continue;
		name = dt_kbtf_name(b, t->name_off);
		if (pre && !dt_prefix_has(pre, name))
			continue;
		ret = fn(ctx, b->start_id + i, t, name);
		if (ret)
			return ret;
	}
	return 0;
}
