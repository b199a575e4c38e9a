/*-------------------------------------------------------------------------
 * scan.c
 *		The page loop of a foreign scan: Begin, Iterate, ReScan, End.
 *
 * A page is fetched only when the rows of the one before are used up, and
 * only one page is held at a time: the page context is reset before each
 * fetch.  The request for the next page is built from the LastEvaluatedKey
 * before the page that holds it is let go.  Only a response without a
 * LastEvaluatedKey ends the scan; an empty page with one goes on paging.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "dynomite_fdw.h"

typedef struct DynScanState
{
	char	   *relname;
	DynOptions *opts;
	DynConnection *conn;
	DynScanRequest request;

	int			ncolumns;
	DynColumn  *columns;		/* the columns the query needs */

	MemoryContext page_cxt;		/* the current page; reset before each fetch */
	MemoryContext request_cxt;	/* the request body being sent */

	DynPage		page;
	int			next_item;		/* index of the next item of the page */
	int			count_left;		/* Select=COUNT: rows still to return */
	bool		started;		/* a page has been fetched */
	bool		done;			/* the last page has been fetched */

	/* what EXPLAIN ANALYZE reports */
	long		requests;
	long		pages;
	long		items_scanned;
	long		items_returned;
	long		retries;
} DynScanState;

static DynColumnKind
dyn_kind_of(Oid typid)
{
	switch (getBaseType(typid))
	{
		case JSONOID:
		case JSONBOID:
			return DYN_COL_JSON;
		case BYTEAOID:
			return DYN_COL_BYTEA;
		case BOOLOID:
			return DYN_COL_BOOL;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case NAMEOID:
			return DYN_COL_TEXT;
		default:
			return DYN_COL_SCALAR;
	}
}

static void
dyn_init_column(DynColumn *col, Relation rel, AttrNumber attnum)
{
	Form_pg_attribute attr = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	Oid			typid = attr->atttypid;
	Oid			elemtype = get_element_type(getBaseType(typid));
	Oid			infunc;

	col->attnum = attnum;
	col->colname = pstrdup(NameStr(attr->attname));
	col->attname = dyn_column_attribute(RelationGetRelid(rel), attnum);
	col->typname = format_type_be(typid);
	col->typmod = attr->atttypmod;

	if (OidIsValid(elemtype))
	{
		col->kind = DYN_COL_ARRAY;
		col->elemtype = elemtype;
		col->elemkind = dyn_kind_of(elemtype);
		col->elemtypname = format_type_be(elemtype);
		get_typlenbyvalalign(elemtype, &col->elemlen, &col->elembyval, &col->elemalign);
		getTypeInputInfo(elemtype, &infunc, &col->ioparam);
	}
	else
	{
		col->kind = dyn_kind_of(typid);
		getTypeInputInfo(typid, &infunc, &col->ioparam);
	}
	fmgr_info(infunc, &col->input);
}

void
dynomiteBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	Relation	rel = node->ss.ss_currentRelation;
	List	   *retrieved = list_nth(fsplan->fdw_private, DynPrivRetrievedAttrs);
	Oid			userid = DYN_SCAN_USERID(estate, fsplan);
	DynScanState *s;
	ListCell   *lc;
	int			i = 0;

	s = palloc0(sizeof(DynScanState));
	node->fdw_state = s;

	s->relname = pstrdup(RelationGetRelationName(rel));
	s->opts = dyn_get_options(RelationGetRelid(rel), userid,
							  (eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0);

	s->ncolumns = list_length(retrieved);
	s->columns = palloc0(sizeof(DynColumn) * Max(s->ncolumns, 1));
	foreach(lc, retrieved)
	{
		DynColumn  *col = &s->columns[i++];

		dyn_init_column(col, rel, lfirst_int(lc));
		s->request.attributes = lappend(s->request.attributes, col->attname);
	}
	s->request.table = s->opts->table;
	s->request.count_only = boolVal(list_nth(fsplan->fdw_private, DynPrivCountOnly));
	s->request.limit = s->opts->page_size;
	s->request.consistent_read = s->opts->consistent_read;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	s->conn = dyn_get_connection(GetForeignServer(GetForeignTable(RelationGetRelid(rel))->serverid),
								 GetUserMapping(userid, GetForeignTable(RelationGetRelid(rel))->serverid),
								 s->opts);
	s->page_cxt = AllocSetContextCreate(estate->es_query_cxt,
										"dynomite_fdw page",
										ALLOCSET_DEFAULT_SIZES);
	s->request_cxt = AllocSetContextCreate(estate->es_query_cxt,
										   "dynomite_fdw request",
										   ALLOCSET_SMALL_SIZES);
}

static void
dyn_fetch_page(DynScanState *s)
{
	MemoryContext oldcxt;
	char	   *body;
	DynResponse resp;

	CHECK_FOR_INTERRUPTS();

	/* the request first: the start key lives in the page about to go */
	MemoryContextReset(s->request_cxt);
	oldcxt = MemoryContextSwitchTo(s->request_cxt);
	body = dyn_build_scan_request(&s->request, s->started ? s->page.last_key : NULL, false);

	MemoryContextReset(s->page_cxt);
	memset(&s->page, 0, sizeof(DynPage));
	s->next_item = 0;
	s->count_left = 0;

	MemoryContextSwitchTo(s->page_cxt);
	dyn_request(s->conn, s->opts, "Scan", body, strlen(body), &resp);
	dyn_parse_page(resp.body.data, resp.body.len, &s->page, s->page_cxt);
	pfree(resp.body.data);		/* the parsed page is all that is kept */
	MemoryContextSwitchTo(oldcxt);

	s->started = true;
	s->done = (s->page.last_key == NULL);
	s->count_left = s->request.count_only ? s->page.count : 0;

	s->requests += 1 + resp.retries;
	s->retries += resp.retries;
	s->pages++;
	s->items_scanned += s->page.scanned_count;
}

TupleTableSlot *
dynomiteIterateForeignScan(ForeignScanState *node)
{
	DynScanState *s = (DynScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	for (;;)
	{
		if (s->count_left > 0)
		{
			/* Select=COUNT: the query needs rows, but no column of them */
			s->count_left--;
			s->items_returned++;
			ExecClearTuple(slot);
			memset(slot->tts_isnull, true,
				   sizeof(bool) * slot->tts_tupleDescriptor->natts);
			return ExecStoreVirtualTuple(slot);
		}
		if (s->started && s->next_item < s->page.nitems)
		{
			DynJson    *item = dyn_page_item(&s->page, s->next_item++);

			ExecClearTuple(slot);
			memset(slot->tts_isnull, true,
				   sizeof(bool) * slot->tts_tupleDescriptor->natts);
			for (int i = 0; i < s->ncolumns; i++)
			{
				DynColumn  *col = &s->columns[i];
				int			idx = col->attnum - 1;

				slot->tts_values[idx] = dyn_item_value(col, item,
													   &slot->tts_isnull[idx],
													   s->relname);
			}
			s->items_returned++;
			return ExecStoreVirtualTuple(slot);
		}
		if (s->started && s->done)
			return ExecClearTuple(slot);
		dyn_fetch_page(s);
	}
}

void
dynomiteReScanForeignScan(ForeignScanState *node)
{
	DynScanState *s = (DynScanState *) node->fdw_state;

	MemoryContextReset(s->page_cxt);
	MemoryContextReset(s->request_cxt);
	memset(&s->page, 0, sizeof(DynPage));
	s->next_item = 0;
	s->count_left = 0;
	s->started = false;
	s->done = false;
}

void
dynomiteEndForeignScan(ForeignScanState *node)
{
	DynScanState *s = (DynScanState *) node->fdw_state;

	/* let the parsed page go now rather than at the end of the query */
	if (s && s->page_cxt)
	{
		MemoryContextDelete(s->page_cxt);
		MemoryContextDelete(s->request_cxt);
		s->page_cxt = NULL;
		s->request_cxt = NULL;
	}
}

void
dynomiteExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	DynScanState *s = (DynScanState *) node->fdw_state;

	ExplainPropertyText("DynamoDB Operation", "Scan", es);
	ExplainPropertyText("DynamoDB Table", s->request.table, es);
	if (s->request.count_only)
		ExplainPropertyText("DynamoDB Select", "COUNT", es);
	if (s->request.limit > 0)
		ExplainPropertyInteger("DynamoDB Page Size", NULL, s->request.limit, es);
	if (es->verbose)
		ExplainPropertyText("DynamoDB Request",
							dyn_build_scan_request(&s->request, NULL, false), es);
	if (es->analyze)
	{
		ExplainPropertyInteger("DynamoDB Requests", NULL, s->requests, es);
		ExplainPropertyInteger("DynamoDB Pages", NULL, s->pages, es);
		ExplainPropertyInteger("DynamoDB Items Scanned", NULL, s->items_scanned, es);
		ExplainPropertyInteger("DynamoDB Items Returned", NULL, s->items_returned, es);
		ExplainPropertyInteger("DynamoDB Retries", NULL, s->retries, es);
	}
}
