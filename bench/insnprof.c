// SPDX-License-Identifier: GPL-2.0
/*
 * insnprof: a QEMU TCG plugin counting how often the guest executes each
 * kernel instruction, by address, between bench/preadloop's markers (as
 * lockcount does). At the end marker it writes "ADDR COUNT" lines to the
 * file out= names; bench/profile maps them to kernel functions and to the
 * source lines of BPF programs. Guest instructions are not changed.
 *
 *   qemu-system-x86_64 ... -plugin build/bench/insnprof.so,out=FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include "qemu_plugin.h"

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* one counter per kernel instruction address, open addressing */
#define NSLOTS		(1U << 21)
#define KERNEL_HALF	0xffff800000000000ULL

static uint64_t *addr, *hits, used;
/* past half full, new addresses share one counter, written as address 0 */
static uint64_t spill;
static char out[4096];

static uint64_t *counter(uint64_t va)
{
	uint32_t h = (uint32_t)((va * 0x9e3779b97f4a7c15ULL) >> 43);

	for (;; h = (h + 1) & (NSLOTS - 1)) {
		if (addr[h] == va)
			return &hits[h];
		if (!addr[h])
			break;
	}
	if (used >= NSLOTS / 2)
		return &spill;
	used++;
	addr[h] = va;
	return &hits[h];
}

static void on_marker(unsigned int vcpu, void *udata)
{
	uint32_t i;
	FILE *f;

	(void)vcpu;
	if (!udata) {
		memset(hits, 0, NSLOTS * sizeof(*hits));
		spill = 0;
		return;
	}
	f = fopen(out, "w");
	if (!f)
		return;
	if (spill)
		fprintf(f, "0 %llu\n", (unsigned long long)spill);
	for (i = 0; i < NSLOTS; i++)
		if (hits[i])
			fprintf(f, "%llx %llu\n", (unsigned long long)addr[i],
				(unsigned long long)hits[i]);
	fclose(f);
}

static void on_insn(struct qemu_plugin_insn *insn)
{
	uint64_t va = qemu_plugin_insn_vaddr(insn);

	if (!bench_hook_marker(insn, on_marker) && va >= KERNEL_HALF)
		qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
							   counter(va), 1);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	(void)info;
	addr = calloc(NSLOTS, sizeof(*addr));
	hits = calloc(NSLOTS, sizeof(*hits));
	if (!addr || !hits) {
		fprintf(stderr, "insnprof: out of memory\n");
		return -1;
	}
	return bench_plugin_start(id, "insnprof", argc, argv, out, sizeof(out), on_insn);
}
