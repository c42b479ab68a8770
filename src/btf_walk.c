// SPDX-License-Identifier: GPL-2.0
/*
 * A walk over BTF's raw type records. libbpf's accessors cost about a
 * hundred instructions a type, and vmlinux has over 100k types: a walk
 * with them took 13 ms of start-up under emulation, this one a few.
 */
#include <errno.h>
#include <linux/btf.h>
#include <bpf/btf.h>
#include "btf_walk.h"

/* The bytes following a type's header, by kind. */
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

int dt_btf_walk(const struct btf *btf, unsigned int kinds, dt_btf_fn fn,
		void *ctx)
{
	const struct btf *base = btf__base_btf(btf);
	const struct btf_header *h;
	const char *p, *end, *strs;
	__u32 size, id = base ? btf__type_cnt(base) : 1;
	const struct btf_type *t;
	const char *name;
	long tail;
	int ret;

	h = btf__raw_data(btf, &size);
	if (!h || size < sizeof(*h) || h->hdr_len > size ||
	    h->type_off > size - h->hdr_len ||
	    h->type_len > size - h->hdr_len - h->type_off ||
	    h->str_off > size - h->hdr_len ||
	    h->str_len > size - h->hdr_len - h->str_off)
		return -EINVAL;
	p = (const char *)h + h->hdr_len + h->type_off;
	end = p + h->type_len;
	strs = (const char *)h + h->hdr_len + h->str_off;
	while (p < end) {
		if ((size_t)(end - p) < sizeof(*t))
			return -EINVAL;
		t = (const void *)p;
		tail = type_tail(t);
		if (tail < 0 || (size_t)(end - p) - sizeof(*t) < (size_t)tail)
			return -EINVAL;
		p += sizeof(*t) + tail;
		if (!(kinds & DT_KIND(btf_kind(t)))) {
			id++;
			continue;
		}
		/* a split BTF's names may be in its base: libbpf knows where */
		if (base)
			name = btf__name_by_offset(btf, t->name_off);
		else
			name = t->name_off < h->str_len ? strs + t->name_off : "";
		ret = fn(ctx, id++, t, name);
		if (ret)
			return ret;
	}
	return 0;
}
