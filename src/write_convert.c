/*-------------------------------------------------------------------------
 * write_convert.c
 *		Datum -> DynamoDB AttributeValue, the mirror of convert.c's read
 *		mapping: numbers as N (exact), boolean as BOOL, bytea as B, json and
 *		jsonb as M/L/S/N/BOOL/NULL with numbers as N, arrays as sets (or L
 *		where the read side reads a list), anything else as S through the
 *		type's output function.  What DynamoDB cannot hold is refused here,
 *		before a request is sent.
 *
 * The values are appended as DynamoDB JSON text.  This file uses
 * PostgreSQL's headers only (no json-c).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/base64.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/rel.h"

#include "dynomite_fdw.h"

#define DYN_MAX_DIGITS		38
#define DYN_MIN_EXPONENT	(-130)	/* 1E-130 */
#define DYN_MAX_EXPONENT	125 /* 9.99...E+125 */

typedef struct DynWriteContext
{
	const char *relname;
	DynWriteColumn *col;
} DynWriteContext;

static void
dyn_write_error_callback(void *arg)
{
	DynWriteContext *ctx = (DynWriteContext *) arg;

	errcontext("converting column \"%s\" of foreign table \"%s\" to DynamoDB attribute \"%s\"",
			   ctx->col->colname, ctx->relname, ctx->col->attname);
}

/* What a value of this (base) type is written as. */
static DynWriteKind
dyn_write_kind_of(Oid typid)
{
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
		case FLOAT4OID:
		case FLOAT8OID:
		case OIDOID:
			return DYN_WRITE_N;
		case BOOLOID:
			return DYN_WRITE_BOOL;
		case BYTEAOID:
			return DYN_WRITE_B;
		case JSONOID:
		case JSONBOID:
			return DYN_WRITE_JSON;
		default:
			return DYN_WRITE_S;
	}
}

void
dyn_init_write_column(DynWriteColumn *col, Relation rel, AttrNumber attnum,
					  const DynKeySchema *key)
{
	Form_pg_attribute attr = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	Oid			typid = getBaseType(attr->atttypid);
	Oid			elemtype = get_element_type(typid);
	Oid			outfunc;
	bool		varlena;

	memset(col, 0, sizeof(*col));
	col->attnum = attnum;
	col->colname = pstrdup(NameStr(attr->attname));
	col->meta = dyn_column_meta(RelationGetRelid(rel), attnum);
	col->attname = dyn_column_attribute(RelationGetRelid(rel), attnum);
	col->typid = typid;
	if (key && key->hash && strcmp(key->hash, col->attname) == 0)
		col->keytype = key->hash_type;
	else if (key && key->range && strcmp(key->range, col->attname) == 0)
		col->keytype = key->range_type;

	if (OidIsValid(elemtype) && col->meta == DYN_META_NONE)
	{
		col->kind = DYN_WRITE_ARRAY;
		col->elemtype = elemtype;
		col->elemkind = dyn_write_kind_of(getBaseType(elemtype));
		get_typlenbyvalalign(elemtype, &col->elemlen, &col->elembyval, &col->elemalign);
		getTypeOutputInfo(elemtype, &outfunc, &varlena);
	}
	else
	{
		col->kind = dyn_write_kind_of(typid);
		getTypeOutputInfo(attr->atttypid, &outfunc, &varlena);
	}
	fmgr_info(outfunc, &col->output);
}

/* ---------------------------------------------------------------------
 * Numbers
 * ---------------------------------------------------------------------
 */

/*
 * Check that text is a number DynamoDB holds: at most 38 significant
 * digits, magnitude 1E-130 to 9.99...E+125, or 0.  canon (when not NULL)
 * receives a form equal for equal numbers ("1" and "1.0"), for finding
 * duplicates in a set.  Returns the bytes DynamoDB counts for it.
 */
static int
dyn_check_number(const char *text, char **canon)
{
	const char *p = text;
	bool		negative = false;
	StringInfoData digits;
	int			point = -1;		/* digits before the decimal point */
	int			exponent = 0;
	int			lead = 0;
	int			ndigits;
	int			adjusted;

	initStringInfo(&digits);
	if (*p == '-' || *p == '+')
		negative = (*p++ == '-');
	for (; *p; p++)
	{
		if (*p >= '0' && *p <= '9')
			appendStringInfoChar(&digits, *p);
		else if (*p == '.' && point < 0)
			point = digits.len;
		else
			break;
	}
	if (point < 0)
		point = digits.len;
	if (*p == 'e' || *p == 'E')
	{
		char	   *end;
		long		e = strtol(p + 1, &end, 10);

		if (end == p + 1 || e > 100000 || e < -100000)
			goto invalid;
		exponent = (int) e;
		p = end;
	}
	if (*p != '\0' || digits.len == 0)
		goto invalid;

	/* strip leading and trailing zeros */
	while (lead < digits.len && digits.data[lead] == '0')
		lead++;
	if (lead == digits.len)
	{
		if (canon)
			*canon = pstrdup("0");
		return 1;
	}
	while (digits.len > lead && digits.data[digits.len - 1] == '0')
		digits.len--;
	digits.data[digits.len] = '\0';
	ndigits = digits.len - lead;
	/* the value is 0.DIGITS x 10^(point - lead + exponent) */
	adjusted = point - lead + exponent - 1;

	if (ndigits > DYN_MAX_DIGITS)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("number %s has more than %d significant digits, which DynamoDB cannot store",
						text, DYN_MAX_DIGITS)));
	if (adjusted > DYN_MAX_EXPONENT || adjusted < DYN_MIN_EXPONENT)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("number %s is out of DynamoDB's range", text),
				 errdetail("DynamoDB stores magnitudes from 1E-130 to 9.9999999999999999999999999999999999999E+125, and 0.")));
	if (canon)
		*canon = psprintf("%s%sE%d", negative ? "-" : "", digits.data + lead, adjusted);
	return (ndigits + 1) / 2 + 1;

invalid:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("\"%s\" is not a number DynamoDB can store", text),
			 errhint("NaN and infinity have no DynamoDB representation.")));
	return 0;
}

/*
 * "1.50" -> "1.5", "2.0" -> "2": the form DynamoDB itself gives back, so
 * that every server answers with the number as it was written.
 */
static char *
dyn_trim_number(char *s)
{
	char	   *end;

	if (strchr(s, '.') == NULL || strpbrk(s, "eE") != NULL)
		return s;
	end = s + strlen(s);
	while (end[-1] == '0')
		*--end = '\0';
	if (end[-1] == '.')
		end[-1] = '\0';
	return s;
}

/* ---------------------------------------------------------------------
 * JSON and jsonb: M, L, S, N, BOOL, NULL
 * ---------------------------------------------------------------------
 */
static int
dyn_append_jsonb_scalar(StringInfo buf, JsonbValue *v)
{
	char	   *s;

	switch (v->type)
	{
		case jbvNull:
			appendStringInfoString(buf, "{\"NULL\":true}");
			return 1;
		case jbvBool:
			appendStringInfoString(buf, v->val.boolean ? "{\"BOOL\":true}" : "{\"BOOL\":false}");
			return 1;
		case jbvNumeric:
			s = dyn_trim_number(DatumGetCString(DirectFunctionCall1(numeric_out,
													NumericGetDatum(v->val.numeric))));
			appendStringInfoString(buf, "{\"N\":\"");
			appendStringInfoString(buf, s);
			appendStringInfoString(buf, "\"}");
			return dyn_check_number(s, NULL);
		case jbvString:
			s = pg_server_to_any(v->val.string.val, v->val.string.len, PG_UTF8);
			if (s == v->val.string.val)
				s = pnstrdup(v->val.string.val, v->val.string.len);
			appendStringInfoString(buf, "{\"S\":");
			escape_json(buf, s);
			appendStringInfoChar(buf, '}');
			return (int) strlen(s);
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
	return 0;
}

/* jsonb -> AttributeValue text; returns DynamoDB's size of it */
static int
dyn_append_jsonb(StringInfo buf, Jsonb *jb)
{
	JsonbIterator *it = JsonbIteratorInit(&jb->root);
	JsonbIteratorToken tok;
	JsonbValue	v;
	int			size = 0;
	int			depth = 0;
	int			cap = 16;
	bool	   *first = palloc(sizeof(bool) * cap);	/* per open container */
	bool	   *in_array = palloc(sizeof(bool) * cap);
	bool		raw_scalar = false;

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		/* an element of an array is preceded by a comma but the first */
		if ((tok == WJB_ELEM || tok == WJB_BEGIN_ARRAY || tok == WJB_BEGIN_OBJECT) &&
			depth > 0 && in_array[depth - 1])
		{
			if (!first[depth - 1])
				appendStringInfoChar(buf, ',');
			first[depth - 1] = false;
		}
		switch (tok)
		{
			case WJB_BEGIN_ARRAY:
			case WJB_BEGIN_OBJECT:
				if (tok == WJB_BEGIN_ARRAY && v.val.array.rawScalar)
				{
					raw_scalar = true;
					break;
				}
				if (depth + 1 >= cap)
				{
					cap *= 2;
					first = repalloc(first, sizeof(bool) * cap);
					in_array = repalloc(in_array, sizeof(bool) * cap);
				}
				first[depth] = true;
				in_array[depth] = (tok == WJB_BEGIN_ARRAY);
				depth++;
				appendStringInfoString(buf, tok == WJB_BEGIN_ARRAY ? "{\"L\":[" : "{\"M\":{");
				size += 3;
				break;
			case WJB_END_ARRAY:
			case WJB_END_OBJECT:
				if (raw_scalar)
					break;
				depth--;
				appendStringInfoString(buf, tok == WJB_END_ARRAY ? "]}" : "}}");
				break;
			case WJB_KEY:
				{
					char	   *k = pnstrdup(v.val.string.val, v.val.string.len);

					if (!first[depth - 1])
						appendStringInfoChar(buf, ',');
					first[depth - 1] = false;
					k = pg_server_to_any(k, strlen(k), PG_UTF8);
					escape_json(buf, k);
					appendStringInfoChar(buf, ':');
					size += (int) strlen(k);
					break;
				}
			case WJB_VALUE:
			case WJB_ELEM:
				size += dyn_append_jsonb_scalar(buf, &v) + 1;
				break;
			default:
				break;
		}
	}
	return size;
}

/* ---------------------------------------------------------------------
 * Scalars and arrays
 * ---------------------------------------------------------------------
 */

/* The text of a value through its output function, as UTF-8. */
static char *
dyn_output_utf8(FmgrInfo *output, Datum value)
{
	char	   *s = OutputFunctionCall(output, value);

	return pg_server_to_any(s, strlen(s), PG_UTF8);
}

static void
dyn_empty_key(DynWriteColumn *col)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("DynamoDB key attribute \"%s\" cannot be empty", col->attname),
			 errdetail("DynamoDB refuses empty strings and empty binary values in keys.")));
}

/* Append {"T":"..."} of a scalar written as kind; returns DynamoDB's size */
static int
dyn_append_scalar(StringInfo buf, DynWriteColumn *col, DynWriteKind kind,
				  Oid typid, FmgrInfo *output, Datum value, char **canon)
{
	char	   *s;
	int			size;

	switch (kind)
	{
		case DYN_WRITE_BOOL:
			appendStringInfoString(buf, DatumGetBool(value) ? "{\"BOOL\":true}" : "{\"BOOL\":false}");
			if (canon)
				*canon = pstrdup(DatumGetBool(value) ? "t" : "f");
			return 1;
		case DYN_WRITE_B:
			{
				bytea	   *b = DatumGetByteaPP(value);
				int			len = VARSIZE_ANY_EXHDR(b);
				int			enclen = pg_b64_enc_len(len);
				char	   *enc = palloc(enclen + 1);
				int			n = DYN_B64_ENCODE(VARDATA_ANY(b), len, enc, enclen);

				if (n < 0)
					elog(ERROR, "could not encode binary value as base64");
				enc[n] = '\0';
				if (len == 0 && col->keytype)
					dyn_empty_key(col);
				appendStringInfo(buf, "{\"B\":\"%s\"}", enc);
				if (canon)
					*canon = enc;
				return len;
			}
		case DYN_WRITE_JSON:
			{
				Jsonb	   *jb;

				if (typid == JSONBOID)
					jb = DatumGetJsonbP(value);
				else
					jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
															CStringGetDatum(OutputFunctionCall(output, value))));
				return dyn_append_jsonb(buf, jb);
			}
		case DYN_WRITE_N:
			s = dyn_trim_number(OutputFunctionCall(output, value));
			size = dyn_check_number(s, canon);
			appendStringInfo(buf, "{\"N\":\"%s\"}", s);
			return size;
		default:
			s = dyn_output_utf8(output, value);
			if (*s == '\0' && col->keytype)
				dyn_empty_key(col);
			appendStringInfoString(buf, "{\"S\":");
			escape_json(buf, s);
			appendStringInfoChar(buf, '}');
			if (canon)
				*canon = s;
			return (int) strlen(s);
	}
}

static int
dyn_cmp_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * An array as a set (SS, NS, BS) or, for element types the read side reads
 * from a list (boolean, json), as L.  false: the array is empty, and the
 * attribute is to be removed.
 */
static bool
dyn_append_array(StringInfo buf, DynWriteColumn *col, Datum value, int *size)
{
	ArrayType  *array = DatumGetArrayTypeP(value);
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	bool		is_set = (col->elemkind == DYN_WRITE_S || col->elemkind == DYN_WRITE_N ||
						  col->elemkind == DYN_WRITE_B);
	char	  **canon;
	StringInfoData member;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("cannot write a multidimensional array to DynamoDB")));
	deconstruct_array(array, col->elemtype, col->elemlen, col->elembyval, col->elemalign,
					  &elems, &nulls, &n);
	if (n == 0)
		return false;

	canon = palloc(sizeof(char *) * n);
	initStringInfo(&member);
	if (is_set)
		appendStringInfo(buf, "{\"%s\":[",
						 col->elemkind == DYN_WRITE_N ? "NS" :
						 col->elemkind == DYN_WRITE_B ? "BS" : "SS");
	else
		appendStringInfoString(buf, "{\"L\":[");
	*size += 3;
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(buf, ',');
		if (nulls[i])
		{
			if (is_set)
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("a DynamoDB set cannot hold NULL"),
						 errdetail("Element %d of the array is NULL.", i + 1)));
			appendStringInfoString(buf, "{\"NULL\":true}");
			*size += 2;
			continue;
		}
		resetStringInfo(&member);
		*size += dyn_append_scalar(&member, col, col->elemkind, getBaseType(col->elemtype),
								   &col->output, elems[i], &canon[i]) + 1;
		if (is_set)
		{
			/* {"S":"x"} -> "x": a set member is the bare payload */
			char	   *colon = strchr(member.data, ':');

			appendBinaryStringInfo(buf, colon + 1, member.len - (int) (colon - member.data) - 2);
		}
		else
			appendBinaryStringInfo(buf, member.data, member.len);
	}
	appendStringInfoString(buf, "]}");

	if (is_set && n > 1)
	{
		qsort(canon, n, sizeof(char *), dyn_cmp_strings);
		for (int i = 1; i < n; i++)
			if (strcmp(canon[i - 1], canon[i]) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("a DynamoDB set cannot hold duplicates"),
						 errdetail("The array holds a value more than once.")));
	}
	return true;
}

/*
 * Append the AttributeValue of a column's value to buf.  Returns false,
 * appending nothing, when the attribute is to be absent from the item:
 * a NULL, or an empty array (DynamoDB has no empty set).  *size grows by
 * the bytes DynamoDB counts for the attribute, name included.
 */
bool
dyn_append_attribute_value(StringInfo buf, DynWriteColumn *col, Datum value, bool isnull,
						   int *size, const char *relname)
{
	DynWriteContext ctx;
	ErrorContextCallback errcallback;
	bool		present = true;
	int			before = *size;

	ctx.relname = relname;
	ctx.col = col;
	errcallback.callback = dyn_write_error_callback;
	errcallback.arg = &ctx;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	if (col->meta != DYN_META_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot write column \"%s\": it holds DynamoDB metadata, not an attribute",
						col->colname)));
	if (isnull)
	{
		if (col->keytype)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("DynamoDB key attribute \"%s\" cannot be NULL", col->attname)));
		present = false;
	}
	else if (col->keytype)
	{
		/* a key is written as the key schema's type, whatever the column's */
		DynWriteKind kind = col->keytype == 'N' ? DYN_WRITE_N :
			col->keytype == 'B' ? DYN_WRITE_B : DYN_WRITE_S;

		if (col->kind == DYN_WRITE_ARRAY || col->kind == DYN_WRITE_JSON ||
			col->kind == DYN_WRITE_BOOL || (kind == DYN_WRITE_B) != (col->kind == DYN_WRITE_B))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("cannot write column \"%s\" of type %s as a DynamoDB key of type %c",
							col->colname, format_type_be(col->typid), col->keytype)));
		*size += dyn_append_scalar(buf, col, kind, col->typid, &col->output, value, NULL);
	}
	else if (col->kind == DYN_WRITE_ARRAY)
		present = dyn_append_array(buf, col, value, size);
	else
		*size += dyn_append_scalar(buf, col, col->kind, col->typid, &col->output, value, NULL);

	if (present)
		*size += (int) strlen(col->attname);
	else
		*size = before;

	error_context_stack = errcallback.previous;
	return present;
}

/*
 * The attributes of a whole-item column's value (a JSON object), in the
 * order of the jsonb's keys: each member as its AttributeValue, by the
 * rules of a jsonb column (numbers as N, objects as M, arrays as L, null
 * as NULL).
 */
List *
dyn_item_attributes(DynWriteColumn *col, Datum value, const char *relname)
{
	DynWriteContext ctx;
	ErrorContextCallback errcallback;
	Jsonb	   *jb;
	JsonbIterator *it;
	JsonbIteratorToken tok;
	JsonbValue	v;
	List	   *attrs = NIL;
	DynItemAttribute *cur = NULL;

	ctx.relname = relname;
	ctx.col = col;
	errcallback.callback = dyn_write_error_callback;
	errcallback.arg = &ctx;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	if (col->typid != JSONBOID && col->typid != JSONOID)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot write the whole item through column \"%s\" of type %s",
						col->colname, format_type_be(col->typid)),
				 errhint("Declare the item column as jsonb.")));
	if (col->typid == JSONBOID)
		jb = DatumGetJsonbP(value);
	else
		jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
												CStringGetDatum(OutputFunctionCall(&col->output, value))));
	if (!JB_ROOT_IS_OBJECT(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the item in column \"%s\" must be a JSON object", col->colname),
				 errdetail("Its members are the item's attributes.")));

	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		StringInfoData buf;

		if (tok == WJB_KEY)
		{
			char	   *k = pnstrdup(v.val.string.val, v.val.string.len);

			cur = palloc0(sizeof(DynItemAttribute));
			cur->name = pg_server_to_any(k, strlen(k), PG_UTF8);
			continue;
		}
		if (tok != WJB_VALUE)
			continue;
		initStringInfo(&buf);
		if (v.type == jbvBinary)
			cur->size = dyn_append_jsonb(&buf, JsonbValueToJsonb(&v));
		else
			cur->size = dyn_append_jsonb_scalar(&buf, &v);
		cur->size += (int) strlen(cur->name);
		cur->value = buf.data;
		attrs = lappend(attrs, cur);
	}

	error_context_stack = errcallback.previous;
	return attrs;
}

/*
 * Whether two AttributeValue texts are one value to DynamoDB: the same
 * text, or numbers equal as numbers ("1" and "1.0").
 */
bool
dyn_same_attribute_value(const char *a, const char *b)
{
	static const char prefix[] = "{\"N\":\"";
	char	   *na;
	char	   *nb;
	char	   *ca;
	char	   *cb;

	if (strcmp(a, b) == 0)
		return true;
	if (strncmp(a, prefix, sizeof(prefix) - 1) != 0 ||
		strncmp(b, prefix, sizeof(prefix) - 1) != 0)
		return false;
	/* {"N":"123"}: the digits between the prefix and the closing "} */
	na = pnstrdup(a + sizeof(prefix) - 1, strlen(a) - (sizeof(prefix) - 1) - 2);
	nb = pnstrdup(b + sizeof(prefix) - 1, strlen(b) - (sizeof(prefix) - 1) - 2);
	(void) dyn_check_number(na, &ca);
	(void) dyn_check_number(nb, &cb);
	return strcmp(ca, cb) == 0;
}

/* Refuse an item DynamoDB would refuse for its size. */
void
dyn_check_item_size(int size, const char *relname)
{
	if (size > DYN_MAX_ITEM_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("row of foreign table \"%s\" is too large for a DynamoDB item", relname),
				 errdetail("The item would take about %d bytes; DynamoDB holds items of up to %d bytes.",
						   size, DYN_MAX_ITEM_BYTES)));
}
