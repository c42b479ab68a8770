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
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "qemu_plugin.h"

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

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

static void on_insn(struct qemu_plugin_insn *insn)
{
	const uint8_t *p = qemu_plugin_insn_data(insn);
	size_t len = qemu_plugin_insn_size(insn);
	int kernel = qemu_plugin_insn_vaddr(insn) >= 0xffff800000000000ULL;

	if (is_atomic_rmw(p, len))
		qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
							   &count[!kernel], 1);
	else
		bench_hook_marker(insn, on_marker);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	(void)info;
	return bench_plugin_start(id, "lockcount", argc, argv, out, sizeof(out), on_insn);
}
