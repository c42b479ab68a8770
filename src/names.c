// SPDX-License-Identifier: GPL-2.0
/*
 * The vocabulary of daxtrace's outputs: one table per kind of name, read
 * both ways (a capture is parsed back with the same words it was
 * written with).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "names.h"
#include "snapshot.h"

static const char *const op_names[DT_OP_MAX] = {
	[DT_OP_READ] = "read",
	[DT_OP_WRITE] = "write",
	[DT_OP_ITER] = "iter",
	[DT_OP_DIRECT_ACCESS] = "direct_access",
	[DT_OP_COPY_TO_ITER] = "copy_to_iter",
	[DT_OP_COPY_FROM_ITER] = "copy_from_iter",
	[DT_OP_FAULT] = "fault",
};

static const char *const check_names[DT_CHK_MAX] = {
	[DT_CHK_DA_RET_RANGE] = "direct_access.ret_range",
	[DT_CHK_DA_KADDR_KERNEL] = "direct_access.kaddr_kernel",
	[DT_CHK_DA_KADDR_PFN] = "direct_access.kaddr_pfn",
	[DT_CHK_COPY_COMPLETE] = "copy.complete",
	[DT_CHK_ITER_PROGRESS] = "iter.progress",
	[DT_CHK_RW_COMPLETE] = "rw.complete",
	[DT_CHK_FAULT_SIZE] = "fault.size",
};

/* What each check expects, for the text report. */
static const char *const check_expect[DT_CHK_MAX] = {
	[DT_CHK_DA_RET_RANGE] = "0 < ret <= nr_pages or known -errno",
	[DT_CHK_DA_KADDR_KERNEL] = "kaddr is a kernel virtual address",
	[DT_CHK_DA_KADDR_PFN] = "kaddr == __va(pfn << PAGE_SHIFT)",
	[DT_CHK_COPY_COMPLETE] = "copied == bytes",
	[DT_CHK_ITER_PROGRESS] = "each iteration makes progress",
	[DT_CHK_RW_COMPLETE] = "returns count asked unless EOF/error",
	[DT_CHK_FAULT_SIZE] = "maps the largest page device, VMA, file allow",
};

static const char *const variant_names[DT_VAR_MAX] = {
	[DT_VAR_NONE] = "none",
	[DT_VAR_COPY_TO_ITER] = "_copy_to_iter",
	[DT_VAR_COPY_MC_TO_ITER] = "_copy_mc_to_iter",
	[DT_VAR_COPY_FROM_ITER] = "_copy_from_iter",
	[DT_VAR_COPY_FROM_ITER_FLUSHCACHE] = "_copy_from_iter_flushcache",
	[DT_VAR_DEAD] = "none (dax device dead)",
};

static const char *const side_names[] = {
	"none", "user", "source", "unknown",
};

static const char *const size_names[DT_FAULT_SIZES] = {
	"pte", "pmd", "pud",
};

/* fault.size's reasons, by bit (DT_FSZ_* in dax_checks.h) */
static const char *const fsz_why_names[DT_FSZ_NBITS] = {
	"vma", "device_align", "i_size", "cow", "fsdax_no_pud", "page_table",
	"fell_back", "kernel", "nohugepage", "thp_disabled",
};

#define NAME_OR(tab, i, n) ((i) < (n) && (tab)[i] ? (tab)[i] : "?")

const char *dt_op_name(__u32 op)
{
	return NAME_OR(op_names, op, DT_OP_MAX);
}

const char *dt_check_name(__u32 check)
{
	return NAME_OR(check_names, check, DT_CHK_MAX);
}

const char *dt_variant_name(__u32 v)
{
	return NAME_OR(variant_names, v, DT_VAR_MAX);
}

const char *dt_side_name(__u32 side)
{
	return NAME_OR(side_names, side, 4);
}

const char *dt_fault_size_name(__u32 size)
{
	return NAME_OR(size_names, size, DT_FAULT_SIZES);
}

static int lookup(const char *const *tab, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (tab[i] && !strcmp(tab[i], name))
			return i;
	return -1;
}

int dt_op_parse(const char *name)
{
	return lookup(op_names, DT_OP_MAX, name);
}

int dt_check_parse(const char *name)
{
	return lookup(check_names, DT_CHK_MAX, name);
}

int dt_variant_parse(const char *name)
{
	return lookup(variant_names, DT_VAR_MAX, name);
}

int dt_side_parse(const char *name)
{
	return lookup(side_names, 4, name);
}

const char *dt_fsz_why_name(__u32 bit)
{
	return NAME_OR(fsz_why_names, bit, DT_FSZ_NBITS);
}

int dt_fsz_why_parse(const char *name)
{
	return lookup(fsz_why_names, DT_FSZ_NBITS, name);
}

int dt_fault_size_parse(const char *name)
{
	return lookup(size_names, DT_FAULT_SIZES, name);
}

static const struct {
	int err;
	const char *name;
} errnos[] = {
	{ 1, "EPERM" }, { 2, "ENOENT" }, { 4, "EINTR" }, { 5, "EIO" },
	{ 6, "ENXIO" }, { 11, "EAGAIN" }, { 12, "ENOMEM" }, { 13, "EACCES" },
	{ 14, "EFAULT" }, { 16, "EBUSY" }, { 22, "EINVAL" }, { 27, "EFBIG" },
	{ 28, "ENOSPC" }, { 30, "EROFS" }, { 34, "ERANGE" }, { 95, "EOPNOTSUPP" },
	{ 122, "EDQUOT" }, { 133, "EHWPOISON" },
};

static const struct {
	unsigned int bit;
	const char *name;
} vmf_bits[] = {
	{ 0x0001, "VM_FAULT_OOM" }, { 0x0002, "VM_FAULT_SIGBUS" },
	{ 0x0010, "VM_FAULT_HWPOISON" }, { 0x0020, "VM_FAULT_HWPOISON_LARGE" },
	{ 0x0040, "VM_FAULT_SIGSEGV" },
};

/* errno name for rw/da/copy; for faults, the VM_FAULT_* error bits. */
const char *dt_errno_name(__u32 op, __s32 err, char *buf, size_t len)
{
	size_t i, off = 0;

	if (op == DT_OP_FAULT) {
		buf[0] = '\0';
		for (i = 0; i < sizeof(vmf_bits) / sizeof(vmf_bits[0]); i++) {
			if (!((unsigned int)err & vmf_bits[i].bit))
				continue;
			off += snprintf(buf + off, off < len ? len - off : 0, "%s%s",
					off ? "|" : "", vmf_bits[i].name);
		}
		if (!off)
			snprintf(buf, len, "VM_FAULT_0x%x", (unsigned int)err);
		return buf;
	}
	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		if (errnos[i].err == err)
			return errnos[i].name;
	}
	snprintf(buf, len, "E%d", err);
	return buf;
}

/* The inverse of dt_errno_name(): for reading captures back. */
int dt_errno_parse(__u32 op, const char *name, __s32 *err)
{
	unsigned int bits = 0;
	const char *p = name;
	size_t i, n;
	char *end;

	if (op == DT_OP_FAULT) {
		if (!strncmp(name, "VM_FAULT_0x", 11)) {
			bits = strtoul(name + 11, &end, 16);
			if (*end || end == name + 11)
				return -1;
			*err = bits;
			return 0;
		}
		while (*p) {
			n = strcspn(p, "|");
			for (i = 0; i < sizeof(vmf_bits) / sizeof(vmf_bits[0]); i++)
				if (strlen(vmf_bits[i].name) == n && !strncmp(p, vmf_bits[i].name, n))
					break;
			if (i == sizeof(vmf_bits) / sizeof(vmf_bits[0]))
				return -1;
			bits |= vmf_bits[i].bit;
			p += n + (p[n] == '|');
		}
		*err = bits;
		return bits ? 0 : -1;
	}
	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		if (!strcmp(errnos[i].name, name)) {
			*err = errnos[i].err;
			return 0;
		}
	}
	if (name[0] != 'E' || name[1] < '0' || name[1] > '9')
		return -1;
	*err = strtol(name + 1, &end, 10);
	return *end ? -1 : 0;
}

const char *dt_dev_label(const struct dt_names *names, __u32 kdev, char *buf,
			 size_t len)
{
	int i;

	for (i = 0; names && i < names->n; i++) {
		if (names->devs[i].kdev == kdev)
			return names->devs[i].name;
	}
	snprintf(buf, len, "%u:%u", kdev >> 20, kdev & 0xfffff);
	return buf;
}

bool dt_op_is_copy(__u32 op)
{
	return op == DT_OP_COPY_TO_ITER || op == DT_OP_COPY_FROM_ITER;
}

const char *dt_check_expect(__u32 check)
{
	return check < DT_CHK_MAX && check_expect[check] ? check_expect[check] : "";
}

static const char *const rank_names[DT_FR_MAX] = {
	[DT_FR_OPS] = "ops",
	[DT_FR_BYTES] = "bytes",
	[DT_FR_ERRORS] = "errors",
	[DT_FR_SHORT] = "short_copies",
	[DT_FR_PTE_FB] = "pte_fallbacks",
};

const char *dt_file_rank_name(__u32 rank)
{
	return NAME_OR(rank_names, rank, DT_FR_MAX);
}

int dt_file_rank_parse(const char *name)
{
	return lookup(rank_names, DT_FR_MAX, name);
}
