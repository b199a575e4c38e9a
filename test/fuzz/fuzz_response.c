/*
 * fuzz_response.c
 *		The response parser (src/dynamo_api.c): a Scan response read whole,
 *		and fed in pieces to the prefix index as libcurl would; then every
 *		item it located parsed, and looked at for undeclared attributes;
 *		an error body; a table description; a ListTables page.  An ERROR is
 *		a fine answer to a bad response; a crash, a sanitizer's report or a
 *		leak is not.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"

#include "dynomite_fdw.h"
#include "pgshim.h"

static void
read_page(const char *data, size_t size)
{
	DynExpect	e = {DYN_OP_SCAN, "t", 1, {"id"}, {'S'}};
	DynKeyTrail trail;
	DynItemIndex ix;
	DynPage		page;
	DynPage		again;
	List	   *names = lappend(NIL, "id");
	size_t		step = size > 0 ? (unsigned char) data[0] % 64 + 1 : 1;
	char	   *copy = palloc(size + 1);

	/* the index sees the text grow as it arrives, in its own buffer */
	memcpy(copy, data, size);
	copy[size] = '\0';
	dyn_item_index_reset(&ix, CurrentMemoryContext);
	for (size_t n = step; n < size + step; n += step)
		dyn_item_index_feed(&ix, copy, (int) Min(n, size));

	dyn_key_trail_start(&trail, CurrentMemoryContext, NULL);
	dyn_parse_page(copy, size, &page, &e, &trail, CurrentMemoryContext, &ix);
	for (int i = 0; i < page.nitems; i++)
	{
		StringInfoData plain;
		DynText		t;
		DynCheck	chk;

		(void) dyn_item_other_attributes(page.body + page.item_off[i], page.item_len[i], names);
		/* an item as plain JSON (a jsonb column's text) is one valid object */
		initStringInfo(&plain);
		dyn_append_item_json(&plain, dyn_page_item(&page, i), NULL, 0);
		t.start = t.p = plain.data;
		t.end = plain.data + plain.len;
		dyn_check_init(&chk, CurrentMemoryContext);
		if (!dyn_text_check_value(&t, &chk) || t.p != t.end || plain.data[0] != '{')
			abort();
		dyn_check_done(&chk);
	}
	/* the same page again: its key is one this read already ended with */
	if (page.last_key)
		dyn_parse_page(copy, size, &again, &e, &trail, CurrentMemoryContext, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	const char *data = (const char *) bytes;
	volatile bool failed = false;
	DynError	err;
	char	   *last;
	DynKeyTrail trail;

	SHIM_TRY(read_page(data, size), &failed);
	SHIM_TRY(dyn_parse_error(data, size, &err), &failed);
	SHIM_TRY((void) dyn_parse_table_description(data, size), &failed);
	SHIM_TRY(
		{
			dyn_key_trail_start(&trail, CurrentMemoryContext, NULL);
			(void) dyn_parse_table_names(data, size, &last, &trail);
		}, &failed);
	shim_reset();
	return 0;
}
