/*-------------------------------------------------------------------------
 * dynamo_api.c
 *		The DynamoDB API as JSON: request bodies are built here and only
 *		here, responses and error bodies are parsed here, and AWS errors are
 *		turned into PostgreSQL errors with fitting SQLSTATEs.
 *
 * This file uses json-c and must not include utils/builtins.h.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <json-c/json.h>

#include "miscadmin.h"
#include "utils/memutils.h"

#include <limits.h>

#include "dynomite_fdw.h"

pg_noreturn static void dyn_bad_response(const char *what);

/* ---------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------
 */

/*
 * Read "__type" and "message" of an error body.  A body that is not
 * DynamoDB's JSON (an HTML page from a proxy, say) still gives a type.
 */
void
dyn_parse_error(const char *body, size_t len, DynError *err)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root = NULL;
	struct json_object *val;

	err->type = NULL;
	err->message = NULL;

	if (tok && len > 0)
		root = json_tokener_parse_ex(tok, body, (int) len);
	if (tok)
		json_tokener_free(tok);

	if (root && json_object_is_type(root, json_type_object))
	{
		if (json_object_object_get_ex(root, "__type", &val) &&
			json_object_is_type(val, json_type_string))
		{
			const char *type = json_object_get_string(val);
			const char *hash = strrchr(type, '#');

			err->type = pstrdup(hash ? hash + 1 : type);
		}
		if ((json_object_object_get_ex(root, "message", &val) ||
			 json_object_object_get_ex(root, "Message", &val)) &&
			json_object_is_type(val, json_type_string))
			err->message = pstrdup(json_object_get_string(val));
	}
	if (root)
		json_object_put(root);

	if (err->type == NULL)
		err->type = pstrdup("UnknownError");
}

static bool
dyn_type_is(const DynError *err, const char *type)
{
	return strcmp(err->type, type) == 0;
}

bool
dyn_error_is_retryable(long status, const DynError *err)
{
	if (status >= 500)
		return true;
	return dyn_type_is(err, "ProvisionedThroughputExceededException") ||
		dyn_type_is(err, "ThrottlingException") ||
		dyn_type_is(err, "RequestLimitExceeded") ||
		dyn_type_is(err, "InternalServerError") ||
		dyn_type_is(err, "ServiceUnavailable") ||
		dyn_type_is(err, "LimitExceededException");
}

static int
dyn_error_context_table(const DynOptions *opts, const char *operation)
{
	if (opts->table)
		return errcontext("DynamoDB %s request on table \"%s\"", operation, opts->table);
	return errcontext("DynamoDB %s request", operation);
}

void
dyn_report_error(const char *operation, const DynOptions *opts, long status,
				 const DynError *err)
{
	int			sqlstate;
	const char *msg;
	const char *hint = NULL;

	/* a cancel that raced with the failure is reported as a cancel */
	CHECK_FOR_INTERRUPTS();

	if (dyn_type_is(err, "ResourceNotFoundException"))
	{
		sqlstate = ERRCODE_FDW_TABLE_NOT_FOUND;
		msg = "DynamoDB table or index not found";
		hint = "Check the foreign table's \"table\" option and the server's region and endpoint.";
	}
	else if (dyn_type_is(err, "UnrecognizedClientException") ||
			 dyn_type_is(err, "InvalidSignatureException") ||
			 dyn_type_is(err, "IncompleteSignatureException") ||
			 dyn_type_is(err, "MissingAuthenticationTokenException") ||
			 dyn_type_is(err, "InvalidClientTokenId") ||
			 dyn_type_is(err, "ExpiredTokenException"))
	{
		sqlstate = ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
		msg = "DynamoDB rejected the request's credentials";
		hint = "Check access_key_id, secret_access_key and session_token in the user mapping, and the server's region.";
	}
	else if (dyn_type_is(err, "AccessDeniedException"))
	{
		sqlstate = ERRCODE_INSUFFICIENT_PRIVILEGE;
		msg = "DynamoDB denied access";
	}
	else if (dyn_error_is_retryable(status, err) && status < 500)
	{
		sqlstate = ERRCODE_INSUFFICIENT_RESOURCES;
		msg = "DynamoDB throttled the request";
		hint = "Raise the server's max_retries option or the table's capacity.";
	}
	else if (dyn_type_is(err, "ValidationException") ||
			 dyn_type_is(err, "SerializationException"))
	{
		sqlstate = ERRCODE_FDW_ERROR;
		msg = "DynamoDB rejected the request";
	}
	else
	{
		sqlstate = ERRCODE_FDW_ERROR;
		msg = "DynamoDB request failed";
	}

	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("%s", msg),
			 err->message ?
			 errdetail("%s (HTTP %ld): %s", err->type, status, err->message) :
			 errdetail("%s (HTTP %ld).", err->type, status),
			 hint ? errhint("%s", hint) : 0,
			 dyn_error_context_table(opts, operation)));
	pg_unreachable();
}

/* ---------------------------------------------------------------------
 * Requests
 * ---------------------------------------------------------------------
 */

/* Turn a json-c object into a palloc'd string, freeing the object. */
static char *
dyn_json_finish(struct json_object *obj, bool pretty)
{
	char	   *result;

	result = pstrdup(json_object_to_json_string_ext(obj,
													(pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN) |
													JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(obj);
	return result;
}

const char *
dyn_operation_name(DynOperation op)
{
	switch (op)
	{
		case DYN_OP_SCAN:
			return "Scan";
		case DYN_OP_QUERY:
			return "Query";
		case DYN_OP_GETITEM:
			return "GetItem";
		case DYN_OP_BATCHGETITEM:
			return "BatchGetItem";
	}
	return "?";
}

static struct json_object *
dyn_json_value(const DynValue *v)
{
	struct json_object *obj = json_object_new_object();

	switch (v->type)
	{
		case 'T':
			json_object_object_add(obj, "BOOL",
								   json_object_new_boolean(strcmp(v->text, "true") == 0));
			break;
		case 'N':
			json_object_object_add(obj, "N", json_object_new_string(v->text));
			break;
		case 'B':
			json_object_object_add(obj, "B", json_object_new_string(v->text));
			break;
		default:
			json_object_object_add(obj, "S", json_object_new_string(v->text));
			break;
	}
	return obj;
}

static struct json_object *
dyn_json_key(const DynKey *key)
{
	struct json_object *obj = json_object_new_object();

	for (int i = 0; i < key->nattrs; i++)
		json_object_object_add(obj, key->names[i], dyn_json_value(key->values[i]));
	return obj;
}

/* ProjectionExpression from the "#p" names, and all names and values. */
static void
dyn_add_expressions(struct json_object *target, const DynRequest *req)
{
	struct json_object *names = NULL;
	struct json_object *values = NULL;
	StringInfoData projection;
	ListCell   *lc;

	initStringInfo(&projection);
	foreach(lc, req->names)
	{
		DynPlaceholder *ph = lfirst(lc);

		if (names == NULL)
			names = json_object_new_object();
		json_object_object_add(names, ph->placeholder, json_object_new_string(ph->name));
		if (ph->placeholder[1] == 'p')
			appendStringInfo(&projection, "%s%s", projection.len ? ", " : "",
							 ph->placeholder);
	}
	foreach(lc, req->values)
	{
		DynPlaceholder *ph = lfirst(lc);

		if (values == NULL)
			values = json_object_new_object();
		json_object_object_add(values, ph->placeholder, dyn_json_value(ph->value));
	}
	if (projection.len > 0)
		json_object_object_add(target, "ProjectionExpression",
							   json_object_new_string(projection.data));
	if (names)
		json_object_object_add(target, "ExpressionAttributeNames", names);
	if (values)
		json_object_object_add(target, "ExpressionAttributeValues", values);
	pfree(projection.data);
}

/*
 * The JSON body of a request; start_key is the ExclusiveStartKey of Scan
 * and Query.  The one place request JSON is written.
 */
char *
dyn_build_request(const DynRequest *r, DynJson *start_key, bool pretty)
{
	struct json_object *req = json_object_new_object();

	if (r->op == DYN_OP_BATCHGETITEM)
	{
		struct json_object *items = json_object_new_object();
		struct json_object *ka = json_object_new_object();
		struct json_object *keys = json_object_new_array();
		ListCell   *lc;

		foreach(lc, r->keys)
			json_object_array_add(keys, dyn_json_key(lfirst(lc)));
		json_object_object_add(ka, "Keys", keys);
		dyn_add_expressions(ka, r);
		if (r->consistent_read)
			json_object_object_add(ka, "ConsistentRead", json_object_new_boolean(1));
		json_object_object_add(items, r->table, ka);
		json_object_object_add(req, "RequestItems", items);
		if (r->capacity)
			json_object_object_add(req, "ReturnConsumedCapacity", json_object_new_string("TOTAL"));
		return dyn_json_finish(req, pretty);
	}

	json_object_object_add(req, "TableName", json_object_new_string(r->table));
	if (r->index)
		json_object_object_add(req, "IndexName", json_object_new_string(r->index));
	if (r->op == DYN_OP_GETITEM)
		json_object_object_add(req, "Key", dyn_json_key(linitial(r->keys)));
	if (r->key_condition)
		json_object_object_add(req, "KeyConditionExpression",
							   json_object_new_string(r->key_condition));
	if (r->filter)
		json_object_object_add(req, "FilterExpression", json_object_new_string(r->filter));
	if (r->count_only)
		json_object_object_add(req, "Select", json_object_new_string("COUNT"));
	dyn_add_expressions(req, r);
	if (r->limit > 0)
		json_object_object_add(req, "Limit", json_object_new_int(r->limit));
	if (r->total_segments > 1)
	{
		json_object_object_add(req, "Segment", json_object_new_int(r->segment));
		json_object_object_add(req, "TotalSegments", json_object_new_int(r->total_segments));
	}
	if (r->op == DYN_OP_QUERY && !r->forward)
		json_object_object_add(req, "ScanIndexForward", json_object_new_boolean(0));
	if (r->consistent_read)
		json_object_object_add(req, "ConsistentRead", json_object_new_boolean(1));
	if (start_key)
		json_object_object_add(req, "ExclusiveStartKey", json_object_get(start_key));
	if (r->capacity)
		json_object_object_add(req, "ReturnConsumedCapacity", json_object_new_string("TOTAL"));
	return dyn_json_finish(req, pretty);
}

/* A BatchGetItem for the keys the last one left unprocessed. */
char *
dyn_build_unprocessed_request(DynJson *unprocessed)
{
	struct json_object *req = json_object_new_object();

	json_object_object_add(req, "RequestItems", json_object_get(unprocessed));
	json_object_object_add(req, "ReturnConsumedCapacity", json_object_new_string("TOTAL"));
	return dyn_json_finish(req, false);
}

char *
dyn_build_describe_request(const char *table)
{
	struct json_object *req = json_object_new_object();

	json_object_object_add(req, "TableName", json_object_new_string(table));
	return dyn_json_finish(req, false);
}

char *
dyn_build_list_tables_request(const char *start)
{
	struct json_object *req = json_object_new_object();

	if (start)
		json_object_object_add(req, "ExclusiveStartTableName", json_object_new_string(start));
	return dyn_json_finish(req, false);
}

/* ---------------------------------------------------------------------
 * Responses
 * ---------------------------------------------------------------------
 */

static void
dyn_release_json(void *arg)
{
	json_object_put((struct json_object *) arg);
}

static void
dyn_bad_response(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_REPLY_HANDLE),
			 errmsg("invalid response from DynamoDB"),
			 errdetail("%s", what)));
}


static struct json_object *
dyn_parse_json(const char *body, size_t len)
{
	struct json_tokener *tok;
	struct json_object *root;
	enum json_tokener_error jerr;

	tok = json_tokener_new();
	if (tok == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	root = json_tokener_parse_ex(tok, body, (int) len);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (root == NULL || jerr != json_tokener_success)
	{
		if (root)
			json_object_put(root);
		dyn_bad_response(psprintf("The response body is not complete JSON: %s.",
								  json_tokener_error_desc(jerr)));
	}
	return root;
}

/* Tie a parsed tree's life to a memory context, errors included. */
static void
dyn_own_json(struct json_object *root, MemoryContext owner)
{
	MemoryContextCallback *cb;

	cb = MemoryContextAlloc(owner, sizeof(MemoryContextCallback));
	cb->func = dyn_release_json;
	cb->arg = root;
	MemoryContextRegisterResetCallback(owner, cb);
}

static double
dyn_capacity_units(struct json_object *cc)
{
	struct json_object *val;
	double		total = 0;

	if (json_object_is_type(cc, json_type_array))
	{
		for (size_t i = 0; i < json_object_array_length(cc); i++)
			total += dyn_capacity_units(json_object_array_get_idx(cc, i));
		return total;
	}
	if (json_object_is_type(cc, json_type_object) &&
		json_object_object_get_ex(cc, "CapacityUnits", &val))
		total = json_object_get_double(val);
	return total;
}

/* ---------------------------------------------------------------------
 * A scanner over the response text: it checks the structure and finds
 * where things are, and leaves the parsing of items to when they are read.
 * ---------------------------------------------------------------------
 */
/* The scanner's steps, each an error where the response is not JSON. */
static void
dyn_expect(DynText *sc, char c)
{
	if (!dyn_text_char(sc, c))
		dyn_bad_response(psprintf("Expected '%c' at byte %d of the response.",
								  c, (int) (sc->p - sc->start)));
}

static void
dyn_skip_string(DynText *sc, const char **text, int *len)
{
	if (!dyn_text_string(sc, text, len, true))
		dyn_bad_response(psprintf("Expected a string at byte %d of the response.",
								  (int) (sc->p - sc->start)));
}

static void
dyn_skip_value(DynText *sc)
{
	if (!dyn_text_skip(sc))
		dyn_bad_response(psprintf("Expected a value at byte %d of the response.",
								  (int) (sc->p - sc->start)));
}

static bool
dyn_key_is(const char *key, int len, const char *name)
{
	return (int) strlen(name) == len && memcmp(key, name, len) == 0;
}

/* A small part of the response, parsed with json-c and owned by owner. */
static struct json_object *
dyn_parse_slice(const char *start, const char *end, MemoryContext owner)
{
	struct json_object *obj = dyn_parse_json(start, end - start);

	dyn_own_json(obj, owner);
	return obj;
}

/*
 * The elements of an array: where each starts and how long it is.  Those a
 * prefix index located as the response arrived are taken from it when it
 * stopped at this array.
 */
static void
dyn_index_items(DynText *sc, DynPage *page, DynItemIndex *prefix)
{
	int			cap = 64;

	dyn_text_ws(sc);
	if (prefix && prefix->nitems > 0 && prefix->items_at == (int) (sc->p - sc->start))
	{
		page->item_off = prefix->item_off;
		page->item_len = prefix->item_len;
		page->nitems = prefix->nitems;
		cap = prefix->cap;
		sc->p = sc->start + prefix->after_last;
	}
	else
	{
		page->item_off = palloc(sizeof(int) * cap);
		page->item_len = palloc(sizeof(int) * cap);
		dyn_expect(sc, '[');
		dyn_text_ws(sc);
		if (sc->p < sc->end && *sc->p == ']')
		{
			sc->p++;
			return;
		}
	}
	for (;;)
	{
		const char *s;

		if (page->nitems > 0)
		{
			/* after an item: another, or the end */
			dyn_text_ws(sc);
			if (sc->p < sc->end && *sc->p == ',')
				sc->p++;
			else
			{
				dyn_expect(sc, ']');
				return;
			}
		}
		dyn_text_ws(sc);
		s = sc->p;
		if (sc->p >= sc->end || *sc->p != '{')
			dyn_bad_response("An item of the response is not an object.");
		dyn_skip_value(sc);
		if (page->nitems == cap)
		{
			cap *= 2;
			page->item_off = repalloc(page->item_off, sizeof(int) * cap);
			page->item_len = repalloc(page->item_len, sizeof(int) * cap);
		}
		page->item_off[page->nitems] = (int) (s - sc->start);
		page->item_len[page->nitems++] = (int) (sc->p - s);
	}
}

/*
 * The prefix index: Scan and Query responses are indexed while they arrive,
 * so that a page is ready, and the next request can go out, the moment its
 * last bytes are in.  It walks the top-level members that are small (the
 * counts, LastEvaluatedKey, ConsumedCapacity) and the elements of Items;
 * it stops at anything else, and whatever it did not do, dyn_parse_page
 * does.  It runs inside libcurl's write callback, so it raises no error: on
 * text that is not what it expects, or on running out of memory, it stops
 * and leaves the rest to dyn_parse_page, which reports the problem.
 */
enum
{
	DYN_IX_OPEN,				/* before the response's '{' */
	DYN_IX_KEY,					/* before a member */
	DYN_IX_NEXT,				/* after a member: ',' or '}' */
	DYN_IX_FIRST,				/* after the '[' of Items */
	DYN_IX_ITEM,				/* before an element of Items */
	DYN_IX_AFTER,				/* after an element: ',' or ']' */
	DYN_IX_STOP					/* done, or left to dyn_parse_page */
};

void
dyn_item_index_reset(DynItemIndex *ix, MemoryContext cxt)
{
	memset(ix, 0, sizeof(DynItemIndex));
	ix->cxt = cxt;
	ix->stage = DYN_IX_OPEN;
	ix->items_at = -1;
}

/* Room for one more item; false (and the index stopped) if there is none. */
static bool
dyn_item_index_grow(DynItemIndex *ix)
{
	int			cap = ix->cap ? ix->cap * 2 : 256;
	int		   *off;
	int		   *len;

	if (ix->nitems < ix->cap)
		return true;
	off = MemoryContextAllocExtended(ix->cxt, sizeof(int) * cap, MCXT_ALLOC_NO_OOM);
	len = MemoryContextAllocExtended(ix->cxt, sizeof(int) * cap, MCXT_ALLOC_NO_OOM);
	if (off == NULL || len == NULL)
	{
		ix->stage = DYN_IX_STOP;
		ix->nitems = 0;
		return false;
	}
	if (ix->nitems > 0)
	{
		memcpy(off, ix->item_off, sizeof(int) * ix->nitems);
		memcpy(len, ix->item_len, sizeof(int) * ix->nitems);
		pfree(ix->item_off);
		pfree(ix->item_len);
	}
	ix->item_off = off;
	ix->item_len = len;
	ix->cap = cap;
	return true;
}

/*
 * Go on with the first len bytes of the response, which starts at body.  A
 * step cut short by the end of what has come is taken again from its start
 * the next time.
 */
void
dyn_item_index_feed(DynItemIndex *ix, const char *body, int len)
{
	DynText		t = {body, body + ix->pos, body + len};

	while (ix->stage != DYN_IX_STOP)
	{
		int			next = DYN_IX_STOP;
		bool		ok = false;
		const char *item;
		const char *key;
		int			keylen;

		switch (ix->stage)
		{
			case DYN_IX_OPEN:
				ok = dyn_text_char(&t, '{');
				next = DYN_IX_KEY;
				break;

			case DYN_IX_NEXT:
			case DYN_IX_AFTER:
				dyn_text_ws(&t);
				if (t.p >= t.end)
					break;
				ok = true;
				if (*t.p == ',')
					next = ix->stage == DYN_IX_NEXT ? DYN_IX_KEY : DYN_IX_ITEM;
				else if (*t.p != (ix->stage == DYN_IX_NEXT ? '}' : ']'))
					ok = false;
				t.p++;
				break;

			case DYN_IX_KEY:
				if (!dyn_text_string(&t, &key, &keylen, false) || !dyn_text_char(&t, ':'))
					break;
				ok = true;
				if (dyn_key_is(key, keylen, "Items"))
				{
					ok = dyn_text_char(&t, '[');
					ix->items_at = (int) (t.p - 1 - body);
					next = DYN_IX_FIRST;
				}
				else if (dyn_key_is(key, keylen, "Count") ||
						 dyn_key_is(key, keylen, "ScannedCount") ||
						 dyn_key_is(key, keylen, "LastEvaluatedKey") ||
						 dyn_key_is(key, keylen, "ConsumedCapacity"))
				{
					/* small; a number needs what follows it to be whole */
					ok = dyn_text_skip(&t) && t.p < t.end;
					next = DYN_IX_NEXT;
				}
				break;

			case DYN_IX_FIRST:
				dyn_text_ws(&t);
				ok = t.p < t.end;
				next = ok && *t.p == ']' ? DYN_IX_STOP : DYN_IX_ITEM;
				break;

			case DYN_IX_ITEM:
				dyn_text_ws(&t);
				item = t.p;
				ok = t.p < t.end && *t.p == '{' && dyn_text_skip(&t);
				if (ok)
				{
					if (!dyn_item_index_grow(ix))
						return;
					ix->item_off[ix->nitems] = (int) (item - body);
					ix->item_len[ix->nitems++] = (int) (t.p - item);
					ix->after_last = (int) (t.p - body);
				}
				next = DYN_IX_AFTER;
				break;
		}
		if (!ok && t.p >= t.end)
			return;				/* cut short: wait for more */
		if (!ok)
		{
			/* not what it expects: dyn_parse_page will say what is wrong */
			ix->stage = DYN_IX_STOP;
			ix->nitems = 0;
			return;
		}
		ix->stage = next;
		ix->pos = (int) (t.p - body);
	}
}

static void
dyn_release_tokener(void *arg)
{
	json_tokener_free((struct json_tokener *) arg);
}

/*
 * Read a Scan, Query, GetItem or BatchGetItem response.  The body must live
 * as long as the page (in owner or longer); the items are located, the
 * small parts (keys, counts) parsed; whatever json-c allocates is released
 * when owner is reset or deleted, so an error anywhere frees it too.
 */
void
dyn_parse_page(const char *body, size_t len, DynPage *page, const char *table,
			   MemoryContext owner, DynItemIndex *prefix)
{
	DynText		sc = {body, body, body + len};
	MemoryContext oldcxt = MemoryContextSwitchTo(owner);
	MemoryContextCallback *cb;

	memset(page, 0, sizeof(DynPage));
	page->body = body;
	page->tokener = json_tokener_new();
	if (page->tokener == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = dyn_release_tokener;
	cb->arg = page->tokener;
	MemoryContextRegisterResetCallback(owner, cb);

	dyn_expect(&sc, '{');
	dyn_text_ws(&sc);
	if (sc.p < sc.end && *sc.p == '}')
		sc.p++;
	else
		for (;;)
		{
			const char *key;
			int			keylen;
			const char *vstart;

			dyn_skip_string(&sc, &key, &keylen);
			dyn_expect(&sc, ':');
			dyn_text_ws(&sc);
			vstart = sc.p;
			if (dyn_key_is(key, keylen, "Items"))
			{
				dyn_index_items(&sc, page, prefix);
				page->has_items = true;
			}
			else if (dyn_key_is(key, keylen, "Item"))
			{
				dyn_skip_value(&sc);
				if (*vstart != '{')
					dyn_bad_response("\"Item\" is not an object.");
				page->item_off = palloc(sizeof(int));
				page->item_len = palloc(sizeof(int));
				page->item_off[0] = (int) (vstart - body);
				page->item_len[0] = (int) (sc.p - vstart);
				page->nitems = 1;
				page->has_items = true;
			}
			else if (dyn_key_is(key, keylen, "Responses"))
			{
				/* BatchGetItem: {"TABLE": [items]} */
				page->has_items = true;
				dyn_expect(&sc, '{');
				dyn_text_ws(&sc);
				while (sc.p < sc.end && *sc.p != '}')
				{
					const char *name;
					int			namelen;

					dyn_skip_string(&sc, &name, &namelen);
					dyn_expect(&sc, ':');
					if (dyn_key_is(name, namelen, table))
						dyn_index_items(&sc, page, NULL);
					else
						dyn_skip_value(&sc);
					dyn_text_ws(&sc);
					if (sc.p < sc.end && *sc.p == ',')
						sc.p++;
					dyn_text_ws(&sc);
				}
				dyn_expect(&sc, '}');
			}
			else
			{
				struct json_object *val;

				dyn_skip_value(&sc);
				if (dyn_key_is(key, keylen, "Count") ||
					dyn_key_is(key, keylen, "ScannedCount"))
				{
					char	   *end;
					long		n = strtol(vstart, &end, 10);

					if (end != sc.p || n < 0 || n > INT_MAX)
						dyn_bad_response("A count of the response is not an integer.");
					if (key[0] == 'C')
						page->count = (int) n;
					else
						page->scanned_count = (int) n;
				}
				else if (dyn_key_is(key, keylen, "ConsumedCapacity"))
				{
					val = dyn_parse_slice(vstart, sc.p, owner);
					page->capacity = dyn_capacity_units(val);
				}
				else if (dyn_key_is(key, keylen, "LastEvaluatedKey") && *vstart != 'n')
				{
					val = dyn_parse_slice(vstart, sc.p, owner);
					if (!json_object_is_type(val, json_type_object))
						dyn_bad_response("\"LastEvaluatedKey\" is not an object.");
					page->last_key = val;
				}
				else if (dyn_key_is(key, keylen, "UnprocessedKeys"))
				{
					val = dyn_parse_slice(vstart, sc.p, owner);
					if (json_object_is_type(val, json_type_object) &&
						json_object_object_length(val) > 0)
						page->unprocessed = val;
				}
			}
			dyn_text_ws(&sc);
			if (sc.p < sc.end && *sc.p == ',')
			{
				sc.p++;
				continue;
			}
			dyn_expect(&sc, '}');
			break;
		}
	dyn_text_ws(&sc);
	if (sc.p != sc.end)
		dyn_bad_response("The response has text after its object.");
	MemoryContextSwitchTo(oldcxt);
}

static struct json_object *
dyn_parse_item(DynPage *page, int index)
{
	struct json_tokener *tok = (struct json_tokener *) page->tokener;
	struct json_object *item;

	if (index < 0 || index >= page->nitems)
		elog(ERROR, "item %d of a page of %d", index, page->nitems);
	json_tokener_reset(tok);
	item = json_tokener_parse_ex(tok, page->body + page->item_off[index],
								 page->item_len[index]);
	if (item == NULL || json_tokener_get_error(tok) != json_tokener_success ||
		!json_object_is_type(item, json_type_object))
	{
		if (item)
			json_object_put(item);
		dyn_bad_response(psprintf("Item %d of the page is not a JSON object.", index + 1));
	}
	return item;
}

static void
dyn_release_page_item(void *arg)
{
	DynPage    *page = (DynPage *) arg;

	if (page->item)
		json_object_put(page->item);
	page->item = NULL;
}

/*
 * Item index of the page, parsed; it lives until the next call for the
 * same page, or until the page goes.
 */
DynJson *
dyn_page_item(DynPage *page, int index)
{
	if (page->item)
	{
		json_object_put(page->item);
		page->item = NULL;
	}
	else
	{
		/* the first item read: let the page's context free the last one */
		MemoryContext owner = GetMemoryChunkContext(page->item_off);
		MemoryContextCallback *cb = MemoryContextAlloc(owner, sizeof(MemoryContextCallback));

		cb->func = dyn_release_page_item;
		cb->arg = page;
		MemoryContextRegisterResetCallback(owner, cb);
	}
	page->item = dyn_parse_item(page, index);
	return page->item;
}

/* Item index of the page, parsed and kept as long as owner. */
DynJson *
dyn_page_item_kept(DynPage *page, int index, MemoryContext owner)
{
	struct json_object *item = dyn_parse_item(page, index);

	dyn_own_json(item, owner);
	return item;
}

/* ---------------------------------------------------------------------
 * DescribeTable and ListTables
 * ---------------------------------------------------------------------
 */
static char *
dyn_get_string(struct json_object *obj, const char *key)
{
	struct json_object *val;

	if (!json_object_object_get_ex(obj, key, &val) ||
		!json_object_is_type(val, json_type_string))
		return NULL;
	return pstrdup(json_object_get_string(val));
}

static char
dyn_attribute_def_type(struct json_object *defs, const char *name)
{
	for (size_t i = 0; defs && i < json_object_array_length(defs); i++)
	{
		struct json_object *def = json_object_array_get_idx(defs, i);
		char	   *n = dyn_get_string(def, "AttributeName");
		char	   *t = dyn_get_string(def, "AttributeType");

		if (n && t && strcmp(n, name) == 0)
			return t[0];
	}
	dyn_bad_response(psprintf("Key attribute \"%s\" has no definition.", name));
	return 0;
}

static void
dyn_parse_key_schema(struct json_object *obj, struct json_object *defs, DynKeySchema *key)
{
	struct json_object *schema;

	memset(key, 0, sizeof(DynKeySchema));
	if (!json_object_object_get_ex(obj, "KeySchema", &schema) ||
		!json_object_is_type(schema, json_type_array))
		dyn_bad_response("A key schema is missing.");
	for (size_t i = 0; i < json_object_array_length(schema); i++)
	{
		struct json_object *elem = json_object_array_get_idx(schema, i);
		char	   *name = dyn_get_string(elem, "AttributeName");
		char	   *type = dyn_get_string(elem, "KeyType");

		if (name == NULL || type == NULL)
			dyn_bad_response("A key schema element is incomplete.");
		if (strcmp(type, "HASH") == 0)
		{
			key->hash = name;
			key->hash_type = dyn_attribute_def_type(defs, name);
		}
		else
		{
			key->range = name;
			key->range_type = dyn_attribute_def_type(defs, name);
		}
	}
	if (key->hash == NULL)
		dyn_bad_response("A key schema has no partition key.");
}

static void
dyn_parse_indexes(struct json_object *table, struct json_object *defs, const char *field,
				  bool global, DynTableInfo *info)
{
	struct json_object *list;

	if (!json_object_object_get_ex(table, field, &list) ||
		!json_object_is_type(list, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(list); i++)
	{
		struct json_object *elem = json_object_array_get_idx(list, i);
		struct json_object *proj;
		DynIndex   *index = palloc0(sizeof(DynIndex));
		char	   *ptype = NULL;

		index->name = dyn_get_string(elem, "IndexName");
		index->global = global;
		dyn_parse_key_schema(elem, defs, &index->key);
		index->projection = DYN_PROJECT_KEYS_ONLY;
		if (json_object_object_get_ex(elem, "Projection", &proj))
		{
			struct json_object *nonkey;

			ptype = dyn_get_string(proj, "ProjectionType");
			if (ptype && strcmp(ptype, "ALL") == 0)
				index->projection = DYN_PROJECT_ALL;
			else if (ptype && strcmp(ptype, "INCLUDE") == 0)
				index->projection = DYN_PROJECT_INCLUDE;
			if (json_object_object_get_ex(proj, "NonKeyAttributes", &nonkey) &&
				json_object_is_type(nonkey, json_type_array))
				for (size_t j = 0; j < json_object_array_length(nonkey); j++)
					index->nonkey = lappend(index->nonkey,
											pstrdup(json_object_get_string(json_object_array_get_idx(nonkey, j))));
		}
		if (index->name)
			info->indexes = lappend(info->indexes, index);
	}
}

DynTableInfo *
dyn_parse_table_description(const char *body, size_t len)
{
	struct json_object *root = dyn_parse_json(body, len);
	DynTableInfo *info = palloc0(sizeof(DynTableInfo));

	PG_TRY();
	{
		struct json_object *table;
		struct json_object *defs = NULL;
		struct json_object *val;

		if (!json_object_object_get_ex(root, "Table", &table) ||
			!json_object_is_type(table, json_type_object))
			dyn_bad_response("DescribeTable answered without \"Table\".");
		json_object_object_get_ex(table, "AttributeDefinitions", &defs);
		info->table = dyn_get_string(table, "TableName");
		dyn_parse_key_schema(table, defs, &info->key);
		dyn_parse_indexes(table, defs, "LocalSecondaryIndexes", false, info);
		dyn_parse_indexes(table, defs, "GlobalSecondaryIndexes", true, info);
		if (json_object_object_get_ex(table, "ItemCount", &val))
			info->item_count = json_object_get_double(val);
		if (json_object_object_get_ex(table, "TableSizeBytes", &val))
			info->size_bytes = json_object_get_double(val);
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();
	return info;
}

/* The table names of one ListTables page; *last: where the next starts. */
List *
dyn_parse_table_names(const char *body, size_t len, char **last)
{
	struct json_object *root = dyn_parse_json(body, len);
	List	   *names = NIL;

	PG_TRY();
	{
		struct json_object *list;

		*last = dyn_get_string(root, "LastEvaluatedTableName");
		if (json_object_object_get_ex(root, "TableNames", &list) &&
			json_object_is_type(list, json_type_array))
			for (size_t i = 0; i < json_object_array_length(list); i++)
				names = lappend(names,
								pstrdup(json_object_get_string(json_object_array_get_idx(list, i))));
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();
	return names;
}
