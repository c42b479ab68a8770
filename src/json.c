// SPDX-License-Identifier: GPL-2.0
/*
 * Strict recursive-descent JSON (RFC 8259) with hard limits on nodes and
 * depth: the capture reader feeds it untrusted lines, and the fuzzer
 * feeds it anything.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"

struct jp {
	struct dt_json *j;
	const char *s;
	size_t len, pos;
	size_t out;		/* next free byte in j->strs */
};

static int fail(struct jp *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct jp *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->j->err, sizeof(p->j->err), fmt, ap);
	va_end(ap);
	p->j->err_col = p->pos + 1;
	return -EINVAL;
}

static void skip_ws(struct jp *p)
{
	while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
				   p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
		p->pos++;
}

static int new_node(struct jp *p, enum dt_jtype type)
{
	struct dt_jnode *n;

	if (p->j->n >= DT_JSON_MAX_NODES)
		return fail(p, "more than %d values", DT_JSON_MAX_NODES);
	n = &p->j->nodes[p->j->n];
	memset(n, 0, sizeof(*n));
	n->type = type;
	n->child = -1;
	n->next = -1;
	return p->j->n++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int read_hex4(struct jp *p, unsigned int *cp)
{
	int i, h;

	*cp = 0;
	if (p->len - p->pos < 4)
		return fail(p, "truncated \\u escape");
	for (i = 0; i < 4; i++) {
		h = hexval(p->s[p->pos + i]);
		if (h < 0)
			return fail(p, "bad \\u escape");
		*cp = *cp << 4 | h;
	}
	p->pos += 4;
	return 0;
}

static void put_utf8(struct jp *p, unsigned int cp)
{
	char *o = p->j->strs + p->out;

	if (cp < 0x80) {
		o[0] = cp;
		p->out += 1;
	} else if (cp < 0x800) {
		o[0] = 0xc0 | cp >> 6;
		o[1] = 0x80 | (cp & 0x3f);
		p->out += 2;
	} else if (cp < 0x10000) {
		o[0] = 0xe0 | cp >> 12;
		o[1] = 0x80 | (cp >> 6 & 0x3f);
		o[2] = 0x80 | (cp & 0x3f);
		p->out += 3;
	} else {
		o[0] = 0xf0 | cp >> 18;
		o[1] = 0x80 | (cp >> 12 & 0x3f);
		o[2] = 0x80 | (cp >> 6 & 0x3f);
		o[3] = 0x80 | (cp & 0x3f);
		p->out += 4;
	}
}

static int parse_escape(struct jp *p)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	unsigned int cp, lo;
	const char *k;
	char c;

	if (p->pos >= p->len)
		return fail(p, "truncated escape");
	c = p->s[p->pos++];
	k = strchr(from, c);
	if (k && c) {
		p->j->strs[p->out++] = to[k - from];
		return 0;
	}
	if (c != 'u')
		return fail(p, "bad escape '\\%c'", c);
	if (read_hex4(p, &cp))
		return -EINVAL;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(p, "lone low surrogate");
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (p->len - p->pos < 2 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u')
			return fail(p, "lone high surrogate");
		p->pos += 2;
		if (read_hex4(p, &lo))
			return -EINVAL;
		if (lo < 0xdc00 || lo > 0xdfff)
			return fail(p, "bad surrogate pair");
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	}
	if (!cp)
		return fail(p, "\\u0000 in a string");
	put_utf8(p, cp);
	return 0;
}

/* Decode a string into j->strs; *out points at its NUL-terminated copy. */
static int parse_string(struct jp *p, const char **out)
{
	size_t start = p->out;
	unsigned char c;

	p->pos++;	/* opening quote */
	for (;;) {
		if (p->pos >= p->len)
			return fail(p, "unterminated string");
		c = p->s[p->pos];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(p, "control character in a string");
		p->pos++;
		if (c == '\\') {
			if (parse_escape(p))
				return -EINVAL;
		} else {
			p->j->strs[p->out++] = c;
		}
	}
	p->pos++;
	p->j->strs[p->out++] = '\0';
	*out = p->j->strs + start;
	return 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Validate the number grammar; keep it as text for the typed getters. */
static int parse_number(struct jp *p, int idx)
{
	size_t start = p->pos;
	const char *s = p->s;

	if (s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len || !is_digit(s[p->pos]))
		return fail(p, "bad number");
	if (s[p->pos] == '0')
		p->pos++;
	else
		while (p->pos < p->len && is_digit(s[p->pos]))
			p->pos++;
	if (p->pos < p->len && s[p->pos] == '.') {
		p->pos++;
		if (p->pos >= p->len || !is_digit(s[p->pos]))
			return fail(p, "bad fraction");
		while (p->pos < p->len && is_digit(s[p->pos]))
			p->pos++;
	}
	if (p->pos < p->len && (s[p->pos] == 'e' || s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (s[p->pos] == '+' || s[p->pos] == '-'))
			p->pos++;
		if (p->pos >= p->len || !is_digit(s[p->pos]))
			return fail(p, "bad exponent");
		while (p->pos < p->len && is_digit(s[p->pos]))
			p->pos++;
	}
	memcpy(p->j->strs + p->out, s + start, p->pos - start);
	p->j->nodes[idx].str = p->j->strs + p->out;
	p->out += p->pos - start;
	p->j->strs[p->out++] = '\0';
	return 0;
}

static int parse_value(struct jp *p, int depth);

static int literal(struct jp *p, const char *word)
{
	size_t n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n))
		return fail(p, "unexpected character '%c'", p->s[p->pos]);
	p->pos += n;
	return 0;
}

/* Arrays and objects: members linked as siblings under the parent. */
static int parse_container(struct jp *p, int idx, int depth)
{
	bool obj = p->j->nodes[idx].type == DT_J_OBJ;
	char close = obj ? '}' : ']';
	const char *key = NULL;
	int prev = -1, kid;

	if (depth >= DT_JSON_MAX_DEPTH)
		return fail(p, "nested deeper than %d", DT_JSON_MAX_DEPTH);
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		skip_ws(p);
		if (obj) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "expected a member name");
			if (parse_string(p, &key))
				return -EINVAL;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':')
				return fail(p, "expected ':'");
			p->pos++;
		}
		kid = parse_value(p, depth + 1);
		if (kid < 0)
			return kid;
		p->j->nodes[kid].key = key;
		if (prev < 0)
			p->j->nodes[idx].child = kid;
		else
			p->j->nodes[prev].next = kid;
		prev = kid;
		skip_ws(p);
		if (p->pos >= p->len)
			return fail(p, "truncated %s", obj ? "object" : "array");
		if (p->s[p->pos] == close) {
			p->pos++;
			return 0;
		}
		if (p->s[p->pos] != ',')
			return fail(p, "expected ',' or '%c'", close);
		p->pos++;
	}
}

/* Returns the node index of the value, or -errno. */
static int parse_value(struct jp *p, int depth)
{
	int idx, err;
	char c;

	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, "truncated: a value was expected");
	c = p->s[p->pos];
	switch (c) {
	case '{':
	case '[':
		idx = new_node(p, c == '{' ? DT_J_OBJ : DT_J_ARR);
		if (idx < 0)
			return idx;
		err = parse_container(p, idx, depth);
		return err ?: idx;
	case '"':
		idx = new_node(p, DT_J_STR);
		if (idx < 0)
			return idx;
		return parse_string(p, &p->j->nodes[idx].str) ?: idx;
	case 't':
	case 'f':
		idx = new_node(p, DT_J_BOOL);
		if (idx < 0)
			return idx;
		p->j->nodes[idx].b = c == 't';
		return literal(p, c == 't' ? "true" : "false") ?: idx;
	case 'n':
		idx = new_node(p, DT_J_NULL);
		if (idx < 0)
			return idx;
		return literal(p, "null") ?: idx;
	default:
		if (c != '-' && !is_digit(c))
			return fail(p, "unexpected character '%c'", c);
		idx = new_node(p, DT_J_NUM);
		if (idx < 0)
			return idx;
		return parse_number(p, idx) ?: idx;
	}
}

int dt_json_parse(struct dt_json *j, const char *text, size_t len)
{
	struct jp p = { .j = j, .s = text, .len = len };
	int root;

	j->n = 0;
	j->err[0] = '\0';
	j->err_col = 0;
	/* decoded output never outgrows the input; +1 per string for NULs */
	if (j->strs_cap < len * 2 + 1) {
		char *n = realloc(j->strs, len * 2 + 1);

		if (!n)
			return fail(&p, "out of memory");
		j->strs = n;
		j->strs_cap = len * 2 + 1;
	}
	root = parse_value(&p, 0);
	if (root < 0)
		return root;
	skip_ws(&p);
	if (p.pos != len)
		return fail(&p, "trailing characters after the value");
	return 0;
}

void dt_json_free(struct dt_json *j)
{
	free(j->strs);
	j->strs = NULL;
	j->strs_cap = 0;
}

const struct dt_jnode *dt_json_root(const struct dt_json *j)
{
	return j->n ? &j->nodes[0] : NULL;
}

const struct dt_jnode *dt_json_child(const struct dt_json *j,
				     const struct dt_jnode *n)
{
	return n && n->child >= 0 ? &j->nodes[n->child] : NULL;
}

const struct dt_jnode *dt_json_next(const struct dt_json *j,
				    const struct dt_jnode *n)
{
	return n && n->next >= 0 ? &j->nodes[n->next] : NULL;
}

const struct dt_jnode *dt_json_get(const struct dt_json *j,
				   const struct dt_jnode *obj, const char *key)
{
	const struct dt_jnode *k;

	if (!obj || obj->type != DT_J_OBJ)
		return NULL;
	for (k = dt_json_child(j, obj); k; k = dt_json_next(j, k))
		if (!strcmp(k->key, key))
			return k;
	return NULL;
}

int dt_json_u64(const struct dt_jnode *n, __u64 *v)
{
	char *end;

	if (!n || n->type != DT_J_NUM || n->str[0] == '-')
		return -EINVAL;
	errno = 0;
	*v = strtoull(n->str, &end, 10);
	return errno || *end ? -ERANGE : 0;
}

int dt_json_s64(const struct dt_jnode *n, __s64 *v)
{
	char *end;

	if (!n || n->type != DT_J_NUM)
		return -EINVAL;
	errno = 0;
	*v = strtoll(n->str, &end, 10);
	return errno || *end ? -ERANGE : 0;
}
