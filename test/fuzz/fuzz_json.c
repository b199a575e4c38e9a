/*
 * fuzz_json.c
 *		The JSON scanner (src/jsontext.c): the strict checks of response
 *		text, the lenient scanner the row reader uses, unescaping, and the
 *		one check of numbers.  Besides not crashing, what the strict check
 *		accepts json-c must parse to the same shape: the checks exist so
 *		that json-c and the row reader read the same thing.
 */
#include "postgres.h"

#include <json-c/json.h>

#include "dynomite_fdw.h"
#include "pgshim.h"

static void
check_text(const char *data, size_t size)
{
	DynText		t = {data, data, data + size};
	DynCheck	chk;
	bool		valid;

	dyn_check_init(&chk, CurrentMemoryContext);
	valid = dyn_text_check_value(&t, &chk);
	dyn_check_done(&chk);
	/* a failure says where, within the text, or that the text ran out */
	if (!valid && chk.what != NULL && (chk.at < data || chk.at > data + size))
		abort();
	if (valid)
	{
		struct json_tokener *tok = json_tokener_new_ex(DYN_JSON_MAX_DEPTH);
		struct json_object *obj;
		enum json_tokener_error jerr;

		dyn_text_ws(&t);
		obj = json_tokener_parse_ex(tok, data, (int) (t.p - data));
		jerr = json_tokener_get_error(tok);
		/* json-c may want to see what follows a bare number: give it */
		if (obj == NULL && jerr == json_tokener_continue)
		{
			obj = json_tokener_parse_ex(tok, " ", 1);
			jerr = json_tokener_get_error(tok);
		}
		if (jerr != json_tokener_success)
			abort();			/* checked text that json-c refuses */
		if (obj)
			json_object_put(obj);
		json_tokener_free(tok);
	}

	t.p = data;
	dyn_check_init(&chk, CurrentMemoryContext);
	if (dyn_text_check_item(&t, &chk))
	{
		DynText		u = {data, data, t.p};

		/* a checked item is one the lenient scanner walks too */
		if (!dyn_text_skip(&u) || u.p != t.p)
			abort();
	}
	dyn_check_done(&chk);
}

int
LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	const char *data = (const char *) bytes;
	volatile bool failed = false;
	DynText		t = {data, data, data + size};
	const char *what;
	StringInfoData out;

	SHIM_TRY(check_text(data, size), &failed);
	if (failed)
		abort();				/* the checks raise no error */

	SHIM_TRY(
		{
			(void) dyn_text_skip(&t);
			t.p = data;
			(void) dyn_text_string(&t, NULL, NULL, true);
			initStringInfo(&out);
			(void) dyn_text_unescape(data, (int) size, &out);
			if (dyn_number_check(data, (int) size, &what))
			{
				initStringInfo(&out);
				dyn_number_canonical(data, (int) size, &out);
			}
			(void) dyn_base64_check(data, (int) size);
		}, &failed);
	shim_reset();
	return 0;
}
