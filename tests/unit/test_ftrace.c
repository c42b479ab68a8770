// SPDX-License-Identifier: GPL-2.0
/*
 * The ftrace backend's trace_pipe line parser, fed real-shaped lines
 * (the handlers: test_ftrace_handlers.c).
 */
#include <errno.h>
#include "ftrace.h"
#include "unit.h"

int main(void)
{
	char l1[] = "         daxload-235     [001] .....   123.456789: rw_e: (dax_iomap_rw+0x0/0x1f0) pos=0 cnt=8192 dir=0 mode=33188 ino=12 isize=16384";
	char l2[] = "           <...>-77      [000] d..1.     5.000001: rw_x: (ext4_file_read_iter+0x5f/0x1a0 <- dax_iomap_rw) ret=-14";
	char l3[] = "       my-prog x-12      [003] .N...    42.000100: cti_e: (dax_copy_to_iter+0x0/0x60) dd=0xffff888003c1d000 ptr=0x7ffe0000 xptr=5";
	char l4[] = "         python3-302     [001] .....    19.500000: dax_pte_fault_done: dev 259:1 ino 0xc shared WRITE address 0x7f0000000000 pgoff 0x3 NOPAGE";
	char bad1[] = "garbage";
	char bad2[] = "  x-1 [000] .... notatime: ev: a=1";
	unsigned long long v;
	struct dt_tline t;

	EXPECT_EQ(dt_tline_parse(l1, &t), 0);
	EXPECT_STR(t.comm, "daxload");
	EXPECT_EQ(t.pid, 235);
	EXPECT_EQ(t.ts_ns, 123456789000ULL);
	EXPECT_STR(t.event, "rw_e");
	EXPECT_EQ(dt_targ_u64(t.args, "cnt", &v), 0);
	EXPECT_EQ(v, 8192);
	EXPECT_EQ(dt_targ_u64(t.args, "isize", &v), 0);
	EXPECT_EQ(v, 16384);
	EXPECT_EQ(dt_targ_u64(t.args, "size", &v), -ENOENT);	/* not isize's tail */
	/* an empty key is refused: strstr() would find it forever */
	EXPECT_EQ(dt_targ_u64(t.args, "", &v), -EINVAL);

	EXPECT_EQ(dt_tline_parse(l2, &t), 0);
	EXPECT_STR(t.comm, "<...>");
	EXPECT_EQ(t.pid, 77);
	EXPECT_STR(t.event, "rw_x");
	EXPECT_EQ(dt_targ_u64(t.args, "ret", &v), 0);
	EXPECT_EQ((long long)v, -14);

	EXPECT_EQ(dt_tline_parse(l3, &t), 0);
	EXPECT_STR(t.comm, "my-prog x");
	EXPECT_EQ(t.pid, 12);
	EXPECT_EQ(dt_targ_u64(t.args, "ptr", &v), 0);
	EXPECT_EQ(v, 0x7ffe0000);
	EXPECT_EQ(dt_targ_u64(t.args, "dd", &v), 0);
	EXPECT_EQ(v, 0xffff888003c1d000ULL);

	EXPECT_EQ(dt_tline_parse(l4, &t), 0);
	EXPECT_STR(t.event, "dax_pte_fault_done");
	EXPECT_CONTAINS(t.args, "dev 259:1");

	EXPECT(dt_tline_parse(bad1, &t) < 0);
	EXPECT(dt_tline_parse(bad2, &t) < 0);
	return unit_done("test_ftrace");
}
