/* SPDX-License-Identifier: GPL-2.0 */
/* Option value parsers shared by the CLI and the fuzzer. */
#ifndef __DT_PARSE_H
#define __DT_PARSE_H

/* Decimal, no sign, no spaces, <= max. */
int dt_parse_ulong(const char *s, unsigned long max, unsigned long *out);
/* Bytes with an optional K/M/G suffix, 4 KiB .. 1 TiB. */
int dt_parse_size(const char *s, unsigned long long *out);
/* PATH can be written as a file: 0, or -errno (EISDIR, EACCES...). */
int dt_path_writable(const char *path);

#endif /* __DT_PARSE_H */
