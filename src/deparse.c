/*-------------------------------------------------------------------------
 * deparse.c
 *		The classifier: which conditions DynamoDB can evaluate, from WHERE
 *		and join clauses and from the paging functions' filter, each as a
 *		DynCond; and the conditions in the clear for EXPLAIN.  Which request
 *		takes them is access.c's choice, how they are written request.c's.
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
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
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

/*
 * Whether expr is item OP 'name' (OP the function funcid: ->> or ?) on a
 * whole-item column of the scanned table, with a non-empty constant name;
 * *attname is that name.
 */
static bool
dyn_item_member(PlannerInfo *root, RelOptInfo *baserel, Expr *expr, Oid funcid,
				char **attname)
{
	OpExpr	   *op;
	Var		   *var;
	Const	   *name;

	if (!IsA(expr, OpExpr))
		return false;
	op = (OpExpr *) expr;
	if (op->opfuncid != funcid || list_length(op->args) != 2 ||
		(var = dyn_scan_var(baserel, linitial(op->args))) == NULL ||
		!IsA(lsecond(op->args), Const))
		return false;
	name = lsecond(op->args);
	if (name->constisnull ||
		dyn_column_meta(planner_rt_fetch(baserel->relid, root)->relid,
						var->varattno) != DYN_META_ITEM)
		return false;
	*attname = TextDatumGetCString(name->constvalue);
	return **attname != '\0';
}

/*
 * The attribute an expression names, and its DynamoDB type: a column that
 * holds one, or a member of a whole-item column (meta 'item'), written
 * item->>'name' (text: S) or cast to one of our types, as in
 * (item->>'amount')::numeric (N).  A member may hold any type in any item,
 * as a non-key column may: its conditions are shipped with a type guard
 * and checked again locally, unless it is a key attribute of that type.
 */
bool
dyn_attribute_ref(PlannerInfo *root, RelOptInfo *baserel, Expr *expr,
				  char **attname, char *dyntype)
{
	Var		   *var;
	Oid			type = TEXTOID;

	if ((var = dyn_scan_var(baserel, expr)) != NULL)
		return dyn_attribute_column(root, baserel, var, attname, dyntype);

	if (IsA(expr, CoerceViaIO))
	{
		type = ((CoerceViaIO *) expr)->resulttype;
		expr = ((CoerceViaIO *) expr)->arg;
	}
	while (IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	if (!dyn_item_member(root, baserel, expr, F_JSONB_OBJECT_FIELD_TEXT, attname))
		return false;
	*dyntype = dyn_column_dyntype(type);
	return *dyntype != 0;
}

/*
 * Whether clause is item @> '{"name": value}' (or its commutator, <@) on a
 * whole-item column, the document one member whose value is a string, a
 * number or a boolean: the attribute equals the value, as S, N or BOOL.
 * jsonb compares strings by bytes and numbers by value, as DynamoDB does.
 */
static bool
dyn_item_contains(PlannerInfo *root, RelOptInfo *baserel, Expr *clause,
				  char **attname, char *dyntype, Expr **value)
{
	OpExpr	   *op;
	Expr	   *item;
	Expr	   *doc;
	Var		   *var;
	Jsonb	   *jb;
	JsonbIterator *it;
	JsonbValue	k;
	JsonbValue	v;

	if (!IsA(clause, OpExpr) || list_length(((OpExpr *) clause)->args) != 2)
		return false;
	op = (OpExpr *) clause;
	if (op->opfuncid == F_JSONB_CONTAINS)
	{
		item = linitial(op->args);
		doc = lsecond(op->args);
	}
	else if (op->opfuncid == F_JSONB_CONTAINED)
	{
		item = lsecond(op->args);
		doc = linitial(op->args);
	}
	else
		return false;
	if ((var = dyn_scan_var(baserel, item)) == NULL ||
		!IsA(doc, Const) || ((Const *) doc)->constisnull ||
		dyn_column_meta(planner_rt_fetch(baserel->relid, root)->relid,
						var->varattno) != DYN_META_ITEM)
		return false;
	jb = DatumGetJsonbP(((Const *) doc)->constvalue);
	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_COUNT(jb) != 1)
		return false;
	it = JsonbIteratorInit(&jb->root);
	if (JsonbIteratorNext(&it, &k, true) != WJB_BEGIN_OBJECT ||
		JsonbIteratorNext(&it, &k, true) != WJB_KEY ||
		JsonbIteratorNext(&it, &v, true) != WJB_VALUE ||
		k.val.string.len == 0)
		return false;
	switch (v.type)
	{
		case jbvString:
			*dyntype = 'S';
			*value = (Expr *) makeConst(TEXTOID, -1, DEFAULT_COLLATION_OID, -1,
										PointerGetDatum(cstring_to_text_with_len(v.val.string.val,
																				 v.val.string.len)),
										false, false);
			break;
		case jbvNumeric:
			*dyntype = 'N';
			*value = (Expr *) makeConst(NUMERICOID, -1, InvalidOid, -1,
										datumCopy(NumericGetDatum(v.val.numeric), false, -1),
										false, false);
			break;
		case jbvBool:
			*dyntype = 'T';
			*value = (Expr *) makeBoolConst(v.val.boolean, false);
			break;
		default:
			return false;
	}
	*attname = pnstrdup(k.val.string.val, k.val.string.len);
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

/* A condition on attribute attname compared with value. */
static DynCond *
dyn_new_cond(DynCondOp op, char *attname, char dyntype, Expr *value)
{
	DynCond    *cond = palloc0(sizeof(DynCond));

	cond->op = op;
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

/*
 * The condition a clause is, where DynamoDB evaluates it exactly as
 * PostgreSQL would (see the file's header); NULL otherwise.  Operators
 * count by their btree strategy in the families whose order is DynamoDB's;
 * string order only in collations that order by bytes.
 */
static DynCond *
dyn_leaf(PlannerInfo *root, RelOptInfo *baserel, Expr *clause)
{
	char	   *attname;
	char		dyntype;
	Expr	   *value;

	/* item ? 'name', or under NOT: whether the item has the attribute */
	if (dyn_item_member(root, baserel,
						is_notclause(clause) ? get_notclausearg(clause) : clause,
						F_JSONB_EXISTS, &attname))
		return dyn_new_cond(is_notclause(clause) ? DYN_MISSING : DYN_EXISTS,
							attname, 0, NULL);
	if (dyn_item_contains(root, baserel, clause, &attname, &dyntype, &value))
		return dyn_new_cond(DYN_EQ, attname, dyntype, value);

	if (IsA(clause, OpExpr) && list_length(((OpExpr *) clause)->args) == 2)
	{
		OpExpr	   *op = (OpExpr *) clause;
		Expr	   *left = linitial(op->args);
		Expr	   *right = lsecond(op->args);
		Oid			opno = op->opno;
		bool		turned = false;
		int			strategy;
		DynCondOp	dop;

		if (!dyn_attribute_ref(root, baserel, left, &attname, &dyntype))
		{
			/* value op attribute: turn it around */
			if (!dyn_attribute_ref(root, baserel, right, &attname, &dyntype))
				return NULL;
			opno = get_commutator(opno);
			if (!OidIsValid(opno))
				return NULL;
			right = left;
			turned = true;
		}
		if (dyntype == 0 || !dyn_is_value(baserel, right))
			return NULL;

		/* LIKE 'prefix%' is begins_with, bytewise in any collation */
		if (op->opfuncid == F_TEXTLIKE && dyntype == 'S' && !turned)
		{
			char	   *prefix;

			if (!IsA(right, Const) ||
				(prefix = dyn_like_prefix((Const *) right)) == NULL)
				return NULL;
			return dyn_new_cond(DYN_BEGINS, attname, dyntype,
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
		return dyn_new_cond(dop, attname, dyntype, right);
	}

	if (IsA(clause, ScalarArrayOpExpr))
	{
		ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) clause;
		Expr	   *array = lsecond(saop->args);
		int			strategy;

		if (!saop->useOr ||
			!dyn_attribute_ref(root, baserel, linitial(saop->args), &attname, &dyntype) ||
			dyntype == 0 || !dyn_is_value(baserel, array) ||
			!dyn_op_strategy(saop->opno, dyntype, &strategy) ||
			strategy != BTEqualStrategyNumber ||
			(dyntype == 'S' && !dyn_deterministic_collation(saop->inputcollid)))
			return NULL;
		return dyn_new_cond(DYN_IN, attname, dyntype, array);
	}

	if (IsA(clause, NullTest))
	{
		NullTest   *nt = (NullTest *) clause;

		if (nt->argisrow ||
			!dyn_attribute_ref(root, baserel, nt->arg, &attname, &dyntype))
			return NULL;
		return dyn_new_cond(nt->nulltesttype == IS_NULL ? DYN_ISNULL : DYN_NOTNULL,
							attname, 0, NULL);
	}

	/* a boolean attribute alone, or under NOT */
	if (dyn_attribute_ref(root, baserel,
						  is_notclause(clause) ? get_notclausearg(clause) : clause,
						  &attname, &dyntype) && dyntype == 'T')
		return dyn_new_cond(DYN_EQ, attname, 'T',
							(Expr *) makeBoolConst(!is_notclause(clause), false));
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

/* The equalities among the conditions of one arm of an OR. */
static List *
dyn_arm_equalities(PlannerInfo *root, RelOptInfo *baserel, Expr *arm)
{
	List	   *leaves = is_andclause(arm) ? ((BoolExpr *) arm)->args : list_make1(arm);
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, leaves)
	{
		DynCond    *cond = dyn_leaf(root, baserel, lfirst(lc));

		if (cond && cond->op == DYN_EQ)
			result = lappend(result, cond);
	}
	return result;
}

/*
 * The lists of values an OR implies for the attributes it compares for
 * equality in every arm: (a = 1 AND b = 2) OR (a = 3 AND b = 4), as
 * (a, b) IN ((1, 2), (3, 4)) is written, implies a IN (1, 3) and
 * b IN (2, 4), which keys can take.  Implied only: the OR is still
 * checked.
 */
List *
dyn_implied_lists(PlannerInfo *root, RelOptInfo *baserel, Expr *clause)
{
	List	   *arms = NIL;
	List	   *result = NIL;
	ListCell   *lc;

	if (!is_orclause(clause))
		return NIL;
	foreach(lc, ((BoolExpr *) clause)->args)
		arms = lappend(arms, dyn_arm_equalities(root, baserel, lfirst(lc)));
	foreach(lc, linitial(arms))
	{
		DynCond    *first = lfirst(lc);
		Oid			type = exprType((Node *) first->value);
		List	   *values = NIL;
		ArrayExpr  *array;
		ListCell   *lc2;

		foreach(lc2, arms)
		{
			DynCond    *found = NULL;
			ListCell   *lc3;

			foreach(lc3, (List *) lfirst(lc2))
			{
				DynCond    *cond = lfirst(lc3);

				if (strcmp(cond->attname, first->attname) == 0 &&
					cond->dyntype == first->dyntype &&
					exprType((Node *) cond->value) == type)
					found = cond;
			}
			if (found == NULL)
				break;
			values = lappend(values, found->value);
		}
		if (list_length(values) != list_length(arms) ||
			!OidIsValid(get_array_type(type)))
			continue;
		array = makeNode(ArrayExpr);
		array->array_typeid = get_array_type(type);
		array->array_collid = exprCollation((Node *) first->value);
		array->element_typeid = type;
		array->elements = values;
		array->multidims = false;
		array->location = -1;
		result = lappend(result,
						 dyn_new_cond(DYN_IN, first->attname, first->dyntype,
									  (Expr *) eval_const_expressions(root, (Node *) array)));
	}
	return result;
}

/*
 * The paging functions' filter ({"category": "Cloud", "views": 10}, parsed
 * into DynPlaceholders) as clauses of one equality each, in the same form
 * as the WHERE clauses of a scan.  A name is a column's (whose attribute
 * it stands for) or, failing that, an attribute's.  The JSON type is the
 * DynamoDB type: a string matches S only, a number N only.
 */
List *
dyn_classify_filter(Oid relid, List *filter)
{
	List	   *clauses = NIL;
	ListCell   *lc;

	foreach(lc, filter)
	{
		DynPlaceholder *ph = lfirst(lc);
		AttrNumber	attnum = get_attnum(relid, ph->name);
		char	   *attname = ph->name;
		DynClause  *dc = palloc0(sizeof(DynClause));
		Expr	   *value;

		if (attnum > 0 && dyn_column_meta(relid, attnum) == DYN_META_NONE)
			attname = dyn_column_attribute(relid, attnum);
		else
			attnum = 0;
		if (ph->value->type == 'S')
			value = (Expr *) makeConst(TEXTOID, -1, DEFAULT_COLLATION_OID, -1,
									   CStringGetTextDatum(ph->value->text), false, false);
		else if (ph->value->type == 'N')
			value = (Expr *) makeConst(NUMERICOID, -1, InvalidOid, -1,
									   DirectFunctionCall3(numeric_in,
														   CStringGetDatum(ph->value->text),
														   ObjectIdGetDatum(InvalidOid),
														   Int32GetDatum(-1)),
									   false, false);
		else
			value = (Expr *) makeBoolConst(strcmp(ph->value->text, "true") == 0, false);
		dc->conds = list_make1(dyn_new_cond(DYN_EQ, attname, ph->value->type, value));
		clauses = lappend(clauses, dc);
	}
	return clauses;
}

/* ---------------------------------------------------------------------
 * EXPLAIN
 * ---------------------------------------------------------------------
 */
/* The text of a comparison operator, in EXPLAIN and in expressions. */
const char *
dyn_cond_op_text(DynCondOp op)
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

/* One condition in the clear, its value as its expression's text. */
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
		case DYN_EXISTS:
			appendStringInfo(buf, "attribute_exists(%s)", name);
			break;
		case DYN_MISSING:
			appendStringInfo(buf, "attribute_not_exists(%s)", name);
			break;
		case DYN_IN:
			appendStringInfo(buf, "%s IN %s", name, value);
			break;
		case DYN_BEGINS:
			appendStringInfo(buf, "begins_with(%s, %s)", name, value);
			break;
		default:
			appendStringInfo(buf, "%s %s %s", name, dyn_cond_op_text(cond->op), value);
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
