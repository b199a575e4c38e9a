/*-------------------------------------------------------------------------
 * join.c
 *		Joins on a DynamoDB table's whole primary key, in batches: read up
 *		to 100 outer rows, fetch their items with one BatchGetItem, and join
 *		in memory.  A plain parameterized scan sees one outer row at a time
 *		and so sends a request per row; this sends one per hundred, and
 *		keeps up to join_requests_in_flight of them on their way at once,
 *		reading outer rows ahead.
 *
 * The path is offered from set_join_pathlist_hook for inner and left joins
 * whose inner side is a dynomite_fdw foreign table where the chooser
 * (access.c), given the inner side's conditions and the join clauses,
 * looks up whole keys whose values come from the outer side.  The keys of
 * each outer row are made by request.c under DynamoDB's rules, and the
 * batch is fetched by its one BatchGetItem loop.
 *
 * Batches are read in turn from a ring of join_requests_in_flight (K) of
 * them.  The first batch of an execution goes alone, so that a query that
 * stops within its first hundred outer rows sends what a join one batch at
 * a time sends.  When a batch's rows are used up, its place takes the next
 * batch of outer rows, whose request goes out at once; then the join waits
 * for the oldest batch, taking in whatever answers arrive meanwhile.  So K
 * requests are on their way while the join waits, K - 1 while it returns
 * rows; batches are the same hundred outer rows whatever K is, and rows
 * come in the outer side's order.  A query that stops within batch n > 1
 * has sent the requests of batches up to n + K - 1 (and no more after).
 *
 * Nothing is asked for twice in one join: the keys asked, and the text of
 * the item each brought (or none), are kept in a table, and an outer row
 * whose key an earlier batch asked for is joined from there, with no
 * request.  So are the items of a partition's Query, under the text of its
 * first request (key condition, filter and values), once its last page
 * has come: an outer row that renders the same Query reads them instead,
 * and one that renders a Query an earlier row on its way is reading waits
 * for that row's items (it is joined after that row in any case).
 * The table takes entries while it is within the hash memory limit
 * (work_mem times hash_mem_multiplier, as a Memoize's); past it, requests
 * go out as without it.  Items on their way for keys it took may pass the
 * limit by what join_requests_in_flight batches hold; a Query's items
 * stop being kept, and are let go, once they pass it.  The table lasts
 * across rescans: what a request brings does not depend on the outer
 * side's parameters, only on the request.
 *
 * Where the chooser gives the inner side a Query whose key condition takes
 * outer values (a join on the partition key), the same path runs a Query
 * per outer row: the ring then holds K outer rows, each with its first
 * page asked for as soon as it is read; the row being joined pages on as
 * its pages are used up, so each row holds one page at a time.  The row's
 * values are kept with it, as its filter is rendered from them.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/table.h"
#include "common/hashfn.h"
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
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/selfuncs.h"

#include "dynomite_fdw.h"

#define DYN_JOIN_BATCH	100

static set_join_pathlist_hook_type prev_join_pathlist_hook = NULL;

/* custom_private of the plan, by position */
enum DynJoinPrivate
{
	DynJoinForeignTable,		/* Integer: the foreign table's OID */
	DynJoinType,				/* Integer: JOIN_INNER or JOIN_LEFT */
	DynJoinPlan,				/* the inner side's access description */
	DynJoinColumns,				/* List of Integer: per custom_scan_tlist
								 * entry, the outer plan's resno (> 0) or
								 * minus the inner column's attnum */
	DynJoinInnerRelid,			/* Integer: the inner rel's range-table index */
	DynJoinCount
};

/*
 * What the join has asked for and what came: for a key (its lookup text),
 * its item or none; for a Query of one partition (its request), every item
 * of its pages.  Used once answered: once the batch that asked has all its
 * answers, or the Query's last page has come.
 */
typedef struct DynJoinKnown
{
	char	   *key;			/* the lookup text or request (the hash key) */
	int			nitems;
	int			room;
	char	  **items;			/* the items' text */
	int		   *item_lens;
	bool		answered;		/* every item is here */
	long		batch;			/* which batch or outer row asked (batches_read) */
} DynJoinKnown;

/* One batch: up to 100 outer rows and the items of their keys. */
typedef struct DynJoinBatch
{
	MemoryContext cxt;			/* its keys, requests, answers and items */
	TupleTableSlot *outer_slots[DYN_JOIN_BATCH];
	char	   *outer_keys[DYN_JOIN_BATCH];
	int			nouter;
	int			pos;			/* the next outer row to join */
	DynBatchCursor cursor;		/* its keys, each once, and the requests */
	DynRequest	req;			/* what its requests share */
	DynAsync   *async;			/* its request handle */
	bool		inflight;		/* a request is on its way */
	bool		started;		/* an answer has come */
	bool		ready;			/* every key is answered */
	DynPage		page;			/* the last answer: keys left unprocessed */
	StringInfoData body;		/* the answer on its way */
	List	   *known;			/* DynJoinKnown: the keys it asks for there */
	int			nitems;			/* items of keys not in the known table */
	char	  **item_keys;
	DynJson   **items;

	/* a Query join's: one outer row, its Query paged */
	DynParamValue *params;		/* the row's values, copied */
	DynExecution ex;			/* with DynamoDB's rules applied */
	int			partition;		/* the partition read now */
	DynJson    *start;			/* where its next page starts, or NULL */
	DynKeyTrail trail;			/* the keys its pages ended with */
	DynJoinKnown *recording;	/* the known Query its pages are kept in */
	DynJoinKnown *replaying;	/* the known Query its items come from */
	bool		awaiting;		/* an earlier outer row reads its Query now */
	bool		ask_anyway;		/* that row stopped keeping it: send it */
	MemoryContext pcxt[2];		/* the page being read, and the next one */
	int			pcur;
	bool		has_page;		/* a page is there to be joined */
	bool		finished;		/* the outer row is joined */
	bool		matched;		/* an item matched it */
} DynJoinBatch;

typedef struct DynJoinState
{
	CustomScanState css;
	JoinType	jointype;
	Oid			foreigntableid;
	char	   *relname;
	DynOptions *opts;
	DynConnection *conn;
	DynPlan    *plan;			/* the inner side's: its keys, projection */
	bool		query;			/* a Query per outer row, not BatchGetItem */
	DynRequest	base;
	DynExpect	expect;			/* what its responses must be */

	List	   *key_exprs;		/* ExprState per key value */
	DynParamValue *key_values;	/* their values for one outer row */
	ExprState  *joinqual;		/* what makes an outer row and an item match */

	int			ncols;			/* of the scan tuple */
	int		   *outer_attno;	/* per scan column: outer resno, or 0 */
	DynColumn **inner_col;		/* per scan column: inner column, or NULL */

	/* the batches: a ring of in_flight, the oldest at head */
	MemoryContext handle_cxt;	/* the batches' request handles */
	int			in_flight;
	DynJoinBatch *ring;
	int			head;
	int			nbatches;		/* batches in the ring */
	long		batches_read;	/* in this execution */
	bool		outer_done;

	/* the keys asked for, and their items, up to known_limit bytes */
	MemoryContext known_cxt;
	HTAB	   *known;
	Size		known_limit;

	/* for EXPLAIN ANALYZE */
	long		requests;		/* sent, answered or not */
	long		items_read;
	long		retries;
	long		batches;
	int			most_in_flight;
	double		capacity;
	long		keys_reused;	/* outer rows joined from the known table */
	long		keys_unkept;	/* keys asked for past its limit */
} DynJoinState;

static Plan *dyn_plan_join(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
						   List *tlist, List *clauses, List *custom_plans);
static Node *dyn_create_join_state(CustomScan *cscan);
static void dyn_begin_join(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *dyn_exec_join(CustomScanState *node);
static void dyn_end_join(CustomScanState *node);
static void dyn_rescan_join(CustomScanState *node);
static void dyn_explain_join(CustomScanState *node, List *ancestors, ExplainState *es);
static uint32 dyn_known_hash(const void *key, Size keysize);
static int	dyn_known_match(const void *key1, const void *key2, Size keysize);

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

/* Whether every value of conds comes from the outer side; *from_outer: one does. */
static bool
dyn_values_from_outer(PlannerInfo *root, List *conds, RelOptInfo *outerrel, bool *from_outer)
{
	ListCell   *lc;

	foreach(lc, conds)
	{
		Relids		relids = pull_varnos(root, (Node *) ((DynCond *) lfirst(lc))->value);

		if (!bms_is_subset(relids, outerrel->relids))
			return false;
		*from_outer |= !bms_is_empty(relids);
	}
	return true;
}

/*
 * The chooser's choice for the inner side given the join: its own
 * conditions and the join clauses (of a left join, those of its ON), as
 * the conditions of one lookup per outer row.  Worth a batched join where
 * that is a lookup of a whole key whose values the outer side gives (one
 * at least; the other may be a constant), or a Query of the table whose
 * key condition takes a value of the outer side.
 */
static bool
dyn_join_access(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel,
				RelOptInfo *innerrel, JoinType jointype, List *restrictlist,
				DynAccess *acc)
{
	DynRelInfo *ri = innerrel->fdw_private;
	List	   *rinfos = NIL;
	List	   *clauses = NIL;
	bool		from_outer = false;
	bool		filters_from_outer = false;
	ListCell   *lc;

	foreach(lc, restrictlist)
		if (jointype != JOIN_LEFT || !RINFO_IS_PUSHED_DOWN((RestrictInfo *) lfirst(lc),
														   joinrel->relids))
			rinfos = lappend(rinfos, lfirst(lc));
	rinfos = list_concat(rinfos, list_copy(innerrel->baserestrictinfo));
	foreach(lc, rinfos)
	{
		DynClause  *dc = palloc0(sizeof(DynClause));

		dc->rinfo = lfirst(lc);
		if (dyn_classify_clause(root, innerrel, dc->rinfo->clause, &dc->conds))
			clauses = lappend(clauses, dc);
	}
	dyn_choose_access(ri, clauses, NULL, acc);
	if (acc->plan.op != DYN_OP_GETITEM && acc->plan.op != DYN_OP_QUERY)
		return false;
	if (!dyn_values_from_outer(root, acc->plan.key_conds, outerrel, &from_outer))
		return false;
	/* a Query's filter is sent with each outer row's values */
	if (acc->plan.op == DYN_OP_QUERY)
		foreach(lc, acc->plan.filters)
			if (!dyn_values_from_outer(root, lfirst(lc), outerrel, &filters_from_outer))
				return false;
	return from_outer;
}

/*
 * How many different requests the outer rows make: the distinct values,
 * as the planner estimates them, of what a request is rendered from (a
 * key's values; a Query's key condition and filter).  Rows that repeat
 * them send nothing (the join keeps what came).
 */
static double
dyn_join_distinct(PlannerInfo *root, DynAccess *acc, double outer_rows)
{
	List	   *conds = list_copy(acc->plan.key_conds);
	List	   *values = NIL;
	ListCell   *lc;

	if (acc->plan.op == DYN_OP_QUERY)
		foreach(lc, acc->plan.filters)
			conds = list_concat(conds, (List *) lfirst(lc));
	foreach(lc, conds)
		if (((DynCond *) lfirst(lc))->value)
			values = lappend(values, ((DynCond *) lfirst(lc))->value);
	if (values == NIL)
		return 1;
	return Min(outer_rows, estimate_num_groups(root, values, outer_rows, NULL, NULL));
}

/*
 * The batched join's path, offered for inner and left joins whose inner
 * side is one of our foreign tables and where dyn_join_access finds a
 * lookup of whole keys or a Query.  Costed as the outer path, a request
 * per hundred distinct keys (a lookup) or per distinct Query (of which
 * join_requests_in_flight overlap), and a tuple cost per row, so that it
 * wins over a request per outer row one at a time and over a Scan of a
 * big table.
 */
static void
dyn_join_pathlist(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel,
				  RelOptInfo *innerrel, JoinType jointype, JoinPathExtraData *extra)
{
	DynRelInfo *ri;
	DynAccess	acc;
	Path	   *outer_path;
	CustomPath *cp;
	double		outer_rows;
	double		distinct;
	double		requests;
	double		items;
	ListCell   *lc;

	if (prev_join_pathlist_hook)
		prev_join_pathlist_hook(root, joinrel, outerrel, innerrel, jointype, extra);

	if ((jointype != JOIN_INNER && jointype != JOIN_LEFT) ||
		innerrel->reloptkind != RELOPT_BASEREL ||
		innerrel->fdwroutine == NULL ||
		innerrel->fdwroutine->GetForeignPaths != dynomiteGetForeignPaths ||
		!bms_is_empty(innerrel->lateral_relids) ||
		(ri = innerrel->fdw_private) == NULL || ri->info == NULL ||
		ri->opts->index != NULL || ri->wants_tokens ||
		bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, ri->attrs_needed) ||
		!dyn_join_access(root, joinrel, outerrel, innerrel, jointype,
						 extra->restrictlist, &acc))
		return;

	/*
	 * A PlaceHolderVar evaluated at the inner side (a value of the inner
	 * side's subquery that an outer join above must null) would have to be
	 * computed and nulled here: leave such joins to PostgreSQL.
	 */
	foreach(lc, root->placeholder_list)
	{
		PlaceHolderInfo *phinfo = lfirst(lc);

		if (bms_is_member(innerrel->relid, phinfo->ph_eval_at) &&
			bms_is_subset(phinfo->ph_eval_at, joinrel->relids))
			return;
	}

	outer_path = outerrel->cheapest_total_path;
	if (outer_path == NULL || outer_path->param_info != NULL)
		return;

	outer_rows = Max(outer_path->rows, 1);
	distinct = dyn_join_distinct(root, &acc, outer_rows);
	if (acc.plan.op == DYN_OP_QUERY)
	{
		requests = distinct * Max(acc.requests, 1) / ri->opts->join_requests_in_flight;
		items = distinct * Max(acc.items_read, 1);
	}
	else
	{
		requests = ceil(distinct / DYN_JOIN_BATCH);
		items = distinct;
	}

	cp = makeNode(CustomPath);
	cp->path.pathtype = T_CustomScan;
	cp->path.parent = joinrel;
	cp->path.pathtarget = joinrel->reltarget;
	cp->path.param_info = NULL;
	cp->path.rows = joinrel->rows;
	cp->path.startup_cost = outer_path->startup_cost + ri->opts->fdw_startup_cost;
	cp->path.total_cost = outer_path->total_cost +
		requests * ri->opts->fdw_startup_cost +
		items * (ri->opts->fdw_tuple_cost + cpu_tuple_cost) +
		joinrel->rows * cpu_tuple_cost;
	/* a disabled outer path disables this one too (before 18: its cost) */
	DYN_INHERIT_DISABLED_NODES(&cp->path, outer_path);
	cp->path.pathkeys = NIL;
	cp->custom_paths = list_make1(outer_path);
	cp->custom_private = list_make3(makeInteger(jointype), list_copy(extra->restrictlist),
									makeInteger(innerrel->relid));
	cp->methods = &dyn_join_path_methods;
	add_path(joinrel, (Path *) cp);
}

/* Whether the key lookup enforces a clause: the chooser gave it to the keys. */
static bool
dyn_join_keyed(DynAccess *acc, RestrictInfo *rinfo)
{
	ListCell   *lc;

	foreach(lc, acc->keyed)
		if (((DynClause *) lfirst(lc))->rinfo == rinfo)
			return true;
	return false;
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

/*
 * The plan: the path's choice made again (paths keep no access), the key
 * values the executor evaluates per outer row, the scan tuple (every Var
 * the target list and conditions use), and the conditions checked for
 * each pair of outer row and item: all but those the key lookup enforces.
 */
static Plan *
dyn_plan_join(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
			  List *tlist, List *clauses, List *custom_plans)
{
	CustomScan *cscan = makeNode(CustomScan);
	JoinType	jointype = intVal(linitial(best_path->custom_private));
	List	   *restrictlist = lsecond(best_path->custom_private);
	Plan	   *outer_plan = linitial(custom_plans);
	Path	   *outer_path = linitial(best_path->custom_paths);
	RelOptInfo *innerrel = find_base_rel(root, intVal(lthird(best_path->custom_private)));
	DynRelInfo *ri = innerrel->fdw_private;
	DynAccess	acc;
	List	   *joinquals = NIL;
	List	   *otherquals = NIL;
	List	   *key_exprs;
	List	   *scan_tlist = NIL;
	List	   *columns = NIL;
	List	   *vars;
	Relation	frel;
	ListCell   *lc;

	if (!dyn_join_access(root, rel, outer_path->parent, innerrel, jointype,
						 restrictlist, &acc))
		elog(ERROR, "batched join lost its key lookup");
	key_exprs = dyn_plan_values(&acc.plan);

	foreach(lc, restrictlist)
	{
		RestrictInfo *rinfo = lfirst(lc);

		if (jointype == JOIN_LEFT && RINFO_IS_PUSHED_DOWN(rinfo, rel->relids))
			otherquals = lappend(otherquals, rinfo->clause);
		else if (!dyn_join_keyed(&acc, rinfo))
			joinquals = lappend(joinquals, rinfo->clause);
	}
	/* the inner side's own conditions decide whether an item matches */
	foreach(lc, innerrel->baserestrictinfo)
		if (!dyn_join_keyed(&acc, lfirst(lc)))
			joinquals = lappend(joinquals, ((RestrictInfo *) lfirst(lc))->clause);

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
		{
			columns = lappend_int(columns, -(int) var->varattno);
			acc.plan.retrieved = lappend_int(acc.plan.retrieved, var->varattno);
		}
		else
			columns = lappend_int(columns, dyn_outer_resno(outer_plan->targetlist, var));
	}
	joinquals = (List *) dyn_scan_tuple_vars((Node *) joinquals, scan_tlist);
	otherquals = (List *) dyn_scan_tuple_vars((Node *) otherquals, scan_tlist);
	key_exprs = (List *) dyn_scan_tuple_vars((Node *) key_exprs, scan_tlist);
	frel = table_open(ri->relid, NoLock);
	dyn_plan_reading(&acc.plan, frel, ri->opts, DYN_READ_KEYS);
	table_close(frel, NoLock);

	cscan->scan.plan.targetlist = tlist;
	cscan->scan.plan.qual = otherquals;
	cscan->scan.scanrelid = 0;
	cscan->flags = best_path->flags;
	cscan->custom_plans = custom_plans;
	cscan->custom_exprs = list_make2(key_exprs, joinquals);
	cscan->custom_scan_tlist = scan_tlist;
	cscan->custom_private = list_make5(makeInteger(ri->relid), makeInteger(jointype),
									   dyn_serialize_plan(&acc.plan), columns,
									   makeInteger(innerrel->relid));
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

/* Unpack the plan: the inner side's access, the scan tuple, the outer plan. */
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

	if (list_length(private) != DynJoinCount)
		elog(ERROR, "dynomite_fdw join plan has %d fields, not %d",
			 list_length(private), DynJoinCount);
	js->foreigntableid = intVal(list_nth(private, DynJoinForeignTable));
	js->jointype = intVal(list_nth(private, DynJoinType));
	js->plan = dyn_deserialize_plan(list_nth(private, DynJoinPlan));

	outer = ExecInitNode(linitial(cscan->custom_plans), estate, eflags);
	node->custom_ps = list_make1(outer);

	js->key_exprs = ExecInitExprList(linitial(cscan->custom_exprs), (PlanState *) node);
	js->key_values = palloc0(sizeof(DynParamValue) * Max(list_length(js->key_exprs), 1));
	i = 0;
	foreach(lc, (List *) linitial(cscan->custom_exprs))
		js->key_values[i++].type = exprType(lfirst(lc));
	js->joinqual = ExecInitQual(lsecond(cscan->custom_exprs), (PlanState *) node);

	js->opts = dyn_get_options(js->foreigntableid, userid,
							   (eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0);
	js->relname = get_rel_name(js->foreigntableid);
	js->query = js->plan->op == DYN_OP_QUERY;
	dyn_base_request(js->plan, js->opts, &js->base);
	if (!js->query)
		js->base.op = DYN_OP_BATCHGETITEM;
	js->base.capacity |= estate->es_instrument != 0;
	dyn_plan_expect(js->plan, js->opts, &js->expect);
	if (!js->query)
		js->expect.op = DYN_OP_BATCHGETITEM;

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
			js->inner_col[i] = palloc0(sizeof(DynColumn));
			dyn_init_column(js->inner_col[i], rel, (AttrNumber) -c);
		}
		i++;
	}
	table_close(rel, AccessShareLock);

	js->in_flight = js->opts->join_requests_in_flight;
	js->ring = palloc0(sizeof(DynJoinBatch) * js->in_flight);
	js->handle_cxt = AllocSetContextCreate(estate->es_query_cxt, "dynomite_fdw join handles",
										   ALLOCSET_SMALL_SIZES);
	for (int b = 0; b < js->in_flight; b++)
	{
		js->ring[b].cxt = AllocSetContextCreate(estate->es_query_cxt,
												"dynomite_fdw join batch",
												ALLOCSET_DEFAULT_SIZES);
		if (js->query)
			for (i = 0; i < 2; i++)
				js->ring[b].pcxt[i] = AllocSetContextCreate(estate->es_query_cxt,
															"dynomite_fdw join page",
															ALLOCSET_DEFAULT_SIZES);
		for (i = 0; i < (js->query ? 1 : DYN_JOIN_BATCH); i++)
			js->ring[b].outer_slots[i] = ExecAllocTableSlot(&estate->es_tupleTable,
															ExecGetResultType(outer),
															&TTSOpsMinimalTuple);
	}

	{
		HASHCTL		ctl;

		js->known_cxt = AllocSetContextCreate(estate->es_query_cxt, "dynomite_fdw join keys",
											  ALLOCSET_SMALL_SIZES);
		js->known_limit = get_hash_memory_limit();
		ctl.keysize = sizeof(char *);
		ctl.entrysize = sizeof(DynJoinKnown);
		ctl.hash = dyn_known_hash;
		ctl.match = dyn_known_match;
		ctl.hcxt = js->known_cxt;
		js->known = hash_create("dynomite_fdw join keys", 256, &ctl,
								HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	}

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	{
		ForeignTable *ft = GetForeignTable(js->foreigntableid);

		js->conn = dyn_get_connection(GetForeignServer(ft->serverid),
									  GetUserMapping(userid, ft->serverid), js->opts);
	}
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

/*
 * The scan tuple of a joined row, its values converted in the per-tuple
 * context: they live until the next row, not until the end of the query.
 */
static TupleTableSlot *
dyn_row_slot(DynJoinState *js, TupleTableSlot *outer, DynJson *item)
{
	ExprContext *econtext = js->css.ss.ps.ps_ExprContext;
	MemoryContext oldcxt = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
	TupleTableSlot *slot = dyn_fill_scan_slot(js, outer, item);

	MemoryContextSwitchTo(oldcxt);
	return slot;
}

/*
 * The key of an outer row as text to match items by, or NULL where its
 * values make no key (NULL, empty, a number DynamoDB cannot hold): then
 * no item matches.
 */
static char *
dyn_outer_key(DynJoinState *js, TupleTableSlot *outer, DynKey **key)
{
	ExprContext *econtext = js->css.ss.ps.ps_ExprContext;
	List	   *keys;
	ListCell   *lc;

	econtext->ecxt_scantuple = dyn_fill_scan_slot(js, outer, NULL);
	foreach(lc, js->key_exprs)
	{
		DynParamValue *p = &js->key_values[foreach_current_index(lc)];

		p->value = ExecEvalExpr(lfirst(lc), econtext, &p->isnull);
	}
	keys = dyn_execution_keys(js->plan, js->key_values);
	if (keys == NIL)
		return NULL;
	*key = linitial(keys);
	return dyn_key_lookup_text(*key);
}

/* The known table's hash and match: of the lookup text its key points to. */
static uint32
dyn_known_hash(const void *key, Size keysize)
{
	const char *text = *(const char *const *) key;

	return hash_bytes((const unsigned char *) text, strlen(text));
}

static int
dyn_known_match(const void *key1, const void *key2, Size keysize)
{
	return strcmp(*(const char *const *) key1, *(const char *const *) key2);
}

/*
 * The known table's entry of a key, or NULL.  With admit, a key not there
 * is entered as asked for by the batch being read (*entered tells), while
 * the table is within its limit.
 */
static DynJoinKnown *
dyn_known(DynJoinState *js, char *keystr, bool admit, bool *entered)
{
	DynJoinKnown *k = hash_search(js->known, &keystr, HASH_FIND, NULL);

	if (entered)
		*entered = false;
	if (k != NULL || !admit ||
		MemoryContextMemAllocated(js->known_cxt, true) >= js->known_limit)
		return k;
	k = hash_search(js->known, &keystr, HASH_ENTER, NULL);
	k->key = MemoryContextStrdup(js->known_cxt, keystr);
	k->nitems = 0;
	k->room = 0;
	k->items = NULL;
	k->item_lens = NULL;
	k->answered = false;
	k->batch = js->batches_read;
	*entered = true;
	return k;
}

/* Keep the text of one more item of k. */
static void
dyn_known_add(DynJoinState *js, DynJoinKnown *k, const char *text, int len)
{
	if (k->nitems == k->room)
	{
		k->room = Max(k->room * 2, 1);
		if (k->items == NULL)
		{
			k->items = MemoryContextAlloc(js->known_cxt, sizeof(char *) * k->room);
			k->item_lens = MemoryContextAlloc(js->known_cxt, sizeof(int) * k->room);
		}
		else
		{
			k->items = repalloc(k->items, sizeof(char *) * k->room);
			k->item_lens = repalloc(k->item_lens, sizeof(int) * k->room);
		}
	}
	k->items[k->nitems] = MemoryContextAlloc(js->known_cxt, len);
	memcpy(k->items[k->nitems], text, len);
	k->item_lens[k->nitems++] = len;
}

/* Item i of k, parsed again from its text for the row being joined alone. */
static DynJson *
dyn_known_item(DynJoinState *js, DynJoinKnown *k, int i)
{
	return dyn_item_from_text(&js->expect, k->items[i], k->item_lens[i],
							  js->css.ss.ps.ps_ExprContext->ecxt_per_tuple_memory);
}

/* Drop an entry nobody will answer, and what it kept. */
static void
dyn_known_drop(DynJoinState *js, DynJoinKnown *k)
{
	for (int i = 0; i < k->nitems; i++)
		pfree(k->items[i]);
	if (k->items)
	{
		pfree(k->items);
		pfree(k->item_lens);
	}
	hash_search(js->known, &k->key, HASH_REMOVE, NULL);
}

/*
 * Forget the keys of a batch whose answers will not all come (it is
 * dropped on its way): a later batch must ask for them.
 */
static void
dyn_forget_unanswered(DynJoinState *js, DynJoinBatch *b)
{
	ListCell   *lc;

	foreach(lc, b->known)
	{
		DynJoinKnown *k = lfirst(lc);

		if (!k->answered)
			dyn_known_drop(js, k);
	}
	b->known = NIL;
	if (b->recording)
		dyn_known_drop(js, b->recording);
	b->recording = NULL;
	b->replaying = NULL;
	b->awaiting = false;
}

/* Note one more request on its way, and the most there have been at once. */
static void
dyn_count_request(DynJoinState *js)
{
	int			n = 0;

	for (int i = 0; i < js->in_flight; i++)
		n += js->ring[i].inflight;
	js->most_in_flight = Max(js->most_in_flight, n);
	js->requests++;
}

/*
 * Send a batch's next request, built by request.c's BatchGetItem loop from
 * the answer before (the keys it left unprocessed go again); a batch with
 * nothing more to ask is ready.
 */
static void
dyn_send_batch(DynJoinState *js, DynJoinBatch *b)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(b->cxt);
	char	   *body = dyn_batch_next(&b->cursor, &b->req, b->started ? &b->page : NULL,
									  js->opts);

	if (body == NULL)
	{
		ListCell   *lc;

		MemoryContextSwitchTo(oldcxt);
		foreach(lc, b->known)
			((DynJoinKnown *) lfirst(lc))->answered = true;
		b->ready = true;
		return;
	}
	initStringInfo(&b->body);
	MemoryContextSwitchTo(oldcxt);
	if (b->async == NULL)
		b->async = dyn_async_create(js->conn, js->handle_cxt);
	dyn_async_start(b->async, js->opts, "BatchGetItem", body, strlen(body), &b->body);
	b->inflight = true;
	dyn_count_request(js);
}

/* A batch's answer has come: keep its items, and ask again for what it left. */
static void
dyn_receive_batch(DynJoinState *js, DynJoinBatch *b)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(b->cxt);
	int			nkeys = list_length(b->cursor.keys);
	DynResponse resp;
	DynPage		page;

	b->inflight = false;
	dyn_async_finish(b->async, js->opts, &resp);
	dyn_parse_page(resp.body.data, resp.body.len, &page, &js->expect, NULL, b->cxt, NULL);
	b->page = page;
	b->started = true;
	js->requests += resp.retries;
	js->retries += resp.retries;
	js->capacity += page.capacity;
	for (int i = 0; i < page.nitems; i++)
	{
		DynJson    *item = dyn_page_item_kept(&page, i, b->cxt);
		char	   *keystr = dyn_item_lookup_text(item, js->plan);
		DynJoinKnown *k;

		js->items_read++;
		if (keystr == NULL)
			continue;
		k = dyn_known(js, keystr, false, NULL);
		if (k != NULL && !k->answered && k->nitems == 0)
		{
			/* a key asked for by this batch: its item is known from now */
			dyn_known_add(js, k, page.body + page.item_off[i], page.item_len[i]);
		}
		else if (k == NULL && b->nitems < nkeys)
		{
			b->items[b->nitems] = item;
			b->item_keys[b->nitems++] = keystr;
		}
	}
	MemoryContextSwitchTo(oldcxt);
	dyn_send_batch(js, b);
}

/*
 * Read the next batch of outer rows into b, and send the first request for
 * their keys, each once.
 */
static void
dyn_start_batch(DynJoinState *js, DynJoinBatch *b)
{
	PlanState  *outer = linitial(js->css.custom_ps);
	MemoryContext oldcxt;
	List	   *key_strings = NIL;
	int			nkeys;

	MemoryContextReset(b->cxt);
	b->known = NIL;
	b->nouter = 0;
	b->pos = 0;
	b->cursor = (DynBatchCursor) {NIL, 0, 0};
	b->inflight = false;
	b->started = false;
	b->ready = false;
	b->nitems = 0;
	memset(&b->page, 0, sizeof(DynPage));

	while (b->nouter < DYN_JOIN_BATCH)
	{
		/* the outer plan allocates in the query's context, not the batch's */
		TupleTableSlot *slot = ExecProcNode(outer);
		DynKey	   *key = NULL;
		char	   *keystr;
		DynJoinKnown *k;
		bool		entered;

		if (TupIsNull(slot))
		{
			js->outer_done = true;
			break;
		}
		oldcxt = MemoryContextSwitchTo(b->cxt);
		ExecCopySlot(b->outer_slots[b->nouter], slot);
		keystr = dyn_outer_key(js, b->outer_slots[b->nouter], &key);
		b->outer_keys[b->nouter++] = keystr;
		if (keystr == NULL)
			;
		else if ((k = dyn_known(js, keystr, true, &entered)) != NULL)
		{
			/* asked for once: by this batch now, or by one before */
			if (entered)
			{
				b->known = lappend(b->known, k);
				b->cursor.keys = lappend(b->cursor.keys, key);
			}
			else if (k->batch != js->batches_read)
				js->keys_reused++;
		}
		else if (!list_member(key_strings, makeString(keystr)))
		{
			/* the known table is full: the batch asks for it itself */
			key_strings = lappend(key_strings, makeString(keystr));
			b->cursor.keys = lappend(b->cursor.keys, key);
			js->keys_unkept++;
		}
		MemoryContextSwitchTo(oldcxt);
	}
	js->batches_read++;
	if (b->cursor.keys == NIL)
	{
		b->ready = true;
		return;
	}

	oldcxt = MemoryContextSwitchTo(b->cxt);
	nkeys = list_length(b->cursor.keys);
	b->item_keys = palloc(sizeof(char *) * nkeys);
	b->items = palloc(sizeof(DynJson *) * nkeys);
	b->req = js->base;
	dyn_add_projection_names(&b->req, js->base.projection);
	MemoryContextSwitchTo(oldcxt);
	js->batches++;
	dyn_send_batch(js, b);
}

/*
 * Wait for the next answer to any request of the ring and return the
 * place whose request it answers.
 */
static DynJoinBatch *
dyn_ring_answered(DynJoinState *js)
{
	DynAsync   *set[DYN_MAX_JOIN_IN_FLIGHT];
	DynAsync   *arrived;

	CHECK_FOR_INTERRUPTS();
	for (int i = 0; i < js->in_flight; i++)
		set[i] = js->ring[i].inflight ? js->ring[i].async : NULL;
	arrived = dyn_async_wait_any(set, js->in_flight);
	for (int i = 0; arrived != NULL && i < js->in_flight; i++)
		if (js->ring[i].inflight && js->ring[i].async == arrived)
			return &js->ring[i];
	elog(ERROR, "join waits for an answer with no request on its way");
	return NULL;
}

/* Take in answers, whichever batch's they are, until b is ready. */
static void
dyn_wait_batch(DynJoinState *js, DynJoinBatch *b)
{
	while (!b->ready)
		dyn_receive_batch(js, dyn_ring_answered(js));
}

/*
 * The batch whose rows are joined now, or NULL when the outer side is
 * used up.  A used-up batch leaves the ring; batches of outer rows fill the
 * free places (only one as the execution's first), then the join waits for
 * the oldest.
 */
static DynJoinBatch *
dyn_current_batch(DynJoinState *js)
{
	DynJoinBatch *cur = js->nbatches > 0 ? &js->ring[js->head] : NULL;
	int			room;

	if (cur && cur->ready && cur->pos < cur->nouter)
		return cur;
	if (cur && cur->ready)
	{
		js->head = (js->head + 1) % js->in_flight;
		js->nbatches--;
	}
	room = js->batches_read == 0 ? 1 : js->in_flight;
	while (js->nbatches < room && !js->outer_done)
	{
		dyn_start_batch(js, &js->ring[(js->head + js->nbatches) % js->in_flight]);
		js->nbatches++;
	}
	if (js->nbatches == 0)
		return NULL;
	cur = &js->ring[js->head];
	dyn_wait_batch(js, cur);
	return cur;
}

/*
 * The item of an outer row's key: from the known table, parsed again from
 * its text for this row alone, or from the batch's own; NULL where none
 * came.
 */
static DynJson *
dyn_find_item(DynJoinState *js, DynJoinBatch *b, char *keystr)
{
	DynJoinKnown *k;

	if (keystr == NULL)
		return NULL;
	k = dyn_known(js, keystr, false, NULL);
	if (k != NULL)
	{
		if (!k->answered)
			elog(ERROR, "batched join reached a key before its answer");
		return k->nitems > 0 ? dyn_known_item(js, k, 0) : NULL;
	}
	for (int i = 0; i < b->nitems; i++)
		if (strcmp(b->item_keys[i], keystr) == 0)
			return b->items[i];
	return NULL;
}

/*
 * Ask for the next page of a Query join's outer row: of the partition read
 * now, or of the next one; false when there is none.  The request is built
 * in the context its answer will fill; the page before, whose
 * LastEvaluatedKey it starts from, stays.
 */
static bool
dyn_query_send(DynJoinState *js, DynJoinBatch *b)
{
	MemoryContext next = b->pcxt[1 - b->pcur];
	MemoryContext oldcxt;
	DynRequest	req;
	char	   *body;

	MemoryContextReset(next);
	oldcxt = MemoryContextSwitchTo(next);
	for (;;)
	{
		if (b->partition >= list_length(b->ex.partitions))
		{
			MemoryContextSwitchTo(oldcxt);
			return false;
		}
		req = js->base;
		req.names = NIL;
		req.values = NIL;
		dyn_add_projection_names(&req, js->base.projection);
		if (dyn_render_conditions(&b->ex, b->partition, &req))
			break;
		/* no item of this partition can match */
		b->partition++;
		b->start = NULL;
	}
	req.limit = js->opts->page_size;
	if (b->start == NULL)
		dyn_key_trail_start(&b->trail, b->cxt, NULL);
	body = dyn_build_request(&req, b->start, false);
	if (b->start == NULL)
	{
		/* the partition's first page: a Query asked for before is known */
		bool		entered;
		DynJoinKnown *k = dyn_known(js, body, true, &entered);

		if (k != NULL && k->answered)
		{
			MemoryContextSwitchTo(oldcxt);
			b->replaying = k;
			b->pos = 0;
			js->keys_reused++;
			return true;
		}
		if (entered)
			b->recording = k;
		else if (k != NULL && !b->ask_anyway)
		{
			/* an earlier outer row reads it now: its items, when it has them */
			b->awaiting = true;
			MemoryContextSwitchTo(oldcxt);
			return true;
		}
		else if (k == NULL)
			js->keys_unkept++;
	}
	initStringInfo(&b->body);
	MemoryContextSwitchTo(oldcxt);
	if (b->async == NULL)
		b->async = dyn_async_create(js->conn, js->handle_cxt);
	dyn_async_start(b->async, js->opts, "Query", body, strlen(body), &b->body);
	b->inflight = true;
	dyn_count_request(js);
	return true;
}

/* A Query join's page has come: it replaces the page before. */
static void
dyn_query_receive(DynJoinState *js, DynJoinBatch *b)
{
	MemoryContext next = b->pcxt[1 - b->pcur];
	MemoryContext oldcxt = MemoryContextSwitchTo(next);
	DynResponse resp;
	DynPage		page;

	b->inflight = false;
	dyn_async_finish(b->async, js->opts, &resp);
	dyn_parse_page(resp.body.data, resp.body.len, &page, &js->expect, &b->trail, next, NULL);
	if (!page.has_items)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_REPLY_HANDLE),
				 errmsg("invalid Query response from DynamoDB"),
				 errdetail("A Query response without items."),
				 errcontext("DynamoDB Query request on table \"%s\"", js->base.table)));
	MemoryContextSwitchTo(oldcxt);
	js->requests += resp.retries;
	js->retries += resp.retries;
	js->capacity += page.capacity;
	js->items_read += page.nitems;

	/* the partition's items are kept while they are within the limit */
	if (b->recording)
	{
		for (int i = 0; i < page.nitems; i++)
			dyn_known_add(js, b->recording, page.body + page.item_off[i], page.item_len[i]);
		if (MemoryContextMemAllocated(js->known_cxt, true) > js->known_limit)
		{
			dyn_known_drop(js, b->recording);
			b->recording = NULL;
			js->keys_unkept++;
		}
		else if (page.last_key == NULL)
		{
			b->recording->answered = true;
			b->recording = NULL;
		}
	}

	MemoryContextReset(b->pcxt[b->pcur]);
	b->pcur = 1 - b->pcur;
	b->page = page;
	b->pos = 0;
	b->has_page = true;
	if (page.last_key)
		b->start = page.last_key;
	else
	{
		b->partition++;
		b->start = NULL;
	}
}

/*
 * Read the next outer row into a Query join's b, apply DynamoDB's rules to
 * its values and ask for its first page.
 */
static void
dyn_query_start(DynJoinState *js, DynJoinBatch *b)
{
	PlanState  *outer = linitial(js->css.custom_ps);
	ExprContext *econtext = js->css.ss.ps.ps_ExprContext;
	TupleTableSlot *slot;
	MemoryContext oldcxt;
	ListCell   *lc;

	MemoryContextReset(b->cxt);
	MemoryContextReset(b->pcxt[0]);
	MemoryContextReset(b->pcxt[1]);
	b->nouter = 0;
	b->pos = 0;
	b->pcur = 0;
	b->inflight = false;
	b->has_page = false;
	b->finished = false;
	b->matched = false;
	b->partition = 0;
	b->start = NULL;
	b->recording = NULL;
	b->replaying = NULL;
	b->awaiting = false;
	b->ask_anyway = false;
	memset(&b->page, 0, sizeof(DynPage));

	slot = ExecProcNode(outer);
	if (TupIsNull(slot))
	{
		js->outer_done = true;
		b->finished = true;
		return;
	}
	oldcxt = MemoryContextSwitchTo(b->cxt);
	ExecCopySlot(b->outer_slots[0], slot);
	b->nouter = 1;
	js->batches_read++;

	/* the row's values, kept with it: the filter is rendered with them */
	econtext->ecxt_scantuple = dyn_fill_scan_slot(js, b->outer_slots[0], NULL);
	b->params = palloc0(sizeof(DynParamValue) * Max(list_length(js->key_exprs), 1));
	foreach(lc, js->key_exprs)
	{
		DynParamValue *p = &b->params[foreach_current_index(lc)];
		int16		typlen;
		bool		typbyval;
		Datum		value;

		p->type = js->key_values[foreach_current_index(lc)].type;
		value = ExecEvalExpr(lfirst(lc), econtext, &p->isnull);
		get_typlenbyval(p->type, &typlen, &typbyval);
		p->value = p->isnull ? (Datum) 0 : datumCopy(value, typbyval, typlen);
	}
	dyn_execution_begin(&b->ex, js->plan, js->opts, b->params, false, false);
	MemoryContextSwitchTo(oldcxt);
	js->batches++;
	if (b->ex.nothing || !dyn_query_send(js, b))
		b->partition = list_length(b->ex.partitions);
}

/* Take in answers, whichever outer row's they are, until b's has come. */
static void
dyn_wait_query(DynJoinState *js, DynJoinBatch *b)
{
	while (b->inflight)
		dyn_query_receive(js, dyn_ring_answered(js));
}

/*
 * The next item of a Query join's outer row b, or NULL when its Query is
 * read to the end.  Pages of the other outer rows in the ring wait, one
 * each, until their row's turn; this row's next page is asked for when its
 * page is used up.
 */
static DynJson *
dyn_query_next_item(DynJoinState *js, DynJoinBatch *b)
{
	for (;;)
	{
		if (b->awaiting)
		{
			/* the earlier row is done with it: read from what it kept, or sent */
			b->awaiting = false;
			b->ask_anyway = true;
			if (!dyn_query_send(js, b))
				return NULL;
			b->ask_anyway = false;
			continue;
		}
		if (b->replaying)
		{
			/* a partition read before, from the items kept */
			if (b->pos < b->replaying->nitems)
				return dyn_known_item(js, b->replaying, b->pos++);
			b->replaying = NULL;
			b->partition++;
			b->start = NULL;
			if (!dyn_query_send(js, b))
				return NULL;
			continue;
		}
		dyn_wait_query(js, b);
		if (b->has_page && b->pos < b->page.nitems)
			return dyn_page_item(&b->page, b->pos++);
		b->has_page = false;
		if (!dyn_query_send(js, b))
			return NULL;
	}
}

/*
 * The joined row in econtext's scan tuple as the join returns it, or NULL
 * where the join's other conditions drop it; no projection where the target
 * list is the scan tuple itself.
 */
static TupleTableSlot *
dyn_join_result(CustomScanState *node, ExprContext *econtext)
{
	if (node->ss.ps.qual && !ExecQual(node->ss.ps.qual, econtext))
		return NULL;
	if (node->ss.ps.ps_ProjInfo == NULL)
		return econtext->ecxt_scantuple;
	return ExecProject(node->ss.ps.ps_ProjInfo);
}

/*
 * The next row of a Query join: each outer row with the items of its
 * Query where the join filter holds, as its pages come; a left join's
 * outer row alone, NULL-extended, where none does.  The ring holds the
 * outer rows read ahead, the first page of each on its way.
 */
static TupleTableSlot *
dyn_exec_query_join(CustomScanState *node)
{
	DynJoinState *js = (DynJoinState *) node;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;

	for (;;)
	{
		DynJoinBatch *b = js->nbatches > 0 ? &js->ring[js->head] : NULL;
		TupleTableSlot *outer;
		DynJson    *item;
		TupleTableSlot *result;

		CHECK_FOR_INTERRUPTS();
		if (b == NULL || b->finished)
		{
			int			room = js->batches_read == 0 ? 1 : js->in_flight;

			if (b)
			{
				js->head = (js->head + 1) % js->in_flight;
				js->nbatches--;
			}
			while (js->nbatches < room && !js->outer_done)
			{
				DynJoinBatch *nb = &js->ring[(js->head + js->nbatches) % js->in_flight];

				dyn_query_start(js, nb);
				if (nb->nouter > 0)
					js->nbatches++;
			}
			if (js->nbatches == 0)
				return NULL;
			continue;
		}

		ResetExprContext(econtext);
		outer = b->outer_slots[0];
		item = dyn_query_next_item(js, b);
		if (item)
		{
			econtext->ecxt_scantuple = dyn_row_slot(js, outer, item);
			if (!ExecQual(js->joinqual, econtext))
				continue;
			b->matched = true;
		}
		else
		{
			b->finished = true;
			if (js->jointype != JOIN_LEFT || b->matched)
				continue;
			econtext->ecxt_scantuple = dyn_row_slot(js, outer, NULL);
		}
		if ((result = dyn_join_result(node, econtext)) != NULL)
			return result;
	}
}

/*
 * The next joined row: each outer row of the batch with its item (found
 * by its key), where the join filter holds; a left join's outer row
 * alone, NULL-extended, where none does.
 */
static TupleTableSlot *
dyn_exec_join(CustomScanState *node)
{
	DynJoinState *js = (DynJoinState *) node;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;

	if (js->query)
		return dyn_exec_query_join(node);
	for (;;)
	{
		DynJoinBatch *b;
		TupleTableSlot *outer;
		DynJson    *item;
		bool		matched = false;
		TupleTableSlot *result;

		CHECK_FOR_INTERRUPTS();
		b = dyn_current_batch(js);
		if (b == NULL)
			return NULL;
		if (b->pos >= b->nouter)
			continue;			/* an empty batch: the outer side ended */

		ResetExprContext(econtext);
		outer = b->outer_slots[b->pos];
		item = dyn_find_item(js, b, b->outer_keys[b->pos]);
		b->pos++;

		if (item)
		{
			econtext->ecxt_scantuple = dyn_row_slot(js, outer, item);
			matched = ExecQual(js->joinqual, econtext);
		}
		if (!matched)
		{
			if (js->jointype != JOIN_LEFT)
				continue;
			econtext->ecxt_scantuple = dyn_row_slot(js, outer, NULL);
		}
		if ((result = dyn_join_result(node, econtext)) != NULL)
			return result;
	}
}

/* Drop every batch, and the requests on their way. */
static void
dyn_reset_batches(DynJoinState *js)
{
	for (int i = 0; i < js->in_flight; i++)
	{
		DynJoinBatch *b = &js->ring[i];

		if (b->async)
			dyn_async_cancel(b->async);
		if (js->known)
			dyn_forget_unanswered(js, b);
		b->inflight = false;
		b->ready = false;
		b->nouter = 0;
		b->pos = 0;
		MemoryContextReset(b->cxt);
		if (js->query)
		{
			MemoryContextReset(b->pcxt[0]);
			MemoryContextReset(b->pcxt[1]);
			b->has_page = false;
		}
	}
	js->head = 0;
	js->nbatches = 0;
	js->batches_read = 0;
	js->outer_done = false;
}

static void
dyn_end_join(CustomScanState *node)
{
	DynJoinState *js = (DynJoinState *) node;

	ExecEndNode(linitial(node->custom_ps));
	/* let the batches and handles go now rather than at the end of the query */
	if (js->handle_cxt)
	{
		dyn_reset_batches(js);
		MemoryContextDelete(js->handle_cxt);
		js->handle_cxt = NULL;
	}
	if (js->known_cxt)
	{
		MemoryContextDelete(js->known_cxt);
		js->known_cxt = NULL;
		js->known = NULL;
	}
}

static void
dyn_rescan_join(CustomScanState *node)
{
	DynJoinState *js = (DynJoinState *) node;

	ExecReScan(linitial(node->custom_ps));
	dyn_reset_batches(js);
}

/*
 * EXPLAIN: the lookup (its keys and their outer values) and the conditions
 * checked for each pair of outer row and item.
 */
static void
dyn_explain_join(CustomScanState *node, List *ancestors, ExplainState *es)
{
	DynJoinState *js = (DynJoinState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;
	List	   *key_exprs = linitial(cscan->custom_exprs);
	List	   *joinquals = lsecond(cscan->custom_exprs);
	char	  **value_text = palloc0(sizeof(char *) * Max(list_length(key_exprs), 1));
	List	   *context;
	ListCell   *lc;

	context = set_deparse_context_plan(es->deparse_cxt, (Plan *) cscan, ancestors);
	foreach(lc, key_exprs)
		value_text[foreach_current_index(lc)] = deparse_expression(lfirst(lc), context,
																   true, false);

	ExplainPropertyText("DynamoDB Operation", js->query ? "Query" : "BatchGetItem", es);
	ExplainPropertyText("DynamoDB Table", js->base.table, es);
	ExplainPropertyText(js->query ? "DynamoDB Join Key Condition" : "DynamoDB Join Key",
						dyn_display_conditions(js->plan->key_conds, NIL, value_text), es);
	if (js->query && js->plan->filters)
		ExplainPropertyText("DynamoDB Filter",
							dyn_display_conditions(NIL, js->plan->filters, value_text), es);
	ExplainPropertyText("DynamoDB Join Type", js->jointype == JOIN_LEFT ? "Left" : "Inner", es);
	if (joinquals != NIL)
		ExplainPropertyText("Join Filter",
							deparse_expression((Node *) make_ands_explicit(joinquals),
											   context, true, false), es);
	if (!js->query)
		ExplainPropertyInteger("DynamoDB Batch Size", NULL, DYN_JOIN_BATCH, es);
	ExplainPropertyInteger("DynamoDB Requests In Flight", NULL, js->in_flight, es);
	if (es->analyze)
	{
		ExplainPropertyInteger(js->query ? "DynamoDB Outer Rows Queried" : "DynamoDB Batches",
							   NULL, js->batches, es);
		ExplainPropertyInteger(js->query ? "DynamoDB Queries Reused" : "DynamoDB Keys Reused",
							   NULL, js->keys_reused, es);
		ExplainPropertyInteger(js->query ? "DynamoDB Queries Past Memory Limit" :
							   "DynamoDB Keys Past Memory Limit", NULL, js->keys_unkept, es);
		ExplainPropertyInteger("DynamoDB Most In Flight", NULL, js->most_in_flight, es);
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
