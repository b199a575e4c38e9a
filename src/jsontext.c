/*-------------------------------------------------------------------------
 * jsontext.c
 *		A small scanner over JSON text that checks structure and finds
 *		where things are without building anything: the response pages are
 *		indexed with it, and rows are read straight from item text with it.
 *		Every function returns false where the text is not what it expects,
 *		and the caller decides what that means.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "port/pg_bitutils.h"

#include "dynomite_fdw.h"

/*
 * The first '"' or '\\' from p on, or end if there is none.  Strings are
 * most of a page's text: with SSE2, 16 bytes are looked at a time.
 */
static inline const char *
dyn_text_quote_or_escape(const char *p, const char *end)
{
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i backslash = _mm_set1_epi8('\\');

	while (end - p >= 16)
	{
		__m128i		chunk = _mm_loadu_si128((const __m128i *) p);
		uint32		mask;

		mask = (uint32) _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(chunk, quote),
													   _mm_cmpeq_epi8(chunk, backslash)));
		if (mask != 0)
			return p + pg_rightmost_one_pos32(mask);
		p += 16;
	}
#endif
	while (p < end && *p != '"' && *p != '\\')
		p++;
	return p;
}

/*
 * Past a string; its text (escapes and all) in *s and *len when asked.
 * With escapes false, a string that has any is refused.
 */
bool
dyn_text_string(DynText *t, const char **s, int *len, bool escapes)
{
	const char *start;

	if (!dyn_text_char(t, '"'))
		return false;
	start = t->p;
	for (;;)
	{
		t->p = dyn_text_quote_or_escape(t->p, t->end);
		if (t->p >= t->end)
			return false;
		if (*t->p == '"')
			break;
		if (!escapes)
			return false;
		t->p += 2;				/* the backslash and what it escapes */
	}
	if (s)
		*s = start;
	if (len)
		*len = (int) (t->p - start);
	t->p++;
	return true;
}

/* Past the literal word (true, false, null). */
bool
dyn_text_literal(DynText *t, const char *word)
{
	size_t		n = strlen(word);

	dyn_text_ws(t);
	if (t->end - t->p < (long) n || memcmp(t->p, word, n) != 0)
		return false;
	t->p += n;
	return true;
}

/*
 * Past any value: an object or an array (brackets and strings balanced), a
 * string, or a number or literal, which runs to the next delimiter.
 */
bool
dyn_text_skip(DynText *t)
{
	int			depth = 0;

	dyn_text_ws(t);
	if (t->p >= t->end)
		return false;
	if (*t->p == '"')
		return dyn_text_string(t, NULL, NULL, true);
	if (*t->p != '{' && *t->p != '[')
	{
		const char *start = t->p;

		while (t->p < t->end && strchr(",}] \n\r\t", *t->p) == NULL)
			t->p++;
		return t->p > start;
	}
	for (;;)
	{
		if (t->p >= t->end)
			return false;
		if (*t->p == '"')
		{
			if (!dyn_text_string(t, NULL, NULL, true))
				return false;
			continue;
		}
		if (*t->p == '{' || *t->p == '[')
			depth++;
		else if ((*t->p == '}' || *t->p == ']') && --depth == 0)
		{
			t->p++;
			return true;
		}
		t->p++;
	}
}

static int
dyn_hex4(const char *p)
{
	int			v = 0;

	for (int i = 0; i < 4; i++)
	{
		char		c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static void
dyn_append_utf8(StringInfo out, unsigned int cp)
{
	if (cp < 0x80)
		appendStringInfoChar(out, (char) cp);
	else if (cp < 0x800)
	{
		appendStringInfoChar(out, (char) (0xC0 | (cp >> 6)));
		appendStringInfoChar(out, (char) (0x80 | (cp & 0x3F)));
	}
	else if (cp < 0x10000)
	{
		appendStringInfoChar(out, (char) (0xE0 | (cp >> 12)));
		appendStringInfoChar(out, (char) (0x80 | ((cp >> 6) & 0x3F)));
		appendStringInfoChar(out, (char) (0x80 | (cp & 0x3F)));
	}
	else
	{
		appendStringInfoChar(out, (char) (0xF0 | (cp >> 18)));
		appendStringInfoChar(out, (char) (0x80 | ((cp >> 12) & 0x3F)));
		appendStringInfoChar(out, (char) (0x80 | ((cp >> 6) & 0x3F)));
		appendStringInfoChar(out, (char) (0x80 | (cp & 0x3F)));
	}
}

/*
 * The text of a JSON string (between its quotes) with its escapes decoded,
 * as UTF-8.  False for a malformed escape, and for \u0000 with out->len set
 * to -1: a NUL that PostgreSQL cannot hold.
 */
bool
dyn_text_unescape(const char *s, int len, StringInfo out)
{
	const char *end = s + len;

	while (s < end)
	{
		const char *bs = memchr(s, '\\', end - s);

		if (bs == NULL)
		{
			appendBinaryStringInfo(out, s, (int) (end - s));
			break;
		}
		appendBinaryStringInfo(out, s, (int) (bs - s));
		if (bs + 1 >= end)
			return false;
		switch (bs[1])
		{
			case '"':
			case '\\':
			case '/':
				appendStringInfoChar(out, bs[1]);
				break;
			case 'b':
				appendStringInfoChar(out, '\b');
				break;
			case 'f':
				appendStringInfoChar(out, '\f');
				break;
			case 'n':
				appendStringInfoChar(out, '\n');
				break;
			case 'r':
				appendStringInfoChar(out, '\r');
				break;
			case 't':
				appendStringInfoChar(out, '\t');
				break;
			case 'u':
				{
					int			cp;

					if (end - bs < 6 || (cp = dyn_hex4(bs + 2)) < 0)
						return false;
					if (cp >= 0xD800 && cp <= 0xDBFF)
					{
						/* a surrogate pair makes one code point */
						int			lo;

						if (end - bs < 12 || bs[6] != '\\' || bs[7] != 'u' ||
							(lo = dyn_hex4(bs + 8)) < 0xDC00 || lo > 0xDFFF)
							return false;
						dyn_append_utf8(out, 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00));
						s = bs + 12;
						continue;
					}
					if (cp >= 0xDC00 && cp <= 0xDFFF)
						return false;
					if (cp == 0)
					{
						out->len = -1;
						return false;
					}
					dyn_append_utf8(out, (unsigned int) cp);
					s = bs + 6;
					continue;
				}
			default:
				return false;
		}
		s = bs + 2;
	}
	return true;
}
