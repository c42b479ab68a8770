/* SPDX-License-Identifier: GPL-2.0 */
/* A minimal kernel BTF for the object's CO-RE relocations. */
#ifndef __DT_CORE_BTF_H
#define __DT_CORE_BTF_H

#include <stddef.h>
#include <linux/types.h>

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

/*
 * Does FUNC func_id of b, if it is a function daxtrace traces, take the
 * parameters and return the integer its programs read? 0, or -EPROTO
 * with why naming the function, what it takes and what was expected: a
 * function that kept its name but changed its signature would have the
 * programs read the wrong arguments.
 */
int dt_btf_sig_check(const struct dt_kbtf *b, __u32 func_id, char *why, size_t len);
/* The same for every traced function in b; 0 if none has changed. */
int dt_btf_sigs_check(const struct dt_kbtf *b, char *why, size_t len);
/*
 * A --btf file (raw BTF or an ELF with .BTF) as daxtrace and libbpf will
 * read it: 0, or -errno with why naming the first problem: not BTF, cut
 * short, a kind unknown here, a traced function's changed signature,
 * refused by libbpf.
 */
int dt_btf_file_check(const char *path, char *why, size_t len);

#endif /* __DT_CORE_BTF_H */
