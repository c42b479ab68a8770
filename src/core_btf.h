/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal kernel BTF for the object's CO-RE relocations. */
#ifndef __DT_CORE_BTF_H
#define __DT_CORE_BTF_H

#include <stddef.h>

struct dt_kbtf;

struct dt_core_btf_info {
	int names;	/* the object's CO-RE relocation roots, by essential name */
	int roots;	/* vmlinux types going by one of them */
	int types;	/* types in the minimal BTF, with what they hold */
	unsigned int bytes;
};

/*
 * From kernel (vmlinux BTF, read by src/kbtf.c) and the BPF object's ELF
 * image: a memfd holding the vmlinux types that go by the names of the
 * object's CO-RE relocation roots, with every type they hold by value,
 * for libbpf's btf_custom_path. Returns the fd, or -errno: -ENOENT when
 * a root is not in vmlinux, -EOPNOTSUPP for a relocation the copy cannot
 * answer as vmlinux would.
 */
int dt_core_btf(const struct dt_kbtf *kernel, const void *elf, size_t sz,
		struct dt_core_btf_info *info);

#endif /* __DT_CORE_BTF_H */
