// SPDX-License-Identifier: GPL-2.0
/*
 * lockcount: a QEMU TCG plugin counting the atomic read-modify-write
 * instructions the guest executes (x86: a LOCK prefix, or XCHG with a
 * memory operand, which locks without one), kernel and user apart.
 * bench/preadloop runs a marker instruction (a NOP with an operand no
 * compiler makes) before and after its loop; at the second, the plugin
 * writes the counts since the first to the file out= names, before the
 * guest goes on, so the bench reads the counts of exactly that loop:
 * "kernel N\nuser M\n". Guest instructions are not changed: icount's
 * figures stay what they are without it.
 *
 *   qemu-system-x86_64 ... -plugin build/bench/lockcount.so,out=FILE
 *
 * Built against QEMU 7.2's plugin API (version 1, Debian 12), whose
 * declarations are repeated here: Debian ships no qemu-plugin.h.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t, struct qemu_plugin_tb *);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int, void *);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t, qemu_plugin_vcpu_tb_trans_cb_t);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *, size_t);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *,
					    qemu_plugin_vcpu_udata_cb_t,
					    enum qemu_plugin_cb_flags, void *);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *,
						enum qemu_plugin_op, void *, uint64_t);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* nopl 0x4458410N(%rax): N 0 starts a loop, 1 ends it (bench/preadloop.c) */
static const uint8_t marker[] = { 0x0f, 0x1f, 0x80 };
static const uint8_t marker_tag[] = { 0x41, 0x58, 0x44 };

static uint64_t count[2], base[2];	/* [0] kernel, [1] user */
static char out[4096];

static int is_atomic_rmw(const uint8_t *p, size_t n)
{
	size_t i = 0;

	for (; i < n; i++) {
		uint8_t b = p[i];

		if (b == 0xf0)
			return 1;		/* LOCK */
		if (b == 0xf2 || b == 0xf3 || b == 0x66 || b == 0x67 || b == 0x2e ||
		    b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65 ||
		    (b & 0xf0) == 0x40)
			continue;		/* other prefixes, REX */
		break;
	}
	/* XCHG r, m: locked whatever its prefixes */
	return i + 1 < n && (p[i] == 0x86 || p[i] == 0x87) && (p[i + 1] >> 6) != 3;
}

static void on_marker(unsigned int vcpu, void *udata)
{
	FILE *f;

	(void)vcpu;
	if (!udata) {
		memcpy(base, count, sizeof(base));
		return;
	}
	f = fopen(out, "w");
	if (!f)
		return;
	fprintf(f, "kernel %llu\nuser %llu\n", (unsigned long long)(count[0] - base[0]),
		(unsigned long long)(count[1] - base[1]));
	fclose(f);
}

static void on_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		const uint8_t *p = qemu_plugin_insn_data(insn);
		size_t len = qemu_plugin_insn_size(insn);
		int kernel = qemu_plugin_insn_vaddr(insn) >= 0xffff800000000000ULL;

		if (is_atomic_rmw(p, len))
			qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
								   &count[!kernel], 1);
		else if (len == 7 && !memcmp(p, marker, 3) && !memcmp(p + 4, marker_tag, 3) &&
			 p[3] <= 1)
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker,
							       QEMU_PLUGIN_CB_NO_REGS,
							       (void *)(uintptr_t)p[3]);
	}
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	(void)info;
	if (argc != 1 || strncmp(argv[0], "out=", 4) || strlen(argv[0] + 4) >= sizeof(out)) {
		fprintf(stderr, "lockcount: want one argument, out=FILE\n");
		return -1;
	}
	strcpy(out, argv[0] + 4);
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb);
	return 0;
}
