/*
 * fuzz_token.c
 *		The token decoder (src/token.c): any text as a next_token, signed
 *		and unsigned, as a start_at key and as a filter.  A token that
 *		decodes is encoded again and must decode to the same key.
 */
#include "postgres.h"

#include <json-c/json.h>

#include "dynomite_fdw.h"
#include "pgshim.h"

static DynTokenScope scopes[2] = {
	{"Posts", NULL, "0123456789abcdef", NULL, 1, {"id"}, {'S'}},
	{"Scores", "by_score", "0123456789abcdef", "a secret", 3,
	 {"user", "game", "score"}, {'S', 'S', 'N'}}
};

static void
round_trip(const DynTokenScope *scope, const char *text)
{
	DynJson    *key = dyn_token_decode(scope, text, CurrentMemoryContext);
	char	   *again = dyn_token_encode(scope, key);
	DynJson    *key2 = dyn_token_decode(scope, again, CurrentMemoryContext);

	if (strcmp(dyn_json_text(key), dyn_json_text(key2)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	volatile bool failed = false;
	char	   *text = malloc(size + 1);

	memcpy(text, bytes, size);
	text[size] = '\0';
	for (int i = 0; i < 2; i++)
	{
		SHIM_TRY(round_trip(&scopes[i], text), &failed);
		SHIM_TRY((void) dyn_start_at_key(text, &scopes[i], CurrentMemoryContext), &failed);
	}
	SHIM_TRY((void) dyn_parse_filter(text), &failed);
	shim_reset();
	free(text);
	return 0;
}
