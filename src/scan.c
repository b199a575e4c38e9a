/*-------------------------------------------------------------------------
 * scan.c
 *		The page loop of a foreign scan: Begin, Iterate, ReScan, End, and
 *		EXPLAIN.
 *
 * A request is sent only when the rows of the page before are used up, and
 * only one page is held at a time: the page context is reset before each
 * fetch.  The next request is built from the LastEvaluatedKey before the
 * page that holds it is let go.  Only a response without a LastEvaluatedKey
 * ends a Scan or Query; an empty page with one goes on paging.  A Query for
 * a list of partition-key values runs one paged Query per value; a
 * BatchGetItem sends 100 keys a request and asks again for the keys
 * DynamoDB left unprocessed.
 *
 * Under a parallel query the leader and the workers share a Scan's
 * segments or a Query's partitions: a stream that needs one takes the next
 * from a counter in dynamic shared memory, as it takes the next from the
 * scan's own counter otherwise.  Each worker adds what it has read to its
 * place there, for the leader's EXPLAIN ANALYZE.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "port/atomics.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"

#include "dynomite_fdw.h"

/*
 * A paged sequence of requests: the whole Scan (or one of its segments), the
 * Query of each partition in turn, or the GetItem and BatchGetItem requests.
 * Each holds the page being read and the response to the request already
 * sent for the next one.
 */
typedef struct DynStream
{
	int			segment;		/* Scan: the segment it reads */
	int			partition;		/* Query: the partition it reads */
	DynAsync   *async;			/* its request handle, once needed */
	bool		inflight;		/* a request is on its way */
	bool		started;		/* a page has come */
	bool		exhausted;		/* nothing more to ask for */
	MemoryContext cxt[2];		/* the page being read, and the next one */
	int			cur;
	DynPage		page;
	int			next_item;
	int			npages;			/* pages received in this execution */
	StringInfoData body;		/* the response on its way, in cxt[1 - cur] */
	DynItemIndex index;			/* its items, located as it arrives */
	DynKeyTrail trail;			/* the keys the pages of its read ended with */
} DynStream;

/* What EXPLAIN ANALYZE reports of a scan, over all its executions. */
typedef struct DynScanCounts
{
	long		requests;
	long		pages;
	long		items_scanned;
	long		items_returned;
	long		retries;
	long		throttles;
	double		capacity;
} DynScanCounts;

/* A worker's place in the shared state of a parallel scan. */
typedef struct DynWorkerSlot
{
	bool		attached;		/* a worker has started on it */
	DynScanCounts counts;		/* what it read, not yet taken by the leader */
} DynWorkerSlot;

/* The dynamic shared memory of a parallel scan. */
typedef struct DynParallelScan
{
	pg_atomic_uint32 next;		/* the first segment or partition nobody has
								 * taken */
	slock_t		mutex;			/* guards the slots */
	int			nworkers;
	DynWorkerSlot workers[FLEXIBLE_ARRAY_MEMBER];
} DynParallelScan;

typedef struct DynScanState
{
	char	   *relname;
	DynOptions *opts;
	DynConnection *conn;
	DynPlan    *plan;
	DynRequest	base;			/* what every request of the scan shares */
	DynExpect	expect;			/* what its responses must be */

	int			ncolumns;
	DynColumn  *columns;		/* the columns the query needs */

	List	   *value_exprs;	/* ExprState of each fdw_exprs entry */
	DynParamValue *params;		/* their values in this execution */

	MemoryContext exec_cxt;		/* values and keys of one execution */
	MemoryContext handle_cxt;	/* the streams' request handles */
	int			max_streams;	/* streams there are */
	int			nstreams;		/* streams this execution uses */
	DynStream  *streams;

	int			total_segments; /* Scan: of the table, 1 for none */
	DynParallelScan *shared;	/* of a parallel scan, once attached */
	DynWorkerSlot *slot;		/* a worker's place there */
	DynScanCounts published;	/* what a worker has added there */
	int			nworkers;		/* the leader's: workers' counts taken */
	DynWorkerSlot *workers;

	/* one execution */
	bool		prepared;		/* values evaluated, keys known, requests sent */
	bool		done;			/* nothing more to fetch */
	DynExecution ex;			/* its values with DynamoDB's rules applied */
	int			current;		/* the stream whose page is read, or -1 */
	int			count_left;		/* Select=COUNT: rows still to return */
	int			next_claim;		/* the next segment or partition, when no
								 * other process shares them */
	long		rows_returned;
	long		items_received;	/* in this execution, returned or not */
	int			page_number;	/* of the current page, from 1 */
	bool		want_tokens;
	bool		fast_rows;		/* rows can come straight from item text */
	DynFastMap	fast_map;		/* what the fast path learns of the items */
	bool		projection_optional;	/* the projection names every column:
										 * sent only once items carry more */
	bool		projecting;		/* requests carry the projection */
	long		requests_built;
	long		projected_from; /* the first request that carried it, or 0 */
	bool		page_numbers;	/* a page_number column is read */

	/* what EXPLAIN ANALYZE reports, over all executions */
	char	   *first_request;
	DynScanCounts counts;
} DynScanState;

static void dyn_fill_page_numbers(DynScanState *s, TupleTableSlot *slot);
static void dyn_publish_counts(DynScanState *s);

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

void
dyn_init_column(DynColumn *col, Relation rel, AttrNumber attnum)
{
	Form_pg_attribute attr = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	Oid			typid = attr->atttypid;
	Oid			elemtype = get_element_type(getBaseType(typid));
	Oid			infunc;

	col->attnum = attnum;
	col->colname = pstrdup(NameStr(attr->attname));
	col->meta = dyn_column_meta(RelationGetRelid(rel), attnum);
	col->attname = dyn_column_attribute(RelationGetRelid(rel), attnum);
	col->attnamelen = (int) strlen(col->attname);
	col->typname = format_type_be(typid);
	col->typmod = attr->atttypmod;

	if (OidIsValid(elemtype) && col->meta == DYN_META_NONE)
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
		col->direct = dyn_direct_kind(typid, col->typmod);
		getTypeInputInfo(typid, &infunc, &col->ioparam);
	}
	fmgr_info(infunc, &col->input);
}

/*
 * Unpack what planning decided (fdw_private: the access description, what
 * is read, the streams) and set up the columns, the values to evaluate and
 * the page contexts.  Nothing is chosen here.
 */
void
dynomiteBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	EState	   *estate = node->ss.ps.state;
	Relation	rel = node->ss.ss_currentRelation;
	Oid			userid = DYN_SCAN_USERID(estate, fsplan);
	DynScanState *s;
	bool		whole_items = false;
	ListCell   *lc;
	int			i = 0;

	s = palloc0(sizeof(DynScanState));
	node->fdw_state = s;

	s->relname = pstrdup(RelationGetRelationName(rel));
	s->opts = dyn_get_options(RelationGetRelid(rel), userid,
							  (eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0);
	s->plan = dyn_deserialize_plan(fsplan->fdw_private);

	s->ncolumns = list_length(s->plan->retrieved);
	s->columns = palloc0(sizeof(DynColumn) * Max(s->ncolumns, 1));
	foreach(lc, s->plan->retrieved)
	{
		DynColumn  *col = &s->columns[i++];

		dyn_init_column(col, rel, lfirst_int(lc));
		whole_items |= col->meta == DYN_META_ITEM;
		s->want_tokens |= col->meta == DYN_META_NEXT_TOKEN;
		s->page_numbers |= col->meta == DYN_META_PAGE_NUMBER;
	}
	s->fast_rows = !whole_items && !s->want_tokens;
	dyn_fast_map_init(&s->fast_map, s->columns, s->ncolumns);

	dyn_base_request(s->plan, s->opts, &s->base);
	dyn_plan_expect(s->plan, s->opts, &s->expect);
	/* consumed capacity is for budgets and EXPLAIN ANALYZE; DynamoDB works less without */
	s->base.capacity |= estate->es_instrument != 0;
	s->projection_optional = s->plan->projection_optional;
	s->projecting = s->base.projection != NIL && !s->projection_optional;

	s->value_exprs = ExecInitExprList(fsplan->fdw_exprs, (PlanState *) node);
	s->params = palloc0(sizeof(DynParamValue) * Max(list_length(fsplan->fdw_exprs), 1));
	i = 0;
	foreach(lc, fsplan->fdw_exprs)
		s->params[i++].type = exprType(lfirst(lc));

	s->exec_cxt = AllocSetContextCreate(estate->es_query_cxt,
										"dynomite_fdw execution",
										ALLOCSET_SMALL_SIZES);
	s->handle_cxt = AllocSetContextCreate(estate->es_query_cxt,
										  "dynomite_fdw handles",
										  ALLOCSET_SMALL_SIZES);
	s->max_streams = s->plan->streams;
	s->nstreams = s->max_streams;
	s->total_segments = s->plan->total_segments;
	s->streams = palloc0(sizeof(DynStream) * s->max_streams);
	for (i = 0; i < s->max_streams; i++)
	{
		DynStream  *st = &s->streams[i];

		st->segment = -1;
		st->cxt[0] = AllocSetContextCreate(estate->es_query_cxt, "dynomite_fdw page",
										   ALLOCSET_DEFAULT_SIZES);
		st->cxt[1] = AllocSetContextCreate(estate->es_query_cxt, "dynomite_fdw page",
										   ALLOCSET_DEFAULT_SIZES);
	}
	s->current = -1;

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	/* EXPLAIN shows a refused plan; running it is refused here */
	dyn_refuse_full_scan(s->plan, s->opts);

	{
		ForeignTable *ft = GetForeignTable(RelationGetRelid(rel));

		s->conn = dyn_get_connection(GetForeignServer(ft->serverid),
									 GetUserMapping(userid, ft->serverid), s->opts);
	}
}

/* ---------------------------------------------------------------------
 * One execution: values, keys, requests
 * ---------------------------------------------------------------------
 */

/* Evaluate the values of the conditions for this execution. */
static void
dyn_evaluate_values(DynScanState *s, ExprContext *econtext)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(s->exec_cxt);
	ListCell   *lc;
	int			i = 0;

	foreach(lc, s->value_exprs)
	{
		DynParamValue *p = &s->params[i++];
		int16		typlen;
		bool		typbyval;
		Datum		value;

		value = ExecEvalExpr((ExprState *) lfirst(lc), econtext, &p->isnull);
		get_typlenbyval(p->type, &typlen, &typbyval);
		p->value = p->isnull ? (Datum) 0 : datumCopy(value, typbyval, typlen);
	}
	MemoryContextSwitchTo(oldcxt);
}

/*
 * Get an execution ready: evaluate its values, and let request.c apply
 * DynamoDB's rules to them and find the partitions or keys to read, the
 * token scope and where to start (EXPLAIN alone has no token to check).
 * An execution where no item can match sends nothing.
 */
static void
dyn_prepare_execution(DynScanState *s, ExprContext *econtext)
{
	MemoryContext oldcxt;

	MemoryContextReset(s->exec_cxt);
	s->current = -1;
	s->rows_returned = 0;
	s->items_received = 0;
	s->page_number = 0;
	s->prepared = true;

	dyn_evaluate_values(s, econtext);
	oldcxt = MemoryContextSwitchTo(s->exec_cxt);
	dyn_execution_begin(&s->ex, s->plan, s->opts, s->params,
						s->want_tokens || s->plan->start_token_idx >= 0, s->conn != NULL);
	MemoryContextSwitchTo(oldcxt);
	s->next_claim = s->plan->op == DYN_OP_QUERY ? s->ex.start_partition : 0;
	if (s->plan->op == DYN_OP_QUERY)
		s->nstreams = Max(Min(s->max_streams, list_length(s->ex.partitions)), 1);
	if (s->ex.nothing)
		s->done = true;
}

/*
 * The next Scan segment or Query partition nobody has taken: from the
 * counter the processes of a parallel scan share, else the scan's own.
 */
static int
dyn_claim(DynScanState *s)
{
	if (s->shared)
		return (int) pg_atomic_fetch_add_u32(&s->shared->next, 1);
	return s->next_claim++;
}

/*
 * Limit of a Scan or Query: the page size, or fewer if the query needs
 * fewer than it has received; 0 when it needs none more.
 */
static int
dyn_request_limit(DynScanState *s, bool *enough)
{
	int			limit = s->opts->page_size;

	*enough = false;
	if (s->plan->bound > 0)
	{
		long		remaining = s->plan->bound - s->items_received;

		if (remaining <= 0)
			*enough = true;
		else if (limit == 0 || remaining < limit)
			limit = (int) remaining;
	}
	return limit;
}

/*
 * The body of a stream's next request, or NULL when it has nothing more to
 * fetch.  Built from the stream's current page, which is still there.
 */
static char *
dyn_next_request(DynScanState *s, DynStream *st, const char **operation)
{
	DynRequest	req = s->base;
	DynJson    *start_key = NULL;
	bool		enough;

	req.names = NIL;
	req.values = NIL;
	*operation = dyn_operation_name(s->plan->op);
	if (s->projecting)
		dyn_add_projection_names(&req, s->base.projection);

	switch (s->plan->op)
	{
		case DYN_OP_SCAN:
			if (st->started && st->page.last_key != NULL)
				start_key = st->page.last_key;
			else
			{
				/* the next segment no stream has taken; the table is one without */
				st->segment = dyn_claim(s);
				if (st->segment >= s->total_segments)
					return NULL;
				start_key = st->started ? NULL : s->ex.start_key;
				dyn_key_trail_start(&st->trail, s->exec_cxt, start_key);
			}
			if (!dyn_render_conditions(&s->ex, 0, &req))
				return NULL;
			req.limit = dyn_request_limit(s, &enough);
			if (enough)
				return NULL;
			if (s->total_segments > 1)
			{
				req.segment = st->segment;
				req.total_segments = s->total_segments;
			}
			break;

		case DYN_OP_QUERY:
			if (st->started && st->page.last_key)
				start_key = st->page.last_key;
			else
			{
				/* the next partition no stream has taken */
				if (!st->started)
					start_key = s->ex.start_key;
				st->partition = dyn_claim(s);
				dyn_key_trail_start(&st->trail, s->exec_cxt, start_key);
			}
			if (st->partition >= list_length(s->ex.partitions))
				return NULL;
			if (!dyn_render_conditions(&s->ex, st->partition, &req))
				return NULL;
			req.limit = dyn_request_limit(s, &enough);
			if (enough)
				return NULL;
			break;

		case DYN_OP_GETITEM:
			if (st->started)
				return NULL;
			req.keys = s->ex.keys;
			break;

		case DYN_OP_BATCHGETITEM:
			return dyn_batch_next(&s->ex.batch, &req, st->started ? &st->page : NULL, s->opts);
	}
	return dyn_build_request(&req, start_key, false);
}

/* More of a Scan or Query response has come: locate its items. */
static void
dyn_stream_watch(void *arg, StringInfo body)
{
	DynStream  *st = (DynStream *) arg;

	dyn_item_index_feed(&st->index, body->data, body->len);
}

/*
 * Ask for a stream's next page now, so that it is on its way while the
 * current page is read.  The request is built in the context the response
 * will fill; the current page, whose LastEvaluatedKey it needs, stays.
 */
static void
dyn_stream_request(DynScanState *s, DynStream *st)
{
	MemoryContext next = st->cxt[1 - st->cur];
	MemoryContext oldcxt;
	const char *operation;
	char	   *body;

	MemoryContextReset(next);
	oldcxt = MemoryContextSwitchTo(next);
	body = dyn_next_request(s, st, &operation);
	if (body == NULL)
	{
		MemoryContextSwitchTo(oldcxt);
		st->exhausted = true;
		return;
	}
	if (s->first_request == NULL)
		s->first_request = MemoryContextStrdup(GetMemoryChunkContext(s), body);
	s->requests_built++;
	if (s->projecting && s->projection_optional && s->projected_from == 0)
		s->projected_from = s->requests_built;
	initStringInfo(&st->body);
	MemoryContextSwitchTo(oldcxt);

	if (st->async == NULL)
	{
		st->async = dyn_async_create(s->conn, s->handle_cxt);
		if (s->plan->op == DYN_OP_SCAN || s->plan->op == DYN_OP_QUERY)
			dyn_async_watch(st->async, dyn_stream_watch, st);
	}
	dyn_item_index_reset(&st->index, next);
	dyn_async_start(st->async, s->opts, operation, body, strlen(body), &st->body);
	st->inflight = true;
}

/*
 * The next page of any stream, as pages arrive; false when every stream is
 * done.  A stream's next request goes out the moment its page arrives when
 * segments are read side by side or the query reads every row, and from
 * its second page on otherwise (a query that stops within the first page
 * sends nothing more); else it goes out when its page has been read.
 */
static bool
dyn_next_page(DynScanState *s)
{
	DynAsync   *set[DYN_MAX_SEGMENTS];
	DynAsync   *arrived = NULL;
	DynStream  *st = NULL;
	MemoryContext next;
	MemoryContext oldcxt;
	DynResponse resp;
	DynPage		page;

	CHECK_FOR_INTERRUPTS();
	dyn_publish_counts(s);
	while (arrived == NULL)
	{
		int			n = 0;

		for (int i = 0; i < s->nstreams; i++)
			set[n++] = s->streams[i].inflight ? s->streams[i].async : NULL;
		arrived = dyn_async_wait_any(set, n);
		if (arrived == NULL)
		{
			/* nothing on its way: ask for the next page of a stream */
			DynStream  *idle = NULL;

			for (int i = 0; i < s->nstreams && idle == NULL; i++)
				if (!s->streams[i].exhausted)
					idle = &s->streams[i];
			if (idle == NULL)
				return false;
			dyn_stream_request(s, idle);
		}
	}
	for (int i = 0; i < s->nstreams; i++)
		if (s->streams[i].async == arrived)
		{
			st = &s->streams[i];
			s->current = i;
		}

	/* the new page goes into the context of its request and response */
	next = st->cxt[1 - st->cur];
	oldcxt = MemoryContextSwitchTo(next);
	st->inflight = false;
	dyn_async_finish(arrived, s->opts, &resp);
	/* the page keeps the response text; items are parsed as they are read */
	dyn_parse_page(resp.body.data, resp.body.len, &page, &s->expect, &st->trail, next,
				   resp.retries == 0 ? &st->index : NULL);
	if (!page.has_items && !s->base.count_only &&
		(s->plan->op == DYN_OP_SCAN || s->plan->op == DYN_OP_QUERY ||
		 s->plan->op == DYN_OP_BATCHGETITEM))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_REPLY_HANDLE),
				 errmsg("invalid %s response from DynamoDB", dyn_operation_name(s->plan->op)),
				 errdetail("A %s response without items.", dyn_operation_name(s->plan->op)),
				 errcontext("DynamoDB %s request on table \"%s\"",
							dyn_operation_name(s->plan->op), s->base.table)));
	MemoryContextSwitchTo(oldcxt);

	/* a look at the first items, before the next request goes out */
	if (s->projection_optional && !s->projecting)
		for (int i = 0; i < Min(page.nitems, DYN_PROBE_ITEMS) && !s->projecting; i++)
			if (dyn_item_other_attributes(page.body + page.item_off[i], page.item_len[i],
										  s->base.projection))
				s->projecting = true;

	/* the page before is read: let it go */
	MemoryContextReset(st->cxt[st->cur]);
	st->cur = 1 - st->cur;
	st->page = page;
	st->next_item = 0;
	st->started = true;
	st->npages++;

	s->page_number++;
	s->count_left = s->base.count_only ? page.count : 0;
	s->items_received += s->base.count_only ? page.count : page.nitems;
	s->counts.requests += 1 + resp.retries;
	s->counts.retries += resp.retries;
	s->counts.throttles += resp.throttles;
	s->counts.pages++;
	s->counts.items_scanned += (s->plan->op == DYN_OP_SCAN || s->plan->op == DYN_OP_QUERY) ?
		page.scanned_count : page.nitems;
	s->counts.capacity += page.capacity;

	if (!st->exhausted &&
		(s->nstreams > 1 ||
		 (s->opts->prefetch && (st->npages >= 2 || s->plan->read_all))))
		dyn_stream_request(s, st);
	return true;
}

TupleTableSlot *
dynomiteIterateForeignScan(ForeignScanState *node)
{
	DynScanState *s = (DynScanState *) node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;

	if (!s->prepared)
	{
		dyn_prepare_execution(s, node->ss.ps.ps_ExprContext);
		for (int i = 0; i < s->nstreams && !s->done; i++)
			dyn_stream_request(s, &s->streams[i]);
	}

	for (;;)
	{
		DynStream  *st = s->current >= 0 ? &s->streams[s->current] : NULL;

		if (s->count_left > 0)
		{
			/* Select=COUNT: the query needs rows, but no column of them */
			s->count_left--;
			s->counts.items_returned++;
			s->rows_returned++;
			ExecClearTuple(slot);
			memset(slot->tts_isnull, true,
				   sizeof(bool) * slot->tts_tupleDescriptor->natts);
			return ExecStoreVirtualTuple(slot);
		}
		if (st && st->next_item < st->page.nitems)
		{
			int			n = st->next_item++;
			DynJson    *item;
			bool		others = false;

			/* keep the pages on their way moving while rows are read */
			if ((s->rows_returned & 63) == 63)
				dyn_async_progress(s->conn);

			ExecClearTuple(slot);
			memset(slot->tts_isnull, true,
				   sizeof(bool) * slot->tts_tupleDescriptor->natts);
			if (s->fast_rows &&
				dyn_item_fast_values(s->columns, s->ncolumns, &s->fast_map,
									 st->page.body + st->page.item_off[n],
									 st->page.item_len[n],
									 slot->tts_values, slot->tts_isnull, s->relname,
									 &others))
			{
				if (others && s->projection_optional)
					s->projecting = true;
				dyn_fill_page_numbers(s, slot);
				s->counts.items_returned++;
				s->rows_returned++;
				return ExecStoreVirtualTuple(slot);
			}
			memset(slot->tts_isnull, true,
				   sizeof(bool) * slot->tts_tupleDescriptor->natts);
			item = dyn_page_item(&st->page, n);
			for (int i = 0; i < s->ncolumns; i++)
			{
				DynColumn  *col = &s->columns[i];
				int			idx = col->attnum - 1;

				if (col->meta == DYN_META_ITEM)
				{
					slot->tts_values[idx] = dyn_whole_item_value(col, item);
					slot->tts_isnull[idx] = false;
				}
				else if (col->meta == DYN_META_PAGE_NUMBER)
					continue;	/* below */
				else if (col->meta == DYN_META_NEXT_TOKEN)
				{
					DynJson    *key = dyn_item_key_object(item, &s->ex.scope,
														  CurrentMemoryContext);

					slot->tts_values[idx] =
						InputFunctionCall(&col->input, dyn_token_encode(&s->ex.scope, key),
										  col->ioparam, col->typmod);
					slot->tts_isnull[idx] = false;
				}
				else
					slot->tts_values[idx] = dyn_item_value(col, item,
														   &slot->tts_isnull[idx],
														   s->relname);
			}
			dyn_fill_page_numbers(s, slot);
			s->counts.items_returned++;
			s->rows_returned++;
			return ExecStoreVirtualTuple(slot);
		}
		if (s->done || !dyn_next_page(s))
		{
			s->done = true;
			dyn_publish_counts(s);
			return ExecClearTuple(slot);
		}
	}
}

/* The page_number columns of a row. */
static void
dyn_fill_page_numbers(DynScanState *s, TupleTableSlot *slot)
{
	if (!s->page_numbers)
		return;
	for (int i = 0; i < s->ncolumns; i++)
	{
		DynColumn  *col = &s->columns[i];

		if (col->meta == DYN_META_PAGE_NUMBER)
		{
			char	   *text = psprintf("%d", s->page_number);

			slot->tts_values[col->attnum - 1] =
				InputFunctionCall(&col->input, text, col->ioparam, col->typmod);
			slot->tts_isnull[col->attnum - 1] = false;
		}
	}
}

/* Drop every stream's pages and requests on their way. */
static void
dyn_reset_streams(DynScanState *s)
{
	for (int i = 0; i < s->max_streams; i++)
	{
		DynStream  *st = &s->streams[i];

		if (st->async)
			dyn_async_cancel(st->async);
		MemoryContextReset(st->cxt[0]);
		MemoryContextReset(st->cxt[1]);
		st->inflight = false;
		st->started = false;
		st->exhausted = false;
		st->cur = 0;
		memset(&st->page, 0, sizeof(DynPage));
		st->next_item = 0;
		st->npages = 0;
	}
	s->current = -1;
}

void
dynomiteReScanForeignScan(ForeignScanState *node)
{
	DynScanState *s = (DynScanState *) node->fdw_state;

	dyn_reset_streams(s);
	s->count_left = 0;
	s->done = false;
	/* the values may have changed: evaluate them again */
	s->prepared = false;
}

void
dynomiteEndForeignScan(ForeignScanState *node)
{
	DynScanState *s = (DynScanState *) node->fdw_state;

	/* let the pages and handles go now rather than at the end of the query */
	if (s && s->handle_cxt)
	{
		dyn_reset_streams(s);
		MemoryContextDelete(s->handle_cxt);
		s->handle_cxt = NULL;
	}
}

/* ---------------------------------------------------------------------
 * Parallel scans
 * ---------------------------------------------------------------------
 */

/* to += add - sub */
static void
dyn_counts_add(DynScanCounts *to, const DynScanCounts *add, const DynScanCounts *sub)
{
	to->requests += add->requests - (sub ? sub->requests : 0);
	to->pages += add->pages - (sub ? sub->pages : 0);
	to->items_scanned += add->items_scanned - (sub ? sub->items_scanned : 0);
	to->items_returned += add->items_returned - (sub ? sub->items_returned : 0);
	to->retries += add->retries - (sub ? sub->retries : 0);
	to->throttles += add->throttles - (sub ? sub->throttles : 0);
	to->capacity += add->capacity - (sub ? sub->capacity : 0);
}

/* A worker's counts since it last did so, into its place in shared memory. */
static void
dyn_publish_counts(DynScanState *s)
{
	if (s->slot == NULL)
		return;
	SpinLockAcquire(&s->shared->mutex);
	dyn_counts_add(&s->slot->counts, &s->counts, &s->published);
	SpinLockRelease(&s->shared->mutex);
	s->published = s->counts;
}

Size
dynomiteEstimateDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt)
{
	return add_size(offsetof(DynParallelScan, workers),
					mul_size(sizeof(DynWorkerSlot), pcxt->nworkers));
}

/* The leader: nothing taken yet, a place for each worker to launch. */
void
dynomiteInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt,
								 void *coordinate)
{
	DynScanState *s = (DynScanState *) node->fdw_state;
	DynParallelScan *shared = (DynParallelScan *) coordinate;

	pg_atomic_init_u32(&shared->next, 0);
	SpinLockInit(&shared->mutex);
	shared->nworkers = pcxt->nworkers;
	memset(shared->workers, 0, sizeof(DynWorkerSlot) * pcxt->nworkers);
	s->shared = shared;
	if (s->workers == NULL || s->nworkers < pcxt->nworkers)
	{
		DynWorkerSlot *workers = MemoryContextAllocZero(GetMemoryChunkContext(s),
														sizeof(DynWorkerSlot) *
														Max(pcxt->nworkers, 1));

		if (s->workers)
			memcpy(workers, s->workers, sizeof(DynWorkerSlot) * s->nworkers);
		s->workers = workers;
		s->nworkers = pcxt->nworkers;
	}
}

/* A rescan: every segment or partition is there to take again. */
void
dynomiteReInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt,
								   void *coordinate)
{
	DynParallelScan *shared = (DynParallelScan *) coordinate;

	pg_atomic_write_u32(&shared->next, 0);
}

/* A worker: take segments or partitions from the leader's counter. */
void
dynomiteInitializeWorkerForeignScan(ForeignScanState *node, shm_toc *toc, void *coordinate)
{
	DynScanState *s = (DynScanState *) node->fdw_state;
	DynParallelScan *shared = (DynParallelScan *) coordinate;

	s->shared = shared;
	if (ParallelWorkerNumber >= 0 && ParallelWorkerNumber < shared->nworkers)
	{
		s->slot = &shared->workers[ParallelWorkerNumber];
		SpinLockAcquire(&shared->mutex);
		s->slot->attached = true;
		SpinLockRelease(&shared->mutex);
	}
}

/*
 * Before the shared memory goes: a worker adds what it has not yet, and the
 * leader takes the workers' counts into its own, for EXPLAIN ANALYZE and
 * the backend's statistics (a worker's own end with it).
 */
void
dynomiteShutdownForeignScan(ForeignScanState *node)
{
	DynScanState *s = (DynScanState *) node->fdw_state;
	DynParallelScan *shared;
	DynScanCounts taken;

	/* a scan turned into a direct modify has modify.c's state, and no DSM */
	if (s == NULL || ((ForeignScan *) node->ss.ps.plan)->operation != CMD_SELECT)
		return;
	shared = s->shared;
	if (shared == NULL)
		return;
	if (s->slot)
	{
		dyn_publish_counts(s);
		return;
	}
	memset(&taken, 0, sizeof(DynScanCounts));
	SpinLockAcquire(&shared->mutex);
	for (int i = 0; i < Min(shared->nworkers, s->nworkers); i++)
	{
		s->workers[i].attached |= shared->workers[i].attached;
		dyn_counts_add(&s->workers[i].counts, &shared->workers[i].counts, NULL);
		dyn_counts_add(&taken, &shared->workers[i].counts, NULL);
		memset(&shared->workers[i].counts, 0, sizeof(DynScanCounts));
	}
	SpinLockRelease(&shared->mutex);
	s->shared = NULL;
	/* the statistics of this backend count the reads made for it */
	dyn_stat_add_reads(s->opts, dyn_operation_name(s->plan->op), taken.pages,
					   taken.items_scanned, taken.capacity, taken.retries, taken.throttles);
}

/* ---------------------------------------------------------------------
 * EXPLAIN
 * ---------------------------------------------------------------------
 */
static char *
dyn_display_list(List *names)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, names)
		appendStringInfo(&buf, "%s%s", buf.len ? ", " : "",
						 quote_identifier((char *) lfirst(lc)));
	return buf.data;
}

/*
 * What a read budget, a capacity cap or the full-scan guard add, shown
 * only where one is set: the budget and where its bucket lives, the cap,
 * a Scan's capacity from the table's size, and whether the guard refuses.
 */
static void
dyn_explain_budget(DynScanState *s, ExplainState *es)
{
	DynPlan    *plan = s->plan;
	bool		guarded = !dyn_allow_full_scan || !s->opts->allow_full_scan;

	if (s->opts->read_capacity_per_second > 0)
		ExplainPropertyText("DynamoDB Read Budget",
							psprintf("%g units/s of the %s, %s", s->opts->read_capacity_per_second,
									 s->opts->budget_per_table ? "table" : "server",
									 dyn_budget_shared() ? "shared by all backends" :
									 "per backend"), es);
	if (dyn_max_read_capacity_per_query > 0)
		ExplainPropertyFloat("DynamoDB Read Capacity Cap", "units", dyn_max_read_capacity_per_query,
							 1, es);
	if (plan->full_scan_hint == NULL || plan->nothing ||
		(!guarded && !dyn_budget_active(s->opts)))
		return;
	if (plan->scan_capacity >= 0)
		ExplainPropertyFloat("DynamoDB Scan Capacity Estimate", "units", plan->scan_capacity,
							 1, es);
	else
		ExplainPropertyText("DynamoDB Scan Capacity Estimate", "unknown", es);
	if (dyn_full_scan_refused(plan, s->opts))
		ExplainPropertyText("DynamoDB Full Scan", "refused: allow_full_scan is off", es);
}

void
dynomiteExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	DynScanState *s = (DynScanState *) node->fdw_state;
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	DynPlan    *plan = s->plan;
	int			nvalues = list_length(fsplan->fdw_exprs);
	char	  **value_text = palloc0(sizeof(char *) * Max(nvalues, 1));
	List	   *context;
	ListCell   *lc;
	int			i = 0;

	context = set_deparse_context_plan(es->deparse_cxt, (Plan *) fsplan, NIL);
	foreach(lc, fsplan->fdw_exprs)
		value_text[i++] = deparse_expression(lfirst(lc), context, false, false);

	ExplainPropertyText("DynamoDB Operation", dyn_operation_name(plan->op), es);
	ExplainPropertyText("DynamoDB Table", s->base.table, es);
	if (plan->index)
		ExplainPropertyText("DynamoDB Index", plan->index, es);
	if (plan->key_conds)
		ExplainPropertyText(plan->op == DYN_OP_QUERY ? "DynamoDB Key Condition" : "DynamoDB Key",
							dyn_display_conditions(plan->key_conds, NIL, value_text), es);
	if (plan->filters)
		ExplainPropertyText("DynamoDB Filter",
							dyn_display_conditions(NIL, plan->filters, value_text), es);
	if (plan->start_token_idx >= 0)
		ExplainPropertyText("DynamoDB Start After", value_text[plan->start_token_idx], es);
	if (s->base.count_only)
		ExplainPropertyText("DynamoDB Select", "COUNT", es);
	else if (s->base.projection && s->projection_optional)
	{
		char	   *list = dyn_display_list(s->base.projection);

		if (!es->analyze)
			list = psprintf("%s (sent once items carry other attributes)", list);
		else if (s->projected_from == 0)
			list = psprintf("%s (not sent: items carried no other attributes)", list);
		else
			list = psprintf("%s (sent from request %ld)", list, s->projected_from);
		ExplainPropertyText("DynamoDB Projection", list, es);
	}
	else if (s->base.projection)
		ExplainPropertyText("DynamoDB Projection", dyn_display_list(s->base.projection), es);
	else
		ExplainPropertyText("DynamoDB Projection", "all attributes", es);
	if (plan->op == DYN_OP_QUERY)
		ExplainPropertyText("DynamoDB Direction", plan->forward ? "forward" : "backward", es);
	if (s->opts->page_size > 0 &&
		(plan->op == DYN_OP_SCAN || plan->op == DYN_OP_QUERY))
		ExplainPropertyInteger("DynamoDB Page Size", NULL, s->opts->page_size, es);
	if (s->total_segments > 1 && plan->op == DYN_OP_SCAN)
		ExplainPropertyInteger("DynamoDB Segments", NULL, s->total_segments, es);
	if (plan->parallel && plan->op == DYN_OP_SCAN)
		ExplainPropertyText("DynamoDB Parallel", "workers take segments", es);
	else if (plan->parallel)
		ExplainPropertyText("DynamoDB Parallel", "workers take partitions", es);
	if (s->max_streams > 1 && plan->op == DYN_OP_SCAN && plan->parallel)
		ExplainPropertyInteger("DynamoDB Segments Side By Side", NULL, s->max_streams, es);
	else if (s->max_streams > 1 && plan->op != DYN_OP_SCAN)
		ExplainPropertyInteger("DynamoDB Partitions Side By Side", NULL, s->max_streams, es);
	if (plan->bound > 0)
		ExplainPropertyInteger("DynamoDB Limit", NULL, plan->bound, es);
	if (es->verbose && s->first_request == NULL && !es->analyze &&
		bms_is_empty(fsplan->scan.plan.allParam))
	{
		/* no execution: build the first request if its values are known */
		const char *operation;

		dyn_prepare_execution(s, node->ss.ps.ps_ExprContext);
		if (!s->done)
			s->first_request = dyn_next_request(s, &s->streams[0], &operation);
	}
	if (es->verbose && s->first_request)
		ExplainPropertyText("DynamoDB Request", s->first_request, es);
	if (es->verbose && s->opts->credentials_description)
		ExplainPropertyText("DynamoDB Credentials", s->opts->credentials_description, es);
	else if (plan->nothing || (s->prepared && s->ex.nothing))
		ExplainPropertyText("DynamoDB Request", "none: no item can match", es);
	dyn_explain_budget(s, es);
	if (es->analyze)
	{
		DynScanCounts all = s->counts;

		/* the leader's and the workers' */
		for (int w = 0; w < s->nworkers; w++)
			dyn_counts_add(&all, &s->workers[w].counts, NULL);
		ExplainPropertyInteger("DynamoDB Requests", NULL, all.requests, es);
		ExplainPropertyInteger("DynamoDB Pages", NULL, all.pages, es);
		ExplainPropertyInteger("DynamoDB Items Scanned", NULL, all.items_scanned, es);
		ExplainPropertyInteger("DynamoDB Items Returned", NULL, all.items_returned, es);
		ExplainPropertyInteger("DynamoDB Retries", NULL, all.retries, es);
		ExplainPropertyFloat("DynamoDB Capacity Units", NULL, all.capacity, 1, es);
		if (dyn_budget_active(s->opts))
			ExplainPropertyInteger("DynamoDB Throttles", NULL, all.throttles, es);
		if (es->verbose && plan->parallel)
		{
			ExplainPropertyInteger("DynamoDB Leader Requests", NULL, s->counts.requests, es);
			ExplainPropertyInteger("DynamoDB Leader Items Returned", NULL,
								   s->counts.items_returned, es);
			for (int w = 0; w < s->nworkers; w++)
			{
				if (!s->workers[w].attached)
					continue;
				ExplainPropertyInteger(psprintf("DynamoDB Worker %d Requests", w), NULL,
									   s->workers[w].counts.requests, es);
				ExplainPropertyInteger(psprintf("DynamoDB Worker %d Items Returned", w), NULL,
									   s->workers[w].counts.items_returned, es);
			}
		}
	}
}
