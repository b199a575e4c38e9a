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

#include <ctype.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "port/pg_bitutils.h"

#include "dynomite_fdw.h"

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

/* The UTF-8 bytes of code point cp in out; how many. */
static int
dyn_utf8_encode(unsigned int cp, unsigned char *out)
{
	if (cp < 0x80)
	{
		out[0] = (unsigned char) cp;
		return 1;
	}
	if (cp < 0x800)
	{
		out[0] = (unsigned char) (0xC0 | (cp >> 6));
		out[1] = (unsigned char) (0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000)
	{
		out[0] = (unsigned char) (0xE0 | (cp >> 12));
		out[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
		out[2] = (unsigned char) (0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (unsigned char) (0xF0 | (cp >> 18));
	out[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3F));
	out[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
	out[3] = (unsigned char) (0x80 | (cp & 0x3F));
	return 4;
}

static void
dyn_append_utf8(StringInfo out, unsigned int cp)
{
	unsigned char bytes[4];
	int			n = dyn_utf8_encode(cp, bytes);

	appendBinaryStringInfo(out, (const char *) bytes, n);
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

/* ---------------------------------------------------------------------
 * Strict checks of response text
 *
 * Everything a response holds is checked here before any other code looks
 * at it: JSON's grammar, strings of valid UTF-8 with valid escapes and
 * surrogates only in pairs, member names without NUL and never given twice
 * in one object, and DynamoDB's typed values (one type each, numbers in
 * DynamoDB's syntax, binary in base64).  The checks raise no error and
 * allocate only room for names, without failing when there is none: they
 * run inside libcurl's write callback too.
 * ---------------------------------------------------------------------
 */
static bool
dyn_check_fail(DynCheck *chk, const char *at, const char *what)
{
	chk->what = what;
	chk->at = at;
	return false;
}

/* The text ended before the value did. */
static bool
dyn_check_cut(DynText *t)
{
	t->p = t->end;
	return false;
}

void
dyn_check_init(DynCheck *chk, MemoryContext cxt)
{
	chk->what = NULL;
	chk->at = NULL;
	chk->out_of_memory = false;
	chk->cxt = cxt;
	chk->names = chk->first;
	chk->nnames = 0;
	chk->maxnames = lengthof(chk->first);
}

void
dyn_check_done(DynCheck *chk)
{
	if (chk->names != chk->first)
		pfree(chk->names);
	chk->names = chk->first;
	chk->nnames = 0;
	chk->maxnames = lengthof(chk->first);
}

/* Past the character c, after any white space. */
static bool
dyn_check_char(DynText *t, DynCheck *chk, char c, const char *what)
{
	dyn_text_ws(t);
	if (t->p >= t->end)
		return dyn_check_cut(t);
	if (*t->p != c)
		return dyn_check_fail(chk, t->p, what);
	t->p++;
	return true;
}

/* Past the literal word, which must be there. */
static bool
dyn_check_literal(DynText *t, DynCheck *chk, const char *word, const char *what)
{
	long		n = (long) strlen(word);
	long		have;

	dyn_text_ws(t);
	have = Min(n, (long) (t->end - t->p));
	if (memcmp(t->p, word, have) != 0)
		return dyn_check_fail(chk, t->p, what);
	if (have < n)
		return dyn_check_cut(t);
	t->p += n;
	return true;
}

/*
 * The length of the valid UTF-8 sequence at p: 0 if it is not valid, -1 if
 * the text ends within it.
 */
static int
dyn_utf8_length(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80;
	unsigned char hi = 0xBF;
	int			n;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
	{
		n = 3;
		lo = c == 0xE0 ? 0xA0 : 0x80;	/* no overlong forms */
		hi = c == 0xED ? 0x9F : 0xBF;	/* no surrogates */
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		n = 4;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;	/* nothing above U+10FFFF */
	}
	else
		return 0;
	for (int i = 1; i < n; i++)
	{
		if (p + i >= end)
			return -1;
		if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xBF))
			return 0;
	}
	return n;
}

/*
 * The first byte from p on that a string check must look at: '"', '\\', a
 * control character or a byte of a multibyte character.
 */
static inline const char *
dyn_text_special(const char *p, const char *end)
{
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i backslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(' ');

	while (end - p >= 16)
	{
		__m128i		chunk = _mm_loadu_si128((const __m128i *) p);
		uint32		mask;

		/* compared as signed: bytes from 0x80 on are below ' ' too */
		mask = (uint32) _mm_movemask_epi8(
			_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(chunk, quote),
									  _mm_cmpeq_epi8(chunk, backslash)),
						 _mm_cmplt_epi8(chunk, space)));
		if (mask != 0)
			return p + pg_rightmost_one_pos32(mask);
		p += 16;
	}
#endif
	while (p < end && *p != '"' && *p != '\\' &&
		   (unsigned char) *p >= 0x20 && (unsigned char) *p < 0x80)
		p++;
	return p;
}

/*
 * The length of the escape at p: 0 (and *what) if it is not valid, -1 if
 * the text ends within it.  \u0000 only where nul_ok.
 */
static int
dyn_escape_length(const char *p, const char *end, bool nul_ok, const char **what)
{
	int			cp;
	int			lo;

	if (end - p < 2)
		return -1;
	if (strchr("\"\\/bfnrt", p[1]) != NULL && p[1] != '\0')
		return 2;
	*what = "an invalid escape in a string";
	if (p[1] != 'u')
		return 0;
	if (end - p < 6)
		return -1;
	if ((cp = dyn_hex4(p + 2)) < 0)
		return 0;
	if (cp == 0 && !nul_ok)
	{
		*what = "a NUL character in a name";
		return 0;
	}
	*what = "a lone surrogate in a string";
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return 0;
	if (cp < 0xD800 || cp > 0xDBFF)
		return 6;
	/* a high surrogate: what there is of a low one must follow */
	for (const char *q = p + 6; q < end && q < p + 12; q++)
		if (q == p + 6 ? *q != '\\' : q == p + 7 ? *q != 'u' :
			!isxdigit((unsigned char) *q))
			return 0;
	if (end - p < 12)
		return -1;
	if ((lo = dyn_hex4(p + 8)) < 0xDC00 || lo > 0xDFFF)
		return 0;
	return 12;
}

/*
 * Past a string, checked: no raw control character, valid UTF-8, valid
 * escapes, and no NUL unless nul_ok.  Its raw text in *s and *len; whether
 * it holds escapes in *escaped.
 */
static bool
dyn_check_string(DynText *t, DynCheck *chk, bool nul_ok,
				 const char **s, int *len, bool *escaped)
{
	const char *start;
	bool		esc = false;

	dyn_text_ws(t);
	if (t->p >= t->end)
		return dyn_check_cut(t);
	if (*t->p != '"')
		return dyn_check_fail(chk, t->p, "a string was expected");
	start = ++t->p;
	for (;;)
	{
		const char *p = dyn_text_special(t->p, t->end);
		const char *what = NULL;
		int			n;

		if (p >= t->end)
			return dyn_check_cut(t);
		if (*p == '"')
		{
			t->p = p + 1;
			break;
		}
		if (*p == '\\')
		{
			esc = true;
			n = dyn_escape_length(p, t->end, nul_ok, &what);
		}
		else if ((unsigned char) *p < 0x20)
			return dyn_check_fail(chk, p, "a raw control character in a string");
		else
		{
			what = "a string that is not valid UTF-8";
			n = dyn_utf8_length((const unsigned char *) p, (const unsigned char *) t->end);
		}
		if (n < 0)
			return dyn_check_cut(t);
		if (n == 0)
			return dyn_check_fail(chk, p, what);
		t->p = p + n;
	}
	if (s)
		*s = start;
	if (len)
		*len = (int) (t->p - 1 - start);
	if (escaped)
		*escaped = esc;
	return true;
}

/* ---- names given twice ---- */

/* Decodes a checked name byte by byte, so names compare as decoded. */
typedef struct DynNameReader
{
	const char *p;
	const char *end;
	unsigned char buf[4];
	int			n;
	int			i;
} DynNameReader;

static int
dyn_name_byte(DynNameReader *r)
{
	unsigned int cp;

	if (r->i < r->n)
		return r->buf[r->i++];
	if (r->p >= r->end)
		return -1;
	if (*r->p != '\\')
		return (unsigned char) *r->p++;
	switch (r->p[1])
	{
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u':
			cp = (unsigned int) dyn_hex4(r->p + 2);
			if (cp >= 0xD800 && cp <= 0xDBFF)
			{
				cp = 0x10000 + ((cp - 0xD800) << 10) + (dyn_hex4(r->p + 8) - 0xDC00);
				r->p += 6;
			}
			r->p += 4;
			break;
		default:
			cp = (unsigned char) r->p[1];
			break;
	}
	r->p += 2;
	r->n = dyn_utf8_encode(cp, r->buf);
	r->i = 1;
	return r->buf[0];
}

static int
dyn_name_cmp(const void *a, const void *b)
{
	const DynName *x = (const DynName *) a;
	const DynName *y = (const DynName *) b;
	DynNameReader rx = {x->s, x->s + x->len, {0}, 0, 0};
	DynNameReader ry = {y->s, y->s + y->len, {0}, 0, 0};

	if (!x->escaped && !y->escaped)
	{
		int			c = memcmp(x->s, y->s, Min(x->len, y->len));

		return c != 0 ? c : x->len - y->len;
	}
	for (;;)
	{
		int			cx = dyn_name_byte(&rx);
		int			cy = dyn_name_byte(&ry);

		if (cx != cy)
			return cx - cy;
		if (cx < 0)
			return 0;
	}
}

/* Note a member name of the object being checked. */
static bool
dyn_check_push_name(DynCheck *chk, const char *s, int len, bool escaped)
{
	if (chk->nnames == chk->maxnames)
	{
		int			newmax = chk->maxnames * 2;
		DynName    *more;

		more = MemoryContextAllocExtended(chk->cxt, sizeof(DynName) * newmax,
										  MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
		if (more == NULL)
		{
			chk->out_of_memory = true;
			return dyn_check_fail(chk, s, "more member names than memory allows");
		}
		memcpy(more, chk->names, sizeof(DynName) * chk->nnames);
		if (chk->names != chk->first)
			pfree(chk->names);
		chk->names = more;
		chk->maxnames = newmax;
	}
	chk->names[chk->nnames].s = s;
	chk->names[chk->nnames].len = len;
	chk->names[chk->nnames].escaped = escaped;
	chk->nnames++;
	return true;
}

/*
 * Past a member name (no NUL), noted for dyn_check_unique; its raw text in
 * *s and *len.
 */
bool
dyn_check_name(DynText *t, DynCheck *chk, const char **s, int *len)
{
	bool		escaped;

	return dyn_check_string(t, chk, false, s, len, &escaped) &&
		dyn_check_push_name(chk, *s, *len, escaped);
}

/*
 * The names noted from base on are those of one object: false if two are
 * the same.  They are forgotten either way.
 */
bool
dyn_check_unique(DynCheck *chk, int base)
{
	DynName    *names = chk->names + base;
	int			n = chk->nnames - base;
	const char *twice = NULL;

	chk->nnames = base;
	if (n > 8)
	{
		qsort(names, n, sizeof(DynName), dyn_name_cmp);
		for (int i = 1; i < n && twice == NULL; i++)
			if (dyn_name_cmp(&names[i - 1], &names[i]) == 0)
				twice = names[i].s;
	}
	else
		for (int i = 0; i < n && twice == NULL; i++)
			for (int j = i + 1; j < n && twice == NULL; j++)
			{
				/* names without escapes differ when their lengths do */
				if (!names[i].escaped && !names[j].escaped && names[i].len != names[j].len)
					continue;
				if (dyn_name_cmp(&names[i], &names[j]) == 0)
					twice = names[j].s;
			}
	if (twice)
		return dyn_check_fail(chk, twice, "a member name given twice in one object");
	return true;
}

/* ---- numbers ---- */

/* an ASCII digit, without the locale's tables */
#define DYN_IS_DIGIT(c) ((c) >= '0' && (c) <= '9')

/*
 * Read a number in JSON's syntax: its sign, its significant digits and the
 * exponent of the first of them.  False if it is not JSON's syntax.
 */
bool
dyn_number_parse(const char *s, int len, DynNumber *num)
{
	const char *p = s;
	const char *end = s + len;
	long		intdigits = 0;
	long		index = 0;
	long		firstindex = -1;
	long		exp = 0;
	bool		expneg = false;

	memset(num, 0, sizeof(DynNumber));
	if (p < end && *p == '-')
	{
		num->negative = true;
		p++;
	}
	if (p >= end || !DYN_IS_DIGIT(*p))
		return false;
	if (*p == '0' && p + 1 < end && DYN_IS_DIGIT(p[1]))
		return false;			/* no leading zeros */
	for (bool fraction = false;; p++)
	{
		if (p < end && *p == '.' && !fraction)
		{
			fraction = true;
			if (p + 1 >= end || !DYN_IS_DIGIT(p[1]))
				return false;
			continue;
		}
		if (p >= end || !DYN_IS_DIGIT(*p))
			break;
		if (!fraction)
			intdigits++;
		if (*p != '0')
		{
			if (firstindex < 0)
			{
				firstindex = index;
				num->first = p;
			}
			num->last = p;
		}
		index++;
	}
	if (p < end && (*p == 'e' || *p == 'E'))
	{
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			expneg = (*p++ == '-');
		if (p >= end || !DYN_IS_DIGIT(*p))
			return false;
		for (; p < end && DYN_IS_DIGIT(*p); p++)
			if (exp < 1000000)	/* far out of any range already */
				exp = exp * 10 + (*p - '0');
	}
	if (p != end)
		return false;
	num->zero = firstindex < 0;
	num->exponent = num->zero ? 0 : intdigits - 1 - firstindex + (expneg ? -exp : exp);
	return true;
}

/*
 * Whether s is a number as DynamoDB has them: JSON's syntax, at most 38
 * significant digits, and 0 or a magnitude from 1E-130 to less than
 * 1E+126.  The one check of numbers, for every path a number takes.
 */
bool
dyn_number_check(const char *s, int len, const char **what)
{
	DynNumber	num;
	int			digits = 0;

	if (!dyn_number_parse(s, len, &num))
	{
		*what = "a number that is not in DynamoDB's syntax";
		return false;
	}
	if (num.zero)
		return true;
	for (const char *p = num.first; p <= num.last; p++)
		digits += (*p != '.');
	if (digits > 38)
	{
		*what = "a number of more than 38 significant digits";
		return false;
	}
	if (num.exponent > 125 || num.exponent < -130)
	{
		*what = "a number out of DynamoDB's range";
		return false;
	}
	return true;
}

/*
 * A checked number in one form for all ways of writing it: "1.50", "1.5"
 * and "15E-1" all come out as "15E0".
 */
void
dyn_number_canonical(const char *s, int len, StringInfo out)
{
	DynNumber	num;

	if (!dyn_number_parse(s, len, &num) || num.zero)
	{
		appendStringInfoChar(out, '0');
		return;
	}
	if (num.negative)
		appendStringInfoChar(out, '-');
	for (const char *p = num.first; p <= num.last; p++)
		if (*p != '.')
			appendStringInfoChar(out, *p);
	appendStringInfo(out, "E%ld", num.exponent);
}

/* Whether s is base64 text ("\/" for '/' allowed, as JSON permits). */
bool
dyn_base64_check(const char *s, int len)
{
	int			n = 0;
	int			pad = 0;

	for (const char *p = s; p < s + len; p++, n++)
	{
		char		c = *p;

		if (c == '\\')
		{
			if (p + 1 >= s + len || p[1] != '/')
				return false;
			c = '/';
			p++;
		}
		if (c == '=')
			pad++;
		else if (pad > 0 || !(isalnum((unsigned char) c) || c == '+' || c == '/'))
			return false;
	}
	return pad <= 2 && n % 4 == 0;
}

/* ---- values ---- */

static bool dyn_check_value(DynText *t, DynCheck *chk, int depth);
static bool dyn_check_map(DynText *t, DynCheck *chk, int depth);
static bool dyn_check_map_value(DynText *t, DynCheck *chk, int depth);

/* Past a number in JSON's syntax. */
static bool
dyn_check_json_number(DynText *t, DynCheck *chk)
{
	const char *start = t->p;
	DynNumber	num;

	while (t->p < t->end && strchr("+-.eE0123456789", *t->p) != NULL)
		t->p++;
	if (t->p >= t->end)
		return dyn_check_cut(t);	/* more digits may follow */
	if (!dyn_number_parse(start, (int) (t->p - start), &num))
		return dyn_check_fail(chk, start, "a number that is not in JSON's syntax");
	return true;
}

/*
 * Past the elements of an array, each checked by check (NULL: any value),
 * or each a string checked by scalar (S, N or B) when check is NULL and
 * scalar is not 0.
 */
static bool
dyn_check_array(DynText *t, DynCheck *chk, int depth,
				bool (*check) (DynText *, DynCheck *, int), char scalar)
{
	if (!dyn_check_char(t, chk, '[', "an array was expected"))
		return false;
	dyn_text_ws(t);
	if (t->p < t->end && *t->p == ']')
	{
		t->p++;
		return true;
	}
	for (;;)
	{
		if (scalar)
		{
			const char *s;
			int			len;
			bool		escaped;
			const char *what = NULL;
			const char *at;

			dyn_text_ws(t);
			at = t->p;
			if (!dyn_check_string(t, chk, true, &s, &len, &escaped))
				return false;
			if (scalar == 'N' && (escaped || !dyn_number_check(s, len, &what)))
				return dyn_check_fail(chk, at, what ? what : "a number that is not in DynamoDB's syntax");
			if (scalar == 'B' && !dyn_base64_check(s, len))
				return dyn_check_fail(chk, at, "binary data that is not base64");
		}
		else if (!(check ? check(t, chk, depth) : dyn_check_value(t, chk, depth)))
			return false;
		dyn_text_ws(t);
		if (t->p >= t->end)
			return dyn_check_cut(t);
		if (*t->p == ']')
		{
			t->p++;
			return true;
		}
		if (!dyn_check_char(t, chk, ',', "',' or ']' was expected"))
			return false;
	}
}

/* Past an object: names checked and never twice, values checked by check. */
static bool
dyn_check_object(DynText *t, DynCheck *chk, int depth,
				 bool (*check) (DynText *, DynCheck *, int))
{
	int			base = chk->nnames;

	if (!dyn_check_char(t, chk, '{', "an object was expected"))
		return false;
	dyn_text_ws(t);
	if (t->p < t->end && *t->p == '}')
	{
		t->p++;
		return true;
	}
	for (;;)
	{
		const char *name;
		int			len;

		if (!dyn_check_name(t, chk, &name, &len) ||
			!dyn_check_char(t, chk, ':', "':' was expected") ||
			!check(t, chk, depth))
			return false;
		dyn_text_ws(t);
		if (t->p >= t->end)
			return dyn_check_cut(t);
		if (*t->p == '}')
		{
			t->p++;
			return dyn_check_unique(chk, base);
		}
		if (!dyn_check_char(t, chk, ',', "',' or '}' was expected"))
			return false;
	}
}

/* Past any JSON value, checked. */
static bool
dyn_check_value(DynText *t, DynCheck *chk, int depth)
{
	dyn_text_ws(t);
	if (t->p >= t->end)
		return dyn_check_cut(t);
	if (depth >= DYN_JSON_MAX_DEPTH)
		return dyn_check_fail(chk, t->p, "values nested too deeply");
	switch (*t->p)
	{
		case '{':
			return dyn_check_object(t, chk, depth + 1, dyn_check_value);
		case '[':
			return dyn_check_array(t, chk, depth + 1, NULL, 0);
		case '"':
			return dyn_check_string(t, chk, true, NULL, NULL, NULL);
		case 't':
			return dyn_check_literal(t, chk, "true", "a value was expected");
		case 'f':
			return dyn_check_literal(t, chk, "false", "a value was expected");
		case 'n':
			return dyn_check_literal(t, chk, "null", "a value was expected");
		default:
			if (*t->p == '-' || isdigit((unsigned char) *t->p))
				return dyn_check_json_number(t, chk);
			return dyn_check_fail(chk, t->p, "a value was expected");
	}
}

/* The payload of an attribute value of the given type. */
static bool
dyn_check_payload(DynText *t, DynCheck *chk, int depth, const char *type, int typelen)
{
#define DYN_TYPE_IS(name) (typelen == (int) strlen(name) && memcmp(type, name, typelen) == 0)
	const char *s;
	int			len;
	bool		escaped;
	const char *what = NULL;
	const char *at;

	dyn_text_ws(t);
	at = t->p;
	if (DYN_TYPE_IS("S"))
		return dyn_check_string(t, chk, true, NULL, NULL, NULL);
	if (DYN_TYPE_IS("N") || DYN_TYPE_IS("B"))
	{
		if (!dyn_check_string(t, chk, true, &s, &len, &escaped))
			return false;
		if (type[0] == 'N' && (escaped || !dyn_number_check(s, len, &what)))
			return dyn_check_fail(chk, at, what ? what : "a number that is not in DynamoDB's syntax");
		if (type[0] == 'B' && !dyn_base64_check(s, len))
			return dyn_check_fail(chk, at, "binary data that is not base64");
		return true;
	}
	if (DYN_TYPE_IS("BOOL"))
		return (t->p < t->end && *t->p == 't') ?
			dyn_check_literal(t, chk, "true", "a BOOL value that is not true or false") :
			dyn_check_literal(t, chk, "false", "a BOOL value that is not true or false");
	if (DYN_TYPE_IS("NULL"))
		return dyn_check_literal(t, chk, "true", "a NULL value that is not true");
	if (DYN_TYPE_IS("M"))
		return dyn_check_map(t, chk, depth + 1);
	if (DYN_TYPE_IS("L"))
		return dyn_check_array(t, chk, depth + 1, dyn_check_map_value, 0);
	if (DYN_TYPE_IS("SS") || DYN_TYPE_IS("NS") || DYN_TYPE_IS("BS"))
		return dyn_check_array(t, chk, depth + 1, NULL, type[0]);
	return dyn_check_fail(chk, type, "an unknown attribute type");
#undef DYN_TYPE_IS
}

/* Past an AttributeValue: {"TYPE": payload}, of exactly one type. */
static bool
dyn_check_map_value(DynText *t, DynCheck *chk, int depth)
{
	const char *type;
	int			typelen;
	bool		escaped;

	if (depth > DYN_MAX_NESTING)
	{
		dyn_text_ws(t);
		return dyn_check_fail(chk, t->p, "attribute values nested too deeply");
	}
	dyn_text_ws(t);
	if (dyn_text_type_prefix(t, &type, &typelen))
		;						/* {"S": and the like, as DynamoDB writes them */
	else if (!dyn_check_char(t, chk, '{', "an attribute value was expected") ||
			 !dyn_check_string(t, chk, false, &type, &typelen, &escaped) ||
			 !dyn_check_char(t, chk, ':', "':' was expected"))
		return false;
	else if (escaped)
		return dyn_check_fail(chk, type, "an unknown attribute type");
	if (!dyn_check_payload(t, chk, depth, type, typelen))
		return false;
	dyn_text_ws(t);
	if (t->p >= t->end)
		return dyn_check_cut(t);
	if (*t->p == ',')
		return dyn_check_fail(chk, t->p, "an attribute value of more than one type");
	return dyn_check_char(t, chk, '}', "'}' was expected");
}

/* Past a map of attribute values (an item, a key, an M). */
static bool
dyn_check_map(DynText *t, DynCheck *chk, int depth)
{
	return dyn_check_object(t, chk, depth, dyn_check_map_value);
}

/*
 * Past any JSON value, checked.  False with chk->what set where it is not
 * valid, with chk->what NULL where the text ends first.
 */
bool
dyn_text_check_value(DynText *t, DynCheck *chk)
{
	return dyn_check_value(t, chk, 0);
}

/* Past an item or key in DynamoDB's JSON, checked. */
bool
dyn_text_check_item(DynText *t, DynCheck *chk)
{
	return dyn_check_map(t, chk, 0);
}
