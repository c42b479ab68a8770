/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small, strict JSON reader for daxtrace's own captures: one line at a
 * time into a bounded node array, so malformed or hostile input costs at
 * most the line it is on. Integers only: daxtrace never writes fractions.
 */
#ifndef __DT_JSON_H
#define __DT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#define DT_JSON_MAX_NODES	2048
#define DT_JSON_MAX_DEPTH	16

enum dt_jtype {
	DT_J_NULL,
	DT_J_BOOL,
	DT_J_NUM,
	DT_J_STR,
	DT_J_ARR,
	DT_J_OBJ,
};

struct dt_jnode {
	enum dt_jtype type;
	const char *key;	/* member name when the parent is an object */
	const char *str;	/* string (decoded) or number (as written) */
	bool b;
	int child;		/* first child index, -1 if none */
	int next;		/* next sibling index, -1 if none */
};

struct dt_json {
	struct dt_jnode nodes[DT_JSON_MAX_NODES];
	int n;
	char *strs;		/* decoded strings, owned */
	size_t strs_cap;
	char err[96];
	size_t err_col;		/* 1-based column of the error */
};

/* Parse exactly one JSON value (the whole of text); node 0 is the root. */
int dt_json_parse(struct dt_json *j, const char *text, size_t len);
void dt_json_free(struct dt_json *j);

const struct dt_jnode *dt_json_root(const struct dt_json *j);
const struct dt_jnode *dt_json_get(const struct dt_json *j,
				   const struct dt_jnode *obj, const char *key);
const struct dt_jnode *dt_json_child(const struct dt_json *j,
				     const struct dt_jnode *n);
const struct dt_jnode *dt_json_next(const struct dt_json *j,
				    const struct dt_jnode *n);
int dt_json_u64(const struct dt_jnode *n, __u64 *v);
int dt_json_s64(const struct dt_jnode *n, __s64 *v);

#endif /* __DT_JSON_H */
