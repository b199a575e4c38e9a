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

#include <ctype.h>
#include <limits.h>

#include "dynomite_fdw.h"

pg_noreturn static void dyn_bad_response(const char *operation, const char *table,
										 const char *what);
pg_noreturn static void dyn_check_failed(const char *operation, const char *table,
										 const char *start, DynCheck *chk);
static void dyn_key_trail_step(DynKeyTrail *trail, const DynExpect *e,
							   struct json_object *key);

/* ---------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------
 */

#define DYN_ERROR_TEXT_MAX	1000	/* what of an error's text is shown */

/* A string of a checked error body, cut to a length fit for a message. */
static char *
dyn_error_text(struct json_object *val)
{
	const char *s = json_object_get_string(val);
	int			len = (int) strlen(s);

	if (len > DYN_ERROR_TEXT_MAX)
	{
		/* cut on a UTF-8 character boundary */
		len = DYN_ERROR_TEXT_MAX;
		while (len > 0 && ((unsigned char) s[len] & 0xC0) == 0x80)
			len--;
		return psprintf("%.*s...", len, s);
	}
	return pstrdup(s);
}

/*
 * Read "__type" and "message" of an error body.  A body that is not
 * DynamoDB's JSON (an HTML page from a proxy, say) still gives a type; one
 * that is not valid JSON gives nothing else.
 */
void
dyn_parse_error(const char *body, size_t len, DynError *err)
{
	DynText		t = {body, body, body + len};
	DynCheck	chk;
	struct json_tokener *tok;
	struct json_object *root = NULL;
	struct json_object *val;
	bool		valid;

	err->type = NULL;
	err->message = NULL;

	dyn_check_init(&chk, CurrentMemoryContext);
	valid = len > 0 && dyn_text_check_value(&t, &chk);
	dyn_check_done(&chk);
	tok = valid ? json_tokener_new_ex(DYN_JSON_MAX_DEPTH) : NULL;
	if (tok)
	{
		root = json_tokener_parse_ex(tok, body, (int) len);
		json_tokener_free(tok);
	}

	if (root && json_object_is_type(root, json_type_object))
	{
		if (json_object_object_get_ex(root, "__type", &val) &&
			json_object_is_type(val, json_type_string))
		{
			const char *type = json_object_get_string(val);
			const char *hash = strrchr(type, '#');

			err->type = pstrdup(hash ? hash + 1 : type);
			if (strlen(err->type) > 100 || err->type[0] == '\0')
				err->type = NULL;
		}
		if ((json_object_object_get_ex(root, "message", &val) ||
			 json_object_object_get_ex(root, "Message", &val)) &&
			json_object_is_type(val, json_type_string))
			err->message = dyn_error_text(val);
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

/* DynamoDB refused the request for the capacity or request rate it took. */
bool
dyn_error_is_throttle(long status, const DynError *err)
{
	return status < 500 && dyn_error_is_retryable(status, err);
}

/* The request in an error's context, and how often it was sent. */
static int
dyn_error_context_table(const DynOptions *opts, const char *operation, int tries)
{
	if (opts->table && tries > 1)
		return errcontext("DynamoDB %s request on table \"%s\", tried %d times",
						  operation, opts->table, tries);
	if (opts->table)
		return errcontext("DynamoDB %s request on table \"%s\"", operation, opts->table);
	if (tries > 1)
		return errcontext("DynamoDB %s request, tried %d times", operation, tries);
	return errcontext("DynamoDB %s request", operation);
}

/*
 * Raise the error of DynamoDB's answer to the last of tries attempts: its
 * type and message in the detail, the request and the tries in the context.
 */
void
dyn_report_error(const char *operation, const DynOptions *opts, long status,
				 const DynError *err, int tries)
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
	else if (dyn_error_is_throttle(status, err))
	{
		sqlstate = ERRCODE_INSUFFICIENT_RESOURCES;
		msg = "DynamoDB throttled the request";
		hint = "Raise the server's max_retries option or the table's capacity.";
	}
	else if (dyn_type_is(err, "TransactionCanceledException"))
	{
		/* the reasons, one per action, are in the message */
		sqlstate = ERRCODE_T_R_SERIALIZATION_FAILURE;
		msg = "DynamoDB cancelled the transaction";
		hint = "The detail lists a reason for each write, in order; \"None\" for those that would have succeeded.";
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
			 dyn_error_context_table(opts, operation, tries)));
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

/* ---------------------------------------------------------------------
 * Writes: PutItem, UpdateItem, DeleteItem, BatchWriteItem,
 * TransactWriteItems
 *
 * Items, keys and update values arrive as AttributeValue text, made by
 * write_convert.c without json-c; they are put in the request as they are
 * (parsing them again would cost a batch of puts as much as making them),
 * and everything around them is written here: names, placeholders,
 * condition and update expressions.
 * ---------------------------------------------------------------------
 */

/* A JSON string, escaped as json-c escapes every other string we send. */
static void
dyn_append_json_text(StringInfo buf, const char *s)
{
	struct json_object *o = json_object_new_string(s);

	appendStringInfoString(buf, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
															   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

/* The AttributeValue text of a value of a key condition, as reads send it. */
char *
dyn_value_text(const DynValue *v)
{
	return dyn_json_finish(dyn_json_value(v), false);
}

static void
dyn_append_map(StringInfo buf, List *attrs)
{
	ListCell   *lc;

	appendStringInfoChar(buf, '{');
	foreach(lc, attrs)
	{
		DynAttr    *a = lfirst(lc);

		if (foreach_current_index(lc) > 0)
			appendStringInfoChar(buf, ',');
		dyn_append_json_text(buf, a->name);
		appendStringInfo(buf, ":%s", a->value);
	}
	appendStringInfoChar(buf, '}');
}

/* {"a": {...}, ...}: an item or a key */
char *
dyn_build_map(List *attrs)
{
	StringInfoData buf;

	initStringInfo(&buf);
	dyn_append_map(&buf, attrs);
	return buf.data;
}

/*
 * The body of a write, without its closing brace: the key's partition
 * attribute is "#k0" in the condition, the updated ones "#a0", "#a1", ...
 * with values ":v0", ":v1", ...
 */
static void
dyn_append_write_body(StringInfo buf, const DynWriteRequest *w)
{
	StringInfoData expr;
	StringInfoData names;
	StringInfoData values;
	int			nset = 0;
	int			nremove = 0;
	ListCell   *lc;

	initStringInfo(&expr);
	initStringInfo(&names);
	initStringInfo(&values);
	if (w->condition != DYN_COND_NONE)
	{
		appendStringInfoString(&names, "\"#k0\":");
		dyn_append_json_text(&names, w->hash_key);
	}
	/* SET first, then REMOVE; placeholders numbered in the list's order */
	foreach(lc, w->update)
	{
		DynAttr    *a = lfirst(lc);
		int			n = foreach_current_index(lc);

		appendStringInfo(&names, "%s\"#a%d\":", names.len ? "," : "", n);
		dyn_append_json_text(&names, a->name);
		if (a->value == NULL)
			continue;
		appendStringInfo(&expr, "%s#a%d = :v%d", nset++ ? ", " : "SET ", n, n);
		appendStringInfo(&values, "%s\":v%d\":%s", values.len ? "," : "", n, a->value);
	}
	foreach(lc, w->update)
	{
		DynAttr    *a = lfirst(lc);

		if (a->value == NULL)
			appendStringInfo(&expr, "%s#a%d", nremove++ ? ", " : (nset ? " REMOVE " : "REMOVE "),
							 foreach_current_index(lc));
	}

	appendStringInfoString(buf, "{\"TableName\":");
	dyn_append_json_text(buf, w->table);
	if (w->op == DYN_WRITE_PUT)
	{
		appendStringInfoString(buf, ",\"Item\":");
		dyn_append_map(buf, w->item);
	}
	else
	{
		appendStringInfoString(buf, ",\"Key\":");
		dyn_append_map(buf, w->key);
	}
	if (w->op == DYN_WRITE_UPDATE)
		appendStringInfo(buf, ",\"UpdateExpression\":\"%s\"", expr.data);
	if (w->condition != DYN_COND_NONE)
		appendStringInfo(buf, ",\"ConditionExpression\":\"%s(#k0)\"",
						 w->condition == DYN_COND_ITEM_ABSENT ?
						 "attribute_not_exists" : "attribute_exists");
	if (names.len)
		appendStringInfo(buf, ",\"ExpressionAttributeNames\":{%s}", names.data);
	if (values.len)
		appendStringInfo(buf, ",\"ExpressionAttributeValues\":{%s}", values.data);
}

/* The body of a PutItem, UpdateItem or DeleteItem. */
char *
dyn_build_write_request(const DynWriteRequest *w)
{
	StringInfoData buf;

	initStringInfo(&buf);
	dyn_append_write_body(&buf, w);
	if (w->return_values)
		appendStringInfo(&buf, ",\"ReturnValues\":\"%s\"", w->return_values);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* The write as one action of a TransactWriteItems: {"Put": {...}}, ... */
char *
dyn_build_write_action(const DynWriteRequest *w)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"%s\":", w->op == DYN_WRITE_PUT ? "Put" :
					 w->op == DYN_WRITE_UPDATE ? "Update" : "Delete");
	dyn_append_write_body(&buf, w);
	appendStringInfoString(&buf, "}}");
	return buf.data;
}

/* A BatchWriteItem of puts of items (each a List of DynAttr) into table. */
char *
dyn_build_batch_write_request(const char *table, List *items)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"RequestItems\":{");
	dyn_append_json_text(&buf, table);
	appendStringInfoString(&buf, ":[");
	foreach(lc, items)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfoString(&buf, "{\"PutRequest\":{\"Item\":");
		dyn_append_map(&buf, lfirst(lc));
		appendStringInfoString(&buf, "}}");
	}
	appendStringInfoString(&buf, "]}}");
	return buf.data;
}

/* A TransactWriteItems of actions made by dyn_build_write_action. */
char *
dyn_build_transact_write_request(List *actions)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"TransactItems\":[");
	foreach(lc, actions)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoChar(&buf, ',');
		appendStringInfoString(&buf, (const char *) lfirst(lc));
	}
	appendStringInfoString(&buf, "]}");
	return buf.data;
}

/*
 * The BatchWriteItem for what a BatchWriteItem's answer left in
 * UnprocessedItems, or NULL when it left nothing.
 */
char *
dyn_build_unprocessed_writes(const char *response)
{
	struct json_object *root = json_tokener_parse(response);
	struct json_object *unprocessed;
	char	   *again = NULL;

	if (root == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_REPLY_HANDLE),
				 errmsg("invalid JSON in a DynamoDB response")));
	if (json_object_object_get_ex(root, "UnprocessedItems", &unprocessed) &&
		json_object_is_type(unprocessed, json_type_object) &&
		json_object_object_length(unprocessed) > 0)
	{
		struct json_object *req = json_object_new_object();

		json_object_object_add(req, "RequestItems", json_object_get(unprocessed));
		again = dyn_json_finish(req, false);
	}
	json_object_put(root);
	return again;
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
 *
 * Nothing of a response is used before it is checked: the text is checked
 * strictly (jsontext.c) before json-c or the row reader sees any of it, so
 * that both read the same thing; then what the members hold is checked
 * against what was asked.  Every failure is an error naming the operation.
 * ---------------------------------------------------------------------
 */

/*
 * The most a response to operation may hold.  DynamoDB's pages hold at most
 * 1 MB of data (and the item that crosses it, up to 400 KB), a BatchGetItem
 * at most 16 MB; the margin is for JSON's wrapping of it.  A response that
 * grows past this is cut off as it arrives.
 */
size_t
dyn_response_limit(const char *operation)
{
	if (strcmp(operation, "BatchGetItem") == 0)
		return DYN_BATCH_RESPONSE_LIMIT;
	return DYN_RESPONSE_LIMIT;
}

static void
dyn_release_json(void *arg)
{
	json_object_put((struct json_object *) arg);
}

static void
dyn_bad_response(const char *operation, const char *table, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_REPLY_HANDLE),
			 errmsg("invalid %s response from DynamoDB", operation),
			 errdetail("%s", what),
			 table ? errcontext("DynamoDB %s request on table \"%s\"", operation, table) : 0));
}

/* What a failed check found, as an error. */
static void
dyn_check_failed(const char *operation, const char *table, const char *start,
				 DynCheck *chk)
{
	if (chk->out_of_memory)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Checking a DynamoDB %s response.", operation)));
	if (chk->what == NULL)
		dyn_bad_response(operation, table, "The response ends in the middle of a value.");
	dyn_bad_response(operation, table,
					 psprintf("%c%s at byte %d of the response.",
							  pg_toupper((unsigned char) chk->what[0]), chk->what + 1,
							  (int) (chk->at - start)));
}

static struct json_tokener *
dyn_tokener(void)
{
	struct json_tokener *tok = json_tokener_new_ex(DYN_JSON_MAX_DEPTH);

	if (tok == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return tok;
}

/* Text checked to be one JSON value, parsed with json-c. */
static struct json_object *
dyn_parse_json(const char *operation, const char *table, const char *body, size_t len)
{
	DynText		t = {body, body, body + len};
	DynCheck	chk;
	struct json_tokener *tok;
	struct json_object *root;
	enum json_tokener_error jerr;

	dyn_check_init(&chk, CurrentMemoryContext);
	if (!dyn_text_check_value(&t, &chk))
		dyn_check_failed(operation, table, body, &chk);
	dyn_check_done(&chk);
	dyn_text_ws(&t);
	if (t.p != t.end)
		dyn_bad_response(operation, table, "The response has text after its value.");

	tok = dyn_tokener();
	root = json_tokener_parse_ex(tok, body, (int) len);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (root == NULL || jerr != json_tokener_success)
	{
		if (root)
			json_object_put(root);
		dyn_bad_response(operation, table,
						 psprintf("The response body is not complete JSON: %s.",
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

/* Capacity units of ConsumedCapacity: an object, or an array of them. */
static double
dyn_capacity_units(const DynExpect *e, struct json_object *cc)
{
	struct json_object *val;
	double		total = 0;

	if (json_object_is_type(cc, json_type_array))
	{
		for (size_t i = 0; i < json_object_array_length(cc); i++)
			total += dyn_capacity_units(e, json_object_array_get_idx(cc, i));
		return total;
	}
	if (json_object_is_type(cc, json_type_object) &&
		json_object_object_get_ex(cc, "CapacityUnits", &val))
	{
		total = json_object_get_double(val);
		if ((!json_object_is_type(val, json_type_double) &&
			 !json_object_is_type(val, json_type_int)) ||
			!(total >= 0 && total <= 1e15))
			dyn_bad_response(dyn_operation_name(e->op), e->table,
							 "\"CapacityUnits\" is not a number of capacity units.");
	}
	return total;
}

static bool
dyn_key_is(const char *key, int len, const char *name)
{
	return (int) strlen(name) == len && memcmp(key, name, len) == 0;
}

/* The scanner's steps, each an error where the response is not valid. */
static void
dyn_step(const DynExpect *e, DynText *sc, DynCheck *chk, bool ok)
{
	if (!ok)
		dyn_check_failed(dyn_operation_name(e->op), e->table, sc->start, chk);
}

static void
dyn_expect_char(const DynExpect *e, DynText *sc, DynCheck *chk, char c)
{
	dyn_text_ws(sc);
	if (sc->p >= sc->end)
		dyn_check_failed(dyn_operation_name(e->op), e->table, sc->start, chk);
	if (*sc->p != c)
		dyn_bad_response(dyn_operation_name(e->op), e->table,
						 psprintf("Expected '%c' at byte %d of the response.",
								  c, (int) (sc->p - sc->start)));
	sc->p++;
}

/* After a member or element: true for ',' (another follows), false for close. */
static bool
dyn_next_member(const DynExpect *e, DynText *sc, DynCheck *chk, char close)
{
	dyn_text_ws(sc);
	if (sc->p < sc->end && *sc->p == ',')
	{
		sc->p++;
		return true;
	}
	dyn_expect_char(e, sc, chk, close);
	return false;
}

/* A small part of the response, checked, parsed with json-c, owned by owner. */
static struct json_object *
dyn_parse_slice(const DynExpect *e, const char *start, const char *end, MemoryContext owner)
{
	struct json_object *obj = dyn_parse_json(dyn_operation_name(e->op), e->table,
											 start, end - start);

	dyn_own_json(obj, owner);
	return obj;
}

/*
 * The items of an array, each checked: where each starts and how long it
 * is.  Those a prefix index checked and located as the response arrived
 * are taken from it when it stopped at this array.
 */
static void
dyn_index_items(const DynExpect *e, DynText *sc, DynCheck *chk, DynPage *page,
				DynItemIndex *prefix)
{
	int			cap = 64;

	dyn_text_ws(sc);
	page->nitems = 0;
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
		dyn_expect_char(e, sc, chk, '[');
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

		/* after an item: another, or the end */
		if (page->nitems > 0 && !dyn_next_member(e, sc, chk, ']'))
			return;
		dyn_text_ws(sc);
		s = sc->p;
		dyn_step(e, sc, chk, dyn_text_check_item(sc, chk));
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
 * The prefix index: Scan and Query responses are checked and indexed while
 * they arrive, so that a page is ready, and the next request can go out,
 * the moment its last bytes are in.  It walks the top-level members that
 * are small (the counts, LastEvaluatedKey, ConsumedCapacity) and the
 * elements of Items, checking each item as strictly as dyn_parse_page; it
 * stops at anything else, and whatever it did not do, dyn_parse_page does.
 * It runs inside libcurl's write callback, so it raises no error: on text
 * that is not what it expects, or on running out of memory, it stops and
 * leaves the rest to dyn_parse_page, which reports the problem.
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
 * One element of Items, checked: true if it is whole and valid, false with
 * *cut when more of it is to come.
 */
static bool
dyn_item_index_item(DynItemIndex *ix, DynText *t, const char *body, bool *cut)
{
	DynCheck	chk;
	const char *item;
	bool		ok;

	dyn_text_ws(t);
	item = t->p;
	if (t->p >= t->end)
	{
		*cut = true;
		return false;
	}
	dyn_check_init(&chk, ix->cxt);
	ok = dyn_text_check_item(t, &chk);
	dyn_check_done(&chk);
	*cut = !ok && chk.what == NULL;
	if (!ok || !dyn_item_index_grow(ix))
		return false;
	ix->item_off[ix->nitems] = (int) (item - body);
	ix->item_len[ix->nitems++] = (int) (t->p - item);
	ix->after_last = (int) (t->p - body);
	return true;
}

/*
 * Go on with the first len bytes of the response, which starts at body.  A
 * step cut short by the end of what has come is taken again from its start
 * once as much again has come, so that a long item arriving in small pieces
 * is not read over and over.
 */
void
dyn_item_index_feed(DynItemIndex *ix, const char *body, int len)
{
	DynText		t = {body, body + ix->pos, body + len};

	if (len < ix->resume_at)
		return;
	while (ix->stage != DYN_IX_STOP)
	{
		int			next = DYN_IX_STOP;
		bool		ok = false;
		bool		cut = false;
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
				ok = dyn_item_index_item(ix, &t, body, &cut);
				next = DYN_IX_AFTER;
				break;
		}
		if (!ok && (cut || (t.p >= t.end && ix->stage != DYN_IX_ITEM)))
		{
			/* cut short: wait for more */
			ix->resume_at = len + (len - ix->pos);
			return;
		}
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

/* BatchGetItem's Responses: {"TABLE": [items], ...}; the items of ours. */
static void
dyn_parse_responses(const DynExpect *e, DynText *sc, DynCheck *chk, DynPage *page)
{
	int			base = chk->nnames;

	dyn_expect_char(e, sc, chk, '{');
	dyn_text_ws(sc);
	if (sc->p < sc->end && *sc->p == '}')
	{
		sc->p++;
		return;
	}
	do
	{
		const char *name;
		int			namelen;

		dyn_step(e, sc, chk, dyn_check_name(sc, chk, &name, &namelen));
		dyn_expect_char(e, sc, chk, ':');
		if (dyn_key_is(name, namelen, e->table))
			dyn_index_items(e, sc, chk, page, NULL);
		else
			dyn_step(e, sc, chk, dyn_text_check_value(sc, chk));
	} while (dyn_next_member(e, sc, chk, '}'));
	dyn_step(e, sc, chk, dyn_check_unique(chk, base));
}

/* A key of the response (LastEvaluatedKey, a key to retry) has e's shape. */
static void
dyn_check_key(const DynExpect *e, struct json_object *key, const char *member)
{
	const char *what = NULL;

	if (!dyn_key_valid(key, e->nkeys, e->key_names, e->key_types, &what))
		dyn_bad_response(dyn_operation_name(e->op), e->table,
						 psprintf("%s is not a key of the table or index read: it %s.",
								  member, what));
}

/*
 * UnprocessedKeys of BatchGetItem: only for the table asked, and at most
 * the keys one request may ask for, each with the table's key shape.
 */
static void
dyn_check_unprocessed(const DynExpect *e, struct json_object *unprocessed)
{
	const char *op = dyn_operation_name(e->op);
	struct json_object *ka;
	struct json_object *keys;

	if (!json_object_is_type(unprocessed, json_type_object))
		dyn_bad_response(op, e->table, "\"UnprocessedKeys\" is not an object.");
	if (json_object_object_length(unprocessed) == 0)
		return;
	if (json_object_object_length(unprocessed) != 1 ||
		!json_object_object_get_ex(unprocessed, e->table, &ka) ||
		!json_object_is_type(ka, json_type_object) ||
		!json_object_object_get_ex(ka, "Keys", &keys) ||
		!json_object_is_type(keys, json_type_array) ||
		json_object_array_length(keys) < 1 ||
		json_object_array_length(keys) > DYN_BATCH_MAX_KEYS)
		dyn_bad_response(op, e->table,
						 "\"UnprocessedKeys\" is not a list of keys of the table asked.");
	for (size_t i = 0; i < json_object_array_length(keys); i++)
		dyn_check_key(e, json_object_array_get_idx(keys, i), "A key of \"UnprocessedKeys\"");
}

/* Bits of the members dyn_parse_page reads, each allowed once. */
#define DYN_M_ITEMS		0x01
#define DYN_M_ITEM		0x02
#define DYN_M_RESPONSES	0x04
#define DYN_M_COUNT		0x08
#define DYN_M_SCANNED	0x10
#define DYN_M_CAPACITY	0x20
#define DYN_M_LASTKEY	0x40
#define DYN_M_UNPROC	0x80

/* One member of a response other than the items: checked, then read. */
static void
dyn_parse_member(const DynExpect *e, DynText *sc, DynCheck *chk, DynPage *page,
				 int member, MemoryContext owner)
{
	const char *op = dyn_operation_name(e->op);
	const char *vstart;
	struct json_object *val;

	dyn_text_ws(sc);
	vstart = sc->p;
	dyn_step(e, sc, chk, dyn_text_check_value(sc, chk));
	switch (member)
	{
		case DYN_M_COUNT:
		case DYN_M_SCANNED:
			{
				char	   *end;
				long		n;

				if (!isdigit((unsigned char) *vstart))
					dyn_bad_response(op, e->table, "A count of the response is not an integer.");
				errno = 0;
				n = strtol(vstart, &end, 10);
				if (end != sc->p || errno != 0 || n < 0 || n > INT_MAX)
					dyn_bad_response(op, e->table, "A count of the response is not an integer.");
				if (member == DYN_M_COUNT)
					page->count = (int) n;
				else
					page->scanned_count = (int) n;
				break;
			}
		case DYN_M_CAPACITY:
			val = dyn_parse_slice(e, vstart, sc->p, owner);
			page->capacity = dyn_capacity_units(e, val);
			break;
		case DYN_M_LASTKEY:
			if (*vstart == 'n')
				break;			/* null: no key, as if it were not there */
			{
				DynText		kt = {vstart, vstart, sc->p};

				/* a key is a map of attribute values, checked as such */
				if (!dyn_text_check_item(&kt, chk))
					dyn_check_failed(op, e->table, sc->start, chk);
			}
			val = dyn_parse_slice(e, vstart, sc->p, owner);
			dyn_check_key(e, val, "\"LastEvaluatedKey\"");
			page->last_key = val;
			break;
		case DYN_M_UNPROC:
			val = dyn_parse_slice(e, vstart, sc->p, owner);
			dyn_check_unprocessed(e, val);
			if (json_object_object_length(val) > 0)
				page->unprocessed = val;
			break;
	}
}

/* Which member a name is, as a DYN_M_ bit; 0 for one not read. */
static int
dyn_member_bit(const char *key, int keylen)
{
	static const struct
	{
		const char *name;
		int			bit;
	}			members[] = {
		{"Items", DYN_M_ITEMS}, {"Item", DYN_M_ITEM}, {"Responses", DYN_M_RESPONSES},
		{"Count", DYN_M_COUNT}, {"ScannedCount", DYN_M_SCANNED},
		{"ConsumedCapacity", DYN_M_CAPACITY}, {"LastEvaluatedKey", DYN_M_LASTKEY},
		{"UnprocessedKeys", DYN_M_UNPROC}
	};

	for (int i = 0; i < lengthof(members); i++)
		if (dyn_key_is(key, keylen, members[i].name))
			return members[i].bit;
	return 0;
}

/*
 * Read a Scan, Query, GetItem or BatchGetItem response to the request e
 * describes.  The body must live as long as the page (in owner or longer);
 * the whole of it is checked, the items located, the small parts (keys,
 * counts) parsed; whatever json-c allocates is released when owner is
 * reset or deleted, so an error anywhere frees it too.  With a trail, a
 * LastEvaluatedKey that an earlier page of the same read ended with is an
 * error: paging would never end.
 */
void
dyn_parse_page(const char *body, size_t len, DynPage *page, const DynExpect *e,
			   DynKeyTrail *trail, MemoryContext owner, DynItemIndex *prefix)
{
	DynText		sc = {body, body, body + len};
	MemoryContext oldcxt = MemoryContextSwitchTo(owner);
	MemoryContextCallback *cb;
	DynCheck	chk;
	int			seen = 0;

	memset(page, 0, sizeof(DynPage));
	page->body = body;
	page->operation = dyn_operation_name(e->op);
	page->table = e->table;
	page->tokener = dyn_tokener();
	cb = palloc(sizeof(MemoryContextCallback));
	cb->func = dyn_release_tokener;
	cb->arg = page->tokener;
	MemoryContextRegisterResetCallback(owner, cb);
	dyn_check_init(&chk, owner);

	dyn_expect_char(e, &sc, &chk, '{');
	dyn_text_ws(&sc);
	if (sc.p < sc.end && *sc.p == '}')
		sc.p++;
	else
		do
		{
			const char *key;
			int			keylen;
			int			member;

			dyn_step(e, &sc, &chk, dyn_check_name(&sc, &chk, &key, &keylen));
			dyn_expect_char(e, &sc, &chk, ':');
			member = dyn_member_bit(key, keylen);
			if (member & seen)
				dyn_bad_response(dyn_operation_name(e->op), e->table,
								 psprintf("The response holds \"%.*s\" twice.", keylen, key));
			seen |= member;
			if (member == DYN_M_ITEMS)
				dyn_index_items(e, &sc, &chk, page, prefix);
			else if (member == DYN_M_RESPONSES)
				dyn_parse_responses(e, &sc, &chk, page);
			else if (member == DYN_M_ITEM)
			{
				dyn_text_ws(&sc);
				page->item_off = palloc(sizeof(int));
				page->item_len = palloc(sizeof(int));
				page->item_off[0] = (int) (sc.p - body);
				dyn_step(e, &sc, &chk, dyn_text_check_item(&sc, &chk));
				page->item_len[0] = (int) (sc.p - body) - page->item_off[0];
				page->nitems = 1;
			}
			else
				dyn_parse_member(e, &sc, &chk, page, member, owner);
		} while (dyn_next_member(e, &sc, &chk, '}'));
	dyn_step(e, &sc, &chk, dyn_check_unique(&chk, 0));
	dyn_check_done(&chk);
	dyn_text_ws(&sc);
	if (sc.p != sc.end)
		dyn_bad_response(dyn_operation_name(e->op), e->table,
						 "The response has text after its object.");
	seen &= DYN_M_ITEMS | DYN_M_ITEM | DYN_M_RESPONSES;
	if (seen & (seen - 1))
		dyn_bad_response(dyn_operation_name(e->op), e->table,
						 "The response holds items in more than one member.");
	page->has_items = seen != 0;
	if (trail && page->last_key)
		dyn_key_trail_step(trail, e, page->last_key);
	MemoryContextSwitchTo(oldcxt);
	if (e->account)
		e->account(e->account_arg, page);
}

/* A key in one form for all ways of writing it, to compare keys by. */
static void
dyn_key_canonical(struct json_object *key, StringInfo out)
{
	int			n = json_object_object_length(key);
	const char **names = palloc(sizeof(char *) * Max(n, 1));
	int			i = 0;

	{
		/* the macro declares its loop variables */
		json_object_object_foreach(key, name, value)
		{
			(void) value;
			names[i++] = name;
		}
	}
	qsort(names, n, sizeof(char *), pg_qsort_strcmp);
	for (i = 0; i < n; i++)
	{
		struct json_object *value;
		struct json_object_iterator it;
		struct json_object *payload;
		const char *type;

		json_object_object_get_ex(key, names[i], &value);
		it = json_object_iter_begin(value);
		type = json_object_iter_peek_name(&it);
		payload = json_object_iter_peek_value(&it);
		appendStringInfo(out, "%zu:%s%s:", strlen(names[i]), names[i], type);
		if (type[0] == 'N')
			dyn_number_canonical(json_object_get_string(payload),
								 json_object_get_string_len(payload), out);
		else
		{
			appendStringInfo(out, "%d:", json_object_get_string_len(payload));
			appendBinaryStringInfo(out, json_object_get_string(payload),
								   json_object_get_string_len(payload));
		}
		appendStringInfoChar(out, ';');
	}
	pfree(names);
}

/*
 * Start the trail of a paged read at start, its first ExclusiveStartKey
 * (NULL: the beginning).  What it keeps lives in cxt.
 */
void
dyn_key_trail_start(DynKeyTrail *trail, MemoryContext cxt, DynJson *start)
{
	memset(trail, 0, sizeof(DynKeyTrail));
	trail->cxt = cxt;
	trail->power = 1;
	if (start)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
		StringInfoData buf;

		initStringInfo(&buf);
		dyn_key_canonical(start, &buf);
		trail->last = buf.data;
		trail->lastlen = buf.len;
		MemoryContextSwitchTo(oldcxt);
	}
}

static bool
dyn_same_key(const char *a, int alen, const char *b, int blen)
{
	return a != NULL && alen == blen && memcmp(a, b, alen) == 0;
}

/*
 * The read goes on after the key whose canonical text this is (member
 * names it in errors).  A key the read started after before is a loop: the
 * key it started from last, or any earlier one, found by keeping one key and
 * comparing every later one with it, the kept key replaced after 1, 2, 4,
 * 8 ... pages (Brent's method: any cycle is found within twice its length,
 * with one key kept).
 */
static void
dyn_trail_step_text(DynKeyTrail *trail, const char *operation, const char *table,
					const char *member, const char *key, int len)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(trail->cxt);

	if (dyn_same_key(trail->last, trail->lastlen, key, len) ||
		dyn_same_key(trail->mark, trail->marklen, key, len))
		dyn_bad_response(operation, table,
						 psprintf("%s repeats a key an earlier page of this read ended with: the read would never end.",
								  member));
	if (trail->last)
		pfree(trail->last);
	trail->last = palloc(len + 1);
	memcpy(trail->last, key, len);
	trail->last[len] = '\0';
	trail->lastlen = len;
	trail->pages++;
	if (++trail->steps >= trail->power)
	{
		if (trail->mark)
			pfree(trail->mark);
		trail->mark = pstrdup(trail->last);
		trail->marklen = len;
		trail->power *= 2;
		trail->steps = 0;
	}
	MemoryContextSwitchTo(oldcxt);
}

static void
dyn_key_trail_step(DynKeyTrail *trail, const DynExpect *e, struct json_object *key)
{
	StringInfoData buf;

	initStringInfo(&buf);
	dyn_key_canonical(key, &buf);
	dyn_trail_step_text(trail, dyn_operation_name(e->op), e->table,
						"\"LastEvaluatedKey\"", buf.data, buf.len);
	pfree(buf.data);
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
		dyn_bad_response(page->operation, page->table,
						 psprintf("Item %d of the page is not a JSON object.", index + 1));
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

/* An item's text from a page before, parsed again, kept as long as owner. */
DynJson *
dyn_item_from_text(const DynExpect *e, const char *text, int len, MemoryContext owner)
{
	return dyn_parse_slice(e, text, text + len, owner);
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
#define DYN_DESCRIBE	"DescribeTable"

/* A string member, or NULL; one holding a NUL is not a name. */
static char *
dyn_get_string(const char *operation, struct json_object *obj, const char *key)
{
	struct json_object *val;

	if (!json_object_is_type(obj, json_type_object) ||
		!json_object_object_get_ex(obj, key, &val) ||
		!json_object_is_type(val, json_type_string))
		return NULL;
	if ((int) strlen(json_object_get_string(val)) != json_object_get_string_len(val))
		dyn_bad_response(operation, NULL,
						 psprintf("\"%s\" holds a NUL character.", key));
	return pstrdup(json_object_get_string(val));
}

static char
dyn_attribute_def_type(struct json_object *defs, const char *name)
{
	for (size_t i = 0; json_object_is_type(defs, json_type_array) &&
		 i < json_object_array_length(defs); i++)
	{
		struct json_object *def = json_object_array_get_idx(defs, i);
		char	   *n = dyn_get_string(DYN_DESCRIBE, def, "AttributeName");
		char	   *t = dyn_get_string(DYN_DESCRIBE, def, "AttributeType");

		if (n && t && strcmp(n, name) == 0)
		{
			if (strlen(t) != 1 || strchr("SNB", t[0]) == NULL)
				dyn_bad_response(DYN_DESCRIBE, NULL,
								 psprintf("Key attribute \"%s\" is of type \"%s\", not S, N or B.",
										  name, t));
			return t[0];
		}
	}
	dyn_bad_response(DYN_DESCRIBE, NULL,
					 psprintf("Key attribute \"%s\" has no definition.", name));
	return 0;
}

static void
dyn_parse_key_schema(struct json_object *obj, struct json_object *defs, DynKeySchema *key)
{
	struct json_object *schema;

	memset(key, 0, sizeof(DynKeySchema));
	if (!json_object_object_get_ex(obj, "KeySchema", &schema) ||
		!json_object_is_type(schema, json_type_array) ||
		json_object_array_length(schema) < 1 || json_object_array_length(schema) > 2)
		dyn_bad_response(DYN_DESCRIBE, NULL, "A key schema is missing.");
	for (size_t i = 0; i < json_object_array_length(schema); i++)
	{
		struct json_object *elem = json_object_array_get_idx(schema, i);
		char	   *name = dyn_get_string(DYN_DESCRIBE, elem, "AttributeName");
		char	   *type = dyn_get_string(DYN_DESCRIBE, elem, "KeyType");
		bool		hash = type && strcmp(type, "HASH") == 0;

		if (name == NULL || *name == '\0' || type == NULL ||
			(!hash && strcmp(type, "RANGE") != 0) ||
			(hash ? key->hash : key->range) != NULL)
			dyn_bad_response(DYN_DESCRIBE, NULL, "A key schema element is incomplete or repeated.");
		if (hash)
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
		dyn_bad_response(DYN_DESCRIBE, NULL, "A key schema has no partition key.");
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

		index->name = dyn_get_string(DYN_DESCRIBE, elem, "IndexName");
		index->global = global;
		dyn_parse_key_schema(elem, defs, &index->key);
		index->projection = DYN_PROJECT_KEYS_ONLY;
		if (json_object_object_get_ex(elem, "Projection", &proj))
		{
			struct json_object *nonkey;

			ptype = dyn_get_string(DYN_DESCRIBE, proj, "ProjectionType");
			if (ptype && strcmp(ptype, "ALL") == 0)
				index->projection = DYN_PROJECT_ALL;
			else if (ptype && strcmp(ptype, "INCLUDE") == 0)
				index->projection = DYN_PROJECT_INCLUDE;
			if (json_object_object_get_ex(proj, "NonKeyAttributes", &nonkey) &&
				json_object_is_type(nonkey, json_type_array))
				for (size_t j = 0; j < json_object_array_length(nonkey); j++)
				{
					struct json_object *name = json_object_array_get_idx(nonkey, j);

					if (!json_object_is_type(name, json_type_string) ||
						(int) strlen(json_object_get_string(name)) != json_object_get_string_len(name))
						dyn_bad_response(DYN_DESCRIBE, NULL,
										 "\"NonKeyAttributes\" holds something other than a name.");
					index->nonkey = lappend(index->nonkey, pstrdup(json_object_get_string(name)));
				}
		}
		if (index->name)
			info->indexes = lappend(info->indexes, index);
	}
}

/* A count of the table's description, or 0 where it does not say. */
static double
dyn_table_count(struct json_object *table, const char *key)
{
	struct json_object *val;
	double		n;

	if (!json_object_object_get_ex(table, key, &val))
		return 0;
	n = json_object_get_double(val);
	if (!json_object_is_type(val, json_type_int) || !(n >= 0 && n < 1e18))
		dyn_bad_response(DYN_DESCRIBE, NULL,
						 psprintf("\"%s\" is not a count.", key));
	return n;
}

DynTableInfo *
dyn_parse_table_description(const char *body, size_t len)
{
	struct json_object *root = dyn_parse_json(DYN_DESCRIBE, NULL, body, len);
	DynTableInfo *info = palloc0(sizeof(DynTableInfo));

	PG_TRY();
	{
		struct json_object *table;
		struct json_object *defs = NULL;

		if (!json_object_object_get_ex(root, "Table", &table) ||
			!json_object_is_type(table, json_type_object))
			dyn_bad_response(DYN_DESCRIBE, NULL, "DescribeTable answered without \"Table\".");
		json_object_object_get_ex(table, "AttributeDefinitions", &defs);
		info->table = dyn_get_string(DYN_DESCRIBE, table, "TableName");
		dyn_parse_key_schema(table, defs, &info->key);
		dyn_parse_indexes(table, defs, "LocalSecondaryIndexes", false, info);
		dyn_parse_indexes(table, defs, "GlobalSecondaryIndexes", true, info);
		info->item_count = dyn_table_count(table, "ItemCount");
		info->size_bytes = dyn_table_count(table, "TableSizeBytes");
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();
	return info;
}

/*
 * The table names of one ListTables page; *last: where the next starts,
 * which must not be where an earlier page of trail's listing started.
 */
List *
dyn_parse_table_names(const char *body, size_t len, char **last, DynKeyTrail *trail)
{
	struct json_object *root = dyn_parse_json("ListTables", NULL, body, len);
	List	   *names = NIL;

	PG_TRY();
	{
		struct json_object *list;

		*last = dyn_get_string("ListTables", root, "LastEvaluatedTableName");
		if (*last)
			dyn_trail_step_text(trail, "ListTables", NULL, "\"LastEvaluatedTableName\"",
								*last, (int) strlen(*last));
		if (json_object_object_get_ex(root, "TableNames", &list) &&
			json_object_is_type(list, json_type_array))
			for (size_t i = 0; i < json_object_array_length(list); i++)
			{
				struct json_object *name = json_object_array_get_idx(list, i);

				if (!json_object_is_type(name, json_type_string) ||
					(int) strlen(json_object_get_string(name)) != json_object_get_string_len(name) ||
					json_object_get_string_len(name) == 0)
					dyn_bad_response("ListTables", NULL,
									 "\"TableNames\" holds something other than a table name.");
				names = lappend(names, pstrdup(json_object_get_string(name)));
			}
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();
	return names;
}
