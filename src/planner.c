/*-------------------------------------------------------------------------
 * planner.c
 *		Planning a foreign scan of a DynamoDB table: which request serves
 *		the conditions (GetItem, BatchGetItem, Query on the table or an
 *		index, Scan), the paths (plain, sorted by the sort key, and
 *		parameterized by the outer side of a join), their costs, and the
 *		plan.
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
 * A table whose size nobody knows (DynamoDB updates ItemCount only every few
 * hours, and a new table says 0) is assumed big: reading it whole is the
 * mistake that costs most.
 */
#define DYN_DEFAULT_ROWS		100000.0
/* the share of a table one partition is assumed to hold */
#define DYN_PARTITION_SHARE		0.01
/* the share of a partition a sort-key condition is assumed to keep */
#define DYN_RANGE_SHARE			0.3
/* the bytes of an item when DynamoDB does not say */
#define DYN_DEFAULT_ITEM_BYTES	400.0
#define DYN_PAGE_BYTES			(1024.0 * 1024.0)
#define DYN_BATCH_KEYS			100

/* The outcome of choosing a request for a set of conditions. */
typedef struct DynAccess
{
	DynPlan		plan;
	DynKeySchema key;			/* of the table or index read */
	List	   *local;			/* RestrictInfos checked locally */
	double		items_read;		/* items DynamoDB reads */
	double		requests;
	double		rows;			/* rows returned after local checks */
} DynAccess;

/* A shippable clause and its conditions. */
typedef struct DynClause
{
	RestrictInfo *rinfo;
	List	   *conds;			/* DynCond; more than one: an OR */
} DynClause;

void
dynomiteGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	DynRelInfo *ri = palloc0(sizeof(DynRelInfo));
	ListCell   *lc;

	baserel->fdw_private = ri;
	ri->userid = DYN_REL_USERID(root, baserel);
	ri->opts = dyn_get_options(foreigntableid, ri->userid, false);
	if (ri->opts->pushdown)
	{
		/* the key schema decides what can be asked: credentials needed now */
		ri->opts = dyn_get_options(foreigntableid, ri->userid, true);
		ri->info = dyn_get_table_info(foreigntableid, ri->userid, ri->opts);
	}

	ri->items = (ri->info && ri->info->item_count > 0) ? ri->info->item_count :
		baserel->tuples > 0 ? baserel->tuples : DYN_DEFAULT_ROWS;
	ri->item_bytes = (ri->info && ri->info->item_count > 0 && ri->info->size_bytes > 0) ?
		ri->info->size_bytes / ri->info->item_count : DYN_DEFAULT_ITEM_BYTES;
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

static void
dyn_add_token_key(List **keys, const char *name, char type)
{
	ListCell   *lc;

	if (name == NULL)
		return;
	foreach(lc, *keys)
		if (foreach_current_index(lc) % 2 == 0 && strcmp(strVal(lfirst(lc)), name) == 0)
			return;
	*keys = lappend(*keys, makeString((char *) name));
	*keys = lappend(*keys, makeInteger(type));
}

/* ---------------------------------------------------------------------
 * Choosing the request
 * ---------------------------------------------------------------------
 */

/* Does an index hold every attribute the query needs? */
static bool
dyn_index_covers(PlannerInfo *root, RelOptInfo *baserel, DynRelInfo *ri, DynIndex *index)
{
	RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);
	int			x = -1;

	if (index->projection == DYN_PROJECT_ALL)
		return true;
	while ((x = bms_next_member(ri->attrs_needed, x)) >= 0)
	{
		AttrNumber	attnum = x + FirstLowInvalidHeapAttributeNumber;
		char	   *attname;
		bool		covered;
		ListCell   *lc;

		if (attnum == 0 ||
			(attnum > 0 && dyn_column_meta(rte->relid, attnum) != DYN_META_NONE))
			return false;		/* the whole row or item: every attribute */
		if (attnum < 0)
			continue;
		attname = dyn_column_attribute(rte->relid, attnum);
		covered = strcmp(attname, ri->info->key.hash) == 0 ||
			(ri->info->key.range && strcmp(attname, ri->info->key.range) == 0) ||
			strcmp(attname, index->key.hash) == 0 ||
			(index->key.range && strcmp(attname, index->key.range) == 0);
		foreach(lc, index->nonkey)
			if (strcmp(attname, lfirst(lc)) == 0)
				covered = true;
		if (!covered)
			return false;
	}
	return true;
}

/* A single condition on the attribute, of the key's type, with op. */
static DynClause *
dyn_find_key_clause(List *clauses, const char *attname, char keytype, DynCondOp op)
{
	ListCell   *lc;

	foreach(lc, clauses)
	{
		DynClause  *dc = lfirst(lc);
		DynCond    *cond;

		if (list_length(dc->conds) != 1)
			continue;
		cond = linitial(dc->conds);
		if (cond->op == op && cond->dyntype == keytype &&
			strcmp(cond->attname, attname) == 0)
			return dc;
	}
	return NULL;
}

/*
 * The sort-key conditions a Query can take: one equality, one begins_with,
 * or a lower and an upper bound.  Bounds that a BETWEEN would loosen stay
 * local as well (*loose).
 */
static List *
dyn_range_clauses(List *clauses, const char *attname, char keytype, List **loose)
{
	DynClause  *dc;
	DynClause  *lower = NULL;
	DynClause  *upper = NULL;
	ListCell   *lc;

	*loose = NIL;
	if (attname == NULL)
		return NIL;
	if ((dc = dyn_find_key_clause(clauses, attname, keytype, DYN_EQ)) != NULL)
		return list_make1(dc);
	foreach(lc, clauses)
	{
		DynCond    *cond;

		dc = lfirst(lc);
		if (list_length(dc->conds) != 1)
			continue;
		cond = linitial(dc->conds);
		if (cond->dyntype != keytype || strcmp(cond->attname, attname) != 0)
			continue;
		if ((cond->op == DYN_GT || cond->op == DYN_GE) && lower == NULL)
			lower = dc;
		else if ((cond->op == DYN_LT || cond->op == DYN_LE) && upper == NULL)
			upper = dc;
	}
	if (lower && upper)
	{
		/* BETWEEN includes both ends: strict bounds are checked again */
		if (((DynCond *) linitial(lower->conds))->op == DYN_GT)
			*loose = lappend(*loose, lower);
		if (((DynCond *) linitial(upper->conds))->op == DYN_LT)
			*loose = lappend(*loose, upper);
		return list_make2(lower, upper);
	}
	if (lower || upper)
		return list_make1(lower ? lower : upper);
	if ((dc = dyn_find_key_clause(clauses, attname, keytype, DYN_BEGINS)) != NULL)
		return list_make1(dc);
	return NIL;
}

static bool
dyn_is_key_attribute(const char *attname, const DynKeySchema *a, const DynKeySchema *b)
{
	return strcmp(attname, a->hash) == 0 ||
		(a->range && strcmp(attname, a->range) == 0) ||
		(b && (strcmp(attname, b->hash) == 0 ||
			   (b->range && strcmp(attname, b->range) == 0)));
}

/*
 * Choose the cheapest request that gives the exact answer for these
 * conditions.  Conditions that the request's keys take are not checked
 * again; every other condition is checked locally, and where DynamoDB can
 * evaluate it, shipped as a filter as well.
 */
static void
dyn_choose_access(PlannerInfo *root, RelOptInfo *baserel, DynRelInfo *ri,
				  List *rinfos, DynAccess *acc)
{
	List	   *clauses = NIL;
	List	   *used = NIL;		/* DynClauses the keys take */
	List	   *loose = NIL;		/* of those, ones checked again */
	DynClause  *hash = NULL;
	List	   *range = NIL;
	DynIndex   *index = NULL;
	const DynKeySchema *tkey;
	double		partitions = 1;
	ListCell   *lc;

	memset(acc, 0, sizeof(DynAccess));
	acc->plan.op = DYN_OP_SCAN;
	acc->plan.forward = true;
	acc->plan.start_token_idx = -1;

	foreach(lc, rinfos)
	{
		RestrictInfo *rinfo = lfirst(lc);
		List	   *conds;
		Expr	   *start;

		if (acc->plan.start_token == NULL &&
			(start = dyn_start_token_clause(root, baserel, rinfo->clause)) != NULL)
		{
			/* where to start: taken by the scan, not checked as text */
			acc->plan.start_token = start;
			continue;
		}
		if (ri->info && dyn_classify_clause(root, baserel, rinfo->clause, &conds))
		{
			DynClause  *dc = palloc(sizeof(DynClause));

			dc->rinfo = rinfo;
			dc->conds = conds;
			clauses = lappend(clauses, dc);
		}
		else
			acc->local = lappend(acc->local, rinfo);
	}

	if (ri->info == NULL)
	{
		if (acc->plan.start_token)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot resume from a next_token with pushdown off"),
					 errhint("Resuming needs the table's key schema; set the foreign table's pushdown option to true.")));
		acc->items_read = ri->items;
		acc->requests = Max(1, ri->items * ri->item_bytes / DYN_PAGE_BYTES);
		acc->rows = ri->items;
		return;
	}

	tkey = &ri->info->key;
	acc->plan.hash_key = tkey->hash;
	acc->plan.range_key = tkey->range;
	acc->key = *tkey;

	if (ri->opts->index)
	{
		/* the index the table option names, and no other */
		foreach(lc, ri->info->indexes)
			if (strcmp(((DynIndex *) lfirst(lc))->name, ri->opts->index) == 0)
				index = lfirst(lc);
		if (index == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
					 errmsg("DynamoDB table \"%s\" has no index \"%s\"",
							ri->info->table, ri->opts->index),
					 errhint("Check the foreign table's \"index\" option.")));
		hash = dyn_find_key_clause(clauses, index->key.hash, index->key.hash_type, DYN_EQ);
		if (hash)
			range = dyn_range_clauses(clauses, index->key.range, index->key.range_type, &loose);
	}
	else
	{
		DynClause  *hash_in = NULL;
		DynClause  *range_eq = NULL;

		hash = dyn_find_key_clause(clauses, tkey->hash, tkey->hash_type, DYN_EQ);
		if (hash == NULL)
			hash_in = dyn_find_key_clause(clauses, tkey->hash, tkey->hash_type, DYN_IN);
		if (tkey->range)
			range_eq = dyn_find_key_clause(clauses, tkey->range, tkey->range_type, DYN_EQ);

		if ((hash || hash_in) && (tkey->range == NULL || range_eq))
		{
			/* whole keys: GetItem, or BatchGetItem for a list */
			acc->plan.op = hash ? DYN_OP_GETITEM : DYN_OP_BATCHGETITEM;
			hash = hash ? hash : hash_in;
			range = range_eq ? list_make1(range_eq) : NIL;
		}
		else if (hash || hash_in)
		{
			hash = hash ? hash : hash_in;
			range = dyn_range_clauses(clauses, tkey->range, tkey->range_type, &loose);
			if (range == NIL)
			{
				/* a local index may serve a condition the table cannot */
				foreach(lc, ri->info->indexes)
				{
					DynIndex   *lsi = lfirst(lc);
					List	   *lsi_range;
					List	   *lsi_loose;

					if (lsi->global || strcmp(lsi->key.hash, tkey->hash) != 0 ||
						!dyn_index_covers(root, baserel, ri, lsi))
						continue;
					lsi_range = dyn_range_clauses(clauses, lsi->key.range,
												  lsi->key.range_type, &lsi_loose);
					if (lsi_range != NIL)
					{
						index = lsi;
						range = lsi_range;
						loose = lsi_loose;
						break;
					}
				}
			}
		}
		else
		{
			/* a global index whose partition key has a value */
			foreach(lc, ri->info->indexes)
			{
				DynIndex   *gsi = lfirst(lc);
				DynClause  *gsi_hash;

				if (!gsi->global || !dyn_index_covers(root, baserel, ri, gsi))
					continue;
				gsi_hash = dyn_find_key_clause(clauses, gsi->key.hash,
											   gsi->key.hash_type, DYN_EQ);
				if (gsi_hash == NULL)
					continue;
				if (index == NULL || range == NIL)
				{
					List	   *gsi_loose;
					List	   *gsi_range = dyn_range_clauses(clauses, gsi->key.range,
															  gsi->key.range_type,
															  &gsi_loose);

					index = gsi;
					hash = gsi_hash;
					range = gsi_range;
					loose = gsi_loose;
				}
			}
		}
	}

	if (index)
	{
		acc->plan.index = index->name;
		acc->plan.global_index = index->global;
		acc->key = index->key;
	}
	if (hash && acc->plan.op == DYN_OP_SCAN)
		acc->plan.op = DYN_OP_QUERY;
	/* tokens need pages and keys: whole-key lookups become Queries */
	if ((ri->wants_tokens || acc->plan.start_token) &&
		(acc->plan.op == DYN_OP_GETITEM || acc->plan.op == DYN_OP_BATCHGETITEM))
		acc->plan.op = DYN_OP_QUERY;
	dyn_add_token_key(&acc->plan.token_keys, tkey->hash, tkey->hash_type);
	dyn_add_token_key(&acc->plan.token_keys, tkey->range, tkey->range_type);
	if (index)
	{
		dyn_add_token_key(&acc->plan.token_keys, index->key.hash, index->key.hash_type);
		dyn_add_token_key(&acc->plan.token_keys, index->key.range, index->key.range_type);
	}

	/* the key conditions, partition key first */
	if (hash)
	{
		used = list_concat(list_make1(hash), range);
		foreach(lc, used)
			acc->plan.key_conds = lappend(acc->plan.key_conds,
										  linitial(((DynClause *) lfirst(lc))->conds));
		if (((DynCond *) linitial(hash->conds))->op == DYN_IN)
		{
			Expr	   *array = ((DynCond *) linitial(hash->conds))->value;

			partitions = IsA(array, Const) && !((Const *) array)->constisnull ?
				ArrayGetNItems(ARR_NDIM(DatumGetArrayTypeP(((Const *) array)->constvalue)),
							   ARR_DIMS(DatumGetArrayTypeP(((Const *) array)->constvalue))) :
				10;
		}
	}

	/* everything else: local, and where possible a filter too */
	foreach(lc, clauses)
	{
		DynClause  *dc = lfirst(lc);
		bool		keyed = list_member_ptr(used, dc);
		bool		filterable = true;
		ListCell   *lc2;

		if (!keyed || list_member_ptr(loose, dc))
			acc->local = lappend(acc->local, dc->rinfo);
		if (keyed || acc->plan.op == DYN_OP_GETITEM || acc->plan.op == DYN_OP_BATCHGETITEM)
			continue;
		/* a Query's filter may not name its key attributes */
		foreach(lc2, dc->conds)
		{
			DynCond    *cond = lfirst(lc2);

			if (acc->plan.op == DYN_OP_QUERY &&
				dyn_is_key_attribute(cond->attname, tkey, index ? &index->key : NULL))
				filterable = false;
		}
		if (filterable)
			acc->plan.filters = lappend(acc->plan.filters, dc->conds);
	}

	/* what that costs */
	switch (acc->plan.op)
	{
		case DYN_OP_GETITEM:
			acc->items_read = 1;
			acc->requests = 1;
			break;
		case DYN_OP_BATCHGETITEM:
			acc->items_read = partitions;
			acc->requests = ceil(partitions / DYN_BATCH_KEYS);
			break;
		case DYN_OP_QUERY:
			acc->items_read = acc->key.range ?
				Max(1, ri->items * DYN_PARTITION_SHARE) : 1;
			if (range != NIL &&
				((DynCond *) linitial(((DynClause *) linitial(range))->conds))->op != DYN_EQ)
				acc->items_read *= DYN_RANGE_SHARE;
			else if (range != NIL)
				acc->items_read = 1;
			acc->items_read *= partitions;
			acc->requests = partitions *
				Max(1, acc->items_read / partitions * ri->item_bytes / DYN_PAGE_BYTES);
			break;
		case DYN_OP_SCAN:
			acc->items_read = ri->items;
			acc->requests = Max(1, ri->items * ri->item_bytes / DYN_PAGE_BYTES);
			break;
	}
	if (ri->opts->page_size > 0 && acc->plan.op != DYN_OP_GETITEM &&
		acc->plan.op != DYN_OP_BATCHGETITEM)
		acc->requests = Max(acc->requests, ceil(acc->items_read / ri->opts->page_size));
	acc->rows = acc->items_read;
}

/* ---------------------------------------------------------------------
 * Paths
 * ---------------------------------------------------------------------
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
	RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);
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
		Expr	   *expr = em->em_expr;
		Var		   *var;
		char		dyntype;
		bool		family_ok;

		while (IsA(expr, RelabelType))
			expr = ((RelabelType *) expr)->arg;
		if (!IsA(expr, Var))
			continue;
		var = (Var *) expr;
		if (var->varno != baserel->relid || var->varattno <= 0 ||
			dyn_column_meta(rte->relid, var->varattno) != DYN_META_NONE ||
			strcmp(dyn_column_attribute(rte->relid, var->varattno), acc->key.range) != 0)
			continue;
		dyntype = dyn_column_dyntype(var->vartype);
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

static List *
dyn_path_private(bool forward, int bound)
{
	return list_make2(makeBoolean(forward), makeInteger(bound));
}

static void
dyn_add_paths(PlannerInfo *root, RelOptInfo *baserel, DynRelInfo *ri, List *rinfos,
			  Relids required_outer)
{
	DynAccess	acc;
	double		rows;
	Cost		startup;
	Cost		total;
	bool		forward;

	dyn_choose_access(root, baserel, ri, rinfos, &acc);
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

	add_path(baserel, (Path *)
			 DYN_CREATE_FOREIGNSCAN_PATH(root, baserel, NULL, rows, startup, total, NIL,
										 NULL, NULL,
										 dyn_path_private(true,
														  dyn_query_bound(root, baserel,
																		  &acc, NIL))));

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

/* Give each condition's value its place in fdw_exprs. */
static void
dyn_number_values(List *conds, List **fdw_exprs)
{
	ListCell   *lc;

	foreach(lc, conds)
	{
		DynCond    *cond = lfirst(lc);

		if (cond->value)
		{
			cond->valueidx = list_length(*fdw_exprs);
			*fdw_exprs = lappend(*fdw_exprs, cond->value);
		}
	}
}

ForeignScan *
dynomiteGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
					   ForeignPath *best_path, List *tlist, List *scan_clauses,
					   Plan *outer_plan)
{
	DynRelInfo *ri = baserel->fdw_private;
	DynAccess	acc;
	List	   *local;
	List	   *fdw_exprs = NIL;
	Relation	rel;
	ListCell   *lc;

	/* the same choice the path was costed with */
	dyn_choose_access(root, baserel, ri, scan_clauses, &acc);
	local = extract_actual_clauses(acc.local, false);

	dyn_number_values(acc.plan.key_conds, &fdw_exprs);
	foreach(lc, acc.plan.filters)
		dyn_number_values(lfirst(lc), &fdw_exprs);
	if (acc.plan.start_token)
	{
		acc.plan.start_token_idx = list_length(fdw_exprs);
		fdw_exprs = lappend(fdw_exprs, acc.plan.start_token);
	}

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
	table_close(rel, NoLock);
	acc.plan.count_only = acc.plan.retrieved == NIL;

	return make_foreignscan(tlist, local, baserel->relid, fdw_exprs,
							dyn_serialize_plan(&acc.plan), NIL, NIL, outer_plan);
}
