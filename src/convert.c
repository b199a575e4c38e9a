/*-------------------------------------------------------------------------
 * convert.c
 *		DynamoDB AttributeValue -> Datum.  Every type conversion happens here,
 *		under an error-context callback that names the foreign table, the
 *		column, the attribute, and the DynamoDB type and value.
 *
 * This file uses json-c and must not include utils/builtins.h.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <json-c/json.h>

#include "catalog/pg_type.h"
#include "common/base64.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/json.h"
#include "utils/lsyscache.h"

#include "dynomite_fdw.h"

#define DYN_CONTEXT_VALUE_MAX	80	/* how much of a bad value an error shows */

typedef struct DynConvertContext
{
	const char *relname;
	DynColumn  *col;
	struct json_object *value;	/* the AttributeValue being converted, or */
	const char *type;			/* its type and text, straight from the item */
	const char *text;
} DynConvertContext;

static void dyn_append_plain_json(StringInfo buf, struct json_object *value);

/*
 * Split an AttributeValue {"S": "x"} into its type and payload.
 */
static const char *
dyn_attribute_type(struct json_object *value, struct json_object **payload)
{
	struct json_object_iterator it;
	const char *type;

	if (!json_object_is_type(value, json_type_object) ||
		json_object_object_length(value) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_REPLY_HANDLE),
				 errmsg("invalid DynamoDB attribute value"),
				 errdetail("An attribute value must be an object with exactly one type key.")));

	it = json_object_iter_begin(value);
	type = json_object_iter_peek_name(&it);
	*payload = json_object_iter_peek_value(&it);
	return type;
}

static void
dyn_nul_in_string(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
			 errmsg("DynamoDB string holds a NUL character, which PostgreSQL cannot store")));
}

static void
dyn_bad_payload(const char *type)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_REPLY_HANDLE),
			 errmsg("invalid DynamoDB attribute value of type %s", type)));
}

/*
 * A number's text, checked by the one check of numbers (jsontext.c): every
 * path a number takes to a value or into JSON text passes here.
 */
static void
dyn_check_number(const char *s, int len)
{
	const char *what;

	if (!dyn_number_check(s, len, &what))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_REPLY_HANDLE),
				 errmsg("invalid DynamoDB attribute value of type N"),
				 errdetail("The value is %s.", what)));
}

/* The payload of S, N and B: a JSON string; N's a number. */
static const char *
dyn_payload_string(const char *type, struct json_object *payload)
{
	const char *s;

	if (!json_object_is_type(payload, json_type_string))
		dyn_bad_payload(type);
	s = json_object_get_string(payload);
	/* PostgreSQL's strings end at a NUL: refuse rather than cut short */
	if ((int) strlen(s) != json_object_get_string_len(payload))
		dyn_nul_in_string();
	if (type[0] == 'N')
		dyn_check_number(s, json_object_get_string_len(payload));
	return s;
}

static struct json_object *
dyn_payload_container(const char *type, struct json_object *payload, json_type jtype)
{
	if (!json_object_is_type(payload, jtype))
		dyn_bad_payload(type);
	return payload;
}

/* ---------------------------------------------------------------------
 * Plain JSON: DynamoDB's typed JSON without the type wrappers
 * ---------------------------------------------------------------------
 */
static void
dyn_append_plain_json(StringInfo buf, struct json_object *value)
{
	struct json_object *payload;
	const char *type = dyn_attribute_type(value, &payload);

	if (strcmp(type, "S") == 0 || strcmp(type, "B") == 0)
		escape_json(buf, dyn_payload_string(type, payload));
	else if (strcmp(type, "N") == 0)
		appendStringInfoString(buf, dyn_payload_string(type, payload));
	else if (strcmp(type, "BOOL") == 0)
	{
		if (!json_object_is_type(payload, json_type_boolean))
			dyn_bad_payload(type);
		appendStringInfoString(buf, json_object_get_boolean(payload) ? "true" : "false");
	}
	else if (strcmp(type, "NULL") == 0)
		appendStringInfoString(buf, "null");
	else if (strcmp(type, "M") == 0)
	{
		bool		first = true;

		dyn_payload_container(type, payload, json_type_object);
		appendStringInfoChar(buf, '{');
		{
			/* the macro declares its loop variables */
			json_object_object_foreach(payload, key, member)
			{
				if (!first)
					appendStringInfoChar(buf, ',');
				first = false;
				escape_json(buf, key);
				appendStringInfoChar(buf, ':');
				dyn_append_plain_json(buf, member);
			}
		}
		appendStringInfoChar(buf, '}');
	}
	else if (strcmp(type, "L") == 0)
	{
		size_t		n = json_object_array_length(dyn_payload_container(type, payload,
																	   json_type_array));

		appendStringInfoChar(buf, '[');
		for (size_t i = 0; i < n; i++)
		{
			if (i > 0)
				appendStringInfoChar(buf, ',');
			dyn_append_plain_json(buf, json_object_array_get_idx(payload, i));
		}
		appendStringInfoChar(buf, ']');
	}
	else if (strcmp(type, "SS") == 0 || strcmp(type, "NS") == 0 ||
			 strcmp(type, "BS") == 0)
	{
		size_t		n = json_object_array_length(dyn_payload_container(type, payload,
																	   json_type_array));
		bool		quoted = (type[0] != 'N');

		appendStringInfoChar(buf, '[');
		for (size_t i = 0; i < n; i++)
		{
			const char *s = dyn_payload_string(type, json_object_array_get_idx(payload, i));

			if (i > 0)
				appendStringInfoChar(buf, ',');
			if (quoted)
				escape_json(buf, s);
			else
				appendStringInfoString(buf, s);
		}
		appendStringInfoChar(buf, ']');
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_FDW_REPLY_HANDLE),
				 errmsg("unknown DynamoDB attribute type \"%s\"", type)));
}

/* ---------------------------------------------------------------------
 * Scalars
 * ---------------------------------------------------------------------
 */
static void
dyn_unconvertible(const char *type, const char *typname)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
			 errmsg("cannot convert DynamoDB type %s to type %s", type, typname),
			 errhint("Declare the column as a type that can hold DynamoDB %s values, such as %s.",
					 type,
					 strcmp(type, "B") == 0 ? "bytea" :
					 strcmp(type, "BOOL") == 0 ? "boolean" :
					 strcmp(type, "N") == 0 ? "numeric" :
					 strcmp(type, "S") == 0 ? "text" : "jsonb")));
}

static Datum
dyn_decode_binary(const char *b64)
{
	int			len = (int) strlen(b64);
	int			maxlen = pg_b64_dec_len(len);
	bytea	   *result = palloc(VARHDRSZ + maxlen);
	int			n = DYN_B64_DECODE(b64, len, VARDATA(result), maxlen);

	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_REPLY_HANDLE),
				 errmsg("invalid base64 data in a DynamoDB binary value")));
	SET_VARSIZE(result, VARHDRSZ + n);
	return PointerGetDatum(result);
}

/*
 * Convert one non-NULL AttributeValue to a value of a type of the given
 * kind: the column's type, or an array column's element type.
 */
static Datum
dyn_convert_scalar(int kind, FmgrInfo *input, Oid ioparam, int32 typmod,
				   const char *typname, const char *type, struct json_object *value,
				   struct json_object *payload)
{
	bool		is_s = strcmp(type, "S") == 0;
	bool		is_n = strcmp(type, "N") == 0;
	bool		is_bool = strcmp(type, "BOOL") == 0;
	const char *text = NULL;
	StringInfoData buf;

	if (is_bool && !json_object_is_type(payload, json_type_boolean))
		dyn_bad_payload(type);

	switch (kind)
	{
		case DYN_COL_JSON:
			initStringInfo(&buf);
			dyn_append_plain_json(&buf, value);
			text = buf.data;
			break;
		case DYN_COL_BYTEA:
			if (strcmp(type, "B") != 0)
				dyn_unconvertible(type, typname);
			return dyn_decode_binary(dyn_payload_string(type, payload));
		case DYN_COL_BOOL:
			if (is_bool)
				return BoolGetDatum(json_object_get_boolean(payload));
			if (!is_s && !is_n)
				dyn_unconvertible(type, typname);
			text = dyn_payload_string(type, payload);
			break;
		case DYN_COL_TEXT:
			if (is_s || is_n)
				text = dyn_payload_string(type, payload);
			else if (is_bool)
				text = json_object_get_boolean(payload) ? "true" : "false";
			else if (strcmp(type, "B") == 0 || strcmp(type, "BS") == 0)
				dyn_unconvertible(type, typname);
			else
			{
				/* M, L and sets read as their JSON text */
				initStringInfo(&buf);
				dyn_append_plain_json(&buf, value);
				text = buf.data;
			}
			break;
		default:
			if (is_s || is_n)
				text = dyn_payload_string(type, payload);
			else if (is_bool)
				text = json_object_get_boolean(payload) ? "true" : "false";
			else
				dyn_unconvertible(type, typname);
			break;
	}
	/* DynamoDB's strings are UTF-8: checked, and converted if need be */
	text = pg_any_to_server(text, strlen(text), PG_UTF8);
	return InputFunctionCall(input, (char *) text, ioparam, typmod);
}

/* SS, NS, BS or L -> a one-dimensional array of the element type. */
static Datum
dyn_convert_array(DynColumn *col, const char *type, struct json_object *payload)
{
	bool		is_list = strcmp(type, "L") == 0;
	size_t		n;
	Datum	   *values;
	bool	   *nulls;
	int			dims[1];
	int			lbs[1] = {1};
	int			elemkind = col->elemkind;

	if (!is_list && strcmp(type, "SS") != 0 && strcmp(type, "NS") != 0 &&
		strcmp(type, "BS") != 0)
		dyn_unconvertible(type, col->typname);
	if (!json_object_is_type(payload, json_type_array))
		dyn_bad_payload(type);

	n = json_object_array_length(payload);
	values = palloc(sizeof(Datum) * Max(n, 1));
	nulls = palloc(sizeof(bool) * Max(n, 1));
	for (size_t i = 0; i < n; i++)
	{
		struct json_object *elem = json_object_array_get_idx(payload, i);
		struct json_object *elem_payload;
		const char *elem_type;
		struct json_object *wrapped = NULL;

		if (is_list)
			elem_type = dyn_attribute_type(elem, &elem_payload);
		else
		{
			/* a set member is a bare string: wrap it as its scalar type */
			elem_type = type[0] == 'S' ? "S" : type[0] == 'N' ? "N" : "B";
			elem_payload = elem;
			if (elemkind == DYN_COL_JSON)
			{
				wrapped = json_object_new_object();
				json_object_object_add(wrapped, elem_type, json_object_get(elem));
				elem = wrapped;
			}
		}

		nulls[i] = strcmp(elem_type, "NULL") == 0;
		if (nulls[i])
			values[i] = (Datum) 0;
		else
		{
			PG_TRY();
			{
				values[i] = dyn_convert_scalar(elemkind, &col->input, col->ioparam,
											   col->typmod, col->elemtypname, elem_type,
											   elem, elem_payload);
			}
			PG_FINALLY();
			{
				if (wrapped)
					json_object_put(wrapped);
			}
			PG_END_TRY();
		}
	}

	dims[0] = (int) n;
	if (n == 0)
		return PointerGetDatum(construct_empty_array(col->elemtype));
	return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs,
											  col->elemtype, col->elemlen,
											  col->elembyval, col->elemalign));
}

/*
 * Convert an AttributeValue to the column's type.  NULL and a missing
 * attribute both read as SQL NULL.
 */
Datum
dyn_convert_value(DynColumn *col, DynJson *value, bool *isnull)
{
	struct json_object *payload;
	const char *type;

	*isnull = false;
	if (value == NULL)
	{
		*isnull = true;
		return (Datum) 0;
	}
	type = dyn_attribute_type(value, &payload);
	if (strcmp(type, "NULL") == 0)
	{
		*isnull = true;
		return (Datum) 0;
	}
	if (col->kind == DYN_COL_ARRAY)
		return dyn_convert_array(col, type, payload);
	return dyn_convert_scalar(col->kind, &col->input, col->ioparam, col->typmod,
							  col->typname, type, value, payload);
}

static void
dyn_convert_error_callback(void *arg)
{
	DynConvertContext *ctx = (DynConvertContext *) arg;
	struct json_object *payload;
	const char *type = "?";
	StringInfoData shown;

	initStringInfo(&shown);
	if (ctx->value == NULL)
	{
		type = ctx->type;
		appendStringInfoString(&shown, ctx->text);
	}
	else if (json_object_is_type(ctx->value, json_type_object) &&
		json_object_object_length(ctx->value) == 1)
	{
		struct json_object_iterator it = json_object_iter_begin(ctx->value);

		type = json_object_iter_peek_name(&it);
		payload = json_object_iter_peek_value(&it);
		if (json_object_is_type(payload, json_type_string))
			appendStringInfoString(&shown, json_object_get_string(payload));
		else
			appendStringInfoString(&shown,
								   json_object_to_json_string_ext(payload, JSON_C_TO_STRING_PLAIN));
	}
	else
		appendStringInfoString(&shown,
							   json_object_to_json_string_ext(ctx->value, JSON_C_TO_STRING_PLAIN));

	if (shown.len > DYN_CONTEXT_VALUE_MAX)
	{
		/* cut on a character boundary */
		int			cut = pg_mbcliplen(shown.data, shown.len, DYN_CONTEXT_VALUE_MAX);

		shown.len = cut;
		shown.data[cut] = '\0';
		appendStringInfoString(&shown, "...");
	}
	errcontext("converting DynamoDB attribute \"%s\" (type %s, value \"%s\") to column \"%s\" of foreign table \"%s\"",
			   ctx->col->attname, type, shown.data, ctx->col->colname, ctx->relname);
}

/* Name the value being converted in any error, until the caller pops it. */
static void
dyn_push_convert_context(DynConvertContext *ctx, ErrorContextCallback *errcallback,
						 const char *relname, DynColumn *col, struct json_object *value,
						 const char *type, const char *text)
{
	ctx->relname = relname;
	ctx->col = col;
	ctx->value = value;
	ctx->type = type;
	ctx->text = text;
	errcallback->callback = dyn_convert_error_callback;
	errcallback->arg = ctx;
	errcallback->previous = error_context_stack;
	error_context_stack = errcallback;
}

/*
 * The value of one column in one item, under an error context that tells
 * exactly which value failed.
 */
Datum
dyn_item_value(DynColumn *col, DynJson *item, bool *isnull, const char *relname)
{
	struct json_object *value;
	DynConvertContext ctx;
	ErrorContextCallback errcallback;
	Datum		result;

	if (!json_object_object_get_ex(item, col->attname, &value))
	{
		*isnull = true;
		return (Datum) 0;
	}

	dyn_push_convert_context(&ctx, &errcallback, relname, col, value, NULL, NULL);

	result = dyn_convert_value(col, value, isnull);

	error_context_stack = errcallback.previous;
	return result;
}

/*
 * An item (or a key) as a plain JSON object: every attribute by its name,
 * or, given columns, the attribute of each non-meta column by the column's
 * name.
 */
void
dyn_append_item_json(StringInfo buf, DynJson *item, DynColumn *cols, int ncols)
{
	bool		first = true;

	appendStringInfoChar(buf, '{');
	if (cols == NULL)
	{
		/* the macro declares its loop variables */
		json_object_object_foreach(item, key, value)
		{
			if (!first)
				appendStringInfoChar(buf, ',');
			first = false;
			escape_json(buf, key);
			appendStringInfoChar(buf, ':');
			dyn_append_plain_json(buf, value);
		}
	}
	else
	{
		for (int i = 0; i < ncols; i++)
		{
			struct json_object *value;

			if (cols[i].meta != DYN_META_NONE ||
				!json_object_object_get_ex(item, cols[i].attname, &value))
				continue;
			if (!first)
				appendStringInfoChar(buf, ',');
			first = false;
			escape_json(buf, cols[i].colname);
			appendStringInfoChar(buf, ':');
			dyn_append_plain_json(buf, value);
		}
	}
	appendStringInfoChar(buf, '}');
}

/* The whole item as plain JSON, for a column with meta 'item'. */
Datum
dyn_whole_item_value(DynColumn *col, DynJson *item)
{
	StringInfoData buf;

	initStringInfo(&buf);
	dyn_append_item_json(&buf, item, NULL, 0);
	return InputFunctionCall(&col->input, buf.data, col->ioparam, col->typmod);
}

/* The text of a key attribute's S, N or B value in an item, or NULL. */
char *
dyn_item_key_text(DynJson *item, const char *attname)
{
	struct json_object *value;
	struct json_object *payload;
	const char *type;

	if (!json_object_object_get_ex(item, attname, &value))
		return NULL;
	type = dyn_attribute_type(value, &payload);
	if (strcmp(type, "S") != 0 && strcmp(type, "N") != 0 && strcmp(type, "B") != 0)
		return NULL;
	return pstrdup(dyn_payload_string(type, payload));
}

/* ---------------------------------------------------------------------
 * The fast path: S, N, BOOL and NULL attributes straight from the text
 *
 * The text is an item of a page, and every page is checked as it arrives
 * (jsontext.c): strings are valid UTF-8 without NUL, numbers are in
 * DynamoDB's syntax and range.  So here nothing is checked again, and the
 * commonest types are built without their input functions.
 * ---------------------------------------------------------------------
 */

/*
 * PostgreSQL's numeric as stored (utils/adt/numeric.c; the on-disk format,
 * the same in every version): digits of base 10000, most significant first,
 * with the weight of the first and the display scale.  The short header
 * holds sign, dscale and weight when they are small.
 */
#define DYN_DEC_DIGITS				4	/* decimal digits a numeric digit */
#define DYN_NUMERIC_NEG				0x4000
#define DYN_NUMERIC_SHORT			0x8000
#define DYN_NUMERIC_SHORT_SIGN		0x2000
#define DYN_NUMERIC_SHORT_DSCALE_SHIFT 7
#define DYN_NUMERIC_SHORT_DSCALE_MAX 63
#define DYN_NUMERIC_SHORT_WEIGHT_SIGN 0x0040
#define DYN_NUMERIC_SHORT_WEIGHT_MASK 0x003F
#define DYN_NUMERIC_SHORT_WEIGHT_MAX 63
#define DYN_NUMERIC_SHORT_WEIGHT_MIN (-64)
#define DYN_NUMERIC_DSCALE_MASK		0x3FFF
#define DYN_DIRECT_DIGITS_MAX		80	/* longer text goes to numeric_in */

DynDirectKind
dyn_direct_kind(Oid typid, int32 typmod)
{
	switch (typid)
	{
		case TEXTOID:
			return DYN_DIRECT_TEXT;
		case INT2OID:
			return DYN_DIRECT_INT2;
		case INT4OID:
			return DYN_DIRECT_INT4;
		case INT8OID:
			return DYN_DIRECT_INT8;
		case NUMERICOID:
			return typmod < 0 ? DYN_DIRECT_NUMERIC : DYN_DIRECT_NONE;
		default:
			return DYN_DIRECT_NONE;
	}
}

/*
 * An integer's N text (digits, perhaps a '-', at most 18 digits); false
 * for anything else, which the input function then reads or refuses.
 */
static bool
dyn_direct_int(const char *s, int len, int64 *result)
{
	const char *p = s;
	const char *end = s + len;
	bool		negative = false;
	int64		v = 0;

	if (p < end && *p == '-')
	{
		negative = true;
		p++;
	}
	if (p >= end || end - p > 18)
		return false;
	for (; p < end; p++)
	{
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (*p - '0');
	}
	*result = negative ? -v : v;
	return true;
}

/*
 * numeric_in's value of a number's text, built as numeric_in builds it
 * (set_var_from_str, strip_var, make_result): the decimal digits grouped
 * in fours from the decimal point, zeros stripped at both ends, the
 * display scale the digits after the point less the exponent.  False for
 * text it does not take (then numeric_in reads it).
 */
static bool
dyn_direct_numeric(const char *s, int len, Datum *result)
{
	char		dec[DYN_DIRECT_DIGITS_MAX + 2 * DYN_DEC_DIGITS];
	int16		digits[DYN_DIRECT_DIGITS_MAX / DYN_DEC_DIGITS + 2];
	const char *p = s;
	const char *end = s + len;
	bool		negative = false;
	bool		point = false;
	int			i = DYN_DEC_DIGITS;
	int			ndec;
	int			dweight = -1;	/* of the first decimal digit */
	int			dscale = 0;
	int			weight;
	int			offset;
	int			ndigits;
	int			first;
	int			size;
	char	   *num;
	uint16		header;

	if (p < end && *p == '-')
	{
		negative = true;
		p++;
	}
	memset(dec, 0, DYN_DEC_DIGITS);
	for (; p < end; p++)
	{
		if (*p >= '0' && *p <= '9')
		{
			if (i == DYN_DIRECT_DIGITS_MAX + DYN_DEC_DIGITS)
				return false;
			dec[i++] = *p - '0';
			if (point)
				dscale++;
			else
				dweight++;
		}
		else if (*p == '.' && !point)
			point = true;
		else
			break;
	}
	ndec = i - DYN_DEC_DIGITS;
	if (ndec == 0)
		return false;
	memset(dec + i, 0, DYN_DEC_DIGITS - 1);
	if (p < end)
	{
		bool		expneg = false;
		int			exp = 0;

		if (*p != 'e' && *p != 'E')
			return false;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			expneg = (*p++ == '-');
		if (p >= end)
			return false;
		for (; p < end; p++)
		{
			if (*p < '0' || *p > '9' || exp > 1000)
				return false;
			exp = exp * 10 + (*p - '0');
		}
		if (exp > 1000)			/* numeric_in's limit in every version */
			return false;
		dweight += expneg ? -exp : exp;
		dscale -= expneg ? -exp : exp;
		if (dscale < 0)
			dscale = 0;
	}

	/* base 10000: the first digit aligned so that the point falls between digits */
	if (dweight >= 0)
		weight = (dweight + 1 + DYN_DEC_DIGITS - 1) / DYN_DEC_DIGITS - 1;
	else
		weight = -((-dweight - 1) / DYN_DEC_DIGITS + 1);
	offset = (weight + 1) * DYN_DEC_DIGITS - (dweight + 1);
	ndigits = (ndec + offset + DYN_DEC_DIGITS - 1) / DYN_DEC_DIGITS;
	i = DYN_DEC_DIGITS - offset;
	for (int n = 0; n < ndigits; n++, i += DYN_DEC_DIGITS)
		digits[n] = ((dec[i] * 10 + dec[i + 1]) * 10 + dec[i + 2]) * 10 + dec[i + 3];

	/* no zero digits at either end; zero is positive, of weight 0 */
	for (first = 0; first < ndigits && digits[first] == 0; first++)
		weight--;
	ndigits -= first;
	while (ndigits > 0 && digits[first + ndigits - 1] == 0)
		ndigits--;
	if (ndigits == 0)
	{
		weight = 0;
		negative = false;
	}

	if (dscale <= DYN_NUMERIC_SHORT_DSCALE_MAX &&
		weight <= DYN_NUMERIC_SHORT_WEIGHT_MAX && weight >= DYN_NUMERIC_SHORT_WEIGHT_MIN)
	{
		size = VARHDRSZ + sizeof(uint16) + ndigits * sizeof(int16);
		num = palloc(size);
		header = (negative ? (DYN_NUMERIC_SHORT | DYN_NUMERIC_SHORT_SIGN) : DYN_NUMERIC_SHORT) |
			(dscale << DYN_NUMERIC_SHORT_DSCALE_SHIFT) |
			(weight < 0 ? DYN_NUMERIC_SHORT_WEIGHT_SIGN : 0) |
			(weight & DYN_NUMERIC_SHORT_WEIGHT_MASK);
		memcpy(num + VARHDRSZ, &header, sizeof(uint16));
		memcpy(num + VARHDRSZ + sizeof(uint16), digits + first, ndigits * sizeof(int16));
	}
	else
	{
		int16		w = (int16) weight;

		size = VARHDRSZ + sizeof(uint16) + sizeof(int16) + ndigits * sizeof(int16);
		num = palloc(size);
		header = (negative ? DYN_NUMERIC_NEG : 0) | (dscale & DYN_NUMERIC_DSCALE_MASK);
		memcpy(num + VARHDRSZ, &header, sizeof(uint16));
		memcpy(num + VARHDRSZ + sizeof(uint16), &w, sizeof(int16));
		memcpy(num + VARHDRSZ + 2 * sizeof(uint16), digits + first, ndigits * sizeof(int16));
	}
	SET_VARSIZE(num, size);
	*result = PointerGetDatum(num);
	return true;
}

/*
 * A column's value built straight from S, N or BOOL text, where its type
 * allows: false where the input function must read it.
 */
static inline bool
dyn_direct_value(DynColumn *col, const char *type, const char *s, int len, Datum *value)
{
	int64		v;

	switch (col->direct)
	{
		case DYN_DIRECT_TEXT:
			{
				text	   *t;

				/* checked UTF-8 is the database's encoding as it is */
				if (GetDatabaseEncoding() != PG_UTF8)
					return false;
				t = palloc(VARHDRSZ + len);
				SET_VARSIZE(t, VARHDRSZ + len);
				memcpy(VARDATA(t), s, len);
				*value = PointerGetDatum(t);
				return true;
			}
		case DYN_DIRECT_INT2:
			if (type[0] != 'N' || !dyn_direct_int(s, len, &v) || v < PG_INT16_MIN || v > PG_INT16_MAX)
				return false;
			*value = Int16GetDatum((int16) v);
			return true;
		case DYN_DIRECT_INT4:
			if (type[0] != 'N' || !dyn_direct_int(s, len, &v) || v < PG_INT32_MIN || v > PG_INT32_MAX)
				return false;
			*value = Int32GetDatum((int32) v);
			return true;
		case DYN_DIRECT_INT8:
			if (type[0] != 'N' || !dyn_direct_int(s, len, &v))
				return false;
			*value = Int64GetDatum(v);
			return true;
		case DYN_DIRECT_NUMERIC:
			return type[0] == 'N' && dyn_direct_numeric(s, len, value);
		case DYN_DIRECT_NONE:
			break;
	}
	return false;
}

/* One column's value from S, N or BOOL text; false where it cannot be. */
static bool
dyn_fast_value(DynColumn *col, const char *type, const char *s, int len,
			   Datum *value, const char *relname)
{
	DynConvertContext ctx;
	ErrorContextCallback errcallback;
	char	   *str;
	bool		is_bool = (type[0] == 'B');

	if (col->kind == DYN_COL_BOOL && is_bool)
	{
		*value = BoolGetDatum(len == 4);	/* "true" or "false" */
		return true;
	}
	if (col->kind != DYN_COL_TEXT && col->kind != DYN_COL_SCALAR &&
		!(col->kind == DYN_COL_BOOL && !is_bool))
		return false;
	if (dyn_direct_value(col, type, s, len, value))
		return true;

	str = palloc(len + 1);
	memcpy(str, s, len);
	str[len] = '\0';

	dyn_push_convert_context(&ctx, &errcallback, relname, col, NULL, type, str);
	if (type[0] == 'S')
	{
		/* DynamoDB's strings are UTF-8: converted if need be */
		char	   *converted = pg_any_to_server(str, len, PG_UTF8);

		if (converted != str)
			str = converted;
	}
	*value = InputFunctionCall(&col->input, str, col->ioparam, col->typmod);

	error_context_stack = errcallback.previous;
	return true;
}

void
dyn_fast_map_init(DynFastMap *map, DynColumn *cols, int ncols)
{
	map->ncols = ncols;
	map->same_next = palloc(sizeof(int) * Max(ncols, 1));
	for (int i = 0; i < ncols; i++)
	{
		map->same_next[i] = -1;
		for (int j = i + 1; j < ncols && cols[i].meta == DYN_META_NONE; j++)
			if (cols[j].meta == DYN_META_NONE && strcmp(cols[i].attname, cols[j].attname) == 0)
			{
				map->same_next[i] = j;
				break;
			}
	}
	memset(map->last, 0xFF, sizeof(map->last));	/* all -1 */
}

/* Whether column c reads the attribute named name. */
static inline bool
dyn_column_reads(DynColumn *col, const char *name, int namelen)
{
	return col->meta == DYN_META_NONE && col->attnamelen == namelen &&
		memcmp(col->attname, name, namelen) == 0;
}

/*
 * The first column that reads the attribute at place in an item, or -1:
 * the one it was last time first.
 */
static inline int
dyn_fast_column(DynColumn *cols, int ncols, DynFastMap *map, int place,
				const char *name, int namelen)
{
	int			guess = place < DYN_FAST_PLACES ? map->last[place] : -1;

	if (guess >= 0 && dyn_column_reads(&cols[guess], name, namelen))
		return guess;
	for (int i = 0; i < ncols; i++)
		if (dyn_column_reads(&cols[i], name, namelen))
		{
			if (place < DYN_FAST_PLACES)
				map->last[place] = (int16) i;
			return i;
		}
	return -1;
}

/*
 * Fill the columns of a row from an item's text without parsing it into a
 * tree: each attribute a column wants must be S, N, BOOL or NULL.  Returns
 * false, having filled nothing for certain, when the item holds anything
 * else a column wants; the caller then parses the item.  values and nulls
 * are indexed by attnum - 1 and start as all NULL.  When others is not
 * NULL, an attribute no column wants sets it.  The text must have passed
 * the check of items (dyn_text_check_item), as every page's have.
 */
bool
dyn_item_fast_values(DynColumn *cols, int ncols, DynFastMap *map,
					 const char *text, int len, Datum *values, bool *nulls,
					 const char *relname, bool *others)
{
	DynText		t = {text, text, text + len};

	Assert(map->ncols == ncols);
	if (!dyn_text_char(&t, '{'))
		return false;
	dyn_text_ws(&t);
	if (t.p < t.end && *t.p == '}')
		return true;
	for (int place = 0;; place++)
	{
		const char *name;
		int			namelen;
		const char *type;
		int			typelen;
		const char *s = NULL;
		int			slen = 0;
		int			c;
		bool		is_null = false;

		if (!dyn_text_string(&t, &name, &namelen, false) || !dyn_text_char(&t, ':'))
			return false;
		dyn_text_ws(&t);
		if (!dyn_text_type_prefix(&t, &type, &typelen) &&
			(!dyn_text_char(&t, '{') || !dyn_text_string(&t, &type, &typelen, false) ||
			 !dyn_text_char(&t, ':')))
			return false;

		c = dyn_fast_column(cols, ncols, map, place, name, namelen);
		if (c < 0 && others)
			*others = true;

		if (typelen == 1 && type[0] == 'S')
		{
			const char *raw;
			int			rawlen;
			const char *at = t.p;
			bool		escaped = false;

			/* a string with escapes is read again, to its end */
			if (!dyn_text_string(&t, &raw, &rawlen, false))
			{
				t.p = at;
				if (!dyn_text_string(&t, &raw, &rawlen, true))
					return false;
				escaped = true;
			}
			type = "S";
			s = raw;
			slen = rawlen;
			if (c >= 0 && escaped)
			{
				StringInfoData buf;

				/* escapes: decoded here, NUL refused */
				initStringInfo(&buf);
				if (!dyn_text_unescape(raw, rawlen, &buf))
				{
					if (buf.len < 0)
						dyn_nul_in_string();
					return false;
				}
				s = buf.data;
				slen = buf.len;
			}
		}
		else if (typelen == 1 && type[0] == 'N')
		{
			if (!dyn_text_string(&t, &s, &slen, false))
				return false;
			type = "N";
		}
		else if (typelen == 4 && memcmp(type, "BOOL", 4) == 0)
		{
			type = "BOOL";
			if (dyn_text_literal(&t, "true"))
				s = "true", slen = 4;
			else if (dyn_text_literal(&t, "false"))
				s = "false", slen = 5;
			else
				return false;
		}
		else if (typelen == 4 && memcmp(type, "NULL", 4) == 0)
		{
			if (!dyn_text_literal(&t, "true"))
				return false;
			is_null = true;
		}
		else if (c >= 0)
			return false;		/* M, L, sets, B: the parsed item serves */
		else if (!dyn_text_skip(&t))
			return false;
		if (!dyn_text_char(&t, '}'))
			return false;

		if (!is_null)
			for (; c >= 0; c = map->same_next[c])
			{
				DynColumn  *col = &cols[c];

				if (!dyn_fast_value(col, type, s, slen, &values[col->attnum - 1], relname))
					return false;
				nulls[col->attnum - 1] = false;
			}

		dyn_text_ws(&t);
		if (t.p < t.end && *t.p == ',')
		{
			t.p++;
			continue;
		}
		return dyn_text_char(&t, '}');
	}
}

/*
 * Whether an item's text holds an attribute not among names (char *), or
 * holds something this scanner does not follow (an escaped name, say),
 * which counts as one.
 */
bool
dyn_item_other_attributes(const char *text, int len, List *names)
{
	DynText		t = {text, text, text + len};

	if (!dyn_text_char(&t, '{'))
		return true;
	dyn_text_ws(&t);
	if (t.p < t.end && *t.p == '}')
		return false;
	for (;;)
	{
		const char *name;
		int			namelen;
		bool		known = false;
		ListCell   *lc;

		if (!dyn_text_string(&t, &name, &namelen, false) || !dyn_text_char(&t, ':'))
			return true;
		foreach(lc, names)
		{
			const char *n = lfirst(lc);

			/* lengths first: a name is not read past its end */
			if ((int) strlen(n) == namelen && memcmp(n, name, namelen) == 0)
			{
				known = true;
				break;
			}
		}
		if (!known || !dyn_text_skip(&t))
			return true;
		dyn_text_ws(&t);
		if (t.p < t.end && *t.p == ',')
		{
			t.p++;
			continue;
		}
		return !dyn_text_char(&t, '}');
	}
}
