/*-------------------------------------------------------------------------
 * deparse.c
 *		Which conditions DynamoDB can evaluate, and how they are written as
 *		KeyConditionExpression and FilterExpression.
 *
 * Shipping is conservative.  A key condition is shipped only where the
 * column's type is the key attribute's DynamoDB type, so DynamoDB answers
 * exactly as PostgreSQL would.  A non-key attribute may hold any type in any
 * item, and PostgreSQL reads an N into a text column, an S into an integer
 * column; so a filter is shipped in a form that keeps every item of another
 * type ("a = :v OR NOT attribute_type(a, :tS)") and is checked again
 * locally.  A filter is only ever a cheaper way to drop items PostgreSQL
 * would drop too.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "common/base64.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/pg_locale.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "dynomite_fdw.h"

/* ---------------------------------------------------------------------
 * Which columns and operators can be shipped
 * ---------------------------------------------------------------------
 */

/*
 * The DynamoDB type a column's conditions compare as: 'S' for text and
 * varchar, 'N' for the integer types and numeric, 'B' for bytea, 'T' for
 * boolean; 0 where nothing is shipped (floats round, char pads, ...).
 */
char
dyn_column_dyntype(Oid typid)
{
	switch (typid)
	{
		case TEXTOID:
		case VARCHAROID:
			return 'S';
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case NUMERICOID:
			return 'N';
		case BYTEAOID:
			return 'B';
		case BOOLOID:
			return 'T';
		default:
			return 0;
	}
}

static Oid
dyn_numeric_family(void)
{
	static Oid	family = InvalidOid;

	if (!OidIsValid(family))
		family = get_opfamily_oid(BTREE_AM_OID,
								  list_make1(makeString("numeric_ops")), false);
	return family;
}

/* The btree operator families whose order is DynamoDB's for a type. */
static bool
dyn_op_strategy(Oid opno, char dyntype, int *strategy)
{
	Oid			families[2];
	int			nfamilies = 0;

	switch (dyntype)
	{
		case 'S':
			families[nfamilies++] = TEXT_BTREE_FAM_OID;
			break;
		case 'N':
			families[nfamilies++] = INTEGER_BTREE_FAM_OID;
			families[nfamilies++] = dyn_numeric_family();
			break;
		case 'B':
			families[nfamilies++] = BYTEA_BTREE_FAM_OID;
			break;
		case 'T':
			families[nfamilies++] = BOOL_BTREE_FAM_OID;
			break;
		default:
			return false;
	}
	for (int i = 0; i < nfamilies; i++)
	{
		*strategy = get_op_opfamily_strategy(opno, families[i]);
		if (*strategy != 0)
			return true;
	}
	return false;
}

/* A Var of the scanned relation, under any binary-compatible relabeling. */
static Var *
dyn_scan_var(RelOptInfo *baserel, Expr *expr)
{
	while (expr && IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	if (expr && IsA(expr, Var))
	{
		Var		   *var = (Var *) expr;

		if (var->varno == baserel->relid && var->varlevelsup == 0 &&
			var->varattno > 0)
			return var;
	}
	return NULL;
}

/*
 * A value the executor can compute before the scan: no column of the
 * scanned relation, nothing volatile, no subplan.  Outer columns and
 * parameters are fine: they become Params.
 */
static bool
dyn_is_value(RelOptInfo *baserel, Expr *expr)
{
	Relids		relids = pull_varnos(NULL, (Node *) expr);

	if (bms_is_member(baserel->relid, relids))
		return false;
	if (contain_volatile_functions((Node *) expr) ||
		contain_subplans((Node *) expr) ||
		contain_agg_clause((Node *) expr) ||
		contain_window_function((Node *) expr))
		return false;
	return true;
}

/* A column that holds an attribute (not a meta column) and its type. */
static bool
dyn_attribute_column(PlannerInfo *root, RelOptInfo *baserel, Var *var,
					 char **attname, char *dyntype)
{
	RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);

	if (dyn_column_meta(rte->relid, var->varattno) != DYN_META_NONE)
		return false;
	*attname = dyn_column_attribute(rte->relid, var->varattno);
	*dyntype = dyn_column_dyntype(var->vartype);
	return true;
}

/* The prefix of a LIKE pattern 'prefix%' with no other wildcard. */
static char *
dyn_like_prefix(Const *pattern)
{
	char	   *str;
	size_t		len;

	if (pattern->constisnull || pattern->consttype != TEXTOID)
		return NULL;
	str = TextDatumGetCString(pattern->constvalue);
	len = strlen(str);
	if (len < 2 || str[len - 1] != '%')
		return NULL;
	str[len - 1] = '\0';
	if (strpbrk(str, "%_\\") != NULL)
		return NULL;
	return str;
}

static DynCond *
dyn_new_cond(DynCondOp op, Var *var, char *attname, char dyntype, Expr *value)
{
	DynCond    *cond = palloc0(sizeof(DynCond));

	cond->op = op;
	cond->attnum = var->varattno;
	cond->attname = attname;
	cond->dyntype = dyntype;
	cond->value = value;
	cond->valueidx = -1;
	return cond;
}

/* Collations under which PostgreSQL orders text by bytes, as DynamoDB. */
static bool
dyn_bytewise_collation(Oid collid)
{
	return !OidIsValid(collid) || DYN_COLLATE_IS_C(collid);
}

static bool
dyn_deterministic_collation(Oid collid)
{
	return !OidIsValid(collid) || get_collation_isdeterministic(collid);
}

static DynCond *
dyn_leaf(PlannerInfo *root, RelOptInfo *baserel, Expr *clause)
{
	Var		   *var;
	char	   *attname;
	char		dyntype;

	if (IsA(clause, OpExpr) && list_length(((OpExpr *) clause)->args) == 2)
	{
		OpExpr	   *op = (OpExpr *) clause;
		Expr	   *left = linitial(op->args);
		Expr	   *right = lsecond(op->args);
		Oid			opno = op->opno;
		int			strategy;
		DynCondOp	dop;

		if ((var = dyn_scan_var(baserel, left)) == NULL)
		{
			/* value op column: turn it around */
			if ((var = dyn_scan_var(baserel, right)) == NULL)
				return NULL;
			opno = get_commutator(opno);
			if (!OidIsValid(opno))
				return NULL;
			right = left;
		}
		if (!dyn_attribute_column(root, baserel, var, &attname, &dyntype) ||
			dyntype == 0 || !dyn_is_value(baserel, right))
			return NULL;

		/* LIKE 'prefix%' is begins_with, bytewise in any collation */
		if (op->opfuncid == F_TEXTLIKE && dyntype == 'S' && var == dyn_scan_var(baserel, left))
		{
			char	   *prefix;

			if (!IsA(right, Const) ||
				(prefix = dyn_like_prefix((Const *) right)) == NULL)
				return NULL;
			return dyn_new_cond(DYN_BEGINS, var, attname, dyntype,
								(Expr *) makeConst(TEXTOID, -1, DEFAULT_COLLATION_OID, -1,
												   CStringGetTextDatum(prefix),
												   false, false));
		}

		if (dyn_op_strategy(opno, dyntype, &strategy))
		{
			switch (strategy)
			{
				case BTLessStrategyNumber:
					dop = DYN_LT;
					break;
				case BTLessEqualStrategyNumber:
					dop = DYN_LE;
					break;
				case BTEqualStrategyNumber:
					dop = DYN_EQ;
					break;
				case BTGreaterEqualStrategyNumber:
					dop = DYN_GE;
					break;
				case BTGreaterStrategyNumber:
					dop = DYN_GT;
					break;
				default:
					return NULL;
			}
		}
		else
		{
			Oid			negator = get_negator(opno);

			if (!OidIsValid(negator) ||
				!dyn_op_strategy(negator, dyntype, &strategy) ||
				strategy != BTEqualStrategyNumber)
				return NULL;
			dop = DYN_NE;
		}

		if (dyntype == 'T' && dop != DYN_EQ && dop != DYN_NE)
			return NULL;
		if (dyntype == 'S')
		{
			if ((dop == DYN_EQ || dop == DYN_NE) ?
				!dyn_deterministic_collation(op->inputcollid) :
				!dyn_bytewise_collation(op->inputcollid))
				return NULL;
		}
		return dyn_new_cond(dop, var, attname, dyntype, right);
	}

	if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) clause;
		Expr	   *array = lsecond(saop->args);
		int			strategy;

		if (!saop->useOr ||
			(var = dyn_scan_var(baserel, linitial(saop->args))) == NULL ||
			!dyn_attribute_column(root, baserel, var, &attname, &dyntype) ||
			dyntype == 0 || !dyn_is_value(baserel, array) ||
			!dyn_op_strategy(saop->opno, dyntype, &strategy) ||
			strategy != BTEqualStrategyNumber ||
			(dyntype == 'S' && !dyn_deterministic_collation(saop->inputcollid)))
			return NULL;
		return dyn_new_cond(DYN_IN, var, attname, dyntype, array);
	}

	if (IsA(clause, NullTest))
	{
		NullTest   *nt = (NullTest *) clause;

		if (nt->argisrow ||
			(var = dyn_scan_var(baserel, nt->arg)) == NULL ||
			!dyn_attribute_column(root, baserel, var, &attname, &dyntype))
			return NULL;
		return dyn_new_cond(nt->nulltesttype == IS_NULL ? DYN_ISNULL : DYN_NOTNULL,
							var, attname, 0, NULL);
	}

	/* a boolean column alone, or under NOT */
	if ((var = dyn_scan_var(baserel, clause)) != NULL ||
		(is_notclause(clause) &&
		 (var = dyn_scan_var(baserel, get_notclausearg(clause))) != NULL))
	{
		if (var->vartype != BOOLOID ||
			!dyn_attribute_column(root, baserel, var, &attname, &dyntype))
			return NULL;
		return dyn_new_cond(DYN_EQ, var, attname, 'T',
							(Expr *) makeBoolConst(!is_notclause(clause), false));
	}
	return NULL;
}

/*
 * Can DynamoDB evaluate this clause?  A leaf gives one condition; an OR
 * whose every arm is a leaf gives a group.  *conds receives the leaves.
 */
bool
dyn_classify_clause(PlannerInfo *root, RelOptInfo *baserel, Expr *clause, List **conds)
{
	DynCond    *leaf;

	*conds = NIL;
	if (is_orclause(clause))
	{
		ListCell   *lc;

		foreach(lc, ((BoolExpr *) clause)->args)
		{
			if ((leaf = dyn_leaf(root, baserel, lfirst(lc))) == NULL)
			{
				*conds = NIL;
				return false;
			}
			*conds = lappend(*conds, leaf);
		}
		return true;
	}
	if ((leaf = dyn_leaf(root, baserel, clause)) == NULL)
		return false;
	*conds = list_make1(leaf);
	return true;
}

/* ---------------------------------------------------------------------
 * fdw_private
 * ---------------------------------------------------------------------
 */
static List *
list_concat3(List *a, List *b, List *c)
{
	return list_concat(list_concat(a, b), c);
}

static List *
dyn_serialize_cond(const DynCond *cond)
{
	return list_make4(makeInteger(cond->op), makeString(pstrdup(cond->attname)),
					  makeInteger(cond->dyntype), makeInteger(cond->valueidx));
}

static DynCond *
dyn_deserialize_cond(List *list)
{
	DynCond    *cond = palloc0(sizeof(DynCond));

	cond->op = intVal(linitial(list));
	cond->attname = strVal(lsecond(list));
	cond->dyntype = (char) intVal(lthird(list));
	cond->valueidx = intVal(lfourth(list));
	return cond;
}

List *
dyn_serialize_plan(const DynPlan *plan)
{
	List	   *keys = NIL;
	List	   *filters = NIL;
	ListCell   *lc;

	foreach(lc, plan->key_conds)
		keys = lappend(keys, dyn_serialize_cond(lfirst(lc)));
	foreach(lc, plan->filters)
	{
		List	   *group = NIL;
		ListCell   *lc2;

		foreach(lc2, (List *) lfirst(lc))
			group = lappend(group, dyn_serialize_cond(lfirst(lc2)));
		filters = lappend(filters, group);
	}

	/* the order is enum DynScanPrivate's */
	return list_concat3(list_make5(plan->retrieved,
								  makeBoolean(plan->count_only),
								  makeInteger(plan->op),
								  makeString(pstrdup(plan->index ? plan->index : "")),
								  keys),
					   lappend(list_make5(filters,
										  makeBoolean(plan->forward),
										  makeInteger(plan->bound),
										  makeString(pstrdup(plan->hash_key ? plan->hash_key : "")),
										  makeString(pstrdup(plan->range_key ? plan->range_key : ""))),
							   makeBoolean(plan->global_index)),
					   list_make3(makeInteger(plan->start_token_idx),
								  copyObject(plan->token_keys),
								  makeBoolean(plan->read_all)));
}

DynPlan *
dyn_deserialize_plan(List *fdw_private)
{
	DynPlan    *plan = palloc0(sizeof(DynPlan));
	char	   *index;
	char	   *range;
	ListCell   *lc;

	plan->retrieved = list_nth(fdw_private, DynPrivRetrievedAttrs);
	plan->count_only = boolVal(list_nth(fdw_private, DynPrivCountOnly));
	plan->op = intVal(list_nth(fdw_private, DynPrivOperation));
	index = strVal(list_nth(fdw_private, DynPrivIndex));
	plan->index = *index ? index : NULL;
	foreach(lc, (List *) list_nth(fdw_private, DynPrivKeyConds))
		plan->key_conds = lappend(plan->key_conds, dyn_deserialize_cond(lfirst(lc)));
	foreach(lc, (List *) list_nth(fdw_private, DynPrivFilters))
	{
		List	   *group = NIL;
		ListCell   *lc2;

		foreach(lc2, (List *) lfirst(lc))
			group = lappend(group, dyn_deserialize_cond(lfirst(lc2)));
		plan->filters = lappend(plan->filters, group);
	}
	plan->forward = boolVal(list_nth(fdw_private, DynPrivForward));
	plan->bound = intVal(list_nth(fdw_private, DynPrivBound));
	plan->hash_key = strVal(list_nth(fdw_private, DynPrivHashKey));
	range = strVal(list_nth(fdw_private, DynPrivRangeKey));
	plan->range_key = *range ? range : NULL;
	plan->global_index = boolVal(list_nth(fdw_private, DynPrivGlobalIndex));
	plan->start_token_idx = intVal(list_nth(fdw_private, DynPrivStartToken));
	plan->token_keys = list_nth(fdw_private, DynPrivTokenKeys);
	plan->read_all = boolVal(list_nth(fdw_private, DynPrivReadAll));
	return plan;
}

/* ---------------------------------------------------------------------
 * Values
 * ---------------------------------------------------------------------
 */

/*
 * One PostgreSQL value as a DynamoDB value of the given type, or NULL where
 * DynamoDB cannot hold it (SQL NULL, NaN, infinity).
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
		case 'N':
			if (type == NUMERICOID &&
				(numeric_is_nan(DatumGetNumeric(value)) ||
				 numeric_is_inf(DatumGetNumeric(value))))
				return NULL;
			/* FALLTHROUGH */
		default:
			getTypeOutputInfo(type, &outfunc, &isvarlena);
			result->text = OidOutputFunctionCall(outfunc, value);
			break;
	}
	return result;
}

/*
 * The DynamoDB values of a condition in this execution: one, or for IN
 * every distinct non-NULL element (a NULL element matches nothing).
 * *representable is false where some value cannot be sent (a NULL value,
 * NaN, infinity); what is returned is then only the values that can.
 */
List *
dyn_cond_values(const DynCond *cond, const DynParamValue *params, bool *representable)
{
	const DynParamValue *p;
	List	   *result = NIL;

	*representable = true;
	if (cond->valueidx < 0)
		return NIL;
	p = &params[cond->valueidx];
	if (p->isnull)
	{
		*representable = false;
		return NIL;
	}

	if (cond->op == DYN_IN)
	{
		ArrayType  *array = DatumGetArrayTypeP(p->value);
		Oid			elemtype = ARR_ELEMTYPE(array);
		int16		elemlen;
		bool		elembyval;
		char		elemalign;
		Datum	   *elems;
		bool	   *nulls;
		int			n;

		get_typlenbyvalalign(elemtype, &elemlen, &elembyval, &elemalign);
		deconstruct_array(array, elemtype, elemlen, elembyval, elemalign,
						  &elems, &nulls, &n);
		for (int i = 0; i < n; i++)
		{
			DynValue   *v;
			bool		dup = false;
			ListCell   *lc;

			if (nulls[i])
				continue;		/* matches nothing: x = NULL is never true */
			if ((v = dyn_datum_value(elems[i], elemtype, cond->dyntype)) == NULL)
			{
				*representable = false;
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

	{
		DynValue   *v = dyn_datum_value(p->value, p->type, cond->dyntype);

		if (v == NULL)
		{
			*representable = false;
			return NIL;
		}
		return list_make1(v);
	}
}

/* ---------------------------------------------------------------------
 * Expressions
 * ---------------------------------------------------------------------
 */
static const char *
dyn_op_text(DynCondOp op)
{
	switch (op)
	{
		case DYN_EQ:
			return "=";
		case DYN_NE:
			return "<>";
		case DYN_LT:
			return "<";
		case DYN_LE:
			return "<=";
		case DYN_GT:
			return ">";
		case DYN_GE:
			return ">=";
		default:
			return "?";
	}
}

static const char *
dyn_type_name(char dyntype)
{
	return dyntype == 'T' ? "BOOL" : dyntype == 'S' ? "S" : dyntype == 'N' ? "N" : "B";
}

static char *
dyn_placeholder_for_name(DynRequest *req, char prefix, const char *attname)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, req->names)
	{
		DynPlaceholder *ph = lfirst(lc);

		if (ph->placeholder[1] == prefix)
		{
			if (strcmp(ph->name, attname) == 0)
				return ph->placeholder;
			n++;
		}
	}
	{
		DynPlaceholder *ph = palloc0(sizeof(DynPlaceholder));

		ph->placeholder = psprintf("#%c%d", prefix, n);
		ph->name = pstrdup(attname);
		req->names = lappend(req->names, ph);
		return ph->placeholder;
	}
}

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

/*
 * The KeyConditionExpression of a Query for one partition-key value.  The
 * first condition is the partition key's, whose value (one of an IN list)
 * the caller gives; the rest are the sort key's.  *empty is set where a
 * value makes the condition false for every item.
 */
char *
dyn_render_key_condition(List *key_conds, DynValue *hash_value,
						 const DynParamValue *params, DynRequest *req, bool *empty)
{
	StringInfoData buf;
	int			counter = 0;
	DynCond    *lower = NULL;
	DynCond    *upper = NULL;
	DynCond    *other = NULL;
	ListCell   *lc;

	*empty = false;
	initStringInfo(&buf);
	foreach(lc, key_conds)
	{
		DynCond    *cond = lfirst(lc);

		if (foreach_current_index(lc) == 0)
		{
			/* the partition key: its value is chosen by the caller */
			appendStringInfo(&buf, "%s = %s",
							 dyn_placeholder_for_name(req, 'k', cond->attname),
							 dyn_new_value(req, 'k', &counter, hash_value));
			continue;
		}
		if (cond->op == DYN_GT || cond->op == DYN_GE)
			lower = cond;
		else if (cond->op == DYN_LT || cond->op == DYN_LE)
			upper = cond;
		else
			other = cond;
	}

	if (other || lower || upper)
	{
		DynCond    *first = other ? other : lower ? lower : upper;
		char	   *name = dyn_placeholder_for_name(req, 'k', first->attname);
		DynValue   *values[2];
		DynCond    *conds[2] = {first, (lower && upper) ? upper : NULL};

		for (int i = 0; i < 2; i++)
		{
			bool		ok;
			List	   *list;

			if (conds[i] == NULL)
				continue;
			list = dyn_cond_values(conds[i], params, &ok);
			if (list == NIL)
			{
				/* NULL compares as unknown: no item qualifies */
				if (params[conds[i]->valueidx].isnull)
				{
					*empty = true;
					return NULL;
				}
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
						 errmsg("cannot compare DynamoDB sort key \"%s\" with NaN or infinity",
								conds[i]->attname)));
			}
			values[i] = linitial(list);
		}

		appendStringInfoString(&buf, " AND ");
		/* placeholders in the order they appear */
		{
			char	   *v0 = dyn_new_value(req, 'k', &counter, values[0]);

			if (other)
				appendStringInfo(&buf, other->op == DYN_BEGINS ? "begins_with(%s, %s)" : "%s = %s",
								 name, v0);
			else if (lower && upper)
			{
				char	   *v1 = dyn_new_value(req, 'k', &counter, values[1]);

				appendStringInfo(&buf, "%s BETWEEN %s AND %s", name, v0, v1);
			}
			else
				appendStringInfo(&buf, "%s %s %s", name, dyn_op_text(first->op), v0);
		}
	}
	return buf.data;
}

/* What became of one condition of a filter. */
typedef enum DynLeafResult
{
	DYN_LEAF_WRITTEN,
	DYN_LEAF_NEVER,				/* no item matches it in this execution */
	DYN_LEAF_UNSENT				/* its value cannot be sent */
} DynLeafResult;

/*
 * One condition of a filter, keeping items whose attribute is of another
 * type: PostgreSQL decides those itself.  A NULL value, or an IN list of
 * NULLs only, matches no item (the operators are strict); NaN, infinity or
 * more than 100 values for IN cannot be sent.
 */
static DynLeafResult
dyn_render_filter_leaf(StringInfo buf, DynCond *cond, const DynParamValue *params,
					   DynRequest *req, int *counter)
{
	char	   *name;
	List	   *values;
	bool		ok;

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
		default:
			break;
	}

	values = dyn_cond_values(cond, params, &ok);
	if (!ok && params[cond->valueidx].isnull)
		return DYN_LEAF_NEVER;
	if (!ok || list_length(values) > 100)
		return DYN_LEAF_UNSENT;
	if (values == NIL)
		return DYN_LEAF_NEVER;	/* IN of nothing, or of NULLs */

	name = dyn_placeholder_for_name(req, 'f', cond->attname);
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
		appendStringInfo(buf, "%s %s %s", name, dyn_op_text(cond->op),
						 dyn_new_value(req, 'f', counter, linitial(values)));
	appendStringInfo(buf, " OR NOT attribute_type(%s, %s))", name,
					 dyn_type_value(req, dyn_type_name(cond->dyntype)));
	return DYN_LEAF_WRITTEN;
}

/*
 * The FilterExpression for this execution, or NULL.  Every filter is also
 * checked locally, so DynamoDB need only drop items PostgreSQL would: a
 * condition that matches nothing this time leaves its OR group; a group
 * with a condition that cannot be sent is left out whole.  *empty is set
 * when a group has nothing left, so that no item can match.
 */
char *
dyn_render_filter(List *filters, const DynParamValue *params, DynRequest *req,
				  bool *empty)
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
			r = dyn_render_filter_leaf(&group_buf, lfirst(lc2), params, req, &counter);
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
 * EXPLAIN
 * ---------------------------------------------------------------------
 */
static void
dyn_display_cond(StringInfo buf, DynCond *cond, char **value_text)
{
	const char *name = quote_identifier(cond->attname);
	const char *value = cond->valueidx >= 0 ? value_text[cond->valueidx] : "";

	switch (cond->op)
	{
		case DYN_ISNULL:
			appendStringInfo(buf, "%s IS NULL", name);
			break;
		case DYN_NOTNULL:
			appendStringInfo(buf, "%s IS NOT NULL", name);
			break;
		case DYN_IN:
			appendStringInfo(buf, "%s IN %s", name, value);
			break;
		case DYN_BEGINS:
			appendStringInfo(buf, "begins_with(%s, %s)", name, value);
			break;
		default:
			appendStringInfo(buf, "%s %s %s", name, dyn_op_text(cond->op), value);
			break;
	}
}

/*
 * Conditions in the clear, for EXPLAIN: key conditions (conds) or filters
 * (AND of OR groups), values as their expressions.
 */
char *
dyn_display_conditions(List *conds, List *filters, char **value_text)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, conds)
	{
		if (buf.len > 0)
			appendStringInfoString(&buf, " AND ");
		dyn_display_cond(&buf, lfirst(lc), value_text);
	}
	foreach(lc, filters)
	{
		List	   *group = lfirst(lc);
		ListCell   *lc2;

		if (buf.len > 0)
			appendStringInfoString(&buf, " AND ");
		if (list_length(group) > 1)
			appendStringInfoChar(&buf, '(');
		foreach(lc2, group)
		{
			if (foreach_current_index(lc2) > 0)
				appendStringInfoString(&buf, " OR ");
			dyn_display_cond(&buf, lfirst(lc2), value_text);
		}
		if (list_length(group) > 1)
			appendStringInfoChar(&buf, ')');
	}
	return buf.data;
}

/* ProjectionExpression names: every attribute travels as a placeholder. */
void
dyn_add_projection_names(DynRequest *req, List *attributes)
{
	ListCell   *lc;

	foreach(lc, attributes)
		(void) dyn_placeholder_for_name(req, 'p', (const char *) lfirst(lc));
}
