/*-------------------------------------------------------------------------
 * access.c
 *		The chooser: which DynamoDB request reads what a foreign scan, a
 *		batched join or the paging functions ask for.  Conditions come in
 *		as DynClauses (deparse.c's classifier makes them from WHERE and
 *		join clauses and from the paging functions' filter); out comes one
 *		access description, DynPlan: the operation, table or index, key
 *		conditions, filter, projection, limit, direction, streams and token
 *		scope.  Its costs are estimated here, and its serialization into
 *		fdw_private and custom_private lives here beside it; so does the
 *		full-scan guard: whether a plan Scans the whole table, what would
 *		make it a Query or GetItem, its capacity from the table's size, and
 *		the refusal while the guard is on.
 *
 * Every reader uses the same choice, so a rule of DynamoDB's about which
 * request may carry what (a Query's filter may not name key attributes, a
 * global index holds only what it projects, ...) is written once.  The
 * rules about values are request.c's.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/sysattr.h"
#include "access/table.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
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

/* Which keys take which conditions. */
typedef struct DynKeyChoice
{
	DynOperation op;
	DynIndex   *index;			/* NULL: the table */
	DynClause  *hash;			/* the partition key's condition; NULL: Scan */
	List	   *range;			/* the sort key's conditions (DynClause) */
	List	   *loose;			/* of those, ones checked again locally */
} DynKeyChoice;

/*
 * What choosing needs to know of a foreign table: its options and, where
 * conditions may be shipped (pushdown, or need_info), its key schema and
 * indexes, which need credentials now.  Sizes from DynamoDB where it says.
 */
DynRelInfo *
dyn_rel_info(Oid relid, Oid userid, bool need_info)
{
	DynRelInfo *ri = palloc0(sizeof(DynRelInfo));

	ri->relid = relid;
	ri->userid = userid;
	ri->opts = dyn_get_options(relid, userid, false);
	if (ri->opts->pushdown || need_info)
	{
		ri->opts = dyn_get_options(relid, userid, true);
		ri->info = dyn_get_table_info(relid, userid, ri->opts);
	}
	ri->items = (ri->info && ri->info->item_count > 0) ? ri->info->item_count :
		DYN_DEFAULT_ROWS;
	ri->item_bytes = (ri->info && ri->info->item_count > 0 && ri->info->size_bytes > 0) ?
		ri->info->size_bytes / ri->info->item_count : DYN_DEFAULT_ITEM_BYTES;
	return ri;
}

/* ---------------------------------------------------------------------
 * Keys
 * ---------------------------------------------------------------------
 */

/* A single condition on the attribute, of the key's type, with op. */
static DynClause *
dyn_find_key_clause(List *clauses, const char *attname, char keytype, DynCondOp op)
{
	ListCell   *lc;

	if (attname == NULL)
		return NULL;
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
 * How many values a key condition gives: one for an equality, the length
 * of an IN list that is a constant, and ten for one known only when the
 * plan runs.
 */
static double
dyn_value_count(DynClause *dc)
{
	DynCond    *cond = linitial(dc->conds);

	if (cond->op != DYN_IN)
		return 1;
	if (IsA(cond->value, Const) && !((Const *) cond->value)->constisnull)
	{
		ArrayType  *a = DatumGetArrayTypeP(((Const *) cond->value)->constvalue);

		return ArrayGetNItems(ARR_NDIM(a), ARR_DIMS(a));
	}
	return 10;
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

/* Whether attname is a key attribute of key schema a, or of b. */
static bool
dyn_is_key_attribute(const char *attname, const DynKeySchema *a, const DynKeySchema *b)
{
	return strcmp(attname, a->hash) == 0 ||
		(a->range && strcmp(attname, a->range) == 0) ||
		(b && (strcmp(attname, b->hash) == 0 ||
			   (b->range && strcmp(attname, b->range) == 0)));
}

/* Does an index project the attribute? Its keys and the table's it always does. */
static bool
dyn_index_projects(DynRelInfo *ri, DynIndex *index, const char *attname)
{
	ListCell   *lc;

	if (index->projection == DYN_PROJECT_ALL ||
		dyn_is_key_attribute(attname, &ri->info->key, &index->key))
		return true;
	foreach(lc, index->nonkey)
		if (strcmp(attname, lfirst(lc)) == 0)
			return true;
	return false;
}

/*
 * Does an index hold every attribute the reader needs?  The whole row, an
 * item column or whole items (the paging functions) need every attribute.
 */
static bool
dyn_index_covers(DynRelInfo *ri, DynIndex *index)
{
	int			x = -1;

	if (index->projection == DYN_PROJECT_ALL)
		return true;
	if (ri->whole_items)
		return false;
	while ((x = bms_next_member(ri->attrs_needed, x)) >= 0)
	{
		AttrNumber	attnum = x + FirstLowInvalidHeapAttributeNumber;

		if (attnum == 0 ||
			(attnum > 0 && dyn_column_meta(ri->relid, attnum) != DYN_META_NONE))
			return false;
		if (attnum > 0 &&
			!dyn_index_projects(ri, index, dyn_column_attribute(ri->relid, attnum)))
			return false;
	}
	return true;
}

/*
 * The index the table's "index" option names.  A column the query needs
 * that the index does not project would come back NULL, or be refused by
 * DynamoDB: refused here, naming both.  The paging functions take items as
 * the index holds them.
 */
static DynIndex *
dyn_named_index(DynRelInfo *ri)
{
	DynIndex   *index = NULL;
	ListCell   *lc;
	bool		whole_row;
	Relation	rel;
	TupleDesc	tupdesc;

	foreach(lc, ri->info->indexes)
		if (strcmp(((DynIndex *) lfirst(lc))->name, ri->opts->index) == 0)
			index = lfirst(lc);
	if (index == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_TABLE_NOT_FOUND),
				 errmsg("DynamoDB table \"%s\" has no index \"%s\"",
						ri->info->table, ri->opts->index),
				 errhint("Check the foreign table's \"index\" option.")));
	if (ri->whole_items || index->projection == DYN_PROJECT_ALL)
		return index;

	whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, ri->attrs_needed);
	rel = table_open(ri->relid, NoLock);
	tupdesc = CreateTupleDescCopy(RelationGetDescr(rel));
	table_close(rel, NoLock);
	for (AttrNumber attnum = 1; attnum <= tupdesc->natts; attnum++)
	{
		char	   *attname;

		if ((!whole_row &&
			 !bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, ri->attrs_needed)) ||
			TupleDescAttr(tupdesc, attnum - 1)->attisdropped ||
			dyn_column_meta(ri->relid, attnum) != DYN_META_NONE)
			continue;
		attname = dyn_column_attribute(ri->relid, attnum);
		if (!dyn_index_projects(ri, index, attname))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
					 errmsg("DynamoDB index \"%s\" does not project column \"%s\" of foreign table \"%s\"",
							index->name, get_attname(ri->relid, attnum, false),
							get_rel_name(ri->relid)),
					 errdetail("The index holds attribute \"%s\" of no item.", attname),
					 errhint("Leave the column out of the query, or read the table without the \"index\" option.")));
	}
	return index;
}

/*
 * Keys of the table itself: the whole key (GetItem, or BatchGetItem for a
 * list of partition-key values), else a Query of the partitions, by the
 * table's sort key or a local index's.  False without a partition key.
 */
static bool
dyn_choose_table_keys(DynRelInfo *ri, List *clauses, DynKeyChoice *kc)
{
	const DynKeySchema *tkey = &ri->info->key;
	DynClause  *hash = dyn_find_key_clause(clauses, tkey->hash, tkey->hash_type, DYN_EQ);
	DynClause  *hash_in = NULL;
	DynClause  *range_eq;
	DynClause  *range_in;
	ListCell   *lc;

	if (hash == NULL)
		hash_in = dyn_find_key_clause(clauses, tkey->hash, tkey->hash_type, DYN_IN);
	if (hash == NULL && hash_in == NULL)
		return false;
	kc->hash = hash ? hash : hash_in;
	range_eq = dyn_find_key_clause(clauses, tkey->range, tkey->range_type, DYN_EQ);
	if (tkey->range == NULL || range_eq)
	{
		kc->op = hash ? DYN_OP_GETITEM : DYN_OP_BATCHGETITEM;
		kc->range = range_eq ? list_make1(range_eq) : NIL;
		return true;
	}
	/* a list of sort-key values: every pair of values is a whole key */
	range_in = dyn_find_key_clause(clauses, tkey->range, tkey->range_type, DYN_IN);
	if (range_in &&
		dyn_value_count(kc->hash) * dyn_value_count(range_in) <= DYN_KEY_PAIRS_MAX)
	{
		kc->op = DYN_OP_BATCHGETITEM;
		kc->range = list_make1(range_in);
		return true;
	}

	kc->op = DYN_OP_QUERY;
	kc->range = dyn_range_clauses(clauses, tkey->range, tkey->range_type, &kc->loose);
	if (kc->range != NIL)
		return true;
	/* a local index may serve a condition the table cannot */
	foreach(lc, ri->info->indexes)
	{
		DynIndex   *lsi = lfirst(lc);
		List	   *loose;
		List	   *range;

		if (lsi->global || strcmp(lsi->key.hash, tkey->hash) != 0 ||
			!dyn_index_covers(ri, lsi))
			continue;
		range = dyn_range_clauses(clauses, lsi->key.range, lsi->key.range_type, &loose);
		if (range != NIL)
		{
			kc->index = lsi;
			kc->range = range;
			kc->loose = loose;
			break;
		}
	}
	return true;
}

/*
 * A global index whose partition key has a value and that holds what the
 * reader needs; of several, the first with a sort-key condition as well.
 */
static void
dyn_choose_global_index(DynRelInfo *ri, List *clauses, DynKeyChoice *kc)
{
	ListCell   *lc;

	foreach(lc, ri->info->indexes)
	{
		DynIndex   *gsi = lfirst(lc);
		DynClause  *hash;
		List	   *loose;
		List	   *range;

		if (!gsi->global || !dyn_index_covers(ri, gsi) ||
			(hash = dyn_find_key_clause(clauses, gsi->key.hash, gsi->key.hash_type,
										DYN_EQ)) == NULL)
			continue;
		if (kc->index != NULL && kc->range != NIL)
			continue;
		range = dyn_range_clauses(clauses, gsi->key.range, gsi->key.range_type, &loose);
		kc->op = DYN_OP_QUERY;
		kc->index = gsi;
		kc->hash = hash;
		kc->range = range;
		kc->loose = loose;
	}
}

/*
 * Mark the conditions on a key attribute (of the table or an index) of
 * that key's type: such an attribute is never empty nor of another type.
 * Where DynamoDB decides alone (exact), a condition of another type on a
 * key attribute is a mistake in the query: refused, as PostgreSQL refuses
 * to compare a text column with a number.
 */
static void
dyn_mark_keyed(DynRelInfo *ri, List *clauses)
{
	ListCell   *lc;

	foreach(lc, clauses)
	{
		ListCell   *lc2;

		foreach(lc2, ((DynClause *) lfirst(lc))->conds)
		{
			DynCond    *cond = lfirst(lc2);
			char		keytype = 0;
			ListCell   *lc3;

			if (strcmp(cond->attname, ri->info->key.hash) == 0)
				keytype = ri->info->key.hash_type;
			else if (ri->info->key.range && strcmp(cond->attname, ri->info->key.range) == 0)
				keytype = ri->info->key.range_type;
			foreach(lc3, ri->info->indexes)
			{
				DynKeySchema *k = &((DynIndex *) lfirst(lc3))->key;

				if (strcmp(cond->attname, k->hash) == 0)
					keytype = k->hash_type;
				else if (k->range && strcmp(cond->attname, k->range) == 0)
					keytype = k->range_type;
			}
			cond->keyed = keytype != 0 && cond->dyntype == keytype;
			if (ri->exact && keytype != 0 && cond->dyntype != 0 &&
				cond->dyntype != keytype)
				ereport(ERROR,
						(errcode(ERRCODE_DATATYPE_MISMATCH),
						 errmsg("invalid filter"),
						 errdetail("Key attribute \"%s\" is of DynamoDB type %s; the filter gives it a %s.",
								   cond->attname,
								   keytype == 'S' ? "S (a string)" :
								   keytype == 'N' ? "N (a number)" : "B (binary)",
								   cond->dyntype == 'S' ? "string" :
								   cond->dyntype == 'N' ? "number" : "boolean")));
		}
	}
}

/* ---------------------------------------------------------------------
 * The choice
 * ---------------------------------------------------------------------
 */

/*
 * Where each condition the keys do not take goes: checked locally (unless
 * DynamoDB decides alone), and shipped as a filter as well where the
 * request can carry it; a Query's filter may not name its key attributes.
 * False where some condition could go to DynamoDB neither way.
 */
static bool
dyn_place_conditions(DynRelInfo *ri, List *clauses, DynKeyChoice *kc, DynAccess *acc)
{
	bool		all = true;
	ListCell   *lc;

	foreach(lc, clauses)
	{
		DynClause  *dc = lfirst(lc);
		bool		keyed = list_member_ptr(acc->keyed, dc);
		bool		filterable = true;
		ListCell   *lc2;

		if (dc->implied && !keyed)
			continue;			/* the clause that implies it is checked */
		if (list_member_ptr(kc->loose, dc))
			all = false;
		if (!ri->exact && (!keyed || list_member_ptr(kc->loose, dc)))
			acc->local = lappend(acc->local, dc->rinfo);
		if (keyed || kc->op == DYN_OP_GETITEM || kc->op == DYN_OP_BATCHGETITEM)
			continue;
		foreach(lc2, dc->conds)
			if (kc->op == DYN_OP_QUERY &&
				dyn_is_key_attribute(((DynCond *) lfirst(lc2))->attname, &ri->info->key,
									 kc->index ? &kc->index->key : NULL))
				filterable = false;
		if (filterable)
			acc->plan.filters = lappend(acc->plan.filters, dc->conds);
		else
			all = false;
	}
	return all;
}

/* Items read, requests and rows of the chosen access. */
static void
dyn_cost_access(DynRelInfo *ri, DynKeyChoice *kc, DynAccess *acc)
{
	double		partitions = kc->hash ? dyn_value_count(kc->hash) : 1;

	switch (acc->plan.op)
	{
		case DYN_OP_GETITEM:
			acc->items_read = 1;
			acc->requests = 1;
			break;
		case DYN_OP_BATCHGETITEM:
			acc->items_read = partitions *
				(kc->range ? dyn_value_count(linitial(kc->range)) : 1);
			acc->requests = ceil(acc->items_read / DYN_BATCH_MAX_KEYS);
			break;
		case DYN_OP_QUERY:
			acc->items_read = acc->key.range ?
				Max(1, ri->items * DYN_PARTITION_SHARE) : 1;
			if (kc->range != NIL &&
				((DynCond *) linitial(((DynClause *) linitial(kc->range))->conds))->op != DYN_EQ)
				acc->items_read *= DYN_RANGE_SHARE;
			else if (kc->range != NIL)
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

/* One key attribute more that tokens hold, once. */
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
 * The full-scan guard
 * ---------------------------------------------------------------------
 */

/* Read capacity units of reading every byte of the table once. */
#define DYN_CAPACITY_UNIT_BYTES	4096.0

/*
 * What would make a Scan of the whole table (or index) a Query or GetItem,
 * for the hint of the error that refuses it.  A LIMIT does not: DynamoDB
 * still Scans, and whatever is checked locally may read on to the end.
 */
static char *
dyn_full_scan_hint(DynRelInfo *ri)
{
	StringInfoData buf;
	const DynKeySchema *tkey;
	ListCell   *lc;

	if (ri->info == NULL)
		return pstrdup("Set the foreign table's pushdown option to true and give a condition on the table's partition key.");
	initStringInfo(&buf);
	tkey = &ri->info->key;
	if (ri->opts->index)
	{
		foreach(lc, ri->info->indexes)
		{
			DynIndex   *index = lfirst(lc);

			if (strcmp(index->name, ri->opts->index) == 0)
				appendStringInfo(&buf, "Give = on \"%s\", the partition key of index \"%s\", for a Query.",
								 index->key.hash, index->name);
		}
		return buf.data;
	}
	appendStringInfo(&buf, "Give = or IN on the partition key \"%s\" for a Query", tkey->hash);
	if (tkey->range)
		appendStringInfo(&buf, " (with = on the sort key \"%s\" too, a GetItem)", tkey->range);
	else
		appendStringInfoString(&buf, " (= alone is a GetItem)");
	foreach(lc, ri->info->indexes)
	{
		DynIndex   *index = lfirst(lc);

		if (index->global)
			appendStringInfo(&buf, ", or = on \"%s\" for a Query of index \"%s\"",
							 index->key.hash, index->name);
	}
	appendStringInfoChar(&buf, '.');
	return buf.data;
}

/*
 * A Scan's read capacity from the table's size: a unit per 4 KB read
 * strongly consistently, half that eventually consistently.  -1 where the
 * size is not known (pushdown off: no DescribeTable).
 */
static double
dyn_scan_capacity(DynRelInfo *ri, bool consistent_read)
{
	double		units;

	if (ri->info == NULL)
		return -1;
	units = ceil(ri->info->size_bytes / DYN_CAPACITY_UNIT_BYTES);
	return consistent_read ? units : units / 2;
}

/*
 * Whether a plan that Scans the whole table may not run: the setting
 * dynomite_fdw.allow_full_scan, or the table's (else the server's) option
 * allow_full_scan, is off.  Decided when it would run, so that a plan kept
 * by a prepared statement follows the setting of the moment.
 */
bool
dyn_full_scan_refused(const DynPlan *plan, const DynOptions *opts)
{
	return plan->full_scan_hint != NULL && !plan->nothing &&
		(!dyn_allow_full_scan || !opts->allow_full_scan);
}

/* Refuse a plan that Scans the whole table where that may not run. */
void
dyn_refuse_full_scan(const DynPlan *plan, const DynOptions *opts)
{
	if (!dyn_full_scan_refused(plan, opts))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("full scan of DynamoDB table \"%s\" refused", opts->table),
			 !dyn_allow_full_scan ?
			 errdetail("The query would Scan the whole %s, and dynomite_fdw.allow_full_scan is off.",
					   plan->index ? "index" : "table") :
			 errdetail("The query would Scan the whole %s, and the option allow_full_scan of foreign table \"%s\" or its server is off.",
					   plan->index ? "index" : "table", get_rel_name(opts->relid)),
			 errhint("%s", plan->full_scan_hint)));
}

/*
 * Choose the cheapest request that gives the exact answer for these
 * conditions, and where to start (start_token: a next_token, or for the
 * paging functions a start_at key).  The conditions the request's keys
 * take are not checked again; every other is checked locally and, where
 * DynamoDB can evaluate it, shipped as a filter as well.  Where DynamoDB
 * decides alone (ri->exact), every condition must be shipped: a Query that
 * cannot carry one becomes a Scan, whose filter can.  Tokens need pages
 * and keys, so a lookup of whole keys becomes a Query when tokens are
 * read or given.
 */
void
dyn_choose_access(DynRelInfo *ri, List *clauses, Expr *start_token, DynAccess *acc)
{
	DynKeyChoice kc = {DYN_OP_SCAN, NULL, NULL, NIL, NIL};
	ListCell   *lc;

	memset(acc, 0, sizeof(DynAccess));
	acc->plan.op = DYN_OP_SCAN;
	acc->plan.forward = true;
	acc->plan.start_token = start_token;
	acc->plan.start_token_idx = -1;
	acc->plan.exact_filters = ri->exact;
	acc->plan.scan_capacity = -1;
	if (ri->info == NULL)
	{
		if (start_token)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot resume from a next_token with pushdown off"),
					 errhint("Resuming needs the table's key schema; set the foreign table's pushdown option to true.")));
		foreach(lc, clauses)
			acc->local = lappend(acc->local, ((DynClause *) lfirst(lc))->rinfo);
		acc->plan.full_scan_hint = dyn_full_scan_hint(ri);
		dyn_cost_access(ri, &kc, acc);
		return;
	}

	dyn_mark_keyed(ri, clauses);
	if (ri->opts->index)
	{
		kc.index = dyn_named_index(ri);
		kc.hash = dyn_find_key_clause(clauses, kc.index->key.hash,
									  kc.index->key.hash_type, DYN_EQ);
		if (kc.hash)
		{
			kc.op = DYN_OP_QUERY;
			kc.range = dyn_range_clauses(clauses, kc.index->key.range,
										 kc.index->key.range_type, &kc.loose);
		}
	}
	else if (!dyn_choose_table_keys(ri, clauses, &kc))
		dyn_choose_global_index(ri, clauses, &kc);
	if ((ri->wants_tokens || start_token) &&
		(kc.op == DYN_OP_GETITEM || kc.op == DYN_OP_BATCHGETITEM))
	{
		/* a Query's key condition takes no list of sort-key values */
		kc.op = DYN_OP_QUERY;
		if (kc.range != NIL &&
			((DynCond *) linitial(((DynClause *) linitial(kc.range))->conds))->op == DYN_IN)
			kc.range = NIL;
	}

	if (kc.hash)
		acc->keyed = lcons(kc.hash, list_copy(kc.range));
	if (!dyn_place_conditions(ri, clauses, &kc, acc) && ri->exact)
	{
		/* DynamoDB decides alone: a Scan, whose filter takes everything */
		kc.op = DYN_OP_SCAN;
		kc.index = ri->opts->index ? kc.index : NULL;
		kc.hash = NULL;
		kc.range = kc.loose = acc->keyed = acc->plan.filters = NIL;
		(void) dyn_place_conditions(ri, clauses, &kc, acc);
	}

	acc->plan.op = kc.op;
	acc->plan.hash_key = ri->info->key.hash;
	acc->plan.range_key = ri->info->key.range;
	acc->key = kc.index ? kc.index->key : ri->info->key;
	acc->plan.index = kc.index ? kc.index->name : NULL;
	acc->plan.consistent_read = ri->opts->consistent_read && !(kc.index && kc.index->global);
	foreach(lc, acc->keyed)
		acc->plan.key_conds = lappend(acc->plan.key_conds,
									  linitial(((DynClause *) lfirst(lc))->conds));
	dyn_add_token_key(&acc->plan.token_keys, ri->info->key.hash, ri->info->key.hash_type);
	dyn_add_token_key(&acc->plan.token_keys, ri->info->key.range, ri->info->key.range_type);
	if (kc.index)
	{
		dyn_add_token_key(&acc->plan.token_keys, kc.index->key.hash, kc.index->key.hash_type);
		dyn_add_token_key(&acc->plan.token_keys, kc.index->key.range, kc.index->key.range_type);
	}
	if (kc.op == DYN_OP_SCAN)
	{
		/* the whole table or index: what the full-scan guard looks at */
		acc->plan.full_scan_hint = dyn_full_scan_hint(ri);
		acc->plan.scan_capacity = dyn_scan_capacity(ri, acc->plan.consistent_read);
	}
	dyn_cost_access(ri, &kc, acc);
}

/* ---------------------------------------------------------------------
 * What is read, decided at plan time
 * ---------------------------------------------------------------------
 */

/*
 * Give each condition's value, and the start, its place in the list of
 * values the executor evaluates (fdw_exprs, custom_exprs); that list.
 */
List *
dyn_plan_values(DynPlan *plan)
{
	List	   *values = NIL;
	List	   *conds = list_copy(plan->key_conds);
	ListCell   *lc;

	foreach(lc, plan->filters)
		conds = list_concat(conds, (List *) lfirst(lc));
	foreach(lc, conds)
	{
		DynCond    *cond = lfirst(lc);

		if (cond->value)
		{
			cond->valueidx = list_length(values);
			values = lappend(values, cond->value);
		}
	}
	if (plan->start_token)
	{
		plan->start_token_idx = list_length(values);
		values = lappend(values, plan->start_token);
	}
	return values;
}

/* Whether names (String nodes) hold the attribute of every column of rel. */
static bool
dyn_projection_covers_table(Relation rel, List *names)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);

	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i);

		if (attr->attisdropped ||
			dyn_column_meta(RelationGetRelid(rel), attr->attnum) != DYN_META_NONE)
			continue;
		if (!list_member(names, makeString(dyn_column_attribute(RelationGetRelid(rel),
																attr->attnum))))
			return false;
	}
	return true;
}

/*
 * What the requests read, from the columns the reader returns (retrieved):
 * the ProjectionExpression (the attributes of those columns; every
 * attribute for an item column or whole items; the key attributes too
 * where tokens or lookups need them), Select=COUNT where rows but no
 * column are needed, and how many streams read side by side.  A projection
 * that names every column of the table drops only what the table does not
 * declare, so Scan and Query may leave it out while the items carry
 * nothing else (projection_optional).  Streams: Scan segments, or the
 * partitions of a Query of several; not where tokens must name one
 * position, nor under a pushed LIMIT, which every stream would ask for.
 */
void
dyn_plan_reading(DynPlan *plan, Relation rel, const DynOptions *opts, int flags)
{
	Oid			relid = RelationGetRelid(rel);
	bool		paged = plan->op == DYN_OP_SCAN || plan->op == DYN_OP_QUERY;
	bool		whole = (flags & DYN_READ_ITEMS) != 0;
	bool		tokens = (flags & DYN_READ_TOKENS) != 0 || plan->start_token_idx >= 0;
	List	   *names = NIL;
	ListCell   *lc;

	foreach(lc, plan->retrieved)
	{
		AttrNumber	attnum = lfirst_int(lc);
		DynMetaKind meta = dyn_column_meta(relid, attnum);

		if (meta == DYN_META_ITEM)
			whole = true;
		else if (meta == DYN_META_NEXT_TOKEN)
			tokens = true;
		else if (meta == DYN_META_NONE)
			names = list_append_unique(names, makeString(dyn_column_attribute(relid, attnum)));
	}
	plan->count_only = paged && plan->retrieved == NIL && !tokens && !whole;
	if (tokens)
		foreach(lc, plan->token_keys)
			if (foreach_current_index(lc) % 2 == 0)
				names = list_append_unique(names, lfirst(lc));
	if (flags & DYN_READ_KEYS)
	{
		names = list_append_unique(names, makeString(plan->hash_key));
		if (plan->range_key)
			names = list_append_unique(names, makeString(plan->range_key));
	}
	if (whole || plan->count_only)
		names = NIL;
	else if (names == NIL)
		names = list_make1(makeString(plan->hash_key));
	plan->projection = names;
	plan->projection_optional = names != NIL && paged &&
		dyn_projection_covers_table(rel, names);
	plan->streams = (plan->op == DYN_OP_SCAN ||
					 (plan->op == DYN_OP_QUERY &&
					  ((DynCond *) linitial(plan->key_conds))->op != DYN_EQ)) &&
		opts->segments > 1 && !tokens && plan->bound <= 0 ? opts->segments : 1;
	plan->total_segments = plan->op == DYN_OP_SCAN ? plan->streams : 1;
	plan->parallel = false;
}

/*
 * Whether the processes of a parallel query could share this read: a Scan
 * (its segments) or a Query of several partitions, under the same rules as
 * streams side by side (no tokens, no pushed LIMIT), and not a Scan the
 * table's segments option keeps whole.
 */
bool
dyn_plan_may_share(const DynPlan *plan, const DynOptions *opts)
{
	if (plan->start_token != NULL || plan->bound > 0)
		return false;
	if (plan->op == DYN_OP_SCAN)
		return !(opts->segments_given && opts->segments == 1);
	return plan->op == DYN_OP_QUERY &&
		((DynCond *) linitial(plan->key_conds))->op != DYN_EQ;
}

/*
 * A read shared by the leader and workers: they take its Scan segments or
 * Query partitions one at a time from a counter in shared memory.  A Scan
 * has the table's segments option, else DYN_SEGMENTS_PER_PROCESS for each
 * process planned, so that a process that finishes early finds more to
 * take; each process reads its share of the segments option's streams side
 * by side (one without it).
 */
void
dyn_plan_parallel(DynPlan *plan, const DynOptions *opts, int workers)
{
	int			processes = workers + 1;

	plan->parallel = true;
	if (plan->op == DYN_OP_SCAN)
		plan->total_segments = opts->segments_given ? opts->segments :
			Min(DYN_MAX_SEGMENTS, DYN_SEGMENTS_PER_PROCESS * processes);
	plan->streams = opts->segments > 1 ? (opts->segments + processes - 1) / processes : 1;
}

/* ---------------------------------------------------------------------
 * fdw_private and custom_private
 * ---------------------------------------------------------------------
 */

/* A DynPlan as a List: the position of each field. */
enum DynPlanPrivate
{
	DynPrivRetrievedAttrs,		/* Integer list of attnums the scan returns */
	DynPrivCountOnly,			/* Boolean */
	DynPrivOperation,			/* Integer: DynOperation */
	DynPrivIndex,				/* String: index name, "" for the table */
	DynPrivKeyConds,			/* List of serialized DynCond */
	DynPrivFilters,				/* List of List of serialized DynCond */
	DynPrivExactFilters,		/* Boolean */
	DynPrivForward,				/* Boolean */
	DynPrivBound,				/* Integer */
	DynPrivHashKey,				/* String */
	DynPrivRangeKey,			/* String, "" for none */
	DynPrivConsistentRead,		/* Boolean */
	DynPrivStartToken,			/* Integer: index of the start's value, or -1 */
	DynPrivStartPlain,			/* Boolean */
	DynPrivTokenKeys,			/* List: name, type, name, type, ... */
	DynPrivReadAll,				/* Boolean */
	DynPrivProjection,			/* List of String */
	DynPrivProjectionOptional,	/* Boolean */
	DynPrivStreams,				/* Integer */
	DynPrivTotalSegments,		/* Integer */
	DynPrivParallel,			/* Boolean */
	DynPrivNothing,				/* Boolean */
	DynPrivFullScanHint,		/* String, "" for no Scan of the whole table */
	DynPrivScanCapacity,		/* String: a Scan's read capacity, or -1 */
	DynPrivCount				/* the length of the list */
};

/* A condition as a List: op, attribute, type, value index, keyed. */
static List *
dyn_serialize_cond(const DynCond *cond)
{
	return list_make5(makeInteger(cond->op), makeString(pstrdup(cond->attname)),
					  makeInteger(cond->dyntype), makeInteger(cond->valueidx),
					  makeBoolean(cond->keyed));
}

static DynCond *
dyn_deserialize_cond(List *list)
{
	DynCond    *cond = palloc0(sizeof(DynCond));

	cond->op = intVal(linitial(list));
	cond->attname = strVal(lsecond(list));
	cond->dyntype = (char) intVal(lthird(list));
	cond->valueidx = intVal(lfourth(list));
	cond->keyed = boolVal(list_nth(list, 4));
	return cond;
}

/* A DynPlan as fdw_private or custom_private: its fields by DynPlanPrivate. */
List *
dyn_serialize_plan(const DynPlan *plan)
{
	Node	   *fields[DynPrivCount];
	List	   *keys = NIL;
	List	   *filters = NIL;
	List	   *result = NIL;
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
	fields[DynPrivRetrievedAttrs] = (Node *) list_copy(plan->retrieved);
	fields[DynPrivCountOnly] = (Node *) makeBoolean(plan->count_only);
	fields[DynPrivOperation] = (Node *) makeInteger(plan->op);
	fields[DynPrivIndex] = (Node *) makeString(pstrdup(plan->index ? plan->index : ""));
	fields[DynPrivKeyConds] = (Node *) keys;
	fields[DynPrivFilters] = (Node *) filters;
	fields[DynPrivExactFilters] = (Node *) makeBoolean(plan->exact_filters);
	fields[DynPrivForward] = (Node *) makeBoolean(plan->forward);
	fields[DynPrivBound] = (Node *) makeInteger(plan->bound);
	fields[DynPrivHashKey] = (Node *) makeString(pstrdup(plan->hash_key ? plan->hash_key : ""));
	fields[DynPrivRangeKey] = (Node *) makeString(pstrdup(plan->range_key ? plan->range_key : ""));
	fields[DynPrivConsistentRead] = (Node *) makeBoolean(plan->consistent_read);
	fields[DynPrivStartToken] = (Node *) makeInteger(plan->start_token_idx);
	fields[DynPrivStartPlain] = (Node *) makeBoolean(plan->start_plain);
	fields[DynPrivTokenKeys] = (Node *) copyObject(plan->token_keys);
	fields[DynPrivReadAll] = (Node *) makeBoolean(plan->read_all);
	fields[DynPrivProjection] = (Node *) copyObject(plan->projection);
	fields[DynPrivProjectionOptional] = (Node *) makeBoolean(plan->projection_optional);
	fields[DynPrivStreams] = (Node *) makeInteger(plan->streams);
	fields[DynPrivTotalSegments] = (Node *) makeInteger(plan->total_segments);
	fields[DynPrivParallel] = (Node *) makeBoolean(plan->parallel);
	fields[DynPrivNothing] = (Node *) makeBoolean(plan->nothing);
	fields[DynPrivFullScanHint] =
		(Node *) makeString(pstrdup(plan->full_scan_hint ? plan->full_scan_hint : ""));
	/* as text: a whole number would come back from a parallel worker's copy as an Integer */
	fields[DynPrivScanCapacity] = (Node *) makeString(psprintf("%.17g", plan->scan_capacity));
	for (int i = 0; i < DynPrivCount; i++)
		result = lappend(result, fields[i]);
	return result;
}

/* The DynPlan of fdw_private or custom_private; only what executors need. */
DynPlan *
dyn_deserialize_plan(List *private)
{
	DynPlan    *plan = palloc0(sizeof(DynPlan));
	char	   *index;
	char	   *range;
	ListCell   *lc;

	if (list_length(private) != DynPrivCount)
		elog(ERROR, "dynomite_fdw plan has %d fields, not %d",
			 list_length(private), DynPrivCount);
	plan->retrieved = list_nth(private, DynPrivRetrievedAttrs);
	plan->count_only = boolVal(list_nth(private, DynPrivCountOnly));
	plan->op = intVal(list_nth(private, DynPrivOperation));
	index = strVal(list_nth(private, DynPrivIndex));
	plan->index = *index ? index : NULL;
	foreach(lc, (List *) list_nth(private, DynPrivKeyConds))
		plan->key_conds = lappend(plan->key_conds, dyn_deserialize_cond(lfirst(lc)));
	foreach(lc, (List *) list_nth(private, DynPrivFilters))
	{
		List	   *group = NIL;
		ListCell   *lc2;

		foreach(lc2, (List *) lfirst(lc))
			group = lappend(group, dyn_deserialize_cond(lfirst(lc2)));
		plan->filters = lappend(plan->filters, group);
	}
	plan->exact_filters = boolVal(list_nth(private, DynPrivExactFilters));
	plan->forward = boolVal(list_nth(private, DynPrivForward));
	plan->bound = intVal(list_nth(private, DynPrivBound));
	plan->hash_key = strVal(list_nth(private, DynPrivHashKey));
	range = strVal(list_nth(private, DynPrivRangeKey));
	plan->range_key = *range ? range : NULL;
	plan->consistent_read = boolVal(list_nth(private, DynPrivConsistentRead));
	plan->start_token_idx = intVal(list_nth(private, DynPrivStartToken));
	plan->start_plain = boolVal(list_nth(private, DynPrivStartPlain));
	plan->token_keys = list_nth(private, DynPrivTokenKeys);
	plan->read_all = boolVal(list_nth(private, DynPrivReadAll));
	plan->projection = list_nth(private, DynPrivProjection);
	plan->projection_optional = boolVal(list_nth(private, DynPrivProjectionOptional));
	plan->streams = intVal(list_nth(private, DynPrivStreams));
	plan->total_segments = intVal(list_nth(private, DynPrivTotalSegments));
	plan->parallel = boolVal(list_nth(private, DynPrivParallel));
	plan->nothing = boolVal(list_nth(private, DynPrivNothing));
	index = strVal(list_nth(private, DynPrivFullScanHint));
	plan->full_scan_hint = *index ? index : NULL;
	plan->scan_capacity = strtod(strVal(list_nth(private, DynPrivScanCapacity)), NULL);
	return plan;
}
