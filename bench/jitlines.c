// SPDX-License-Identifier: GPL-2.0
/*
 * jitlines: for every loaded BPF program, where each of
 * its source lines starts in the JITed image, from the kernel's jited
 * line info: "PROG ADDR FILE:LINE SOURCE". bench/profile maps executed
 * addresses to them; bpftool would print the same only with a
 * disassembler built in, which Debian's has not.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>

static const char *base_name(const char *path)
{
	const char *s = path ? strrchr(path, '/') : NULL;

	return s ? s + 1 : path ? path : "?";
}

/* One program's lines; 0, or -errno. */
static int print_lines(int fd, const struct bpf_prog_info *first)
{
	__u32 nl = first->nr_line_info, nj = first->nr_jited_line_info;
	__u32 rs = first->line_info_rec_size, len = sizeof(struct bpf_prog_info);
	struct bpf_prog_info info = {};
	struct btf *btf = NULL;
	__u64 *jaddr = NULL;
	char *li = NULL;
	int err = 0;
	__u32 i;

	li = calloc(nl, rs);
	jaddr = calloc(nj, sizeof(*jaddr));
	if (!li || !jaddr) {
		err = -ENOMEM;
		goto out;
	}
	info.nr_line_info = nl;
	info.line_info_rec_size = rs;
	info.line_info = (__u64)(unsigned long)li;
	info.nr_jited_line_info = nj;
	info.jited_line_info_rec_size = sizeof(*jaddr);
	info.jited_line_info = (__u64)(unsigned long)jaddr;
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		err = -errno;
		goto out;
	}
	btf = btf__load_from_kernel_by_id(first->btf_id);
	if (!btf) {
		err = -errno;
		goto out;
	}
	for (i = 0; i < nj && i < nl; i++) {
		const struct bpf_line_info *l = (void *)(li + (size_t)i * rs);
		const char *src = btf__name_by_offset(btf, l->line_off);

		printf("%s %llx %s:%u %s\n", first->name, (unsigned long long)jaddr[i],
		       base_name(btf__name_by_offset(btf, l->file_name_off)),
		       BPF_LINE_INFO_LINE_NUM(l->line_col), src ? src : "");
	}
out:
	btf__free(btf);
	free(jaddr);
	free(li);
	return err;
}

int main(void)
{
	__u32 id = 0;
	int err;

	while (!bpf_prog_get_next_id(id, &id)) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;	/* gone meanwhile */
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.nr_jited_line_info &&
		    info.btf_id) {
			err = print_lines(fd, &info);
			if (err)
				fprintf(stderr, "jitlines: program %u (%s): %s\n", id, info.name,
					strerror(-err));
		}
		close(fd);
	}
	return 0;
}
