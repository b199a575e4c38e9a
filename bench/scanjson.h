/*
 * scanjson.h: the few string operations on DynamoDB Scan JSON that the
 * benchmark's floor client and replay server need, without a JSON parser.
 *
 * They look for a key by its quoted name ("LastEvaluatedKey",
 * "ExclusiveStartKey", "Count") and take the balanced {...} object or the
 * integer after it.  That is exact for the benchmark's own data (no
 * attribute value contains those quoted names); it is not a general parser.
 */
#ifndef BENCH_SCANJSON_H
#define BENCH_SCANJSON_H

#define _GNU_SOURCE
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Skip JSON whitespace. */
static inline const char *
sj_skip_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/*
 * Find `"key"` followed by optional whitespace and ':' in [buf, buf+len);
 * return a pointer to the first non-blank character of the value, or NULL.
 */
static inline const char *
sj_find_value(const char *buf, size_t len, const char *key)
{
	char		quoted[64];
	size_t		klen = strlen(key);
	const char *end = buf + len;
	const char *p = buf;

	if (klen + 2 >= sizeof(quoted))
		return NULL;
	quoted[0] = '"';
	memcpy(quoted + 1, key, klen);
	quoted[klen + 1] = '"';
	klen += 2;
	while (p < end)
	{
		const char *hit = memmem(p, (size_t) (end - p), quoted, klen);
		const char *v;

		if (hit == NULL)
			return NULL;
		v = sj_skip_ws(hit + klen, end);
		if (v < end && *v == ':')
			return sj_skip_ws(v + 1, end);
		p = hit + 1;
	}
	return NULL;
}

/*
 * Given p at '{', return one past its matching '}' (strings and escapes
 * respected), or NULL if unbalanced.
 */
static inline const char *
sj_object_end(const char *p, const char *end)
{
	int			depth = 0;

	for (; p < end; p++)
	{
		char		c = *p;

		if (c == '"')
		{
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if (c == '}' || c == ']')
		{
			if (--depth == 0)
				return p + 1;
		}
	}
	return NULL;
}

/*
 * The object value of `key`: sets *obj and *objlen and returns 1, or returns
 * 0 if the key is absent (or its value is not a balanced object).
 */
static inline int
sj_object(const char *buf, size_t len, const char *key,
		  const char **obj, size_t *objlen)
{
	const char *end = buf + len;
	const char *v = sj_find_value(buf, len, key);
	const char *e;

	if (v == NULL || v >= end || *v != '{')
		return 0;
	e = sj_object_end(v, end);
	if (e == NULL)
		return 0;
	*obj = v;
	*objlen = (size_t) (e - v);
	return 1;
}

/* The integer value of `key`, or -1 if absent. */
static inline long
sj_long(const char *buf, size_t len, const char *key)
{
	const char *v = sj_find_value(buf, len, key);
	long		n = 0;
	const char *end = buf + len;

	if (v == NULL || v >= end || *v < '0' || *v > '9')
		return -1;
	while (v < end && *v >= '0' && *v <= '9')
		n = n * 10 + (*v++ - '0');
	return n;
}

/*
 * A canonical text of a JSON value, for comparing keys that different
 * clients serialize differently: whitespace outside strings dropped, and
 * "\/" inside strings (json-c writes it) turned into "/".  Writes at most
 * len bytes to out (which must hold len + 1) and returns the length.
 */
static inline size_t
sj_normalize(const char *in, size_t len, char *out)
{
	const char *end = in + len;
	char	   *o = out;
	int			instr = 0;

	for (const char *p = in; p < end; p++)
	{
		char		c = *p;

		if (instr)
		{
			if (c == '\\' && p + 1 < end)
			{
				if (p[1] == '/')
					*o++ = '/';
				else
				{
					*o++ = c;
					*o++ = p[1];
				}
				p++;
				continue;
			}
			if (c == '"')
				instr = 0;
			*o++ = c;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (c == '"')
			instr = 1;
		*o++ = c;
	}
	*o = '\0';
	return (size_t) (o - out);
}

#endif							/* BENCH_SCANJSON_H */
