/*-------------------------------------------------------------------------
 * modify.c
 *		INSERT, UPDATE and DELETE: the modify callbacks, the direct-modify
 *		callbacks (UPDATE and DELETE by whole key without a read), batch
 *		insert, and writes held until COMMIT (TransactWriteItems).
 *
 * Each write is described here (DynWriteRequest: the item, key or update
 * as attributes with the AttributeValues write_convert.c makes) and
 * rendered by dynamo_api.c, beside every other request; they are sent
 * through connection.c's request loop and its errors mapped by
 * dynamo_api.c.
 *
 * This file uses json-c (for responses) and must not include
 * utils/builtins.h or utils/json.h.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <json-c/json.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "dynomite_fdw.h"

#define DYN_BATCH_WRITE_ITEMS	25	/* BatchWriteItem's limit */
#define DYN_TRANSACT_ITEMS		100 /* TransactWriteItems' limit */
#define DYN_KEY_JUNK_HASH		"dynomite_key_hash"
#define DYN_KEY_JUNK_RANGE		"dynomite_key_range"

/* fdw_private of a ModifyTable's foreign table */
enum DynModifyPrivate
{
	DynModTargetAttrs,			/* Integer list: columns written */
	DynModDoNothing,			/* Boolean: ON CONFLICT DO NOTHING */
	DynModReturning				/* Boolean: RETURNING wants the row */
};

/* fdw_private of a ForeignScan turned into a direct modify */
enum DynDirectPrivate
{
	DynDirScanPlan,				/* the scan's own fdw_private (DynPlan) */
	DynDirTargetAttrs,			/* Integer list: columns an UPDATE sets */
	DynDirFirstSetExpr,			/* Integer: their values' index in fdw_exprs */
	DynDirSetProcessed			/* Boolean: count rows in es_processed */
};

/* The state of writes to one foreign table. */
typedef struct DynModifyState
{
	Relation	rel;
	const char *relname;
	CmdType		operation;
	DynOptions *opts;
	DynConnection *conn;
	Oid			userid;
	DynKeySchema key;
	DynWriteColumn *cols;		/* by attnum - 1; attnum 0: dropped */
	DynColumn  *readcols;		/* for RETURNING rows from ReturnValues */
	int			natts;
	AttrNumber	key_attnum[2];	/* the columns of the partition and sort
								 * key, 0 where none */
	AttrNumber	key_junk[2];	/* their row-identity junk columns */
	AttrNumber	item_attnum;	/* the whole-item column, 0 where none */
	List	   *target_attrs;
	bool		do_nothing;
	bool		returning;
	MemoryContext temp_cxt;		/* reset for each row or batch */
	/* for EXPLAIN ANALYZE */
	long		requests;
	long		retries;
	/* direct modify */
	List	   *value_exprs;
	DynParamValue *params;
	DynPlan    *plan;
	int			first_set_expr;
	bool		set_processed;
	bool		done;
} DynModifyState;

/* A write held until COMMIT, and what to send it with. */
typedef struct DynHeldWrite
{
	Oid			serverid;
	Oid			userid;
	Oid			relid;			/* for the options to send with */
	int			level;			/* subtransaction nesting level */
	char	   *action;			/* {"Put": {...}}, {"Update": ...}, ... */
} DynHeldWrite;

static List *held_writes = NIL;	/* in TopTransactionContext */

/* ---------------------------------------------------------------------
 * Setting up
 * ---------------------------------------------------------------------
 */

/* The column whose attribute is name, or 0. */
static AttrNumber
dyn_attribute_column(Relation rel, const char *name)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);

	if (name == NULL)
		return 0;
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, i);

		if (attr->attisdropped ||
			dyn_column_meta(RelationGetRelid(rel), attr->attnum) != DYN_META_NONE)
			continue;
		if (strcmp(dyn_column_attribute(RelationGetRelid(rel), attr->attnum), name) == 0)
			return attr->attnum;
	}
	return 0;
}

/* The key columns of a table, or an error naming the key without one. */
static void
dyn_key_columns(Relation rel, const DynKeySchema *key, AttrNumber *attnums)
{
	attnums[0] = dyn_attribute_column(rel, key->hash);
	attnums[1] = dyn_attribute_column(rel, key->range);
	for (int i = 0; i < 2; i++)
		if (attnums[i] == 0 && (i == 0 ? key->hash : key->range) != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
					 errmsg("foreign table \"%s\" has no column for DynamoDB key attribute \"%s\"",
							RelationGetRelationName(rel), i == 0 ? key->hash : key->range),
					 errhint("Writes need a column for each attribute of the table's primary key.")));
}

static DynModifyState *
dyn_modify_state(Relation rel, CmdType operation, Oid userid, bool connect)
{
	DynModifyState *fm = palloc0(sizeof(DynModifyState));
	Oid			relid = RelationGetRelid(rel);
	TupleDesc	tupdesc = RelationGetDescr(rel);
	ForeignTable *ft = GetForeignTable(relid);
	DynTableInfo *info;

	fm->rel = rel;
	fm->relname = RelationGetRelationName(rel);
	fm->operation = operation;
	fm->userid = OidIsValid(userid) ? userid : GetUserId();
	fm->opts = dyn_get_options(relid, fm->userid, true);
	info = dyn_get_table_info(relid, fm->userid, fm->opts);
	fm->key = info->key;
	dyn_key_columns(rel, &fm->key, fm->key_attnum);
	fm->natts = tupdesc->natts;
	fm->cols = palloc0(sizeof(DynWriteColumn) * Max(fm->natts, 1));
	fm->readcols = palloc0(sizeof(DynColumn) * Max(fm->natts, 1));
	for (int i = 0; i < fm->natts; i++)
	{
		if (TupleDescAttr(tupdesc, i)->attisdropped)
			continue;
		dyn_init_write_column(&fm->cols[i], rel, i + 1, &fm->key);
		dyn_init_column(&fm->readcols[i], rel, i + 1);
		if (fm->cols[i].meta == DYN_META_ITEM && fm->item_attnum == 0)
			fm->item_attnum = i + 1;
	}
	if (connect)
		fm->conn = dyn_get_connection(GetForeignServer(ft->serverid),
									  GetUserMapping(fm->userid, ft->serverid), fm->opts);
	fm->temp_cxt = AllocSetContextCreate(CurrentMemoryContext, "dynomite_fdw write",
										 ALLOCSET_DEFAULT_SIZES);
	return fm;
}

/* ---------------------------------------------------------------------
 * Requests
 * ---------------------------------------------------------------------
 */
/* The key of a row from the key columns' values, as attributes. */
static List *
dyn_key_attrs(DynModifyState *fm, Datum *values, bool *nulls)
{
	List	   *key = NIL;
	int			size = 0;

	for (int i = 0; i < 2 && fm->key_attnum[i]; i++)
	{
		DynWriteColumn *col = &fm->cols[fm->key_attnum[i] - 1];
		DynAttr    *a = palloc(sizeof(DynAttr));
		StringInfoData value;

		initStringInfo(&value);
		(void) dyn_append_attribute_value(&value, col, values[i], nulls[i], &size, fm->relname);
		a->name = col->attname;
		a->value = value.data;
		key = lappend(key, a);
	}
	return key;
}

/* A write of the foreign table's DynamoDB table. */
static void
dyn_write_init(DynWriteRequest *w, DynModifyState *fm, DynWriteOp op)
{
	memset(w, 0, sizeof(*w));
	w->op = op;
	w->table = fm->opts->table;
	w->hash_key = fm->key.hash;
}

/* Whether a row's item takes column i (by attnum - 1): attrs NIL is every one. */
static bool
dyn_item_takes(DynModifyState *fm, List *attrs, int i)
{
	return attrs == NIL || list_member_int(attrs, i + 1) ||
		i + 1 == fm->key_attnum[0] || i + 1 == fm->key_attnum[1];
}

/*
 * The item of a row, as attributes; its size is checked.  The columns
 * in attrs (NIL: every column; the key columns always) give their
 * attributes, and a whole-item column among them the others.  A column
 * and the item naming one attribute must be one value; a NULL column
 * leaves the attribute to the item.  updating: the key is the item's
 * own, which the item column cannot change.
 */
static List *
dyn_row_item(DynModifyState *fm, Datum *values, bool *isnull, List *attrs, bool updating)
{
	int			size = 0;
	List	   *result = NIL;
	StringInfoData value;
	List	   *item = NIL;
	const char *itemcol = NULL;
	ListCell   *lc;

	initStringInfo(&value);
	for (int i = 0; i < fm->natts; i++)
	{
		DynWriteColumn *col = &fm->cols[i];

		if (col->attnum == 0 || col->meta == DYN_META_NONE || isnull[i] ||
			!dyn_item_takes(fm, attrs, i))
			continue;
		if (col->meta == DYN_META_ITEM)
		{
			item = list_concat(item, dyn_item_attributes(col, values[i], fm->relname));
			itemcol = col->colname;
		}
		else					/* other metadata: refused */
			(void) dyn_append_attribute_value(&value, col, values[i], false, &size,
											  fm->relname);
	}

	for (int i = 0; i < fm->natts; i++)
	{
		DynWriteColumn *col = &fm->cols[i];
		DynItemAttribute *same = NULL;
		DynAttr    *a;
		bool		present;

		if (col->attnum == 0 || col->meta != DYN_META_NONE || !dyn_item_takes(fm, attrs, i))
			continue;
		resetStringInfo(&value);
		present = dyn_append_attribute_value(&value, col, values[i], isnull[i], &size,
											 fm->relname);
		foreach(lc, item)
			if (strcmp(((DynItemAttribute *) lfirst(lc))->name, col->attname) == 0)
				same = lfirst(lc);
		if (same && present)
		{
			if (!dyn_same_attribute_value(value.data, same->value))
			{
				if (updating && col->keytype)
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("cannot change column \"%s\" of foreign table \"%s\"",
									col->colname, fm->relname),
							 errdetail("The item in column \"%s\" gives key attribute \"%s\" another value; an item's key cannot change.",
									   itemcol, col->attname),
							 errhint("DELETE the row and INSERT it with the new key.")));
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("column \"%s\" and the item in column \"%s\" disagree on DynamoDB attribute \"%s\"",
								col->colname, itemcol, col->attname),
						 errdetail("The column holds %s, the item %s.", value.data, same->value),
						 errhint("Leave the attribute out of the item, or give both one value.")));
			}
			same->taken = true;
		}
		if (!present)
			continue;
		a = palloc(sizeof(DynAttr));
		a->name = col->attname;
		a->value = pstrdup(value.data);
		result = lappend(result, a);
	}
	foreach(lc, item)
	{
		DynItemAttribute *ia = lfirst(lc);
		DynAttr    *a;

		if (ia->taken)
			continue;
		a = palloc(sizeof(DynAttr));
		a->name = ia->name;
		a->value = ia->value;
		result = lappend(result, a);
		size += ia->size;
	}
	dyn_check_item_size(size, fm->relname);
	return result;
}

/* The item of an inserted row. */
static List *
dyn_item_of(DynModifyState *fm, TupleTableSlot *slot)
{
	slot_getallattrs(slot);
	return dyn_row_item(fm, slot->tts_values, slot->tts_isnull, NIL, false);
}

/* The key of a row as PostgreSQL shows it: "(x, 3)" */
static char *
dyn_key_display(DynModifyState *fm, Datum *values, bool *nulls, char **names)
{
	StringInfoData v;
	StringInfoData n;

	initStringInfo(&v);
	initStringInfo(&n);
	for (int i = 0; i < 2 && fm->key_attnum[i]; i++)
	{
		DynColumn  *col = &fm->readcols[fm->key_attnum[i] - 1];
		Form_pg_attribute attr = TupleDescAttr(RelationGetDescr(fm->rel), col->attnum - 1);
		Oid			outfunc;
		bool		varlena;

		getTypeOutputInfo(attr->atttypid, &outfunc, &varlena);
		appendStringInfo(&n, "%s%s", i ? ", " : "", col->colname);
		appendStringInfo(&v, "%s%s", i ? ", " : "",
						 nulls[i] ? "null" : OidOutputFunctionCall(outfunc, values[i]));
	}
	*names = n.data;
	return v.data;
}

/*
 * Send one write, or hold it until COMMIT (without its ReturnValues);
 * false: its condition did not hold.
 */
static bool
dyn_send_write(DynModifyState *fm, const char *operation, const DynWriteRequest *w,
			   DynResponse *resp)
{
	bool		ok;
	char	   *body;

	if (fm->opts->transactional)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(TopTransactionContext);
		DynHeldWrite *hw = palloc(sizeof(DynHeldWrite));
		ForeignTable *ft = GetForeignTable(RelationGetRelid(fm->rel));

		hw->serverid = ft->serverid;
		hw->userid = fm->userid;
		hw->relid = RelationGetRelid(fm->rel);
		hw->level = GetCurrentTransactionNestLevel();
		hw->action = dyn_build_write_action(w);
		held_writes = lappend(held_writes, hw);
		MemoryContextSwitchTo(oldcxt);
		resp->status = 0;
		return true;
	}
	body = dyn_build_write_request(w);
	ok = dyn_request_accepting(fm->conn, fm->opts, operation, body, strlen(body), resp,
							   "ConditionalCheckFailedException");
	fm->requests++;
	fm->retries += resp->retries;
	return ok;
}

/* Fill a slot from the "Attributes" of a response; false: none there. */
static bool
dyn_fill_from_attributes(DynModifyState *fm, DynResponse *resp, TupleTableSlot *slot)
{
	struct json_object *root;
	struct json_object *attrs;
	bool		found = false;

	if (resp->status != 200)
		return false;
	root = json_tokener_parse(resp->body.data);
	if (root == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_REPLY_HANDLE),
				 errmsg("invalid JSON in a DynamoDB response")));
	PG_TRY();
	{
		if (json_object_object_get_ex(root, "Attributes", &attrs) &&
			json_object_is_type(attrs, json_type_object))
		{
			found = true;
			if (slot)
			{
				ExecClearTuple(slot);
				for (int i = 0; i < fm->natts; i++)
				{
					DynColumn  *col = &fm->readcols[i];

					slot->tts_isnull[i] = true;
					slot->tts_values[i] = (Datum) 0;
					if (col->attnum == 0)
						continue;
					if (col->meta == DYN_META_ITEM)
					{
						slot->tts_values[i] = dyn_whole_item_value(col, attrs);
						slot->tts_isnull[i] = false;
					}
					else if (col->meta == DYN_META_NONE)
						slot->tts_values[i] = dyn_item_value(col, attrs, &slot->tts_isnull[i],
															 fm->relname);
				}
				ExecStoreVirtualTuple(slot);
			}
		}
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();
	return found;
}

/* ---------------------------------------------------------------------
 * INSERT
 * ---------------------------------------------------------------------
 */

/* One row: false when ON CONFLICT DO NOTHING skipped it. */
static bool
dyn_insert_row(DynModifyState *fm, TupleTableSlot *slot)
{
	DynWriteRequest w;
	DynResponse resp;

	/* a PutItem: conditional unless overwriting is allowed */
	dyn_write_init(&w, fm, DYN_WRITE_PUT);
	w.item = dyn_item_of(fm, slot);
	w.condition = fm->opts->overwrite ? DYN_COND_NONE : DYN_COND_ITEM_ABSENT;
	if (dyn_send_write(fm, "PutItem", &w, &resp))
		return true;
	if (fm->do_nothing)
		return false;
	{
		Datum		keys[2] = {0, 0};
		bool		nulls[2] = {true, true};
		char	   *names;
		char	   *values;

		for (int i = 0; i < 2 && fm->key_attnum[i]; i++)
		{
			keys[i] = slot->tts_values[fm->key_attnum[i] - 1];
			nulls[i] = slot->tts_isnull[fm->key_attnum[i] - 1];
		}
		values = dyn_key_display(fm, keys, nulls, &names);
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("duplicate key value violates the primary key of DynamoDB table \"%s\"",
						fm->opts->table),
				 errdetail("Key (%s)=(%s) already exists.", names, values),
				 errhint("Use ON CONFLICT DO NOTHING to skip such rows, or the foreign table option \"overwrite\" to replace the items.")));
	}
	return false;
}

static TupleTableSlot *
dynomiteExecForeignInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
						  TupleTableSlot *planSlot)
{
	DynModifyState *fm = rinfo->ri_FdwState;
	MemoryContext oldcxt = MemoryContextSwitchTo(fm->temp_cxt);
	bool		inserted = dyn_insert_row(fm, slot);

	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(fm->temp_cxt);
	return inserted ? slot : NULL;
}

/* Send a BatchWriteItem of items, and what it leaves unprocessed until none is left. */
static void
dyn_batch_write(DynModifyState *fm, List *items)
{
	char	   *body = dyn_build_batch_write_request(fm->opts->table, items);
	int			tries = 0;

	for (;;)
	{
		DynResponse resp;
		char	   *again;

		dyn_request(fm->conn, fm->opts, "BatchWriteItem", body, strlen(body), &resp);
		fm->requests++;
		fm->retries += resp.retries;
		again = dyn_build_unprocessed_writes(resp.body.data);
		if (again == NULL)
			break;
		dyn_unprocessed_pause(&tries, fm->opts, "items");
		fm->retries++;
		body = again;
	}
}

static TupleTableSlot **
dynomiteExecForeignBatchInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot **slots,
							   TupleTableSlot **planSlots, int *numSlots)
{
	DynModifyState *fm = rinfo->ri_FdwState;
	MemoryContext oldcxt = MemoryContextSwitchTo(fm->temp_cxt);

	if (!fm->opts->overwrite || fm->opts->transactional)
	{
		/* conditional puts, one by one; skipped rows leave the array */
		int			kept = 0;

		for (int i = 0; i < *numSlots; i++)
			if (dyn_insert_row(fm, slots[i]))
				slots[kept++] = slots[i];
		*numSlots = kept;
	}
	else
	{
		List	   *puts = NIL;
		List	   *keys = NIL;
		int			n = 0;

		for (int i = 0; i < *numSlots; i++)
		{
			Datum		kv[2] = {0, 0};
			bool		kn[2] = {true, true};
			char	   *key;

			slot_getallattrs(slots[i]);
			for (int k = 0; k < 2 && fm->key_attnum[k]; k++)
			{
				kv[k] = slots[i]->tts_values[fm->key_attnum[k] - 1];
				kn[k] = slots[i]->tts_isnull[fm->key_attnum[k] - 1];
			}
			key = dyn_build_map(dyn_key_attrs(fm, kv, kn));

			/*
			 * A request may not put one key twice; the later row wins, as
			 * it would sent alone.
			 */
			if (n == DYN_BATCH_WRITE_ITEMS || list_member(keys, makeString(key)))
			{
				dyn_batch_write(fm, puts);
				puts = NIL;
				keys = NIL;
				n = 0;
			}
			keys = lappend(keys, makeString(key));
			puts = lappend(puts, dyn_item_of(fm, slots[i]));
			n++;
		}
		if (n > 0)
			dyn_batch_write(fm, puts);
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(fm->temp_cxt);
	return slots;
}

static int
dynomiteGetForeignModifyBatchSize(ResultRelInfo *rinfo)
{
	DynModifyState *fm = rinfo->ri_FdwState;

	/* RETURNING and row triggers want each row as it is written */
	if (fm == NULL || fm->returning ||
		(rinfo->ri_TrigDesc &&
		 (rinfo->ri_TrigDesc->trig_insert_after_row ||
		  rinfo->ri_TrigDesc->trig_insert_before_row)))
		return 1;
	return fm->opts->batch_size;
}

/* ---------------------------------------------------------------------
 * UPDATE and DELETE through a read
 * ---------------------------------------------------------------------
 */
static void
dynomiteAddForeignUpdateTargets(PlannerInfo *root, Index rtindex, RangeTblEntry *target_rte,
								Relation target_relation)
{
	DynOptions *opts = dyn_get_options(RelationGetRelid(target_relation), GetUserId(), true);
	DynTableInfo *info = dyn_get_table_info(RelationGetRelid(target_relation), GetUserId(),
											opts);
	AttrNumber	attnums[2];
	TupleDesc	tupdesc = RelationGetDescr(target_relation);

	dyn_key_columns(target_relation, &info->key, attnums);
	for (int i = 0; i < 2 && attnums[i]; i++)
	{
		Form_pg_attribute attr = TupleDescAttr(tupdesc, attnums[i] - 1);
		Var		   *var = makeVar(rtindex, attnums[i], attr->atttypid, attr->atttypmod,
								  attr->attcollation, 0);

		add_row_identity_var(root, var, rtindex, i == 0 ? DYN_KEY_JUNK_HASH : DYN_KEY_JUNK_RANGE);
	}
}

static List *
dynomitePlanForeignModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation,
						  int subplan_index)
{
	CmdType		operation = plan->operation;
	RangeTblEntry *rte = planner_rt_fetch(resultRelation, root);
	Relation	rel = table_open(rte->relid, NoLock);
	TupleDesc	tupdesc = RelationGetDescr(rel);
	List	   *target_attrs = NIL;

	if (operation == CMD_INSERT)
	{
		for (int i = 0; i < tupdesc->natts; i++)
			if (!TupleDescAttr(tupdesc, i)->attisdropped)
				target_attrs = lappend_int(target_attrs, i + 1);
	}
	else if (operation == CMD_UPDATE)
	{
		Bitmapset  *cols = DYN_UPDATED_COLS(root, resultRelation);
		int			col = -1;

		while ((col = bms_next_member(cols, col)) >= 0)
		{
			AttrNumber	attnum = col + FirstLowInvalidHeapAttributeNumber;

			if (attnum <= InvalidAttrNumber)
				elog(ERROR, "system-column update is not supported");
			target_attrs = lappend_int(target_attrs, attnum);
		}
	}
	if (plan->onConflictAction != ONCONFLICT_NONE &&
		plan->onConflictAction != ONCONFLICT_NOTHING)
		elog(ERROR, "unexpected ON CONFLICT specification: %d", (int) plan->onConflictAction);
	table_close(rel, NoLock);

	return list_make3(target_attrs,
					  makeBoolean(plan->onConflictAction == ONCONFLICT_NOTHING),
					  makeBoolean(plan->returningLists != NIL));
}

static void
dyn_begin_modify(ResultRelInfo *rinfo, EState *estate, CmdType operation, List *fdw_private,
				 Plan *subplan, int eflags)
{
	Oid			userid = DYN_RTE_CHECKASUSER(estate, rinfo->ri_RangeTableIndex);
	DynModifyState *fm;

	fm = dyn_modify_state(rinfo->ri_RelationDesc, operation, userid,
						  !(eflags & EXEC_FLAG_EXPLAIN_ONLY));
	if (fdw_private)
	{
		fm->target_attrs = list_nth(fdw_private, DynModTargetAttrs);
		fm->do_nothing = boolVal(list_nth(fdw_private, DynModDoNothing));
		fm->returning = boolVal(list_nth(fdw_private, DynModReturning));
	}
	if (subplan && operation != CMD_INSERT)
	{
		fm->key_junk[0] = ExecFindJunkAttributeInTlist(subplan->targetlist, DYN_KEY_JUNK_HASH);
		fm->key_junk[1] = ExecFindJunkAttributeInTlist(subplan->targetlist, DYN_KEY_JUNK_RANGE);
		if (!AttributeNumberIsValid(fm->key_junk[0]))
			elog(ERROR, "could not find the junk key column of \"%s\"", fm->relname);
	}
	rinfo->ri_FdwState = fm;
}

static void
dynomiteBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private,
						   int subplan_index, int eflags)
{
	dyn_begin_modify(rinfo, mtstate->ps.state, mtstate->operation, fdw_private,
					 outerPlanState(mtstate)->plan, eflags);
}

/* The old row's key, from its junk columns. */
static void
dyn_old_key(DynModifyState *fm, TupleTableSlot *planSlot, Datum *values, bool *nulls)
{
	for (int i = 0; i < 2; i++)
	{
		values[i] = (Datum) 0;
		nulls[i] = true;
		if (fm->key_attnum[i])
			values[i] = ExecGetJunkAttribute(planSlot, fm->key_junk[i], &nulls[i]);
	}
}

/* A key column set to itself is no change; to anything else, refused. */
static void
dyn_check_key_unchanged(DynModifyState *fm, AttrNumber attnum, Datum *values, bool *isnull,
						Datum *keyvals, bool *keynulls)
{
	DynWriteColumn *col = &fm->cols[attnum - 1];
	int			k = attnum == fm->key_attnum[0] ? 0 : 1;
	int			ignored = 0;
	StringInfoData value;
	StringInfoData oldkey;

	initStringInfo(&value);
	initStringInfo(&oldkey);
	(void) dyn_append_attribute_value(&value, col, values[attnum - 1], isnull[attnum - 1],
									  &ignored, fm->relname);
	(void) dyn_append_attribute_value(&oldkey, col, keyvals[k], keynulls[k], &ignored,
									  fm->relname);
	if (strcmp(value.data, oldkey.data) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot change column \"%s\" of foreign table \"%s\"",
						col->colname, fm->relname),
				 errdetail("Column \"%s\" holds DynamoDB key attribute \"%s\"; an item's key cannot change.",
						   col->colname, col->attname),
				 errhint("DELETE the row and INSERT it with the new key.")));
}

/*
 * UPDATE ... SET item = ...: the item is replaced by the key, the other
 * columns set and the new item's attributes, a PutItem conditioned on the
 * item existing.  false: the item is gone.  *itemtext: the item put.
 */
static bool
dyn_replace_item(DynModifyState *fm, TupleTableSlot *slot, Datum *keyvals, bool *keynulls,
				 char **itemtext)
{
	Datum	   *values = palloc(sizeof(Datum) * fm->natts);
	bool	   *nulls = palloc(sizeof(bool) * fm->natts);
	DynWriteRequest w;
	DynResponse resp;
	ListCell   *lc;
	bool		ok;

	memcpy(values, slot->tts_values, sizeof(Datum) * fm->natts);
	memcpy(nulls, slot->tts_isnull, sizeof(bool) * fm->natts);
	if (nulls[fm->item_attnum - 1])
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("column \"%s\" of foreign table \"%s\" holds the whole item and cannot be set to NULL",
						fm->cols[fm->item_attnum - 1].colname, fm->relname),
				 errhint("Set it to '{}' to keep the key alone.")));
	foreach(lc, fm->target_attrs)
	{
		AttrNumber	attnum = lfirst_int(lc);

		if (attnum == fm->key_attnum[0] || attnum == fm->key_attnum[1])
			dyn_check_key_unchanged(fm, attnum, values, nulls, keyvals, keynulls);
	}
	for (int k = 0; k < 2 && fm->key_attnum[k]; k++)
	{
		values[fm->key_attnum[k] - 1] = keyvals[k];
		nulls[fm->key_attnum[k] - 1] = keynulls[k];
	}
	dyn_write_init(&w, fm, DYN_WRITE_PUT);
	w.item = dyn_row_item(fm, values, nulls, fm->target_attrs, true);
	w.condition = DYN_COND_ITEM_PRESENT;
	ok = dyn_send_write(fm, "PutItem", &w, &resp);
	*itemtext = dyn_build_map(w.item);
	return ok;
}

/*
 * An UpdateItem of key: SET and REMOVE of the columns in attrs, values by
 * attnum - 1; conditioned on the item existing.  false: nothing to change.
 */
static bool
dyn_update_request(DynWriteRequest *w, DynModifyState *fm, List *key, Datum *keyvals,
				   bool *keynulls, List *attrs, Datum *values, bool *isnull)
{
	int			size = 0;
	ListCell   *lc;

	dyn_write_init(w, fm, DYN_WRITE_UPDATE);
	w->key = key;
	w->condition = DYN_COND_ITEM_PRESENT;
	foreach(lc, attrs)
	{
		AttrNumber	attnum = lfirst_int(lc);
		DynWriteColumn *col = &fm->cols[attnum - 1];
		DynAttr    *a;
		StringInfoData value;

		if (attnum == fm->key_attnum[0] || attnum == fm->key_attnum[1])
		{
			dyn_check_key_unchanged(fm, attnum, values, isnull, keyvals, keynulls);
			continue;
		}
		initStringInfo(&value);
		a = palloc(sizeof(DynAttr));
		a->name = col->attname;
		a->value = dyn_append_attribute_value(&value, col, values[attnum - 1],
											  isnull[attnum - 1], &size, fm->relname) ?
			value.data : NULL;
		w->update = lappend(w->update, a);
	}
	dyn_check_item_size(size, fm->relname);
	return w->update != NIL;
}

static TupleTableSlot *
dynomiteExecForeignUpdate(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
						  TupleTableSlot *planSlot)
{
	DynModifyState *fm = rinfo->ri_FdwState;
	MemoryContext oldcxt = MemoryContextSwitchTo(fm->temp_cxt);
	Datum		keyvals[2];
	bool		keynulls[2];
	DynWriteRequest w;
	DynResponse resp;
	bool		updated = true;

	dyn_old_key(fm, planSlot, keyvals, keynulls);
	slot_getallattrs(slot);
	if (fm->item_attnum && list_member_int(fm->target_attrs, fm->item_attnum))
	{
		char	   *item;

		updated = dyn_replace_item(fm, slot, keyvals, keynulls, &item);
		if (updated && fm->returning && !fm->opts->transactional)
		{
			/* the row is the item as put: no read, no ReturnValues needed */
			resp.status = 200;
			initStringInfo(&resp.body);
			appendStringInfo(&resp.body, "{\"Attributes\":%s}", item);
			MemoryContextSwitchTo(oldcxt);
			dyn_fill_from_attributes(fm, &resp, slot);
			MemoryContextSwitchTo(fm->temp_cxt);
		}
	}
	else if (dyn_update_request(&w, fm, dyn_key_attrs(fm, keyvals, keynulls), keyvals, keynulls,
								fm->target_attrs, slot->tts_values, slot->tts_isnull))
	{
		/* the row the item became, for RETURNING, without a read */
		w.return_values = fm->returning ? "ALL_NEW" : NULL;
		updated = dyn_send_write(fm, "UpdateItem", &w, &resp);
		if (updated && fm->returning && resp.status == 200)
		{
			MemoryContextSwitchTo(oldcxt);
			dyn_fill_from_attributes(fm, &resp, slot);
			MemoryContextSwitchTo(fm->temp_cxt);
		}
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(fm->temp_cxt);
	/* an item deleted since it was read is not updated, as in PostgreSQL */
	return updated ? slot : NULL;
}

static TupleTableSlot *
dynomiteExecForeignDelete(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
						  TupleTableSlot *planSlot)
{
	DynModifyState *fm = rinfo->ri_FdwState;
	MemoryContext oldcxt = MemoryContextSwitchTo(fm->temp_cxt);
	Datum		keyvals[2];
	bool		keynulls[2];
	DynWriteRequest w;
	DynResponse resp;
	bool		deleted = true;

	dyn_old_key(fm, planSlot, keyvals, keynulls);
	dyn_write_init(&w, fm, DYN_WRITE_DELETE);
	w.key = dyn_key_attrs(fm, keyvals, keynulls);
	w.return_values = "ALL_OLD";

	/*
	 * ALL_OLD says whether there was an item to delete (one deleted since
	 * it was read is not counted), and is the row RETURNING shows.
	 */
	(void) dyn_send_write(fm, "DeleteItem", &w, &resp);
	if (resp.status == 200)
	{
		MemoryContextSwitchTo(oldcxt);
		deleted = dyn_fill_from_attributes(fm, &resp, fm->returning ? slot : NULL);
		MemoryContextSwitchTo(fm->temp_cxt);
	}
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(fm->temp_cxt);
	return deleted ? slot : NULL;
}

static void
dynomiteEndForeignModify(EState *estate, ResultRelInfo *rinfo)
{
	DynModifyState *fm = rinfo->ri_FdwState;

	if (fm)
		MemoryContextDelete(fm->temp_cxt);
	rinfo->ri_FdwState = NULL;
}

/* COPY into a foreign table, and INSERT routed to a partition. */
static void
dynomiteBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	ModifyTable *plan = mtstate ? (ModifyTable *) mtstate->ps.plan : NULL;
	DynModifyState *fm;

	dyn_begin_modify(rinfo, mtstate ? mtstate->ps.state : NULL, CMD_INSERT, NIL, NULL, 0);
	fm = rinfo->ri_FdwState;
	if (plan)
	{
		fm->do_nothing = plan->onConflictAction == ONCONFLICT_NOTHING;
		fm->returning = plan->returningLists != NIL;
	}
}

static const char *
dyn_write_operation(DynModifyState *fm, CmdType operation)
{
	if (fm->opts->transactional)
		return "TransactWriteItems at COMMIT";
	switch (operation)
	{
		case CMD_INSERT:
			return fm->opts->overwrite ? "PutItem, BatchWriteItem" :
				"PutItem (attribute_not_exists)";
		case CMD_UPDATE:
			if (fm->item_attnum && list_member_int(fm->target_attrs, fm->item_attnum))
				return "PutItem (attribute_exists)";
			return "UpdateItem (attribute_exists)";
		default:
			return "DeleteItem";
	}
}

static void
dynomiteExplainForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
							 List *fdw_private, int subplan_index, ExplainState *es)
{
	DynModifyState *fm = rinfo->ri_FdwState;

	ExplainPropertyText("DynamoDB", dyn_write_operation(fm, mtstate->operation), es);
	if (rinfo->ri_BatchSize > 1)
		ExplainPropertyInteger("Batch Size", NULL, rinfo->ri_BatchSize, es);
	if (es->analyze)
	{
		ExplainPropertyInteger("DynamoDB Requests", NULL, fm->requests, es);
		ExplainPropertyInteger("DynamoDB Retries", NULL, fm->retries, es);
	}
}

/* ---------------------------------------------------------------------
 * UPDATE and DELETE by whole key, without a read
 * ---------------------------------------------------------------------
 */

/* Whether an expression can be evaluated once, before any row. */
static bool
dyn_row_independent_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var) || IsA(node, SubPlan) || IsA(node, SubLink))
		return true;
	if (IsA(node, Param) && ((Param *) node)->paramkind != PARAM_EXTERN)
		return true;
	return expression_tree_walker(node, dyn_row_independent_walker, context);
}

static bool
dynomitePlanDirectModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation,
						 int subplan_index)
{
	CmdType		operation = plan->operation;
	Plan	   *subplan = outerPlan(plan);
	RangeTblEntry *rte = planner_rt_fetch(resultRelation, root);
	ForeignScan *fscan;
	DynPlan    *dp;
	DynOptions *opts;
	List	   *processed_tlist = NIL;
	List	   *target_attrs = NIL;
	List	   *set_exprs = NIL;
	int			first_set_expr;
	Relation	rel;
	bool		ok = true;
	ListCell   *lc;
	ListCell   *lc2;

	if (operation != CMD_UPDATE && operation != CMD_DELETE)
		return false;
	if (subplan == NULL || !IsA(subplan, ForeignScan))
		return false;
	fscan = (ForeignScan *) subplan;
	if (fscan->scan.scanrelid != resultRelation || fscan->scan.plan.qual != NIL ||
		plan->returningLists != NIL)
		return false;

	/* one key, every condition on it pushed: a GetItem */
	dp = dyn_deserialize_plan(fscan->fdw_private);
	if (dp->op != DYN_OP_GETITEM || dp->filters != NIL || dp->start_token_idx >= 0)
		return false;
	foreach(lc, dp->key_conds)
		if (((DynCond *) lfirst(lc))->op != DYN_EQ)
			return false;

	opts = dyn_get_options(rte->relid, InvalidOid, false);
	if (opts->transactional)
		return false;			/* held writes: the read counts the rows */

	rel = table_open(rte->relid, NoLock);
	if (rel->trigdesc &&
		(operation == CMD_UPDATE ? (rel->trigdesc->trig_update_after_row ||
									rel->trigdesc->trig_update_before_row) :
		 (rel->trigdesc->trig_delete_after_row ||
		  rel->trigdesc->trig_delete_before_row)))
		ok = false;

	if (ok && operation == CMD_UPDATE)
	{
		get_translated_update_targetlist(root, resultRelation, &processed_tlist, &target_attrs);
		forboth(lc, processed_tlist, lc2, target_attrs)
		{
			TargetEntry *tle = lfirst_node(TargetEntry, lc);
			AttrNumber	attnum = lfirst_int(lc2);
			char	   *attname;

			if (dyn_row_independent_walker((Node *) tle->expr, NULL) ||
				contain_volatile_functions((Node *) tle->expr) ||
				dyn_column_meta(rte->relid, attnum) != DYN_META_NONE)
			{
				ok = false;
				break;
			}
			/* a key column: the read path says whether it changes */
			attname = dyn_column_attribute(rte->relid, attnum);
			if (strcmp(attname, dp->hash_key) == 0 ||
				(dp->range_key && strcmp(attname, dp->range_key) == 0))
			{
				ok = false;
				break;
			}
			set_exprs = lappend(set_exprs, tle->expr);
		}
	}
	table_close(rel, NoLock);
	if (!ok)
		return false;

	first_set_expr = list_length(fscan->fdw_exprs);
	fscan->operation = operation;
	fscan->resultRelation = resultRelation;
	fscan->fdw_exprs = list_concat(list_copy(fscan->fdw_exprs), set_exprs);
	fscan->fdw_private = list_make4(fscan->fdw_private, target_attrs,
									makeInteger(first_set_expr),
									makeBoolean(plan->canSetTag));
	return true;
}

static void
dynomiteBeginDirectModify(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	DynModifyState *fm;

	fm = dyn_modify_state(node->ss.ss_currentRelation, fsplan->operation,
						  DYN_SCAN_USERID(node->ss.ps.state, fsplan),
						  !(eflags & EXEC_FLAG_EXPLAIN_ONLY));
	fm->plan = dyn_deserialize_plan(list_nth(fsplan->fdw_private, DynDirScanPlan));
	fm->target_attrs = list_nth(fsplan->fdw_private, DynDirTargetAttrs);
	fm->first_set_expr = intVal(list_nth(fsplan->fdw_private, DynDirFirstSetExpr));
	fm->set_processed = boolVal(list_nth(fsplan->fdw_private, DynDirSetProcessed));
	fm->value_exprs = ExecInitExprList(fsplan->fdw_exprs, (PlanState *) node);
	fm->params = palloc0(sizeof(DynParamValue) * Max(list_length(fsplan->fdw_exprs), 1));
	node->fdw_state = fm;
}

/* The AttributeValue text of a key condition's value, or NULL: no item. */
static char *
dyn_cond_key_value(DynModifyState *fm, DynCond *cond)
{
	bool		unsent;
	List	   *values = dyn_cond_values(cond, fm->params, true, true, &unsent);
	DynValue   *v;

	if (values == NIL)
		return NULL;
	v = linitial(values);
	if ((v->type == 'S' || v->type == 'B') && v->text[0] == '\0')
		return NULL;			/* no item has an empty key */
	return dyn_value_text(v);
}

/* Send the one write; how many rows it touched. */
static int
dyn_direct_modify(ForeignScanState *node, DynModifyState *fm)
{
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	List	   *key = NIL;
	DynWriteRequest w;
	DynResponse resp;
	ListCell   *lc;
	int			i = 0;

	foreach(lc, fm->value_exprs)
	{
		DynParamValue *p = &fm->params[i++];

		p->value = ExecEvalExpr((ExprState *) lfirst(lc), econtext, &p->isnull);
		p->type = exprType((Node *) ((ExprState *) lfirst(lc))->expr);
	}

	foreach(lc, fm->plan->key_conds)
	{
		DynCond    *cond = lfirst(lc);
		DynAttr    *a = palloc(sizeof(DynAttr));

		a->name = cond->attname;
		a->value = dyn_cond_key_value(fm, cond);
		if (a->value == NULL)
			return 0;
		key = lappend(key, a);
	}

	if (fm->operation == CMD_DELETE)
	{
		dyn_write_init(&w, fm, DYN_WRITE_DELETE);
		w.key = key;
		w.return_values = "ALL_OLD";
		(void) dyn_send_write(fm, "DeleteItem", &w, &resp);
		return dyn_fill_from_attributes(fm, &resp, NULL) ? 1 : 0;
	}
	else
	{
		/* the SET values, by attnum - 1, and the UpdateItem of them */
		Datum	   *values = palloc0(sizeof(Datum) * Max(fm->natts, 1));
		bool	   *nulls = palloc0(sizeof(bool) * Max(fm->natts, 1));
		Datum		keyvals[2] = {0, 0};
		bool		keynulls[2] = {true, true};

		i = fm->first_set_expr;
		foreach(lc, fm->target_attrs)
		{
			values[lfirst_int(lc) - 1] = fm->params[i].value;
			nulls[lfirst_int(lc) - 1] = fm->params[i].isnull;
			i++;
		}
		if (!dyn_update_request(&w, fm, key, keyvals, keynulls, fm->target_attrs, values, nulls))
			return 0;
		return dyn_send_write(fm, "UpdateItem", &w, &resp) ? 1 : 0;
	}
}

static TupleTableSlot *
dynomiteIterateDirectModify(ForeignScanState *node)
{
	DynModifyState *fm = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	if (!fm->done)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(fm->temp_cxt);
		int			n = dyn_direct_modify(node, fm);

		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(fm->temp_cxt);
		fm->done = true;
		if (fm->set_processed)
			node->ss.ps.state->es_processed += n;
	}
	return ExecClearTuple(slot);
}

static void
dynomiteEndDirectModify(ForeignScanState *node)
{
	DynModifyState *fm = node->fdw_state;

	if (fm)
		MemoryContextDelete(fm->temp_cxt);
}

static void
dynomiteExplainDirectModify(ForeignScanState *node, ExplainState *es)
{
	DynModifyState *fm = node->fdw_state;

	ExplainPropertyText("DynamoDB", fm->operation == CMD_DELETE ?
						"DeleteItem (direct)" : "UpdateItem (direct, attribute_exists)", es);
	if (es->analyze)
	{
		ExplainPropertyInteger("DynamoDB Requests", NULL, fm->requests, es);
		ExplainPropertyInteger("DynamoDB Retries", NULL, fm->retries, es);
	}
}

/* ---------------------------------------------------------------------
 * Writes held until COMMIT
 * ---------------------------------------------------------------------
 */

/* Send what a transaction holds, one TransactWriteItems per server and user. */
static void
dyn_send_held_writes(void)
{
	while (held_writes != NIL)
	{
		DynHeldWrite *first = linitial(held_writes);
		List	   *rest = NIL;
		List	   *actions = NIL;
		char	   *body;
		int			n;
		ListCell   *lc;

		foreach(lc, held_writes)
		{
			DynHeldWrite *w = lfirst(lc);

			if (w->serverid != first->serverid || w->userid != first->userid)
				rest = lappend(rest, w);
			else
				actions = lappend(actions, w->action);
		}
		n = list_length(actions);
		if (n > DYN_TRANSACT_ITEMS)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("transaction holds %d DynamoDB writes, more than the %d of one TransactWriteItems",
							n, DYN_TRANSACT_ITEMS),
					 errhint("Commit in smaller transactions, or turn the \"transactional\" option off to send each write as it executes.")));
		{
			DynOptions *opts = dyn_get_options(first->relid, first->userid, true);
			DynConnection *conn = dyn_get_connection(GetForeignServer(first->serverid),
													 GetUserMapping(first->userid,
																	first->serverid),
													 opts);
			DynResponse resp;

			opts->table = NULL;	/* one request for many tables */
			body = dyn_build_transact_write_request(actions);
			dyn_request(conn, opts, "TransactWriteItems", body, strlen(body), &resp);
		}
		held_writes = rest;
	}
}

static void
dyn_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
			/* an error here still aborts the transaction */
			dyn_send_held_writes();
			break;
		case XACT_EVENT_PRE_PREPARE:
			if (held_writes != NIL)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that holds DynamoDB writes")));
			break;
		default:
			/* COMMIT, ABORT: the list went with TopTransactionContext */
			held_writes = NIL;
			break;
	}
}

static void
dyn_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();
	List	   *kept = NIL;
	ListCell   *lc;

	if (event != SUBXACT_EVENT_ABORT_SUB)
	{
		/* a committed subtransaction's writes belong to its parent */
		if (event == SUBXACT_EVENT_COMMIT_SUB)
			foreach(lc, held_writes)
				if (((DynHeldWrite *) lfirst(lc))->level >= level)
					((DynHeldWrite *) lfirst(lc))->level = level - 1;
		return;
	}
	/* ROLLBACK TO SAVEPOINT: what the subtransaction held goes */
	foreach(lc, held_writes)
		if (((DynHeldWrite *) lfirst(lc))->level < level)
			kept = lappend(kept, lfirst(lc));
	held_writes = kept;
}

void
dyn_modify_init(void)
{
	RegisterXactCallback(dyn_xact_callback, NULL);
	RegisterSubXactCallback(dyn_subxact_callback, NULL);
}

void
dyn_modify_routines(FdwRoutine *routine)
{
	routine->AddForeignUpdateTargets = dynomiteAddForeignUpdateTargets;
	routine->PlanForeignModify = dynomitePlanForeignModify;
	routine->BeginForeignModify = dynomiteBeginForeignModify;
	routine->ExecForeignInsert = dynomiteExecForeignInsert;
	routine->ExecForeignBatchInsert = dynomiteExecForeignBatchInsert;
	routine->GetForeignModifyBatchSize = dynomiteGetForeignModifyBatchSize;
	routine->ExecForeignUpdate = dynomiteExecForeignUpdate;
	routine->ExecForeignDelete = dynomiteExecForeignDelete;
	routine->EndForeignModify = dynomiteEndForeignModify;
	routine->BeginForeignInsert = dynomiteBeginForeignInsert;
	routine->EndForeignInsert = dynomiteEndForeignModify;
	routine->ExplainForeignModify = dynomiteExplainForeignModify;
	routine->PlanDirectModify = dynomitePlanDirectModify;
	routine->BeginDirectModify = dynomiteBeginDirectModify;
	routine->IterateDirectModify = dynomiteIterateDirectModify;
	routine->EndDirectModify = dynomiteEndDirectModify;
	routine->ExplainDirectModify = dynomiteExplainDirectModify;
}
