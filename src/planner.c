/*-------------------------------------------------------------------------
 * planner.c
 *		Planning a foreign scan of a DynamoDB table: the paths (plain,
 *		sorted by the sort key, and parameterized by the outer side of a
 *		join), their costs, and the plan.  Which request serves the
 *		conditions is access.c's choice, the same for every reader.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <math.h>

#include "access/stratnum.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_type.h"
#include "catalog/pg_am.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "parser/parsetree.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/pg_locale.h"
#include "utils/rel.h"

#include "dynomite_fdw.h"

/*
 * What the planner keeps of a foreign table (DynRelInfo, from access.c):
 * its options and key schema, its size, and the columns the query needs,
 * which decide whether an index can serve it.
 */
void
dynomiteGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	DynRelInfo *ri = dyn_rel_info(foreigntableid, DYN_REL_USERID(root, baserel), false);
	ListCell   *lc;

	baserel->fdw_private = ri;
	/* ANALYZE knows better than a guess */
	if (!(ri->info && ri->info->item_count > 0) && baserel->tuples > 0)
		ri->items = baserel->tuples;
	ri->size_known = (ri->info && ri->info->item_count > 0) || baserel->tuples > 0;
	baserel->tuples = ri->items;

	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &ri->attrs_needed);
	foreach(lc, baserel->baserestrictinfo)
		pull_varattnos((Node *) ((RestrictInfo *) lfirst(lc))->clause, baserel->relid,
					   &ri->attrs_needed);
	foreach(lc, baserel->joininfo)
		pull_varattnos((Node *) ((RestrictInfo *) lfirst(lc))->clause, baserel->relid,
					   &ri->attrs_needed);

	{
		int			x = -1;

		while ((x = bms_next_member(ri->attrs_needed, x)) >= 0)
		{
			AttrNumber	attnum = x + FirstLowInvalidHeapAttributeNumber;

			if (attnum > 0 &&
				(dyn_column_meta(foreigntableid, attnum) == DYN_META_NEXT_TOKEN ||
				 dyn_column_meta(foreigntableid, attnum) == DYN_META_PAGE_NUMBER))
				ri->wants_tokens = true;
		}
	}

	baserel->rows = clamp_row_est(ri->items *
								  clauselist_selectivity(root, baserel->baserestrictinfo,
														 0, JOIN_INNER, NULL));
}

/*
 * "next_token > value" on a meta 'next_token' column: where the scan
 * starts.  Returns the value, or NULL for any other clause.
 */
static Expr *
dyn_start_token_clause(PlannerInfo *root, RelOptInfo *baserel, Expr *clause)
{
	RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);
	OpExpr	   *op;
	Expr	   *left;
	Expr	   *right;
	Var		   *var;
	Expr	   *value;

	if (!IsA(clause, OpExpr) || list_length(((OpExpr *) clause)->args) != 2)
		return NULL;
	op = (OpExpr *) clause;
	left = linitial(op->args);
	right = lsecond(op->args);
	while (IsA(left, RelabelType))
		left = ((RelabelType *) left)->arg;
	while (IsA(right, RelabelType))
		right = ((RelabelType *) right)->arg;
	if (op->opfuncid == F_TEXT_GT && IsA(left, Var))
	{
		var = (Var *) left;
		value = right;
	}
	else if (op->opfuncid == F_TEXT_LT && IsA(right, Var))
	{
		var = (Var *) right;
		value = left;
	}
	else
		return NULL;
	if (var->varno != baserel->relid || var->varattno <= 0 ||
		dyn_column_meta(rte->relid, var->varattno) != DYN_META_NEXT_TOKEN ||
		bms_is_member(baserel->relid, pull_varnos(root, (Node *) value)) ||
		contain_volatile_functions((Node *) value))
		return NULL;
	return value;
}

/*
 * The conditions of these clauses as DynamoDB might take them, and where
 * the scan starts ("next_token > value"), into the one chooser; a clause
 * DynamoDB cannot evaluate is checked locally, before those the chooser
 * leaves local.
 */
static void
dyn_choose(PlannerInfo *root, RelOptInfo *baserel, DynRelInfo *ri, List *rinfos,
		   DynAccess *acc)
{
	List	   *clauses = NIL;
	List	   *local = NIL;
	Expr	   *start = NULL;
	ListCell   *lc;

	foreach(lc, rinfos)
	{
		RestrictInfo *rinfo = lfirst(lc);
		List	   *conds;
		Expr	   *value;

		if (start == NULL &&
			(value = dyn_start_token_clause(root, baserel, rinfo->clause)) != NULL)
			start = value;		/* taken by the scan, not checked as text */
		else if (ri->info && dyn_classify_clause(root, baserel, rinfo->clause, &conds))
		{
			DynClause  *dc = palloc0(sizeof(DynClause));

			dc->rinfo = rinfo;
			dc->conds = conds;
			clauses = lappend(clauses, dc);
		}
		else
			local = lappend(local, rinfo);
		if (ri->info)
		{
			ListCell   *lc2;

			foreach(lc2, dyn_implied_lists(root, baserel, rinfo->clause))
			{
				DynClause  *dc = palloc0(sizeof(DynClause));

				dc->conds = list_make1(lfirst(lc2));
				dc->implied = true;
				clauses = lappend(clauses, dc);
			}
		}
	}
	dyn_choose_access(ri, clauses, start, acc);
	acc->local = list_concat(local, acc->local);
}

/* ---------------------------------------------------------------------
 * Paths
 * ---------------------------------------------------------------------
 */
/*
 * A path's rows and costs: a request's startup cost per request, the
 * tuple cost per item DynamoDB reads, and the local checks of each item.
 */
static void
dyn_cost(PlannerInfo *root, RelOptInfo *baserel, DynRelInfo *ri, DynAccess *acc,
		 double *rows, Cost *startup, Cost *total)
{
	Selectivity sel = clauselist_selectivity(root, acc->local, baserel->relid,
											 JOIN_INNER, NULL);

	*rows = clamp_row_est(acc->rows * sel);
	*startup = ri->opts->fdw_startup_cost;
	*total = *startup * acc->requests +
		acc->items_read * (ri->opts->fdw_tuple_cost + cpu_tuple_cost) +
		acc->items_read * cpu_operator_cost * list_length(acc->local);
}

/*
 * The order a Query returns, when it is the one the query wants: a single
 * partition, the sort key of the table or index read, and PostgreSQL's
 * ordering the same as DynamoDB's (bytes for S and B, numbers for N).
 */
static bool
dyn_query_order(PlannerInfo *root, RelOptInfo *baserel, DynAccess *acc, bool *forward)
{
	PathKey    *pathkey;
	EquivalenceClass *ec;
	ListCell   *lc;
	DynCond    *hash;

	if (acc->plan.op != DYN_OP_QUERY || acc->key.range == NULL ||
		list_length(root->query_pathkeys) != 1)
		return false;
	hash = linitial(acc->plan.key_conds);
	if (hash->op != DYN_EQ)
		return false;

	pathkey = linitial(root->query_pathkeys);
	ec = pathkey->pk_eclass;
	if (ec->ec_has_volatile)
		return false;
	foreach(lc, ec->ec_members)
	{
		EquivalenceMember *em = lfirst(lc);
		char	   *attname;
		char		dyntype;
		bool		family_ok;

		/* a column of the sort key, or a whole-item column's member */
		if (!dyn_attribute_ref(root, baserel, em->em_expr, &attname, &dyntype) ||
			strcmp(attname, acc->key.range) != 0)
			continue;
		if (dyntype != acc->key.range_type)
			return false;
		switch (dyntype)
		{
			case 'S':
				family_ok = pathkey->pk_opfamily == TEXT_BTREE_FAM_OID &&
					DYN_COLLATE_IS_C(ec->ec_collation);
				break;
			case 'N':
				family_ok = pathkey->pk_opfamily == INTEGER_BTREE_FAM_OID ||
					pathkey->pk_opfamily == get_opfamily_oid(BTREE_AM_OID,
															 list_make1(makeString("numeric_ops")),
															 false);
				break;
			case 'B':
				family_ok = pathkey->pk_opfamily == BYTEA_BTREE_FAM_OID;
				break;
			default:
				family_ok = false;
		}
		if (!family_ok)
			return false;
		*forward = DYN_PATHKEY_ASCENDING(pathkey);
		return true;
	}
	return false;
}

/*
 * The rows the whole query needs from this scan at most, where it is the
 * query's only relation, nothing is checked locally, and nothing between
 * the scan and the LIMIT changes the number of rows.
 */
static int
dyn_query_bound(PlannerInfo *root, RelOptInfo *baserel, DynAccess *acc, List *pathkeys)
{
	Query	   *parse = root->parse;
	int64		count;
	int64		offset = 0;

	if (acc->local != NIL || parse->commandType != CMD_SELECT ||
		bms_membership(root->all_baserels) != BMS_SINGLETON ||
		parse->hasAggs || parse->groupClause || parse->groupingSets ||
		parse->havingQual || parse->hasWindowFuncs || parse->distinctClause ||
		parse->hasTargetSRFs || parse->setOperations || parse->rowMarks ||
		parse->limitOption != LIMIT_OPTION_COUNT ||
		parse->limitCount == NULL || !IsA(parse->limitCount, Const) ||
		((Const *) parse->limitCount)->constisnull)
		return 0;
	if (root->sort_pathkeys != NIL && !pathkeys_contained_in(root->sort_pathkeys, pathkeys))
		return 0;
	count = DatumGetInt64(((Const *) parse->limitCount)->constvalue);
	if (parse->limitOffset)
	{
		if (!IsA(parse->limitOffset, Const) || ((Const *) parse->limitOffset)->constisnull)
			return 0;
		offset = DatumGetInt64(((Const *) parse->limitOffset)->constvalue);
	}
	if (count <= 0 || offset < 0 || count + offset > INT_MAX)
		return 0;
	return (int) (count + offset);
}

/* What a path keeps for its plan: the direction and the rows needed. */
static List *
dyn_path_private(bool forward, int bound)
{
	return list_make2(makeBoolean(forward), makeInteger(bound));
}

/*
 * What PostgreSQL divides a parallel scan's run cost by: the workers, and
 * the share of the leader, which also reads the workers' rows (costsize.c's
 * get_parallel_divisor).
 */
static double
dyn_parallel_divisor(int workers)
{
	double		divisor = workers;

	if (parallel_leader_participation)
	{
		double		leader = 1.0 - 0.3 * workers;

		if (leader > 0)
			divisor += leader;
	}
	return divisor;
}

/*
 * A partial path, for a Gather to run in the leader and workers that take
 * Scan segments or Query partitions from a shared counter: where the read
 * can be shared, and the table (or what a Query reads of it) is as big as a
 * heap table the planner would scan in parallel.  A table whose size is
 * only guessed (a new table's ItemCount is 0 for hours, and ANALYZE has not
 * run) stays with one process.  The workers and the division of the run
 * cost are a parallel sequential scan's.
 */
static void
dyn_add_partial_path(PlannerInfo *root, RelOptInfo *baserel, DynRelInfo *ri, DynAccess *acc,
					 double rows, Cost startup, Cost total)
{
	ForeignPath *path;
	double		pages;
	int			workers;
	double		divisor;

	if (!baserel->consider_parallel || !ri->size_known || ri->wants_tokens ||
		!dyn_plan_may_share(&acc->plan, ri->opts))
		return;
	pages = ceil(acc->items_read * ri->item_bytes / BLCKSZ);
	workers = compute_parallel_worker(baserel, pages, -1, max_parallel_workers_per_gather);
	if (workers <= 0)
		return;

	divisor = dyn_parallel_divisor(workers);
	path = DYN_CREATE_FOREIGNSCAN_PATH(root, baserel, NULL, clamp_row_est(rows / divisor),
									   startup, startup + (total - startup) / divisor,
									   NIL, NULL, NULL, dyn_path_private(true, 0));
	path->path.parallel_aware = true;
	path->path.parallel_safe = true;
	path->path.parallel_workers = workers;
	add_partial_path(baserel, (Path *) path);
}

/*
 * The paths of one set of conditions: parameterized by outer relations
 * only where the outer values key the request (a Scan per outer row is
 * never worth it); otherwise a plain path, with the LIMIT it may push, and
 * one in the sort key's order where a single-partition Query gives it.
 */
static void
dyn_add_paths(PlannerInfo *root, RelOptInfo *baserel, DynRelInfo *ri, List *rinfos,
			  Relids required_outer)
{
	DynAccess	acc;
	double		rows;
	Cost		startup;
	Cost		total;
	bool		forward;
	int			bound;

	dyn_choose(root, baserel, ri, rinfos, &acc);
	dyn_cost(root, baserel, ri, &acc, &rows, &startup, &total);

	if (required_outer)
	{
		ParamPathInfo *ppi = get_baserel_parampathinfo(root, baserel, required_outer);

		/* worth it only if the outer value keys the request */
		if (acc.plan.op == DYN_OP_SCAN)
			return;

		add_path(baserel, (Path *)
				 DYN_CREATE_FOREIGNSCAN_PATH(root, baserel, NULL, ppi->ppi_rows,
											 startup, total, NIL, required_outer,
											 NULL, dyn_path_private(true, 0)));
		return;
	}

	bound = dyn_query_bound(root, baserel, &acc, NIL);
	add_path(baserel, (Path *)
			 DYN_CREATE_FOREIGNSCAN_PATH(root, baserel, NULL, rows, startup, total, NIL,
										 NULL, NULL, dyn_path_private(true, bound)));

	/* a LIMIT sent to DynamoDB keeps one stream, and one process */
	if (bound == 0)
		dyn_add_partial_path(root, baserel, ri, &acc, rows, startup, total);

	/* the order of the sort key, for ORDER BY without a Sort */
	if (dyn_query_order(root, baserel, &acc, &forward))
		add_path(baserel, (Path *)
				 DYN_CREATE_FOREIGNSCAN_PATH(root, baserel, NULL, rows, startup, total,
											 root->query_pathkeys, NULL, NULL,
											 dyn_path_private(forward,
															  dyn_query_bound(root, baserel, &acc,
																			  root->query_pathkeys))));
}

/* Join clauses "column = outer expression" that could key a request. */
static bool
dyn_ec_member_matches(PlannerInfo *root, RelOptInfo *rel, EquivalenceClass *ec,
					  EquivalenceMember *em, void *arg)
{
	Expr	   *expr = em->em_expr;

	while (IsA(expr, RelabelType))
		expr = ((RelabelType *) expr)->arg;
	return IsA(expr, Var) && ((Var *) expr)->varno == rel->relid &&
		((Var *) expr)->varattno > 0;
}

/*
 * The foreign table's paths: one for its own conditions, and one for each
 * outer relation whose columns give a value to an equality DynamoDB can
 * key on (one GetItem or Query per outer row).  Batched joins on the whole
 * key are join.c's paths.
 */
void
dynomiteGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	DynRelInfo *ri = baserel->fdw_private;
	List	   *joinclauses = NIL;
	List	   *outers = NIL;
	ListCell   *lc;

	dyn_add_paths(root, baserel, ri, baserel->baserestrictinfo, NULL);

	if (ri->info == NULL)
		return;

	/*
	 * Parameterized paths: for each outer relation whose columns give a
	 * value to a condition DynamoDB can key on, one request per outer row.
	 */
	foreach(lc, baserel->joininfo)
	{
		RestrictInfo *rinfo = lfirst(lc);

		if (join_clause_is_movable_to(rinfo, baserel))
			joinclauses = lappend(joinclauses, rinfo);
	}
	joinclauses = list_concat(joinclauses,
							  generate_implied_equalities_for_column(root, baserel,
																	 dyn_ec_member_matches,
																	 NULL,
																	 baserel->lateral_referencers));
	foreach(lc, joinclauses)
	{
		RestrictInfo *rinfo = lfirst(lc);
		Relids		outer = bms_difference(rinfo->clause_relids, baserel->relids);
		List	   *conds;
		ListCell   *lc2;
		bool		seen = false;

		if (bms_is_empty(outer) || bms_overlap(outer, baserel->relids) ||
			!dyn_classify_clause(root, baserel, rinfo->clause, &conds) ||
			list_length(conds) != 1 ||
			(((DynCond *) linitial(conds))->op != DYN_EQ))
			continue;
		foreach(lc2, outers)
			if (bms_equal(lfirst(lc2), outer))
				seen = true;
		if (seen)
			continue;
		outers = lappend(outers, outer);
	}
	foreach(lc, outers)
	{
		Relids		outer = lfirst(lc);
		ParamPathInfo *ppi = get_baserel_parampathinfo(root, baserel, outer);
		dyn_add_paths(root, baserel, ri,
					  list_concat(list_copy(baserel->baserestrictinfo), ppi->ppi_clauses),
					  outer);
	}
}

/* ---------------------------------------------------------------------
 * The plan
 * ---------------------------------------------------------------------
 */

/*
 * The attribute numbers a scan must return: those in the target list and
 * in the conditions checked locally.  A whole-row reference needs them all.
 */
static List *
dyn_retrieved_attrs(RelOptInfo *baserel, Relation rel, List *local_conds)
{
	Bitmapset  *attrs = NULL;
	List	   *result = NIL;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	bool		whole_row;

	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs);
	pull_varattnos((Node *) local_conds, baserel->relid, &attrs);
	whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);

	for (int i = 1; i <= tupdesc->natts; i++)
	{
		if (TupleDescAttr(tupdesc, i - 1)->attisdropped)
			continue;
		if (whole_row ||
			bms_is_member(i - FirstLowInvalidHeapAttributeNumber, attrs))
			result = lappend_int(result, i);
	}
	return result;
}

/*
 * Whether constant values leave nothing to match (an empty key, a reversed
 * range, ...): DynamoDB's rules, as an execution would apply them.
 */
static bool
dyn_plan_matches_nothing(DynPlan *plan, DynOptions *opts, List *fdw_exprs)
{
	DynParamValue *params = dyn_const_params(fdw_exprs);
	DynExecution ex;

	if (params == NULL)
		return false;
	dyn_execution_begin(&ex, plan, opts, params, false, false);
	return ex.nothing;
}

/*
 * The plan: the same choice the path was costed with, its values in
 * fdw_exprs, and everything the executor needs decided here (what is
 * read, Select=COUNT, the streams, whether constants can match anything),
 * so that BeginForeignScan only unpacks it.
 */
ForeignScan *
dynomiteGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
					   ForeignPath *best_path, List *tlist, List *scan_clauses,
					   Plan *outer_plan)
{
	DynRelInfo *ri = baserel->fdw_private;
	DynAccess	acc;
	List	   *local;
	List	   *fdw_exprs;
	Relation	rel;

	dyn_choose(root, baserel, ri, scan_clauses, &acc);
	local = extract_actual_clauses(acc.local, false);
	fdw_exprs = dyn_plan_values(&acc.plan);

	/*
	 * A query that reads every row (no LIMIT, not a cursor, nothing that
	 * stops early) wants its pages read ahead from the first one on.
	 */
	acc.plan.read_all = root->tuple_fraction <= 0.0 &&
		bms_membership(root->all_baserels) == BMS_SINGLETON &&
		best_path->path.param_info == NULL;
	acc.plan.forward = boolVal(linitial(best_path->fdw_private));
	acc.plan.bound = intVal(lsecond(best_path->fdw_private));

	rel = table_open(foreigntableid, NoLock);
	acc.plan.retrieved = dyn_retrieved_attrs(baserel, rel, local);
	dyn_plan_reading(&acc.plan, rel, ri->opts, 0);
	if (best_path->path.parallel_aware)
		dyn_plan_parallel(&acc.plan, ri->opts, best_path->path.parallel_workers);
	table_close(rel, NoLock);
	acc.plan.nothing = dyn_plan_matches_nothing(&acc.plan, ri->opts, fdw_exprs);

	return make_foreignscan(tlist, local, baserel->relid, fdw_exprs,
							dyn_serialize_plan(&acc.plan), NIL, NIL, outer_plan);
}

/*
 * Whether the leader and workers of a parallel query may read the table:
 * each has its own connection and keys, from the same user mapping, but
 * not a read budget or capacity cap kept per backend, which every worker
 * would have again.
 */
bool
dynomiteIsForeignScanParallelSafe(PlannerInfo *root, RelOptInfo *rel, RangeTblEntry *rte)
{
	DynOptions *opts = dyn_get_options(rte->relid, DYN_REL_USERID(root, rel), false);

	if (dyn_max_read_capacity_per_query > 0)
		return false;
	return opts->read_capacity_per_second <= 0 || dyn_budget_shared();
}
