/*-------------------------------------------------------------------------
 * token.c
 *		Resume tokens and keys: next_token (opaque, URL-safe, bound to the
 *		table, index and query it came from, optionally HMAC-signed),
 *		start_at keys in plain JSON, and keys taken from items.
 *
 * A token is base64url(JSON {"v":1,"t":table,"i":index,"b":binding,"k":key})
 * with, when the server has a token_secret, "." and base64url of the
 * HMAC-SHA256 of the first part.  The binding is a hash of everything that
 * decides which items a request reads and in what order, so a token cannot
 * resume another query.
 *
 * This file uses json-c and must not include utils/builtins.h.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <json-c/json.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/base64.h"
#include "utils/memutils.h"

#include "dynomite_fdw.h"
#include "sigv4.h"

#define DYN_TOKEN_VERSION	1

static void
dyn_release(void *arg)
{
	json_object_put((struct json_object *) arg);
}

/* Tie a json-c object's life to a memory context. */
static DynJson *
dyn_owned(struct json_object *obj, MemoryContext owner)
{
	MemoryContextCallback *cb = MemoryContextAlloc(owner, sizeof(MemoryContextCallback));

	cb->func = dyn_release;
	cb->arg = obj;
	MemoryContextRegisterResetCallback(owner, cb);
	return obj;
}

static void
dyn_bad_token(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid next_token"),
			 errdetail("%s", detail),
			 errhint("Pass a next_token exactly as an earlier page of the same query returned it.")));
}

/* base64url without padding */
static char *
dyn_b64url_encode(const unsigned char *data, int len)
{
	int			enclen = pg_b64_enc_len(len);
	char	   *out = palloc(enclen + 1);
	int			n = DYN_B64_ENCODE(data, len, out, enclen);

	if (n < 0)
		elog(ERROR, "could not encode a token");
	while (n > 0 && out[n - 1] == '=')
		n--;
	out[n] = '\0';
	for (char *p = out; *p; p++)
		*p = (*p == '+') ? '-' : (*p == '/') ? '_' : *p;
	return out;
}

static char *
dyn_b64url_decode(const char *text, int *len)
{
	int			n = (int) strlen(text);
	StringInfoData padded;
	char	   *out;

	initStringInfo(&padded);
	for (const char *p = text; *p; p++)
	{
		if (*p == '-')
			appendStringInfoChar(&padded, '+');
		else if (*p == '_')
			appendStringInfoChar(&padded, '/');
		else if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
				 (*p >= '0' && *p <= '9'))
			appendStringInfoChar(&padded, *p);
		else
			return NULL;
	}
	while (padded.len % 4 != 0)
		appendStringInfoChar(&padded, '=');
	if (n % 4 == 1)
		return NULL;
	out = palloc(pg_b64_dec_len(padded.len) + 1);
	*len = DYN_B64_DECODE(padded.data, padded.len, out, pg_b64_dec_len(padded.len));
	if (*len < 0)
		return NULL;
	out[*len] = '\0';
	return out;
}

static char *
dyn_token_mac(const char *secret, const char *payload)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	if (HMAC(EVP_sha256(), secret, (int) strlen(secret),
			 (const unsigned char *) payload, strlen(payload), mac, &maclen) == NULL)
		elog(ERROR, "could not sign a token");
	return dyn_b64url_encode(mac, (int) maclen);
}

/*
 * The binding of a request: a hash of what decides which items it reads
 * and in which order (not its Limit, nor where it starts).
 */
char *
dyn_request_binding(const DynRequest *req)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *names = json_object_new_array();
	struct json_object *values = json_object_new_array();
	char		hex[65];
	const char *text;
	ListCell   *lc;

	json_object_object_add(obj, "op", json_object_new_int(req->op));
	json_object_object_add(obj, "table", json_object_new_string(req->table));
	if (req->index)
		json_object_object_add(obj, "index", json_object_new_string(req->index));
	if (req->key_condition)
		json_object_object_add(obj, "key", json_object_new_string(req->key_condition));
	if (req->filter)
		json_object_object_add(obj, "filter", json_object_new_string(req->filter));
	json_object_object_add(obj, "forward", json_object_new_boolean(req->forward));
	foreach(lc, req->names)
	{
		DynPlaceholder *ph = lfirst(lc);

		if (ph->placeholder[1] == 'p')
			continue;			/* what is read, not which items */
		json_object_array_add(names, json_object_new_string(ph->placeholder));
		json_object_array_add(names, json_object_new_string(ph->name));
	}
	foreach(lc, req->values)
	{
		DynPlaceholder *ph = lfirst(lc);
		char		type[2] = {ph->value->type, '\0'};

		json_object_array_add(values, json_object_new_string(ph->placeholder));
		json_object_array_add(values, json_object_new_string(type));
		json_object_array_add(values, json_object_new_string(ph->value->text));
	}
	json_object_object_add(obj, "names", names);
	json_object_object_add(obj, "values", values);
	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
	if (sigv4_sha256_hex(text, strlen(text), hex) != 0)
	{
		json_object_put(obj);
		elog(ERROR, "could not hash a request");
	}
	json_object_put(obj);
	hex[16] = '\0';
	return pstrdup(hex);
}

/* A token that resumes right after the item whose key this is. */
char *
dyn_token_encode(const DynTokenScope *scope, DynJson *key)
{
	struct json_object *obj = json_object_new_object();
	const char *text;
	char	   *payload;

	json_object_object_add(obj, "v", json_object_new_int(DYN_TOKEN_VERSION));
	json_object_object_add(obj, "t", json_object_new_string(scope->table));
	json_object_object_add(obj, "i", scope->index ? json_object_new_string(scope->index) : NULL);
	json_object_object_add(obj, "b", json_object_new_string(scope->binding));
	json_object_object_add(obj, "k", json_object_get(key));
	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
										  JSON_C_TO_STRING_NOSLASHESCAPE);
	payload = dyn_b64url_encode((const unsigned char *) text, (int) strlen(text));
	json_object_put(obj);

	if (scope->secret)
		return psprintf("%s.%s", payload, dyn_token_mac(scope->secret, payload));
	return payload;
}

/*
 * Whether key is a key: nkeys attributes of these names and types (with
 * nkeys 0, any one to four of S, N or B), each value valid for its type.
 * Where it is not, *what ends "it ..." with what is wrong.  The one check
 * of keys, for tokens and for the keys of responses.
 */
bool
dyn_key_valid(DynJson *key, int nkeys, const char *const *names, const char *types,
			  const char **what)
{
	int			n;

	*what = "is not an object";
	if (!json_object_is_type(key, json_type_object))
		return false;
	n = json_object_object_length(key);
	*what = "does not hold exactly the key attributes";
	if (nkeys > 0 ? n != nkeys : (n < 1 || n > 4))
		return false;
	{
		/* the macro declares its loop variables */
		json_object_object_foreach(key, name, value)
		{
			struct json_object_iterator it;
			struct json_object *payload;
			const char *type;
			const char *s;
			int			i = 0;

			while (i < nkeys && strcmp(names[i], name) != 0)
				i++;
			*what = "holds an attribute that is not a key attribute";
			if (nkeys > 0 && i == nkeys)
				return false;
			*what = "holds a key attribute of the wrong type";
			if (!json_object_is_type(value, json_type_object) ||
				json_object_object_length(value) != 1)
				return false;
			it = json_object_iter_begin(value);
			type = json_object_iter_peek_name(&it);
			payload = json_object_iter_peek_value(&it);
			if (strlen(type) != 1 || strchr("SNB", type[0]) == NULL ||
				(nkeys > 0 && type[0] != types[i]) ||
				!json_object_is_type(payload, json_type_string))
				return false;
			s = json_object_get_string(payload);
			n = json_object_get_string_len(payload);
			*what = "holds an empty key value";
			if (n == 0)
				return false;
			if (type[0] == 'N' && !dyn_number_check(s, n, what))
				return false;
			*what = "holds binary data that is not base64";
			if (type[0] == 'B' && !dyn_base64_check(s, n))
				return false;
		}
	}
	return true;
}

/* A key object holds exactly the scope's key attributes, with valid values. */
static bool
dyn_key_has_shape(struct json_object *key, const DynTokenScope *scope)
{
	const char *what;

	return dyn_key_valid(key, scope->nkeys, scope->key_names, scope->key_types, &what);
}

/* The ExclusiveStartKey a token stands for, after every check. */
DynJson *
dyn_token_decode(const DynTokenScope *scope, const char *token, MemoryContext owner)
{
	char	   *payload = pstrdup(token);
	char	   *dot = strchr(payload, '.');
	char	   *text;
	int			len;
	struct json_object *obj;
	struct json_object *val;
	struct json_object *key;
	bool		ok;

	if (dot)
		*dot = '\0';
	if (scope->secret)
	{
		char	   *expected;

		if (dot == NULL)
			dyn_bad_token("The token is not signed, and this server signs its tokens.");
		expected = dyn_token_mac(scope->secret, payload);
		if (strlen(expected) != strlen(dot + 1) ||
			CRYPTO_memcmp(expected, dot + 1, strlen(expected)) != 0)
			dyn_bad_token("The token's signature does not match.");
	}

	text = dyn_b64url_decode(payload, &len);
	if (text == NULL || len == 0)
		dyn_bad_token("The token is not base64url text.");
	{
		/* checked as strictly as a response: json-c then reads the same */
		DynText		t = {text, text, text + len};
		DynCheck	chk;
		bool		valid;

		dyn_check_init(&chk, CurrentMemoryContext);
		valid = dyn_text_check_value(&t, &chk);
		dyn_check_done(&chk);
		dyn_text_ws(&t);
		if (!valid || t.p != t.end)
			dyn_bad_token("The token does not hold a JSON object.");
	}
	obj = json_tokener_parse(text);
	if (obj == NULL || !json_object_is_type(obj, json_type_object))
	{
		if (obj)
			json_object_put(obj);
		dyn_bad_token("The token does not hold a JSON object.");
	}
	dyn_owned(obj, owner);

	if (!json_object_object_get_ex(obj, "v", &val) ||
		!json_object_is_type(val, json_type_int) ||
		json_object_get_int(val) != DYN_TOKEN_VERSION)
		dyn_bad_token("The token is of an unknown version.");
	if (!json_object_object_get_ex(obj, "t", &val) ||
		!json_object_is_type(val, json_type_string) ||
		strcmp(json_object_get_string(val), scope->table) != 0)
		dyn_bad_token("The token belongs to another table.");
	ok = json_object_object_get_ex(obj, "i", &val);
	if (!ok || (scope->index ?
				(!json_object_is_type(val, json_type_string) ||
				 strcmp(json_object_get_string(val), scope->index) != 0) :
				!json_object_is_type(val, json_type_null)))
		dyn_bad_token("The token belongs to a read of another index.");
	if (!json_object_object_get_ex(obj, "b", &val) ||
		!json_object_is_type(val, json_type_string) ||
		strcmp(json_object_get_string(val), scope->binding) != 0)
		dyn_bad_token("The token belongs to another query.");
	if (!json_object_object_get_ex(obj, "k", &key) || !dyn_key_has_shape(key, scope))
		dyn_bad_token("The token's key does not have the shape of this table's key.");
	return key;
}

/* The key of an item: its key attributes, as an ExclusiveStartKey. */
DynJson *
dyn_item_key_object(DynJson *item, const DynTokenScope *scope, MemoryContext owner)
{
	struct json_object *key = json_object_new_object();

	for (int i = 0; i < scope->nkeys; i++)
	{
		struct json_object *value;

		if (json_object_object_get_ex(item, scope->key_names[i], &value))
			json_object_object_add(key, scope->key_names[i], json_object_get(value));
	}
	return dyn_owned(key, owner);
}

/*
 * A start_at key in plain JSON ({"id": "post-10"}) as an ExclusiveStartKey:
 * strings for S and B (base64), numbers (or numeric strings) for N.
 */
DynJson *
dyn_start_at_key(const char *plain, const DynTokenScope *scope, MemoryContext owner)
{
	struct json_object *obj = json_tokener_parse(plain);
	struct json_object *key;

	if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
		json_object_object_length(obj) != scope->nkeys)
	{
		StringInfoData names;

		if (obj)
			json_object_put(obj);
		initStringInfo(&names);
		for (int i = 0; i < scope->nkeys; i++)
			appendStringInfo(&names, "%s\"%s\"", i ? ", " : "", scope->key_names[i]);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid start_at key"),
				 errdetail("start_at must be a JSON object with exactly the key attributes %s.",
						   names.data)));
	}
	dyn_owned(obj, owner);

	key = dyn_owned(json_object_new_object(), owner);
	for (int i = 0; i < scope->nkeys; i++)
	{
		struct json_object *value;
		struct json_object *typed;
		char		type[2] = {scope->key_types[i], '\0'};
		bool		ok;

		if (!json_object_object_get_ex(obj, scope->key_names[i], &value))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid start_at key"),
					 errdetail("start_at has no key attribute \"%s\".", scope->key_names[i])));
		ok = true;
		if (scope->key_types[i] == 'N')
		{
			const char *what;

			ok = (json_object_is_type(value, json_type_int) ||
				  json_object_is_type(value, json_type_double) ||
				  json_object_is_type(value, json_type_string)) &&
				dyn_number_check(json_object_get_string(value),
								 (int) strlen(json_object_get_string(value)), &what);
		}
		else
			ok = json_object_is_type(value, json_type_string);
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid start_at key"),
					 errdetail("Key attribute \"%s\" must be %s.", scope->key_names[i],
							   scope->key_types[i] == 'N' ? "a number" :
							   scope->key_types[i] == 'B' ? "a base64 string" : "a string")));
		typed = json_object_new_object();
		json_object_object_add(typed, type, json_object_new_string(json_object_get_string(value)));
		json_object_object_add(key, scope->key_names[i], typed);
	}
	return key;
}

/* A typed JSON object (an ExclusiveStartKey, say) as compact JSON text. */
char *
dyn_json_text(DynJson *obj)
{
	return pstrdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
												  JSON_C_TO_STRING_NOSLASHESCAPE));
}

/*
 * A filter in plain JSON ({"category": "Cloud", "views": 10}) as a list of
 * DynPlaceholder: the name as given and the value as S, N or BOOL.
 */
List *
dyn_parse_filter(const char *plain)
{
	struct json_object *obj = json_tokener_parse(plain);
	List	   *result = NIL;

	if (obj == NULL || !json_object_is_type(obj, json_type_object))
	{
		if (obj)
			json_object_put(obj);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid filter"),
				 errdetail("A filter is a JSON object of attribute values, such as {\"category\": \"Cloud\"}.")));
	}
	PG_TRY();
	{
		json_object_object_foreach(obj, name, value)
		{
			DynPlaceholder *ph = palloc0(sizeof(DynPlaceholder));

			ph->name = pstrdup(name);
			ph->value = palloc(sizeof(DynValue));
			switch (json_object_get_type(value))
			{
				case json_type_string:
					ph->value->type = 'S';
					ph->value->text = pstrdup(json_object_get_string(value));
					break;
				case json_type_int:
				case json_type_double:
					ph->value->type = 'N';
					ph->value->text = pstrdup(json_object_get_string(value));
					break;
				case json_type_boolean:
					ph->value->type = 'T';
					ph->value->text = json_object_get_boolean(value) ? "true" : "false";
					break;
				default:
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid filter"),
							 errdetail("The value of \"%s\" is not a string, number or boolean.", name)));
			}
			result = lappend(result, ph);
		}
	}
	PG_FINALLY();
	{
		json_object_put(obj);
	}
	PG_END_TRY();
	return result;
}

/* A copy of a small json-c object, kept as long as owner. */
DynJson *
dyn_json_copy(DynJson *obj, MemoryContext owner)
{
	struct json_object *copy = json_tokener_parse(
		json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));

	if (copy == NULL)
		elog(ERROR, "could not copy a JSON value");
	return dyn_owned(copy, owner);
}
