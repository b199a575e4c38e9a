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

#include "dynomite_fdw.h"

void
dyn_text_ws(DynText *t)
{
	while (t->p < t->end &&
		   (*t->p == ' ' || *t->p == '\n' || *t->p == '\r' || *t->p == '\t'))
		t->p++;
}

/* Past the character c, after any white space. */
bool
dyn_text_char(DynText *t, char c)
{
	dyn_text_ws(t);
	if (t->p >= t->end || *t->p != c)
		return false;
	t->p++;
	return true;
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
	while (t->p < t->end && *t->p != '"')
	{
		if (*t->p == '\\')
		{
			if (!escapes)
				return false;
			t->p++;
		}
		t->p++;
	}
	if (t->p >= t->end)
		return false;
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
