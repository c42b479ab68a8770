// SPDX-License-Identifier: GPL-2.0
/*
 * trampfill: fill a kernel function's BPF trampoline, as other tracers
 * running beside daxtrace may, for the e2e tests.
 *
 *   trampfill FUNC [LEAVE]
 *
 * Attaches empty fexit programs to FUNC (in vmlinux BTF) until the kernel
 * refuses one with E2BIG (38 on x86), lets LEAVE of them go again, prints
 * "held N" once the rest are attached, and holds them until stdin closes.
 * The limit is found, not assumed, so the test does not depend on the
 * architecture's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#define MAX_LINKS 256

static int func_id(const char *func)
{
	struct btf *btf = btf__load_vmlinux_btf();
	int id;

	if (!btf)
		return -errno;
	id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
	btf__free(btf);
	return id;
}

/* One program per link: a tracing program is linked to its target once. */
static int attach_one(int btf_id, int *prog_fd)
{
	/* r0 = 0; exit */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = BPF_TRACE_FEXIT,
		    .attach_btf_id = btf_id);
	int lfd, err;

	*prog_fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "trampfill", "GPL",
				 insns, 2, &opts);
	if (*prog_fd < 0)
		return -errno;
	lfd = bpf_raw_tracepoint_open(NULL, *prog_fd);
	if (lfd < 0) {
		err = -errno;
		close(*prog_fd);
		return err;
	}
	return lfd;
}

int main(int argc, char **argv)
{
	int links[MAX_LINKS], progs[MAX_LINKS];
	int id, n = 0, leave = 0, fd;
	char c;

	if (argc < 2 || argc > 3 || (argc == 3 && (leave = atoi(argv[2])) < 0)) {
		fprintf(stderr, "usage: trampfill FUNC [LEAVE]\n");
		return 2;
	}
	id = func_id(argv[1]);
	if (id <= 0) {
		fprintf(stderr, "trampfill: %s: not a function in vmlinux BTF\n", argv[1]);
		return 1;
	}
	for (;;) {
		if (n == MAX_LINKS) {
			fprintf(stderr, "trampfill: %d links and no E2BIG\n", n);
			return 1;
		}
		fd = attach_one(id, &progs[n]);
		if (fd == -E2BIG)
			break;
		if (fd < 0) {
			fprintf(stderr, "trampfill: attach %d to %s: %s\n", n + 1,
				argv[1], strerror(-fd));
			return 1;
		}
		links[n++] = fd;
	}
	if (leave > n) {
		fprintf(stderr, "trampfill: only %d links to leave %d\n", n, leave);
		return 1;
	}
	while (leave--) {
		close(links[--n]);
		close(progs[n]);
	}
	printf("held %d\n", n);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;	/* exit releases the links */
}
