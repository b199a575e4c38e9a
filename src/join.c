/*-------------------------------------------------------------------------
 * join.c
 *		Joins on a DynamoDB table's whole primary key, in batches: read up
 *		to 100 outer rows, fetch their items with one BatchGetItem, and join
 *		in memory.  A plain parameterized scan sees one outer row at a time
 *		and so sends a request per row; this sends one per hundred.
 *
 * The path is offered from set_join_pathlist_hook for inner and left joins
 * whose inner side is a dynomite_fdw foreign table and whose join clauses
 * give its partition key (and sort key, if it has one) from the outer side.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/table.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"

#include "dynomite_fdw.h"

#define DYN_JOIN_BATCH	100

static set_join_pathlist_hook_type prev_join_pathlist_hook = NULL;

/* custom_private of the plan, by position */
enum DynJoinPrivate
{
	DynJoinForeignTable,		/* Integer: the foreign table's OID */
	DynJoinType,				/* Integer: JOIN_INNER or JOIN_LEFT */
	DynJoinKeyNames,			/* List of String: key attribute names */
	DynJoinKeyTypes,			/* List of Integer: their DynamoDB types */
	DynJoinColumns,				/* List of Integer: per custom_scan_tlist
								 * entry, the outer plan's resno (> 0) or
								 * minus the inner column's attnum */
	DynJoinInnerRelid			/* Integer: the inner rel's range-table index */
};

typedef struct DynJoinState
{
	CustomScanState css;
	JoinType	jointype;
	Oid			foreigntableid;
	char	   *relname;
	DynOptions *opts;
	DynConnection *conn;
	DynRequest	base;

	int			nkeys;
	char	   *key_names[2];
	char		key_types[2];
	List	   *key_exprs;		/* ExprState per key */
	ExprState  *joinqual;		/* what makes an outer row and an item match */

	int			ncols;			/* of the scan tuple */
	int		   *outer_attno;	/* per scan column: outer resno, or 0 */
	DynColumn **inner_col;		/* per scan column: inner column, or NULL */

	/* the batch */
	MemoryContext batch_cxt;
	TupleTableSlot *outer_slots[DYN_JOIN_BATCH];
	char	   *outer_keys[DYN_JOIN_BATCH];
	int			nbatch;
	int			pos;
	bool		outer_done;
	int			nitems;
	char	  **item_keys;
	DynJson   **items;

	/* for EXPLAIN ANALYZE */
	long		requests;
	long		items_read;
	long		retries;
	long		batches;
	double		capacity;
} DynJoinState;

static Plan *dyn_plan_join(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
						   List *tlist, List *clauses, List *custom_plans);
static Node *dyn_create_join_state(CustomScan *cscan);
static void dyn_begin_join(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *dyn_exec_join(CustomScanState *node);
static void dyn_end_join(CustomScanState *node);
static void dyn_rescan_join(CustomScanState *node);
static void dyn_explain_join(CustomScanState *node, List *ancestors, ExplainState *es);

static const CustomPathMethods dyn_join_path_methods = {
	.CustomName = "DynamoDBBatchJoin",
	.PlanCustomPath = dyn_plan_join,
};

static const CustomScanMethods dyn_join_scan_methods = {
	.CustomName = "DynamoDBBatchJoin",
	.CreateCustomScanState = dyn_create_join_state,
};

static const CustomExecMethods dyn_join_exec_methods = {
	.CustomName = "DynamoDBBatchJoin",
	.BeginCustomScan = dyn_begin_join,
	.ExecCustomScan = dyn_exec_join,
	.EndCustomScan = dyn_end_join,
	.ReScanCustomScan = dyn_rescan_join,
	.ExplainCustomScan = dyn_explain_join,
};

/* ---------------------------------------------------------------------
 * Planning
 * ---------------------------------------------------------------------
 */

/*
 * A clause "inner.attname = expression of the outer side" on a key
 * attribute, of the key's DynamoDB type.
 */
static Expr *
dyn_key_value(PlannerInfo *root, RelOptInfo *innerrel, RelOptInfo *outerrel,
			  RestrictInfo *rinfo, const char *attname, char keytype)
{
	List	   *conds;
	DynCond    *cond;

	if (!dyn_classify_clause(root, innerrel, rinfo->clause, &conds) ||
		list_length(conds) != 1)
		return NULL;
	cond = linitial(conds);
	if (cond->op != DYN_EQ || cond->dyntype != keytype ||
		strcmp(cond->attname, attname) != 0)
		return NULL;
	if (!bms_is_subset(pull_varnos(root, (Node *) cond->value), outerrel->relids))
		return NULL;
	return cond->value;
}

static void
dyn_join_pathlist(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel,
				  RelOptInfo *innerrel, JoinType jointype, JoinPathExtraData *extra)
{
	DynRelInfo *ri;
	DynKeySchema *key;
	Expr	   *hash_value = NULL;
	Expr	   *range_value = NULL;
	Path	   *outer_path;
	CustomPath *cp;
	double		outer_rows;
	double		batches;
	ListCell   *lc;

	if (prev_join_pathlist_hook)
		prev_join_pathlist_hook(root, joinrel, outerrel, innerrel, jointype, extra);

	if ((jointype != JOIN_INNER && jointype != JOIN_LEFT) ||
		innerrel->reloptkind != RELOPT_BASEREL ||
		innerrel->fdwroutine == NULL ||
		innerrel->fdwroutine->GetForeignPaths != dynomiteGetForeignPaths ||
		!bms_is_empty(innerrel->lateral_relids) ||
		(ri = innerrel->fdw_private) == NULL || ri->info == NULL ||
		ri->opts->index != NULL || ri->wants_tokens)
		return;
	key = &ri->info->key;

	foreach(lc, extra->restrictlist)
	{
		RestrictInfo *rinfo = lfirst(lc);

		if (jointype == JOIN_LEFT && RINFO_IS_PUSHED_DOWN(rinfo, joinrel->relids))
			continue;
		if (hash_value == NULL)
			hash_value = dyn_key_value(root, innerrel, outerrel, rinfo,
									   key->hash, key->hash_type);
		if (key->range && range_value == NULL)
			range_value = dyn_key_value(root, innerrel, outerrel, rinfo,
										key->range, key->range_type);
	}
	/* a sort key may also be a constant of the inner side */
	if (key->range && range_value == NULL)
		foreach(lc, innerrel->baserestrictinfo)
			if (range_value == NULL)
				range_value = dyn_key_value(root, innerrel, outerrel, lfirst(lc),
											key->range, key->range_type);
	if (hash_value == NULL || (key->range && range_value == NULL))
		return;

	outer_path = outerrel->cheapest_total_path;
	if (outer_path == NULL || outer_path->param_info != NULL)
		return;

	outer_rows = Max(outer_path->rows, 1);
	batches = ceil(outer_rows / DYN_JOIN_BATCH);

	cp = makeNode(CustomPath);
	cp->path.pathtype = T_CustomScan;
	cp->path.parent = joinrel;
	cp->path.pathtarget = joinrel->reltarget;
	cp->path.param_info = NULL;
	cp->path.rows = joinrel->rows;
	cp->path.startup_cost = outer_path->startup_cost + ri->opts->fdw_startup_cost;
	cp->path.total_cost = outer_path->total_cost +
		batches * ri->opts->fdw_startup_cost +
		outer_rows * (ri->opts->fdw_tuple_cost + cpu_tuple_cost) +
		joinrel->rows * cpu_tuple_cost;
	/* a disabled outer path disables this one too (before 18: its cost) */
	DYN_INHERIT_DISABLED_NODES(&cp->path, outer_path);
	cp->path.pathkeys = NIL;
	cp->custom_paths = list_make1(outer_path);
	cp->custom_private = list_make5(makeInteger(jointype),
									list_copy(extra->restrictlist),
									hash_value,
									range_value ? (Node *) range_value : (Node *) makeNullConst(INT4OID, -1, InvalidOid),
									makeInteger(innerrel->relid));
	cp->methods = &dyn_join_path_methods;
	add_path(joinrel, (Path *) cp);
}

/* Where a Var of the outer side stands in the outer plan's target list. */
static int
dyn_outer_resno(List *outer_tlist, Var *var)
{
	ListCell   *lc;

	foreach(lc, outer_tlist)
	{
		TargetEntry *te = lfirst(lc);

		if (IsA(te->expr, Var) &&
			((Var *) te->expr)->varno == var->varno &&
			((Var *) te->expr)->varattno == var->varattno)
			return te->resno;
	}
	elog(ERROR, "outer column %d of relation %d not found in the outer plan",
		 var->varattno, var->varno);
	return 0;
}

/* The scan tuple's column of a Var: by relation and attribute alone. */
static TargetEntry *
dyn_scan_tlist_entry(List *scan_tlist, Var *var)
{
	ListCell   *lc;

	foreach(lc, scan_tlist)
	{
		TargetEntry *te = lfirst(lc);

		if (((Var *) te->expr)->varno == var->varno &&
			((Var *) te->expr)->varattno == var->varattno)
			return te;
	}
	return NULL;
}

/*
 * The join's own conditions with each Var marked as its scan-tuple column
 * is.  From 16 on the target list marks the inner side's Vars as nulled by
 * the join and the join conditions do not; the scan tuple holds one column
 * for both (NULL where no item matched), and setrefs.c wants every
 * reference to a column to carry the same marks.
 */
static Node *
dyn_scan_tuple_vars(Node *node, void *context)
{
	List	   *scan_tlist = (List *) context;

	if (node == NULL)
		return NULL;
	if (IsA(node, Var))
	{
		Var		   *var = copyObject((Var *) node);
		TargetEntry *te = dyn_scan_tlist_entry(scan_tlist, var);

		if (te)
			DYN_VAR_SET_NULLINGRELS(var, (Var *) te->expr);
		return (Node *) var;
	}
	return expression_tree_mutator(node, dyn_scan_tuple_vars, context);
}

static Plan *
dyn_plan_join(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
			  List *tlist, List *clauses, List *custom_plans)
{
	CustomScan *cscan = makeNode(CustomScan);
	JoinType	jointype = intVal(linitial(best_path->custom_private));
	List	   *restrictlist = lsecond(best_path->custom_private);
	Expr	   *hash_value = lthird(best_path->custom_private);
	Expr	   *range_value = lfourth(best_path->custom_private);
	Plan	   *outer_plan = linitial(custom_plans);
	RelOptInfo *innerrel;
	DynRelInfo *ri;
	List	   *joinquals = NIL;
	List	   *otherquals = NIL;
	List	   *key_exprs;
	List	   *scan_tlist = NIL;
	List	   *columns = NIL;
	List	   *vars;
	Oid			ftoid;
	ListCell   *lc;

	/*
	 * The inner relation, as the path recorded it: a join's relids may hold
	 * more than base rels (an outer join's own index, from 16 on).
	 */
	innerrel = find_base_rel(root, intVal(list_nth(best_path->custom_private, 4)));
	ri = innerrel->fdw_private;
	ftoid = planner_rt_fetch(innerrel->relid, root)->relid;

	foreach(lc, restrictlist)
	{
		RestrictInfo *rinfo = lfirst(lc);

		if (jointype == JOIN_LEFT && RINFO_IS_PUSHED_DOWN(rinfo, rel->relids))
			otherquals = lappend(otherquals, rinfo->clause);
		else
			joinquals = lappend(joinquals, rinfo->clause);
	}
	/* the inner side's own conditions decide whether an item matches */
	foreach(lc, innerrel->baserestrictinfo)
		joinquals = lappend(joinquals, ((RestrictInfo *) lfirst(lc))->clause);

	key_exprs = list_make1(hash_value);
	if (ri->info->key.range)
		key_exprs = lappend(key_exprs, range_value);

	/*
	 * The scan tuple: every Var the target list and conditions use, once;
	 * the target list's first, as the plan above refers to those.
	 */
	vars = pull_var_clause((Node *) list_make4(tlist, joinquals, otherquals, key_exprs),
						   PVC_RECURSE_PLACEHOLDERS);
	foreach(lc, vars)
	{
		Var		   *var = lfirst(lc);

		if (dyn_scan_tlist_entry(scan_tlist, var))
			continue;
		scan_tlist = lappend(scan_tlist,
							 makeTargetEntry((Expr *) copyObject(var),
											 list_length(scan_tlist) + 1, NULL, false));
		if (var->varno == innerrel->relid)
			columns = lappend_int(columns, -(int) var->varattno);
		else
			columns = lappend_int(columns, dyn_outer_resno(outer_plan->targetlist, var));
	}
	joinquals = (List *) dyn_scan_tuple_vars((Node *) joinquals, scan_tlist);
	otherquals = (List *) dyn_scan_tuple_vars((Node *) otherquals, scan_tlist);
	key_exprs = (List *) dyn_scan_tuple_vars((Node *) key_exprs, scan_tlist);

	cscan->scan.plan.targetlist = tlist;
	cscan->scan.plan.qual = otherquals;
	cscan->scan.scanrelid = 0;
	cscan->flags = best_path->flags;
	cscan->custom_plans = custom_plans;
	cscan->custom_exprs = list_make2(key_exprs, joinquals);
	cscan->custom_scan_tlist = scan_tlist;
	cscan->custom_private = list_make5(makeInteger(ftoid),
									   makeInteger(jointype),
									   ri->info->key.range ?
									   list_make2(makeString(ri->info->key.hash),
												  makeString(ri->info->key.range)) :
									   list_make1(makeString(ri->info->key.hash)),
									   ri->info->key.range ?
									   list_make2(makeInteger(ri->info->key.hash_type),
												  makeInteger(ri->info->key.range_type)) :
									   list_make1(makeInteger(ri->info->key.hash_type)),
									   columns);
	cscan->custom_private = lappend(cscan->custom_private, makeInteger(innerrel->relid));
	cscan->methods = &dyn_join_scan_methods;
	return &cscan->scan.plan;
}

/* ---------------------------------------------------------------------
 * Execution
 * ---------------------------------------------------------------------
 */
static Node *
dyn_create_join_state(CustomScan *cscan)
{
	DynJoinState *js = (DynJoinState *) newNode(sizeof(DynJoinState), T_CustomScanState);

	js->css.methods = &dyn_join_exec_methods;
	return (Node *) js;
}

static void
dyn_begin_join(CustomScanState *node, EState *estate, int eflags)
{
	DynJoinState *js = (DynJoinState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	List	   *private = cscan->custom_private;
	List	   *columns = list_nth(private, DynJoinColumns);
	Index		inner_relid = intVal(list_nth(private, DynJoinInnerRelid));
	Oid			checkasuser = DYN_RTE_CHECKASUSER(estate, inner_relid);
	Oid			userid = OidIsValid(checkasuser) ? checkasuser : GetUserId();
	PlanState  *outer;
	Relation	rel;
	ListCell   *lc;
	int			i;

	js->foreigntableid = intVal(list_nth(private, DynJoinForeignTable));
	js->jointype = intVal(list_nth(private, DynJoinType));
	js->nkeys = list_length(list_nth(private, DynJoinKeyNames));
	i = 0;
	foreach(lc, (List *) list_nth(private, DynJoinKeyNames))
		js->key_names[i++] = strVal(lfirst(lc));
	i = 0;
	foreach(lc, (List *) list_nth(private, DynJoinKeyTypes))
		js->key_types[i++] = (char) intVal(lfirst(lc));

	outer = ExecInitNode(linitial(cscan->custom_plans), estate, eflags);
	node->custom_ps = list_make1(outer);

	js->key_exprs = ExecInitExprList(linitial(cscan->custom_exprs), (PlanState *) node);
	js->joinqual = ExecInitQual(lsecond(cscan->custom_exprs), (PlanState *) node);

	js->opts = dyn_get_options(js->foreigntableid, userid,
							   (eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0);
	js->relname = get_rel_name(js->foreigntableid);

	/* the scan tuple's columns: from the outer row, or converted items */
	rel = table_open(js->foreigntableid, AccessShareLock);
	js->ncols = list_length(columns);
	js->outer_attno = palloc0(sizeof(int) * Max(js->ncols, 1));
	js->inner_col = palloc0(sizeof(DynColumn *) * Max(js->ncols, 1));
	i = 0;
	foreach(lc, columns)
	{
		int			c = lfirst_int(lc);

		if (c > 0)
			js->outer_attno[i] = c;
		else
		{
			DynColumn  *col = palloc0(sizeof(DynColumn));

			dyn_init_column(col, rel, (AttrNumber) -c);
			js->inner_col[i] = col;
			if (col->meta == DYN_META_ITEM)
				js->base.projection = NIL;
			else if (col->meta == DYN_META_NONE)
				js->base.projection = lappend(js->base.projection, col->attname);
		}
		i++;
	}
	table_close(rel, AccessShareLock);

	/* an item column wants every attribute */
	for (i = 0; i < js->ncols; i++)
		if (js->inner_col[i] && js->inner_col[i]->meta == DYN_META_ITEM)
			js->base.projection = NIL;
	if (js->base.projection != NIL)
		for (i = 0; i < js->nkeys; i++)
			js->base.projection = lappend(js->base.projection, js->key_names[i]);

	js->base.op = DYN_OP_BATCHGETITEM;
	js->base.table = js->opts->table;
	js->base.consistent_read = js->opts->consistent_read;
	js->base.capacity = estate->es_instrument != 0;

	js->batch_cxt = AllocSetContextCreate(estate->es_query_cxt, "dynomite_fdw join batch",
										  ALLOCSET_DEFAULT_SIZES);
	for (i = 0; i < DYN_JOIN_BATCH; i++)
		js->outer_slots[i] = ExecAllocTableSlot(&estate->es_tupleTable,
												ExecGetResultType(outer),
												&TTSOpsMinimalTuple);

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	{
		ForeignTable *ft = GetForeignTable(js->foreigntableid);

		js->conn = dyn_get_connection(GetForeignServer(ft->serverid),
									  GetUserMapping(userid, ft->serverid), js->opts);
	}
}

/*
 * The lookup string of a key: its values' types and texts, numbers in one
 * canonical form ("7.0" and "7" are the same key to DynamoDB).
 */
static char *
dyn_key_string(int nvalues, DynValue **values)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < nvalues; i++)
	{
		const char *text = values[i]->text;

		if (values[i]->type == 'N' && *text)
			text = numeric_normalize(DatumGetNumeric(DirectFunctionCall3(numeric_in,
																		 CStringGetDatum(text),
																		 ObjectIdGetDatum(InvalidOid),
																		 Int32GetDatum(-1))));
		appendStringInfo(&buf, "%c%s%c", values[i]->type, text, '\x1f');
	}
	return buf.data;
}

/* Fill the scan tuple from an outer row and an item (NULL: no match). */
static TupleTableSlot *
dyn_fill_scan_slot(DynJoinState *js, TupleTableSlot *outer, DynJson *item)
{
	TupleTableSlot *scan = js->css.ss.ss_ScanTupleSlot;

	ExecClearTuple(scan);
	slot_getallattrs(outer);
	for (int i = 0; i < js->ncols; i++)
	{
		if (js->outer_attno[i] > 0)
		{
			scan->tts_values[i] = outer->tts_values[js->outer_attno[i] - 1];
			scan->tts_isnull[i] = outer->tts_isnull[js->outer_attno[i] - 1];
		}
		else if (item == NULL)
		{
			scan->tts_values[i] = (Datum) 0;
			scan->tts_isnull[i] = true;
		}
		else if (js->inner_col[i]->meta == DYN_META_ITEM)
		{
			scan->tts_values[i] = dyn_whole_item_value(js->inner_col[i], item);
			scan->tts_isnull[i] = false;
		}
		else
			scan->tts_values[i] = dyn_item_value(js->inner_col[i], item,
												 &scan->tts_isnull[i], js->relname);
	}
	return ExecStoreVirtualTuple(scan);
}

/* The key of an outer row, or NULL where a key value is NULL. */
static char *
dyn_outer_key(DynJoinState *js, TupleTableSlot *outer, DynKey **key)
{
	ExprContext *econtext = js->css.ss.ps.ps_ExprContext;
	DynValue   *values[2];
	ListCell   *lc;
	int			i = 0;

	econtext->ecxt_scantuple = dyn_fill_scan_slot(js, outer, NULL);
	foreach(lc, js->key_exprs)
	{
		ExprState  *state = lfirst(lc);
		DynCond		cond = {0};
		DynParamValue param;
		bool		ok;
		List	   *list;

		param.value = ExecEvalExpr(state, econtext, &param.isnull);
		param.type = exprType((Node *) state->expr);
		cond.op = DYN_EQ;
		cond.dyntype = js->key_types[i];
		cond.valueidx = 0;
		list = dyn_cond_values(&cond, &param, &ok);
		if (list == NIL)
			return NULL;
		values[i++] = linitial(list);
	}
	*key = palloc0(sizeof(DynKey));
	(*key)->nattrs = js->nkeys;
	for (i = 0; i < js->nkeys; i++)
	{
		(*key)->names[i] = js->key_names[i];
		(*key)->values[i] = values[i];
	}
	return dyn_key_string(js->nkeys, values);
}

/* The lookup string of an item, from its key attributes. */
static char *
dyn_item_key(DynJoinState *js, DynJson *item)
{
	DynValue   *values[2];

	for (int i = 0; i < js->nkeys; i++)
	{
		char	   *text = dyn_item_key_text(item, js->key_names[i]);

		values[i] = palloc(sizeof(DynValue));
		values[i]->type = js->key_types[i];
		values[i]->text = text ? text : "";
	}
	return dyn_key_string(js->nkeys, values);
}

/* Read the next batch of outer rows and fetch their items. */
static void
dyn_fill_batch(DynJoinState *js)
{
	PlanState  *outer = linitial(js->css.custom_ps);
	MemoryContext oldcxt;
	List	   *keys = NIL;
	List	   *key_strings = NIL;
	DynPage		page;

	MemoryContextReset(js->batch_cxt);
	js->nbatch = 0;
	js->pos = 0;
	js->nitems = 0;

	while (js->nbatch < DYN_JOIN_BATCH)
	{
		/* the outer plan allocates in the query's context, not the batch's */
		TupleTableSlot *slot = ExecProcNode(outer);
		DynKey	   *key = NULL;
		char	   *keystr;

		if (TupIsNull(slot))
		{
			js->outer_done = true;
			break;
		}
		oldcxt = MemoryContextSwitchTo(js->batch_cxt);
		ExecCopySlot(js->outer_slots[js->nbatch], slot);
		keystr = dyn_outer_key(js, js->outer_slots[js->nbatch], &key);
		js->outer_keys[js->nbatch++] = keystr;
		if (keystr && !list_member(key_strings, makeString(keystr)))
		{
			key_strings = lappend(key_strings, makeString(keystr));
			keys = lappend(keys, key);
		}
		MemoryContextSwitchTo(oldcxt);
	}

	oldcxt = MemoryContextSwitchTo(js->batch_cxt);
	if (keys != NIL)
	{
		DynRequest	req = js->base;
		DynExpect	expect = {DYN_OP_BATCHGETITEM, js->base.table, js->nkeys};
		char	   *body;
		int			tries = 0;
		int			cap = list_length(keys);

		for (int i = 0; i < js->nkeys; i++)
		{
			expect.key_names[i] = js->key_names[i];
			expect.key_types[i] = js->key_types[i];
		}
		js->item_keys = palloc(sizeof(char *) * cap);
		js->items = palloc(sizeof(DynJson *) * cap);
		req.keys = keys;
		req.names = NIL;
		req.values = NIL;
		dyn_add_projection_names(&req, js->base.projection);
		body = dyn_build_request(&req, NULL, false);
		js->batches++;

		for (;;)
		{
			DynResponse resp;

			CHECK_FOR_INTERRUPTS();
			dyn_request(js->conn, js->opts, "BatchGetItem", body, strlen(body), &resp);
			dyn_parse_page(resp.body.data, resp.body.len, &page, &expect, NULL,
						   js->batch_cxt, NULL);
			js->requests += 1 + resp.retries;
			js->retries += resp.retries;
			js->capacity += page.capacity;
			for (int i = 0; i < page.nitems && js->nitems < cap; i++)
			{
				DynJson    *item = dyn_page_item_kept(&page, i, js->batch_cxt);

				js->items[js->nitems] = item;
				js->item_keys[js->nitems++] = dyn_item_key(js, item);
				js->items_read++;
			}
			if (page.unprocessed == NULL)
				break;
			/* what DynamoDB could not read this time, after a pause */
			if (tries >= js->opts->max_retries + 10)
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
						 errmsg("DynamoDB left keys unprocessed %d times in a row", tries),
						 errhint("Raise the table's capacity.")));
			dyn_backoff(tries++);
			body = dyn_build_unprocessed_request(page.unprocessed);
		}
	}
	MemoryContextSwitchTo(oldcxt);
}

static DynJson *
dyn_find_item(DynJoinState *js, const char *keystr)
{
	if (keystr == NULL)
		return NULL;
	for (int i = 0; i < js->nitems; i++)
		if (strcmp(js->item_keys[i], keystr) == 0)
			return js->items[i];
	return NULL;
}

static TupleTableSlot *
dyn_exec_join(CustomScanState *node)
{
	DynJoinState *js = (DynJoinState *) node;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;

	for (;;)
	{
		TupleTableSlot *outer;
		DynJson    *item;
		bool		matched = false;

		CHECK_FOR_INTERRUPTS();
		if (js->pos >= js->nbatch)
		{
			if (js->outer_done)
				return NULL;
			dyn_fill_batch(js);
			if (js->nbatch == 0)
				return NULL;
		}

		ResetExprContext(econtext);
		outer = js->outer_slots[js->pos];
		item = dyn_find_item(js, js->outer_keys[js->pos]);
		js->pos++;

		if (item)
		{
			econtext->ecxt_scantuple = dyn_fill_scan_slot(js, outer, item);
			matched = ExecQual(js->joinqual, econtext);
		}
		if (!matched)
		{
			if (js->jointype != JOIN_LEFT)
				continue;
			econtext->ecxt_scantuple = dyn_fill_scan_slot(js, outer, NULL);
		}
		if (node->ss.ps.qual && !ExecQual(node->ss.ps.qual, econtext))
			continue;
		return ExecProject(node->ss.ps.ps_ProjInfo);
	}
}

static void
dyn_end_join(CustomScanState *node)
{
	DynJoinState *js = (DynJoinState *) node;

	ExecEndNode(linitial(node->custom_ps));
	if (js->batch_cxt)
		MemoryContextDelete(js->batch_cxt);
	js->batch_cxt = NULL;
}

static void
dyn_rescan_join(CustomScanState *node)
{
	DynJoinState *js = (DynJoinState *) node;

	ExecReScan(linitial(node->custom_ps));
	MemoryContextReset(js->batch_cxt);
	js->nbatch = 0;
	js->pos = 0;
	js->nitems = 0;
	js->outer_done = false;
}

static void
dyn_explain_join(CustomScanState *node, List *ancestors, ExplainState *es)
{
	DynJoinState *js = (DynJoinState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	List	   *context;
	StringInfoData keys;
	ListCell   *lc;
	int			i = 0;

	context = set_deparse_context_plan(es->deparse_cxt, (Plan *) cscan, ancestors);
	initStringInfo(&keys);
	foreach(lc, (List *) linitial(cscan->custom_exprs))
	{
		appendStringInfo(&keys, "%s%s = %s", i > 0 ? " AND " : "",
						 quote_identifier(js->key_names[i]),
						 deparse_expression(lfirst(lc), context, true, false));
		i++;
	}

	ExplainPropertyText("DynamoDB Operation", "BatchGetItem", es);
	ExplainPropertyText("DynamoDB Table", js->base.table, es);
	ExplainPropertyText("DynamoDB Join Key", keys.data, es);
	ExplainPropertyText("DynamoDB Join Type", js->jointype == JOIN_LEFT ? "Left" : "Inner", es);
	ExplainPropertyInteger("DynamoDB Batch Size", NULL, DYN_JOIN_BATCH, es);
	if (es->analyze)
	{
		ExplainPropertyInteger("DynamoDB Batches", NULL, js->batches, es);
		ExplainPropertyInteger("DynamoDB Requests", NULL, js->requests, es);
		ExplainPropertyInteger("DynamoDB Items Read", NULL, js->items_read, es);
		ExplainPropertyInteger("DynamoDB Retries", NULL, js->retries, es);
		ExplainPropertyFloat("DynamoDB Capacity Units", NULL, js->capacity, 1, es);
	}
}

void
dyn_join_init(void)
{
	RegisterCustomScanMethods(&dyn_join_scan_methods);
	prev_join_pathlist_hook = set_join_pathlist_hook;
	set_join_pathlist_hook = dyn_join_pathlist;
}
