/*-------------------------------------------------------------------------
 * request.c
 *		The renderer: from an access description (DynPlan) and the values
 *		of one execution to the requests DynamoDB is sent, for the foreign
 *		scan, the batched join and the paging functions alike.  The key
 *		condition and the filter, the keys of GetItem and BatchGetItem, where
 *		a read starts and what its tokens are bound to, and the one loop of
 *		BatchGetItem requests that asks again for unprocessed keys.
 *
 * DynamoDB's rules for values live here, applied to every value whoever
 * asked for it (at plan time for constants, through access.c, and at
 * execution for parameters):
 *   - a key attribute is never an empty string or binary, so a key value
 *     that is one matches nothing (and is not sent: DynamoDB rejects it);
 *   - numbers have up to 38 significant digits and magnitudes from 1E-130
 *     to below 1E+126: a key equality with another number matches nothing;
 *     a sort-key bound beyond them is clamped to an equivalent bound, or
 *     dropped where every key passes it; a filter value beyond them stays
 *     with PostgreSQL;
 *   - sort-key bounds with nothing between them match nothing (DynamoDB
 *     rejects a reversed BETWEEN);
 *   - numbers travel in one spelling, so that 1 and 1.0 are one key (a
 *     BatchGetItem must not list a key twice).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/base64.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "dynomite_fdw.h"

#define DYN_NUMBER_DIGITS	38
#define DYN_NUMBER_MAX_EXP	125		/* below 1E+126 */
#define DYN_NUMBER_MIN_EXP	(-130)	/* from 1E-130 */
#define DYN_FILTER_IN_MAX	100

/* ---------------------------------------------------------------------
 * Numbers as DynamoDB holds them
 * ---------------------------------------------------------------------
 */

/* A decimal number: sign, significant digits, the first digit's power. */
typedef struct DynDecimal
{
	bool		negative;
	char	   *digits;			/* no leading or trailing zero; "" for 0 */
	int			ndigits;
	int			exponent;		/* value = d.ddd x 10^exponent */
} DynDecimal;

/* Whether DynamoDB can take a value (as a key value, where so marked). */
typedef enum DynFit
{
	DYN_FITS,
	DYN_EMPTY,					/* an empty S or B: never a key value */
	DYN_TOO_LARGE,				/* 1E+126 or more in magnitude, NaN, infinity */
	DYN_TOO_SMALL,				/* below 1E-130 in magnitude, not 0 */
	DYN_TOO_PRECISE				/* more than 38 significant digits */
} DynFit;

/*
 * Read a number in DynamoDB's syntax ("-12.50", "1E+3"), with the scanner
 * of response numbers (jsontext.c); false where it is not one.
 */
static bool
dyn_decimal_parse(const char *text, DynDecimal *num)
{
	DynNumber	n;
	StringInfoData digits;

	if (!dyn_number_parse(text, (int) strlen(text), &n))
		return false;
	initStringInfo(&digits);
	if (!n.zero)
		for (const char *p = n.first; p <= n.last; p++)
			if (*p != '.')
				appendStringInfoChar(&digits, *p);
	num->negative = n.negative && !n.zero;
	num->digits = digits.data;
	num->ndigits = digits.len;
	num->exponent = n.zero ? 0 :
		(int) Max(Min(n.exponent, 1000000), -1000000);
	return true;
}

/* A number in its one spelling: plain decimal, no needless zero. */
static char *
dyn_decimal_text(const DynDecimal *num)
{
	StringInfoData buf;
	int			n = num->ndigits;
	int			e = num->exponent;

	if (n == 0)
		return pstrdup("0");
	initStringInfo(&buf);
	if (num->negative)
		appendStringInfoChar(&buf, '-');
	if (e >= n - 1)
	{
		appendBinaryStringInfo(&buf, num->digits, n);
		for (int i = 0; i < e - (n - 1); i++)
			appendStringInfoChar(&buf, '0');
	}
	else if (e >= 0)
	{
		appendBinaryStringInfo(&buf, num->digits, e + 1);
		appendStringInfoChar(&buf, '.');
		appendBinaryStringInfo(&buf, num->digits + e + 1, n - e - 1);
	}
	else
	{
		appendStringInfoString(&buf, "0.");
		for (int i = 0; i < -e - 1; i++)
			appendStringInfoChar(&buf, '0');
		appendBinaryStringInfo(&buf, num->digits, n);
	}
	return buf.data;
}

/* Whether DynamoDB holds the number: its range, then its precision. */
static DynFit
dyn_decimal_fit(const DynDecimal *num)
{
	if (num->ndigits == 0)
		return DYN_FITS;
	if (num->exponent > DYN_NUMBER_MAX_EXP)
		return DYN_TOO_LARGE;
	if (num->exponent < DYN_NUMBER_MIN_EXP)
		return DYN_TOO_SMALL;
	if (num->ndigits > DYN_NUMBER_DIGITS)
		return DYN_TOO_PRECISE;
	return DYN_FITS;
}

/*
 * Round to 38 significant digits, towards +infinity (up) or -infinity: the
 * least number DynamoDB holds at or above num, or the greatest at or below.
 */
static void
dyn_decimal_round(DynDecimal *num, bool up)
{
	char	   *d = pnstrdup(num->digits, DYN_NUMBER_DIGITS);
	int			n = DYN_NUMBER_DIGITS;

	if (up != num->negative)
	{
		/* away from zero: add one in the last place */
		int			i = n - 1;

		while (i >= 0 && d[i] == '9')
			d[i--] = '0';
		if (i < 0)
		{
			d[0] = '1';
			n = 1;
			num->exponent++;
		}
		else
			d[i]++;
	}
	while (d[n - 1] == '0')
		n--;
	d[n] = '\0';
	num->digits = d;
	num->ndigits = n;
}

/* The order of two numbers DynamoDB holds. */
static int
dyn_decimal_cmp(const DynDecimal *a, const DynDecimal *b)
{
	int			sa = a->ndigits == 0 ? 0 : a->negative ? -1 : 1;
	int			sb = b->ndigits == 0 ? 0 : b->negative ? -1 : 1;
	int			c;

	if (sa != sb)
		return sa < sb ? -1 : 1;
	if (sa == 0)
		return 0;
	if (a->exponent != b->exponent)
		c = a->exponent < b->exponent ? -1 : 1;
	else
		c = strcmp(a->digits, b->digits);
	return sa > 0 ? c : -c;
}

/* ---------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------
 */

/*
 * Whether DynamoDB can take a value.  N text that is no number (NaN,
 * Infinity) counts as too large: no number DynamoDB holds equals it, and
 * PostgreSQL orders NaN above every number.  *num receives N's number.
 */
static DynFit
dyn_value_fit(const DynValue *v, DynDecimal *num)
{
	DynDecimal	local;

	if (num == NULL)
		num = &local;
	switch (v->type)
	{
		case 'S':
		case 'B':
			return *v->text ? DYN_FITS : DYN_EMPTY;
		case 'N':
			if (!dyn_decimal_parse(v->text, num))
			{
				num->negative = v->text[0] == '-';
				num->digits = "";
				num->ndigits = 0;
				num->exponent = 0;
				return DYN_TOO_LARGE;
			}
			return dyn_decimal_fit(num);
		default:
			return DYN_FITS;
	}
}

/*
 * One PostgreSQL value as a DynamoDB value of the given type.  Numbers are
 * written in their one spelling where DynamoDB can hold them, as the type
 * writes them otherwise ("NaN", or digits beyond DynamoDB's).
 */
static DynValue *
dyn_datum_value(Datum value, Oid type, char dyntype)
{
	DynValue   *result = palloc(sizeof(DynValue));
	Oid			outfunc;
	bool		isvarlena;

	result->type = dyntype;
	switch (dyntype)
	{
		case 'T':
			result->text = DatumGetBool(value) ? "true" : "false";
			break;
		case 'B':
			{
				bytea	   *b = DatumGetByteaPP(value);
				int			len = VARSIZE_ANY_EXHDR(b);
				int			enclen = pg_b64_enc_len(len);

				result->text = palloc(enclen + 1);
				enclen = DYN_B64_ENCODE(VARDATA_ANY(b), len, result->text, enclen);
				if (enclen < 0)
					elog(ERROR, "could not encode a binary value");
				result->text[enclen] = '\0';
				break;
			}
		default:
			getTypeOutputInfo(type, &outfunc, &isvarlena);
			result->text = OidOutputFunctionCall(outfunc, value);
			if (dyntype == 'N')
			{
				DynDecimal	num;

				if (dyn_value_fit(result, &num) != DYN_TOO_LARGE)
					result->text = dyn_decimal_text(&num);
			}
			break;
	}
	return result;
}

/* The order of two values of one type, as DynamoDB orders keys. */
static int
dyn_value_cmp(const DynValue *a, const DynValue *b)
{
	if (a->type == 'N')
	{
		DynDecimal	na;
		DynDecimal	nb;

		(void) dyn_value_fit(a, &na);
		(void) dyn_value_fit(b, &nb);
		return dyn_decimal_cmp(&na, &nb);
	}
	if (a->type == 'B')
	{
		int			la = strlen(a->text);
		int			lb = strlen(b->text);
		char	   *da = palloc(pg_b64_dec_len(la) + 1);
		char	   *db = palloc(pg_b64_dec_len(lb) + 1);
		int			c;

		la = DYN_B64_DECODE(a->text, la, da, pg_b64_dec_len(la));
		lb = DYN_B64_DECODE(b->text, lb, db, pg_b64_dec_len(lb));
		c = memcmp(da, db, Min(la, lb));
		return c != 0 ? c : (la < lb ? -1 : la > lb ? 1 : 0);
	}
	return strcmp(a->text, b->text);
}

/*
 * The values of a condition in this execution, each once (by value, not
 * spelling): one, or for IN every distinct element; NULL elements match
 * nothing and are left out.  An equality (or IN) whose value no item can
 * hold matches nothing and is left out too: an empty key value (keyed),
 * or a number DynamoDB cannot hold, of a key attribute or where only
 * DynamoDB decides (exact).  Any other value DynamoDB cannot take sets
 * *unsent; the values returned are then the others.
 */
List *
dyn_cond_values(const DynCond *cond, const DynParamValue *params, bool keyed,
				bool exact, bool *unsent)
{
	const DynParamValue *p;
	bool		equality = cond->op == DYN_EQ || cond->op == DYN_IN;
	Datum	   *elems = NULL;
	bool	   *nulls = NULL;
	Oid			elemtype;
	int			n = 1;
	List	   *result = NIL;

	*unsent = false;
	if (cond->valueidx < 0 || params[cond->valueidx].isnull)
		return NIL;
	p = &params[cond->valueidx];
	elemtype = p->type;
	if (cond->op == DYN_IN)
	{
		ArrayType  *array = DatumGetArrayTypeP(p->value);
		int16		elemlen;
		bool		elembyval;
		char		elemalign;

		elemtype = ARR_ELEMTYPE(array);
		get_typlenbyvalalign(elemtype, &elemlen, &elembyval, &elemalign);
		deconstruct_array(array, elemtype, elemlen, elembyval, elemalign,
						  &elems, &nulls, &n);
	}
	for (int i = 0; i < n; i++)
	{
		DynValue   *v;
		DynFit		fit;
		bool		dup = false;
		ListCell   *lc;

		if (nulls && nulls[i])
			continue;			/* x = NULL is never true */
		v = dyn_datum_value(elems ? elems[i] : p->value, elemtype, cond->dyntype);
		fit = dyn_value_fit(v, NULL);
		if (fit != DYN_FITS && !(fit == DYN_EMPTY && !(keyed && equality)))
		{
			if (!(equality && (keyed || exact)))
				*unsent = true;
			continue;
		}
		foreach(lc, result)
			if (strcmp(((DynValue *) lfirst(lc))->text, v->text) == 0)
				dup = true;
		if (!dup)
			result = lappend(result, v);
	}
	return result;
}

/* The values of constant expressions, or NULL if one is not a constant. */
DynParamValue *
dyn_const_params(List *exprs)
{
	DynParamValue *params = palloc0(sizeof(DynParamValue) * Max(list_length(exprs), 1));
	ListCell   *lc;

	foreach(lc, exprs)
	{
		Const	   *c = lfirst(lc);

		if (!IsA(c, Const))
			return NULL;
		params[foreach_current_index(lc)].value = c->constvalue;
		params[foreach_current_index(lc)].isnull = c->constisnull;
		params[foreach_current_index(lc)].type = c->consttype;
	}
	return params;
}

/* ---------------------------------------------------------------------
 * Placeholders
 * ---------------------------------------------------------------------
 */
/* The placeholder (#k0, #f1, ...) of an attribute name, made once a prefix. */
static char *
dyn_placeholder_for_name(DynRequest *req, char prefix, const char *attname)
{
	DynPlaceholder *ph;
	ListCell   *lc;
	int			n = 0;

	foreach(lc, req->names)
	{
		ph = lfirst(lc);
		if (ph->placeholder[1] == prefix)
		{
			if (strcmp(ph->name, attname) == 0)
				return ph->placeholder;
			n++;
		}
	}
	ph = palloc0(sizeof(DynPlaceholder));
	ph->placeholder = psprintf("#%c%d", prefix, n);
	ph->name = pstrdup(attname);
	req->names = lappend(req->names, ph);
	return ph->placeholder;
}

/* A value placeholder of the given name, made once. */
static char *
dyn_placeholder_for_value(DynRequest *req, const char *placeholder, DynValue *value)
{
	DynPlaceholder *ph;
	ListCell   *lc;

	foreach(lc, req->values)
		if (strcmp(((DynPlaceholder *) lfirst(lc))->placeholder, placeholder) == 0)
			return ((DynPlaceholder *) lfirst(lc))->placeholder;
	ph = palloc0(sizeof(DynPlaceholder));
	ph->placeholder = pstrdup(placeholder);
	ph->value = value;
	req->values = lappend(req->values, ph);
	return ph->placeholder;
}

/* The next value placeholder of a prefix (:k0, :k1, ...) for value. */
static char *
dyn_new_value(DynRequest *req, char prefix, int *counter, DynValue *value)
{
	char		buf[32];

	snprintf(buf, sizeof(buf), ":%c%d", prefix, (*counter)++);
	return dyn_placeholder_for_value(req, buf, value);
}

/* The value {"S": "S"} etc. that attribute_type() compares with. */
static char *
dyn_type_value(DynRequest *req, const char *type)
{
	DynValue   *v = palloc(sizeof(DynValue));
	char		buf[32];

	v->type = 'S';
	v->text = pstrdup(type);
	snprintf(buf, sizeof(buf), ":t%s", type);
	return dyn_placeholder_for_value(req, buf, v);
}

/* ProjectionExpression names: every attribute travels as a placeholder. */
void
dyn_add_projection_names(DynRequest *req, List *attributes)
{
	ListCell   *lc;

	foreach(lc, attributes)
		(void) dyn_placeholder_for_name(req, 'p', (const char *) lfirst(lc));
}

/* ---------------------------------------------------------------------
 * The key condition of a Query
 * ---------------------------------------------------------------------
 */

/* What a sort-key bound amounts to once DynamoDB's numbers are applied. */
typedef enum DynBound
{
	DYN_BOUND_KEEP,				/* send it (*v and *op may have changed) */
	DYN_BOUND_ALL,				/* every key passes it: leave it out */
	DYN_BOUND_NONE				/* no key passes it */
} DynBound;

/*
 * A lower (GT, GE) or upper (LT, LE) sort-key bound as DynamoDB can take
 * it.  Every key is a non-empty string (or binary) and a number DynamoDB
 * holds, so a bound beyond those is the same as an inclusive bound at the
 * nearest number DynamoDB holds, or as no bound, or as no key at all.
 */
static DynBound
dyn_clamp_bound(DynValue *v, bool lower, DynCondOp *op)
{
	DynDecimal	num;

	switch (dyn_value_fit(v, &num))
	{
		case DYN_FITS:
			return DYN_BOUND_KEEP;
		case DYN_EMPTY:
			return lower ? DYN_BOUND_ALL : DYN_BOUND_NONE;
		case DYN_TOO_LARGE:
			/* above every key (+), or below (-) */
			return lower != num.negative ? DYN_BOUND_NONE : DYN_BOUND_ALL;
		case DYN_TOO_SMALL:
			/* between 0 and the least magnitude: the next number inward */
			if (lower != num.negative)
			{
				num.digits = "1";
				num.ndigits = 1;
				num.exponent = DYN_NUMBER_MIN_EXP;
			}
			else
				num.ndigits = 0;
			break;
		case DYN_TOO_PRECISE:
			dyn_decimal_round(&num, lower);
			if (dyn_decimal_fit(&num) == DYN_TOO_LARGE)
				return DYN_BOUND_NONE;
			break;
	}
	v->text = dyn_decimal_text(&num);
	*op = lower ? DYN_GE : DYN_LE;
	return DYN_BOUND_KEEP;
}

/*
 * The sort key's conditions of a Query in this execution, as DynamoDB
 * takes them; false where no item can match: an equality with a value no
 * key holds, a bound no key passes, or bounds with nothing between them.
 */
static bool
dyn_prepare_sort(DynExecution *ex)
{
	DynCond    *conds[2] = {NULL, NULL};	/* lower, upper */
	DynCond    *other = NULL;
	bool		strict[2];
	ListCell   *lc;

	ex->nsort = 0;
	for_each_from(lc, ex->plan->key_conds, 1)
	{
		DynCond    *cond = lfirst(lc);

		if (cond->op == DYN_GT || cond->op == DYN_GE)
			conds[0] = cond;
		else if (cond->op == DYN_LT || cond->op == DYN_LE)
			conds[1] = cond;
		else
			other = cond;
	}
	if (other)
	{
		bool		unsent;
		List	   *values = dyn_cond_values(other, ex->params, true, false, &unsent);

		if (values == NIL)
			return false;
		ex->sort_ops[0] = other->op;
		ex->sort_values[0] = linitial(values);
		ex->nsort = *ex->sort_values[0]->text ? 1 : 0;	/* begins_with '' */
		return true;
	}
	for (int i = 0; i < 2; i++)
	{
		const DynParamValue *p;
		DynValue   *v;
		DynCondOp	op;

		if (conds[i] == NULL)
			continue;
		p = &ex->params[conds[i]->valueidx];
		if (p->isnull)
			return false;		/* compares as unknown */
		v = dyn_datum_value(p->value, p->type, conds[i]->dyntype);
		op = conds[i]->op;
		switch (dyn_clamp_bound(v, i == 0, &op))
		{
			case DYN_BOUND_NONE:
				return false;
			case DYN_BOUND_ALL:
				continue;
			case DYN_BOUND_KEEP:
				break;
		}
		strict[ex->nsort] = op == DYN_GT || op == DYN_LT;
		ex->sort_ops[ex->nsort] = op;
		ex->sort_values[ex->nsort++] = v;
	}
	if (ex->nsort == 2)
	{
		int			c = dyn_value_cmp(ex->sort_values[0], ex->sort_values[1]);

		if (c > 0 || (c == 0 && (strict[0] || strict[1])))
			return false;
	}
	return true;
}

/* The KeyConditionExpression of a Query of one partition. */
static char *
dyn_render_key_condition(DynExecution *ex, DynValue *hash_value, DynRequest *req)
{
	DynCond    *hash = linitial(ex->plan->key_conds);
	StringInfoData buf;
	int			counter = 0;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s = %s", dyn_placeholder_for_name(req, 'k', hash->attname),
					 dyn_new_value(req, 'k', &counter, hash_value));
	if (ex->nsort > 0)
	{
		char	   *name = dyn_placeholder_for_name(req, 'k',
													((DynCond *) lsecond(ex->plan->key_conds))->attname);
		char	   *v0 = dyn_new_value(req, 'k', &counter, ex->sort_values[0]);

		appendStringInfoString(&buf, " AND ");
		if (ex->nsort == 2)
			appendStringInfo(&buf, "%s BETWEEN %s AND %s", name, v0,
							 dyn_new_value(req, 'k', &counter, ex->sort_values[1]));
		else if (ex->sort_ops[0] == DYN_BEGINS)
			appendStringInfo(&buf, "begins_with(%s, %s)", name, v0);
		else
			appendStringInfo(&buf, "%s %s %s", name, dyn_cond_op_text(ex->sort_ops[0]), v0);
	}
	return buf.data;
}

/* ---------------------------------------------------------------------
 * The filter
 * ---------------------------------------------------------------------
 */

/* What became of one condition of a filter. */
typedef enum DynLeafResult
{
	DYN_LEAF_WRITTEN,
	DYN_LEAF_NEVER,				/* no item matches it in this execution */
	DYN_LEAF_UNSENT				/* its value cannot be sent */
} DynLeafResult;

/*
 * One condition of a filter.  Checked again locally (not exact), it keeps
 * items whose attribute is of another type: PostgreSQL decides those
 * itself.  A NULL value matches no item (the operators are strict); a
 * value DynamoDB cannot take, or more than 100 for IN, cannot be sent.
 */
static DynLeafResult
dyn_render_filter_leaf(StringInfo buf, DynCond *cond, const DynParamValue *params,
					   bool exact, DynRequest *req, int *counter)
{
	char	   *name;
	List	   *values;
	bool		unsent;

	switch (cond->op)
	{
		case DYN_ISNULL:
			name = dyn_placeholder_for_name(req, 'f', cond->attname);
			appendStringInfo(buf, "(attribute_not_exists(%s) OR attribute_type(%s, %s))",
							 name, name, dyn_type_value(req, "NULL"));
			return DYN_LEAF_WRITTEN;
		case DYN_NOTNULL:
			name = dyn_placeholder_for_name(req, 'f', cond->attname);
			appendStringInfo(buf, "(attribute_exists(%s) AND NOT attribute_type(%s, %s))",
							 name, name, dyn_type_value(req, "NULL"));
			return DYN_LEAF_WRITTEN;
		case DYN_EXISTS:
			appendStringInfo(buf, "attribute_exists(%s)",
							 dyn_placeholder_for_name(req, 'f', cond->attname));
			return DYN_LEAF_WRITTEN;
		case DYN_MISSING:
			appendStringInfo(buf, "attribute_not_exists(%s)",
							 dyn_placeholder_for_name(req, 'f', cond->attname));
			return DYN_LEAF_WRITTEN;
		default:
			break;
	}

	values = dyn_cond_values(cond, params, cond->keyed, exact, &unsent);
	if (unsent || list_length(values) > DYN_FILTER_IN_MAX)
		return DYN_LEAF_UNSENT;
	if (values == NIL)
		return DYN_LEAF_NEVER;	/* NULL, IN of nothing, or of no value */

	name = dyn_placeholder_for_name(req, 'f', cond->attname);
	if (!exact)
		appendStringInfoChar(buf, '(');
	if (cond->op == DYN_IN)
	{
		ListCell   *lc;

		appendStringInfo(buf, "%s IN (", name);
		foreach(lc, values)
			appendStringInfo(buf, "%s%s", foreach_current_index(lc) > 0 ? ", " : "",
							 dyn_new_value(req, 'f', counter, lfirst(lc)));
		appendStringInfoChar(buf, ')');
	}
	else if (cond->op == DYN_BEGINS)
		appendStringInfo(buf, "begins_with(%s, %s)", name,
						 dyn_new_value(req, 'f', counter, linitial(values)));
	else
		appendStringInfo(buf, "%s %s %s", name, dyn_cond_op_text(cond->op),
						 dyn_new_value(req, 'f', counter, linitial(values)));
	if (!exact)
		appendStringInfo(buf, " OR NOT attribute_type(%s, %s))", name,
						 dyn_type_value(req, cond->dyntype == 'T' ? "BOOL" :
										cond->dyntype == 'S' ? "S" :
										cond->dyntype == 'N' ? "N" : "B"));
	return DYN_LEAF_WRITTEN;
}

/*
 * The FilterExpression for this execution, or NULL.  Where the filter is
 * checked again locally, DynamoDB need only drop items PostgreSQL would: a
 * condition that matches nothing this time leaves its OR group; a group
 * with a condition that cannot be sent is left out whole.  *empty is set
 * when a group has nothing left, so that no item can match.
 */
static char *
dyn_render_filter(List *filters, const DynParamValue *params, bool exact,
				  DynRequest *req, bool *empty)
{
	StringInfoData buf;
	StringInfoData group_buf;
	int			counter = 0;
	ListCell   *lc;

	*empty = false;
	if (filters == NIL)
		return NULL;
	initStringInfo(&buf);
	initStringInfo(&group_buf);
	foreach(lc, filters)
	{
		List	   *group = lfirst(lc);
		int			nnames = list_length(req->names);
		int			nvalues = list_length(req->values);
		int			saved_counter = counter;
		int			written = 0;
		bool		unsent = false;
		ListCell   *lc2;

		resetStringInfo(&group_buf);
		foreach(lc2, group)
		{
			int			len = group_buf.len;
			DynLeafResult r;

			if (written > 0)
				appendStringInfoString(&group_buf, " OR ");
			r = dyn_render_filter_leaf(&group_buf, lfirst(lc2), params, exact, req, &counter);
			if (r == DYN_LEAF_WRITTEN)
				written++;
			else
			{
				group_buf.len = len;
				group_buf.data[len] = '\0';
				if (r == DYN_LEAF_UNSENT)
				{
					unsent = true;
					break;
				}
			}
		}
		if (unsent)
		{
			/* left out: what it added to the request goes too */
			req->names = list_truncate(req->names, nnames);
			req->values = list_truncate(req->values, nvalues);
			counter = saved_counter;
			continue;
		}
		if (written == 0)
		{
			*empty = true;
			return NULL;
		}
		if (buf.len > 0)
			appendStringInfoString(&buf, " AND ");
		if (written > 1)
			appendStringInfo(&buf, "(%s)", group_buf.data);
		else
			appendStringInfoString(&buf, group_buf.data);
	}
	pfree(group_buf.data);
	return buf.len > 0 ? buf.data : NULL;
}

/* ---------------------------------------------------------------------
 * Requests
 * ---------------------------------------------------------------------
 */

/*
 * The key attributes of an access's tokens, and of its LastEvaluatedKeys:
 * their names and types into names and types (four at most); how many.
 */
static int
dyn_plan_token_keys(const DynPlan *plan, const char **names, char *types)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, plan->token_keys)
	{
		if (foreach_current_index(lc) % 2 == 0)
			names[n] = strVal(lfirst(lc));
		else
			types[n++] = (char) intVal(lfirst(lc));
	}
	return n;
}

/* What every request of an access shares. */
void
dyn_base_request(const DynPlan *plan, const DynOptions *opts, DynRequest *req)
{
	ListCell   *lc;

	memset(req, 0, sizeof(DynRequest));
	req->op = plan->op;
	req->table = opts->table;
	req->index = plan->index;
	req->forward = plan->forward;
	req->consistent_read = plan->consistent_read;
	req->count_only = plan->count_only;
	/* what a read budget or cap needs; EXPLAIN ANALYZE asks too */
	req->capacity = dyn_budget_active(opts);
	foreach(lc, plan->projection)
		req->projection = lappend(req->projection, strVal(lfirst(lc)));
}

/*
 * What the responses of an access must be: answers to its operation on
 * its table, whose keys (a LastEvaluatedKey, keys to retry) are the
 * attributes its tokens hold: the table's keys, then the index's.
 */
void
dyn_plan_expect(const DynPlan *plan, const DynOptions *opts, DynExpect *expect)
{
	memset(expect, 0, sizeof(DynExpect));
	expect->op = plan->op;
	expect->table = opts->table;
	expect->nkeys = dyn_plan_token_keys(plan, expect->key_names, expect->key_types);
	expect->account = dyn_account_page;
	expect->account_arg = opts;
}

/*
 * The conditions of a Scan, or of a Query of one partition, into req:
 * false where they match no item.
 */
bool
dyn_render_conditions(DynExecution *ex, int partition, DynRequest *req)
{
	bool		empty = false;

	if (ex->plan->op == DYN_OP_QUERY)
		req->key_condition = dyn_render_key_condition(ex, list_nth(ex->partitions, partition),
													  req);
	if (ex->plan->op == DYN_OP_QUERY || ex->plan->op == DYN_OP_SCAN)
		req->filter = dyn_render_filter(ex->plan->filters, ex->params,
										ex->plan->exact_filters, req, &empty);
	return !empty;
}

/*
 * Pause before asking again for what a batch request left unprocessed
 * (keys of BatchGetItem, items of BatchWriteItem): longer with each answer
 * in a row that left some, and an error, never a silent loss, once
 * max_retries + 10 of them have.  The rule of both batch loops.
 */
void
dyn_unprocessed_pause(int *tries, const DynOptions *opts, const char *what)
{
	if (*tries >= opts->max_retries + 10)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("DynamoDB left %s unprocessed %d times in a row", what, *tries),
				 errhint("Raise the table's capacity.")));
	dyn_backoff((*tries)++);
}

/*
 * The next BatchGetItem request of an execution, or NULL when every key
 * has been asked for and answered.  The keys DynamoDB left unprocessed in
 * the answer before (last) go first, after a pause that grows with each
 * answer in a row that left some; then the next 100 keys.  req holds what
 * every request shares.  The one BatchGetItem loop of every reader.
 */
char *
dyn_batch_next(DynBatchCursor *c, const DynRequest *req, DynPage *last,
			   const DynOptions *opts)
{
	DynRequest	batch = *req;

	if (last && last->unprocessed)
	{
		dyn_unprocessed_pause(&c->tries, opts, "keys");
		return dyn_build_unprocessed_request(last->unprocessed);
	}
	c->tries = 0;
	if (c->next >= list_length(c->keys))
		return NULL;
	batch.op = DYN_OP_BATCHGETITEM;
	batch.keys = list_copy_tail(c->keys, c->next);
	if (list_length(batch.keys) > DYN_BATCH_MAX_KEYS)
		batch.keys = list_truncate(batch.keys, DYN_BATCH_MAX_KEYS);
	c->next += list_length(batch.keys);
	return dyn_build_request(&batch, NULL, false);
}

/* ---------------------------------------------------------------------
 * One execution
 * ---------------------------------------------------------------------
 */

/*
 * The whole keys of GetItem or BatchGetItem for these values, each once:
 * every partition-key value with the sort key's.  A value no key can hold
 * (NULL, empty, a number DynamoDB cannot hold) gives no key.
 */
List *
dyn_execution_keys(const DynPlan *plan, const DynParamValue *params)
{
	List	   *hashes;
	List	   *ranges = list_make1(NULL);
	List	   *keys = NIL;
	bool		unsent;
	ListCell   *lc;
	ListCell   *lc2;

	hashes = dyn_cond_values(linitial(plan->key_conds), params, true, false, &unsent);
	if (list_length(plan->key_conds) > 1)
		ranges = dyn_cond_values(lsecond(plan->key_conds), params, true, false, &unsent);
	foreach(lc, hashes)
		foreach(lc2, ranges)
		{
			DynKey	   *key = palloc0(sizeof(DynKey));

			key->names[0] = plan->hash_key;
			key->values[0] = lfirst(lc);
			key->nattrs = 1;
			if (lfirst(lc2))
			{
				key->names[1] = plan->range_key;
				key->values[1] = lfirst(lc2);
				key->nattrs = 2;
			}
			keys = lappend(keys, key);
		}
	return keys;
}

/*
 * What the execution's tokens are bound to: the table, the index, and a
 * hash of the conditions (all partition-key values, for a list).
 */
static void
dyn_execution_scope(DynExecution *ex)
{
	DynRequest	req;
	ListCell   *lc;

	dyn_base_request(ex->plan, ex->opts, &req);
	(void) dyn_render_conditions(ex, 0, &req);
	if (list_length(ex->partitions) > 1)
	{
		DynPlaceholder *ph = palloc0(sizeof(DynPlaceholder));
		StringInfoData all;

		initStringInfo(&all);
		foreach(lc, ex->partitions)
			appendStringInfo(&all, "%s\x1f", ((DynValue *) lfirst(lc))->text);
		ph->placeholder = ":partitions";
		ph->value = palloc(sizeof(DynValue));
		ph->value->type = 'S';
		ph->value->text = all.data;
		req.values = lappend(req.values, ph);
	}
	ex->scope.table = ex->opts->table;
	ex->scope.index = ex->plan->index;
	ex->scope.binding = dyn_request_binding(&req);
	ex->scope.secret = ex->opts->token_secret;
	ex->scope.nkeys = dyn_plan_token_keys(ex->plan, ex->scope.key_names,
										  ex->scope.key_types);
}

/*
 * Where the execution starts: after the item a next_token names (checked
 * against the scope), or after a plain start_at key; for a list of
 * partitions, in the token's.  An empty start is the beginning; NULL
 * compares as unknown, so nothing matches.  A key DynamoDB would reject
 * (an empty value, a number it cannot hold) is refused, by the one check
 * of keys (token.c).
 */
static void
dyn_execution_start(DynExecution *ex)
{
	const DynParamValue *p = &ex->params[ex->plan->start_token_idx];
	const char *what = ex->plan->start_plain ? "start_at key" : "next_token";
	const char *why;
	char	   *start;

	if (p->isnull)
	{
		ex->nothing = true;
		return;
	}
	start = TextDatumGetCString(p->value);
	if (*start == '\0')
		return;
	ex->start_key = ex->plan->start_plain ?
		dyn_start_at_key(start, &ex->scope, CurrentMemoryContext) :
		dyn_token_decode(&ex->scope, start, CurrentMemoryContext);
	if (!dyn_key_valid(ex->start_key, ex->scope.nkeys, ex->scope.key_names,
					   ex->scope.key_types, &why))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s", what),
				 errdetail("The key %s.", why)));
	if (list_length(ex->partitions) > 1)
	{
		char	   *hash = dyn_item_key_text(ex->start_key, ex->plan->hash_key);
		ListCell   *lc;

		ex->start_partition = list_length(ex->partitions);
		foreach(lc, ex->partitions)
			if (hash && strcmp(((DynValue *) lfirst(lc))->text, hash) == 0)
			{
				ex->start_partition = foreach_current_index(lc);
				break;
			}
	}
}

/*
 * Get an execution ready: apply DynamoDB's rules to this execution's
 * values, find the partitions of a Query or the keys of GetItem and
 * BatchGetItem, and, for a reader of tokens, the scope and (resume) where
 * to start.  ex->nothing is set where no item can match: nothing is sent.
 * Everything is made in the current memory context.
 */
void
dyn_execution_begin(DynExecution *ex, const DynPlan *plan, const DynOptions *opts,
					const DynParamValue *params, bool tokens, bool resume)
{
	DynRequest	req;
	bool		unsent;

	memset(ex, 0, sizeof(DynExecution));
	ex->plan = plan;
	ex->opts = opts;
	ex->params = params;
	ex->nothing = plan->nothing;
	if (ex->nothing)
		return;
	switch (plan->op)
	{
		case DYN_OP_QUERY:
			ex->partitions = dyn_cond_values(linitial(plan->key_conds), params, true, false,
											 &unsent);
			ex->nothing = ex->partitions == NIL || !dyn_prepare_sort(ex);
			break;
		case DYN_OP_GETITEM:
		case DYN_OP_BATCHGETITEM:
			ex->keys = dyn_execution_keys(plan, params);
			ex->batch.keys = ex->keys;
			ex->nothing = ex->keys == NIL;
			break;
		case DYN_OP_SCAN:
			break;
	}
	/* a filter with a group nothing can match */
	dyn_base_request(plan, opts, &req);
	if (!ex->nothing && !dyn_render_conditions(ex, 0, &req))
		ex->nothing = true;
	if (ex->nothing || !tokens)
		return;
	dyn_execution_scope(ex);
	if (resume && plan->start_token_idx >= 0)
		dyn_execution_start(ex);
}

/* ---------------------------------------------------------------------
 * Keys to match items with
 * ---------------------------------------------------------------------
 */

/* A key as text to match items by: types and values, numbers in one spelling. */
char *
dyn_key_lookup_text(const DynKey *key)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < key->nattrs; i++)
		appendStringInfo(&buf, "%c%s%c", key->values[i]->type, key->values[i]->text, '\x1f');
	return buf.data;
}

/* The same text of an item's key, from its key attributes; NULL if one lacks. */
char *
dyn_item_lookup_text(DynJson *item, const DynPlan *plan)
{
	DynKey		key;
	DynValue	values[2];

	key.nattrs = list_length(plan->key_conds);
	for (int i = 0; i < key.nattrs; i++)
	{
		DynDecimal	num;

		values[i].type = ((DynCond *) list_nth(plan->key_conds, i))->dyntype;
		values[i].text = dyn_item_key_text(item, i == 0 ? plan->hash_key : plan->range_key);
		if (values[i].text == NULL)
			return NULL;
		if (values[i].type == 'N' && dyn_value_fit(&values[i], &num) == DYN_FITS)
			values[i].text = dyn_decimal_text(&num);
		key.values[i] = &values[i];
	}
	return dyn_key_lookup_text(&key);
}
