/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of QEMU 7.2's TCG plugin API (version 1, Debian 12) that the
 * bench's plugins use, declared here: Debian ships no qemu-plugin.h.
 */
#ifndef __BENCH_QEMU_PLUGIN_H
#define __BENCH_QEMU_PLUGIN_H

#include <stddef.h>
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

/* bench/preadloop.c's marker: nopl 0x4458410N(%rax), N 0 starts its loop, 1 ends it */
static inline int bench_marker(const uint8_t *p, size_t len)
{
	static const uint8_t op[] = { 0x0f, 0x1f, 0x80 }, tag[] = { 0x41, 0x58, 0x44 };

	if (len != 7 || memcmp(p, op, 3) || memcmp(p + 4, tag, 3) || p[3] > 1)
		return -1;
	return p[3];
}

/* The plugin's own: what to do with each instruction as it is translated. */
static void (*bench_insn_fn)(struct qemu_plugin_insn *);

static void bench_on_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);

	(void)id;
	for (i = 0; i < n; i++)
		bench_insn_fn(qemu_plugin_tb_get_insn(tb, i));
}

/* Calls cb at the marker, udata 0 or 1: 1 if insn is one, else 0. */
static inline int bench_hook_marker(struct qemu_plugin_insn *insn,
				    qemu_plugin_vcpu_udata_cb_t cb)
{
	int m = bench_marker(qemu_plugin_insn_data(insn), qemu_plugin_insn_size(insn));

	if (m < 0)
		return 0;
	qemu_plugin_register_vcpu_insn_exec_cb(insn, cb, QEMU_PLUGIN_CB_NO_REGS,
					       (void *)(uintptr_t)m);
	return 1;
}

/*
 * A plugin's start: the one argument both take, out=FILE, into out, and
 * fn called on every instruction translated; -1 (said) if bad.
 */
static inline int bench_plugin_start(qemu_plugin_id_t id, const char *who, int argc,
				     char **argv, char *out, size_t size,
				     void (*fn)(struct qemu_plugin_insn *))
{
	if (argc != 1 || strncmp(argv[0], "out=", 4) || strlen(argv[0] + 4) >= size) {
		fprintf(stderr, "%s: want one argument, out=FILE\n", who);
		return -1;
	}
	strcpy(out, argv[0] + 4);
	bench_insn_fn = fn;
	qemu_plugin_register_vcpu_tb_trans_cb(id, bench_on_tb);
	return 0;
}

#endif /* __BENCH_QEMU_PLUGIN_H */
