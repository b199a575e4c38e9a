/*-------------------------------------------------------------------------
 * planner.c
 *		Planning a foreign scan of a DynamoDB table: the size estimate, the
 *		paths and their costs, and the plan with the columns it retrieves.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/sysattr.h"
#include "access/table.h"
#include "nodes/makefuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "utils/rel.h"

#include "dynomite_fdw.h"

/* a table nobody has analyzed is assumed to be this big */
#define DYN_DEFAULT_ROWS		1000.0
/* one request's round trip, in units of seq_page_cost */
#define DYN_STARTUP_COST		100.0
/* transfer and conversion of one item beyond cpu_tuple_cost */
#define DYN_ITEM_COST			0.01

void
dynomiteGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	double		tuples;

	/* what ANALYZE recorded, if it ran; else a guess */
	tuples = baserel->tuples > 0 ? baserel->tuples : DYN_DEFAULT_ROWS;
	baserel->tuples = tuples;
	baserel->rows = clamp_row_est(tuples *
								  clauselist_selectivity(root, baserel->baserestrictinfo,
														 0, JOIN_INNER, NULL));
}

void
dynomiteGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	Cost		startup_cost = DYN_STARTUP_COST;
	Cost		total_cost;

	total_cost = startup_cost +
		baserel->tuples * (cpu_tuple_cost + DYN_ITEM_COST) +
		baserel->rows * cpu_tuple_cost;

	add_path(baserel, (Path *)
			 create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 startup_cost, total_cost,
									 NIL, NULL, NULL, NIL));
}

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

ForeignScan *
dynomiteGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
					   ForeignPath *best_path, List *tlist, List *scan_clauses,
					   Plan *outer_plan)
{
	Relation	rel;
	List	   *retrieved;
	List	   *fdw_private;

	/* every condition is checked locally */
	scan_clauses = extract_actual_clauses(scan_clauses, false);

	rel = table_open(foreigntableid, NoLock);
	retrieved = dyn_retrieved_attrs(baserel, rel, scan_clauses);
	table_close(rel, NoLock);

	fdw_private = list_make2(retrieved, makeBoolean(retrieved == NIL));

	return make_foreignscan(tlist, scan_clauses, baserel->relid,
							NIL, fdw_private, NIL, NIL, outer_plan);
}
