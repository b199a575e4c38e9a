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

#include "dynomite_fdw.h"

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

/*
 * ProjectionExpression and its ExpressionAttributeNames: every name travels
 * as a placeholder, so reserved words and odd characters are safe.
 */
static void
dyn_add_projection(struct json_object *req, List *attributes)
{
	struct json_object *names;
	StringInfoData expr;
	ListCell   *lc;
	int			n = 0;

	if (attributes == NIL)
		return;
	names = json_object_new_object();
	initStringInfo(&expr);
	foreach(lc, attributes)
	{
		const char *attname = (const char *) lfirst(lc);
		char		placeholder[16];
		bool		seen = false;
		ListCell   *prev;

		foreach(prev, attributes)
		{
			if (prev == lc)
				break;
			if (strcmp((const char *) lfirst(prev), attname) == 0)
				seen = true;
		}
		if (seen)
			continue;
		snprintf(placeholder, sizeof(placeholder), "#p%d", n++);
		appendStringInfo(&expr, "%s%s", expr.len ? ", " : "", placeholder);
		json_object_object_add(names, placeholder, json_object_new_string(attname));
	}
	json_object_object_add(req, "ProjectionExpression",
						   json_object_new_string(expr.data));
	json_object_object_add(req, "ExpressionAttributeNames", names);
	pfree(expr.data);
}

char *
dyn_build_scan_request(const DynScanRequest *sr, DynJson *start_key, bool pretty)
{
	struct json_object *req = json_object_new_object();

	json_object_object_add(req, "TableName", json_object_new_string(sr->table));
	if (sr->count_only)
		json_object_object_add(req, "Select", json_object_new_string("COUNT"));
	else
		dyn_add_projection(req, sr->attributes);
	if (sr->limit > 0)
		json_object_object_add(req, "Limit", json_object_new_int(sr->limit));
	if (sr->consistent_read)
		json_object_object_add(req, "ConsistentRead", json_object_new_boolean(1));
	if (start_key)
		json_object_object_add(req, "ExclusiveStartKey", json_object_get(start_key));
	return dyn_json_finish(req, pretty);
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

static int
dyn_get_int(struct json_object *root, const char *key)
{
	struct json_object *val;

	if (!json_object_object_get_ex(root, key, &val))
		return 0;
	if (!json_object_is_type(val, json_type_int))
		dyn_bad_response(psprintf("\"%s\" is not an integer.", key));
	return json_object_get_int(val);
}

/*
 * Parse a Scan or Query response.  The parsed tree is malloc'd by json-c;
 * it is released when the owner context is reset or deleted, so an error
 * anywhere in the page loop frees it too.
 */
void
dyn_parse_page(const char *body, size_t len, DynPage *page, MemoryContext owner)
{
	struct json_tokener *tok;
	struct json_object *root;
	struct json_object *val;
	enum json_tokener_error jerr;
	MemoryContextCallback *cb;

	memset(page, 0, sizeof(DynPage));

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

	cb = MemoryContextAlloc(owner, sizeof(MemoryContextCallback));
	cb->func = dyn_release_json;
	cb->arg = root;
	MemoryContextRegisterResetCallback(owner, cb);

	if (!json_object_is_type(root, json_type_object))
		dyn_bad_response("The response is not a JSON object.");
	page->root = root;

	if (json_object_object_get_ex(root, "Items", &val))
	{
		if (!json_object_is_type(val, json_type_array))
			dyn_bad_response("\"Items\" is not an array.");
		page->items = val;
		page->nitems = (int) json_object_array_length(val);
	}
	page->count = dyn_get_int(root, "Count");
	page->scanned_count = dyn_get_int(root, "ScannedCount");
	if (json_object_object_get_ex(root, "LastEvaluatedKey", &val) &&
		!json_object_is_type(val, json_type_null))
	{
		if (!json_object_is_type(val, json_type_object))
			dyn_bad_response("\"LastEvaluatedKey\" is not an object.");
		page->last_key = val;
	}
}

DynJson *
dyn_page_item(const DynPage *page, int index)
{
	struct json_object *item = json_object_array_get_idx(page->items, index);

	if (item == NULL || !json_object_is_type(item, json_type_object))
		dyn_bad_response(psprintf("Item %d of the page is not an object.", index + 1));
	return item;
}
