/*-------------------------------------------------------------------------
 * paging.c
 *		The paging API in SQL: dynomite_pages(), dynomite_raw_pages() and
 *		dynomite_page(), each reading one DynamoDB page per row asked for.
 *
 * In a target list the functions return a row per call.  In FROM,
 * PostgreSQL would run a set-returning function to its end before the first
 * row; so a set_rel_pathlist_hook replaces the function scan of these three
 * with a custom scan that fetches a page only when the next row is wanted,
 * and SELECT * FROM dynomite_pages('posts') LIMIT 3 sends three requests.
 * The hook is in place from the first statement of a session: the
 * functions' planner support function loads this library while the
 * function's size is estimated, before its paths are made.
 *
 * The filter, start_at and next_token are conditions like any other: the
 * classifier (deparse.c) and chooser (access.c) of the foreign scan decide
 * the request, with the difference that DynamoDB decides alone (no row is
 * checked locally), and request.c renders it under DynamoDB's rules.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "dynomite_fdw.h"

#define DYN_MAX_PAGE_ITEMS	10000

typedef enum DynPagerKind
{
	DYN_PAGER_PAGES,			/* dynomite_pages */
	DYN_PAGER_RAW,				/* dynomite_raw_pages */
	DYN_PAGER_PAGE				/* dynomite_page */
} DynPagerKind;

typedef struct DynPager
{
	DynPagerKind kind;
	char	   *relname;
	DynOptions *opts;
	DynConnection *conn;
	DynColumn  *cols;			/* the foreign table's columns, or NULL for */
	int			ncols;			/* whole items (a meta 'item' column) */
	DynPlan    *plan;			/* the access, as the chooser made it */
	DynExecution ex;			/* its values, scope and start */
	DynRequest	req;			/* what every request shares */
	DynExpect	expect;			/* what its responses must be */
	DynKeyTrail trail;			/* the keys its pages ended with */
	DynJson    *start_key;
	int			page_size;		/* 0: DynamoDB's pages */

	MemoryContext cxt;			/* the pager's life */
	MemoryContext page_cxt;		/* the current page */
	DynPage		page;
	char	   *raw;			/* the response as DynamoDB sent it */
	bool		started;
	bool		done;
	int			page_number;
} DynPager;

PG_FUNCTION_INFO_V1(dynomite_paging_support);
PG_FUNCTION_INFO_V1(dynomite_pages);
PG_FUNCTION_INFO_V1(dynomite_raw_pages);
PG_FUNCTION_INFO_V1(dynomite_page);

/* ---------------------------------------------------------------------
 * The pager
 * ---------------------------------------------------------------------
 */

/*
 * Choose and begin the pager's access: its filter as conditions, the
 * start (next_token, or a plain start_at key) as where to begin.  Items
 * are wanted whole, and pages, so that tokens can be made.
 */
static void
dyn_pager_plan(DynPager *p, Oid relid, Oid userid, Relation rel, const char *filter,
			   const char *start_at, const char *next_token)
{
	DynRelInfo *ri = dyn_rel_info(relid, userid, true);
	const char *start = next_token ? next_token : start_at;
	List	   *clauses = NIL;
	DynAccess	acc;
	List	   *values;

	ri->wants_tokens = true;
	ri->whole_items = true;
	ri->exact = true;
	if (filter)
		clauses = dyn_classify_filter(relid, dyn_parse_filter(filter));
	dyn_choose_access(ri, clauses,
					  start ? (Expr *) makeConst(TEXTOID, -1, DEFAULT_COLLATION_OID, -1,
												 CStringGetTextDatum(start), false, false) :
					  NULL,
					  &acc);
	acc.plan.start_plain = start_at != NULL;
	values = dyn_plan_values(&acc.plan);
	dyn_plan_reading(&acc.plan, rel, ri->opts, DYN_READ_ITEMS | DYN_READ_TOKENS);
	p->plan = palloc(sizeof(DynPlan));
	*p->plan = acc.plan;
	dyn_refuse_full_scan(p->plan, p->opts);
	dyn_base_request(p->plan, p->opts, &p->req);
	p->req.capacity = true;		/* the pages report it, and budgets need it */
	dyn_execution_begin(&p->ex, p->plan, p->opts, dyn_const_params(values), true, true);
	p->start_key = p->ex.start_key;
	p->done = p->ex.nothing;
	dyn_plan_expect(p->plan, p->opts, &p->expect);
	dyn_key_trail_start(&p->trail, p->cxt, p->start_key);
}

/*
 * A pager of a foreign table for one call of a function: the checks of its
 * arguments and rights, the connection, the columns items are named by,
 * and the access the chooser gives its filter and start.
 */
static DynPager *
dyn_pager_open(DynPagerKind kind, Oid relid, const char *filter, const char *start_at,
			   const char *next_token, int page_size, MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "dynomite_fdw pager",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	DynPager   *p = palloc0(sizeof(DynPager));
	Oid			userid = GetUserId();
	FdwRoutine *routine;
	ForeignTable *ft;
	Relation	rel;
	AclResult	aclresult;

	p->kind = kind;
	p->cxt = cxt;
	p->page_cxt = AllocSetContextCreate(cxt, "dynomite_fdw pager page",
										ALLOCSET_DEFAULT_SIZES);

	if (get_rel_relkind(relid) != RELKIND_FOREIGN_TABLE ||
		(routine = GetFdwRoutineByRelId(relid)) == NULL ||
		routine->GetForeignPaths != dynomiteGetForeignPaths)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a dynomite_fdw foreign table", get_rel_name(relid))));
	aclresult = pg_class_aclcheck(relid, userid, ACL_SELECT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FOREIGN_TABLE, get_rel_name(relid));
	if (page_size < 0 || page_size > DYN_MAX_PAGE_ITEMS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("page_size must be between 1 and %d", DYN_MAX_PAGE_ITEMS)));
	if (start_at && next_token)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("start_at and next_token cannot both be given")));

	p->relname = get_rel_name(relid);
	p->opts = dyn_get_options(relid, userid, true);
	p->page_size = page_size > 0 ? page_size : p->opts->page_size;
	ft = GetForeignTable(relid);
	p->conn = dyn_get_connection(GetForeignServer(ft->serverid),
								 GetUserMapping(userid, ft->serverid), p->opts);

	rel = table_open(relid, AccessShareLock);
	p->cols = palloc0(sizeof(DynColumn) * Max(RelationGetDescr(rel)->natts, 1));
	for (int i = 1; i <= RelationGetDescr(rel)->natts; i++)
	{
		if (TupleDescAttr(RelationGetDescr(rel), i - 1)->attisdropped)
			continue;
		dyn_init_column(&p->cols[p->ncols++], rel, i);
		/* a table that shows whole items pages through whole items */
		if (p->cols[p->ncols - 1].meta == DYN_META_ITEM)
		{
			p->cols = NULL;
			p->ncols = 0;
			break;
		}
	}
	dyn_pager_plan(p, relid, userid, rel, filter, start_at, next_token);
	table_close(rel, AccessShareLock);

	MemoryContextSwitchTo(oldcxt);
	return p;
}

/* Fetch the next page with at most limit items (0: the pager's page size). */
static bool
dyn_pager_fetch(DynPager *p, int limit)
{
	MemoryContext oldcxt;
	DynRequest	req = p->req;
	DynJson    *start;
	char	   *body;
	DynResponse resp;

	CHECK_FOR_INTERRUPTS();
	if (p->done)
		return false;
	start = p->started ? p->page.last_key : p->start_key;
	if (p->started && start == NULL)
	{
		p->done = true;
		return false;
	}

	/* the request is built before the page that holds the start key goes */
	oldcxt = MemoryContextSwitchTo(p->cxt);
	req.limit = limit > 0 ? limit : p->page_size;
	(void) dyn_render_conditions(&p->ex, 0, &req);
	body = dyn_build_request(&req, start, false);
	if (p->started)
		MemoryContextReset(p->page_cxt);
	else
		p->start_key = NULL;
	MemoryContextSwitchTo(p->page_cxt);

	dyn_request(p->conn, p->opts, dyn_operation_name(p->plan->op), body, strlen(body), &resp);
	pfree(body);
	p->raw = resp.body.data;
	dyn_parse_page(resp.body.data, resp.body.len, &p->page, &p->expect, &p->trail,
				   p->page_cxt, NULL);
	MemoryContextSwitchTo(oldcxt);

	p->started = true;
	p->page_number++;
	return true;
}

static Datum
dyn_jsonb(const char *text)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(text));
}

/* The items of the current page as a JSON array, with the column names. */
static char *
dyn_pager_items(DynPager *p, int from, int to)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (int i = from; i < to; i++)
	{
		if (i > from)
			appendStringInfoChar(&buf, ',');
		dyn_append_item_json(&buf, dyn_page_item(&p->page, i), p->cols, p->ncols);
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/*
 * The next row of a pages function, or false at the end.  Values are made
 * in the current memory context.
 */
static bool
dyn_pager_row(DynPager *p, Datum *values, bool *nulls)
{
	if (!dyn_pager_fetch(p, 0))
		return false;

	if (p->kind == DYN_PAGER_RAW)
	{
		values[0] = Int32GetDatum(p->page_number);
		nulls[0] = false;
		values[1] = dyn_jsonb(p->raw);
		nulls[1] = false;
		values[2] = dyn_jsonb(dyn_pager_items(p, 0, p->page.nitems));
		nulls[2] = false;
		return true;
	}

	values[0] = Int32GetDatum(p->page_number);
	values[1] = dyn_jsonb(dyn_pager_items(p, 0, p->page.nitems));
	values[2] = Int32GetDatum(p->page.count);
	values[3] = Int32GetDatum(p->page.scanned_count);
	memset(nulls, false, sizeof(bool) * 7);
	if (p->page.last_key)
	{
		StringInfoData key;

		initStringInfo(&key);
		dyn_append_item_json(&key, p->page.last_key, NULL, 0);
		values[4] = dyn_jsonb(key.data);
		values[5] = CStringGetTextDatum(dyn_token_encode(&p->ex.scope, p->page.last_key));
	}
	else
		nulls[4] = nulls[5] = true;
	values[6] = Float8GetDatum(p->page.capacity);
	return true;
}

/*
 * dynomite_page: exactly page_size items, fewer only at the end, read one
 * item ahead so that next_token is NULL exactly when nothing follows.
 */
static void
dyn_pager_one_page(DynPager *p, Datum *values, bool *nulls)
{
	StringInfoData items;
	char	   *token = NULL;
	int			collected = 0;
	int			want = p->page_size;
	bool		more = false;

	initStringInfo(&items);
	appendStringInfoChar(&items, '[');
	while (!more && dyn_pager_fetch(p, want + 1 - collected))
	{
		for (int i = 0; i < p->page.nitems; i++)
		{
			DynJson    *item = dyn_page_item(&p->page, i);

			if (collected == want)
			{
				more = true;
				break;
			}
			if (collected > 0)
				appendStringInfoChar(&items, ',');
			dyn_append_item_json(&items, item, p->cols, p->ncols);
			if (++collected == want)
				token = dyn_token_encode(&p->ex.scope,
										 dyn_item_key_object(item, &p->ex.scope,
															 CurrentMemoryContext));
		}
	}
	appendStringInfoChar(&items, ']');

	values[0] = dyn_jsonb(items.data);
	nulls[0] = false;
	values[1] = (more && token) ? CStringGetTextDatum(token) : (Datum) 0;
	nulls[1] = !(more && token);
}

/* ---------------------------------------------------------------------
 * Arguments
 * ---------------------------------------------------------------------
 */
/*
 * A filter or start_at argument as JSON text for json-c.  json-c reads an
 * integer beyond 64 bits as the largest it holds, but keeps the text of a
 * number with a fraction: so such integers get ".0", and 1e200 stays
 * 1e200.  An argument that is not a flat object is passed as it is, for
 * the parser to refuse.
 */
static char *
dyn_jsonb_text(Datum d)
{
	Jsonb	   *jb = DatumGetJsonbP(d);
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	StringInfoData buf;

	if (!JB_ROOT_IS_OBJECT(jb))
		return DatumGetCString(DirectFunctionCall1(jsonb_out, d));
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	it = JsonbIteratorInit(&jb->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		char	   *num;

		if (tok == WJB_KEY)
		{
			appendStringInfoString(&buf, buf.len > 1 ? ", " : "");
			escape_json(&buf, pnstrdup(v.val.string.val, v.val.string.len));
			appendStringInfoString(&buf, ": ");
		}
		else if (tok != WJB_VALUE)
			continue;
		else if (v.type == jbvString)
			escape_json(&buf, pnstrdup(v.val.string.val, v.val.string.len));
		else if (v.type == jbvNumeric)
		{
			num = DatumGetCString(DirectFunctionCall1(numeric_out,
													  NumericGetDatum(v.val.numeric)));
			appendStringInfo(&buf, "%s%s", num,
							 strpbrk(num, ".eEN") == NULL && strlen(num) > 18 ? ".0" : "");
		}
		else if (v.type == jbvBool)
			appendStringInfoString(&buf, v.val.boolean ? "true" : "false");
		else if (v.type == jbvNull)
			appendStringInfoString(&buf, "null");
		else
			return DatumGetCString(DirectFunctionCall1(jsonb_out, d));
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* Open a pager from the functions' arguments, in their declared order. */
static DynPager *
dyn_pager_from_args(DynPagerKind kind, Datum *args, bool *argnulls, MemoryContext parent)
{
	if (argnulls[0])
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the foreign table must not be NULL")));
	if (kind == DYN_PAGER_PAGE)
		return dyn_pager_open(kind, DatumGetObjectId(args[0]),
							  argnulls[3] ? NULL : dyn_jsonb_text(args[3]),
							  NULL,
							  argnulls[1] ? NULL : TextDatumGetCString(args[1]),
							  argnulls[2] ? 25 : DatumGetInt32(args[2]) == 0 ? -1 :
							  DatumGetInt32(args[2]),
							  parent);
	return dyn_pager_open(kind, DatumGetObjectId(args[0]),
						  argnulls[1] ? NULL : dyn_jsonb_text(args[1]),
						  argnulls[2] ? NULL : dyn_jsonb_text(args[2]),
						  argnulls[3] ? NULL : TextDatumGetCString(args[3]),
						  argnulls[4] ? 0 : DatumGetInt32(args[4]) == 0 ? -1 :
						  DatumGetInt32(args[4]),
						  parent);
}

/* ---------------------------------------------------------------------
 * The functions, one row per call
 * ---------------------------------------------------------------------
 */
static Datum
dyn_pages_srf(FunctionCallInfo fcinfo, DynPagerKind kind)
{
	FuncCallContext *funcctx;
	DynPager   *p;
	Datum		values[7];
	bool		nulls[7];

	if (SRF_IS_FIRSTCALL())
	{
		TupleDesc	tupdesc;
		Datum		args[5];
		bool		argnulls[5];
		MemoryContext oldcxt;

		funcctx = SRF_FIRSTCALL_INIT();
		oldcxt = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
		if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "return type must be a row type");
		funcctx->tuple_desc = BlessTupleDesc(tupdesc);
		for (int i = 0; i < PG_NARGS() && i < 5; i++)
		{
			args[i] = PG_GETARG_DATUM(i);
			argnulls[i] = PG_ARGISNULL(i);
		}
		funcctx->user_fctx = dyn_pager_from_args(kind, args, argnulls,
												 funcctx->multi_call_memory_ctx);
		MemoryContextSwitchTo(oldcxt);
	}
	funcctx = SRF_PERCALL_SETUP();
	p = funcctx->user_fctx;

	if (kind == DYN_PAGER_PAGE)
	{
		if (funcctx->call_cntr > 0)
			SRF_RETURN_DONE(funcctx);
		dyn_pager_one_page(p, values, nulls);
	}
	else if (!dyn_pager_row(p, values, nulls))
		SRF_RETURN_DONE(funcctx);
	SRF_RETURN_NEXT(funcctx,
					HeapTupleGetDatum(heap_form_tuple(funcctx->tuple_desc, values, nulls)));
}

/*
 * The planner support function of the three functions.  It answers no
 * request (the declared ROWS stand); being called at all is its use: the
 * planner calls it while it estimates the function's size, which loads
 * this library, and so installs the hook that makes the FROM form lazy
 * before the function's paths are made, even as the first statement of a
 * session.
 */
Datum
dynomite_paging_support(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(NULL);
}

Datum
dynomite_pages(PG_FUNCTION_ARGS)
{
	return dyn_pages_srf(fcinfo, DYN_PAGER_PAGES);
}

Datum
dynomite_raw_pages(PG_FUNCTION_ARGS)
{
	return dyn_pages_srf(fcinfo, DYN_PAGER_RAW);
}

Datum
dynomite_page(PG_FUNCTION_ARGS)
{
	return dyn_pages_srf(fcinfo, DYN_PAGER_PAGE);
}

/* ---------------------------------------------------------------------
 * In FROM: a custom scan that fetches a page per row
 * ---------------------------------------------------------------------
 */
typedef struct DynPagesScanState
{
	CustomScanState css;
	DynPagerKind kind;
	List	   *args;			/* ExprState per argument */
	DynPager   *pager;
	bool		finished;
} DynPagesScanState;

static set_rel_pathlist_hook_type prev_rel_pathlist_hook = NULL;

static Plan *dyn_plan_pages(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
							List *tlist, List *clauses, List *custom_plans);
static Node *dyn_create_pages_state(CustomScan *cscan);
static void dyn_begin_pages(CustomScanState *node, EState *estate, int eflags);
static TupleTableSlot *dyn_exec_pages(CustomScanState *node);
static void dyn_end_pages(CustomScanState *node);
static void dyn_rescan_pages(CustomScanState *node);

static const CustomPathMethods dyn_pages_path_methods = {
	.CustomName = "DynamoDBPages",
	.PlanCustomPath = dyn_plan_pages,
};

static const CustomScanMethods dyn_pages_scan_methods = {
	.CustomName = "DynamoDBPages",
	.CreateCustomScanState = dyn_create_pages_state,
};

static const CustomExecMethods dyn_pages_exec_methods = {
	.CustomName = "DynamoDBPages",
	.BeginCustomScan = dyn_begin_pages,
	.ExecCustomScan = dyn_exec_pages,
	.EndCustomScan = dyn_end_pages,
	.ReScanCustomScan = dyn_rescan_pages,
};

/* Which of the three functions this is, if any. */
static bool
dyn_pager_function(Oid funcid, DynPagerKind *kind)
{
	HeapTuple	tuple = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcid));
	Form_pg_proc proc;
	bool		found = false;

	if (!HeapTupleIsValid(tuple))
		return false;
	proc = (Form_pg_proc) GETSTRUCT(tuple);
	if (proc->prolang == ClanguageId)
	{
		bool		isnull;
		Datum		src = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_prosrc, &isnull);
		Datum		bin = SysCacheGetAttr(PROCOID, tuple, Anum_pg_proc_probin, &isnull);
		char	   *prosrc = TextDatumGetCString(src);

		if (!isnull && strstr(TextDatumGetCString(bin), "dynomite_fdw") != NULL)
		{
			found = true;
			if (strcmp(prosrc, "dynomite_pages") == 0)
				*kind = DYN_PAGER_PAGES;
			else if (strcmp(prosrc, "dynomite_raw_pages") == 0)
				*kind = DYN_PAGER_RAW;
			else if (strcmp(prosrc, "dynomite_page") == 0)
				*kind = DYN_PAGER_PAGE;
			else
				found = false;
		}
	}
	ReleaseSysCache(tuple);
	return found;
}

/*
 * In FROM, one of the three functions alone: the custom scan's path, and
 * no other, so that pages are fetched as rows are wanted (PostgreSQL's
 * function scan would read every page before the first row).
 */
static void
dyn_rel_pathlist(PlannerInfo *root, RelOptInfo *rel, Index rti, RangeTblEntry *rte)
{
	RangeTblFunction *rtfunc;
	DynPagerKind kind;
	CustomPath *cp;

	if (prev_rel_pathlist_hook)
		prev_rel_pathlist_hook(root, rel, rti, rte);

	if (rte->rtekind != RTE_FUNCTION || list_length(rte->functions) != 1 ||
		rte->funcordinality || !bms_is_empty(rel->lateral_relids) ||
		rel->reloptkind != RELOPT_BASEREL)
		return;
	rtfunc = linitial(rte->functions);
	if (!IsA(rtfunc->funcexpr, FuncExpr) ||
		!dyn_pager_function(((FuncExpr *) rtfunc->funcexpr)->funcid, &kind))
		return;

	cp = makeNode(CustomPath);
	cp->path.pathtype = T_CustomScan;
	cp->path.parent = rel;
	cp->path.pathtarget = rel->reltarget;
	cp->path.rows = rel->rows;
	cp->path.startup_cost = 0;
	cp->path.total_cost = rel->rows * 0.01;
	cp->custom_private = list_make1(makeInteger(kind));
	cp->methods = &dyn_pages_path_methods;

	/* the function scan would read every page first: never take it */
	rel->pathlist = NIL;
	rel->partial_pathlist = NIL;
	add_path(rel, (Path *) cp);
}

/* The custom scan: the function's result columns, its arguments to evaluate. */
static Plan *
dyn_plan_pages(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path,
			   List *tlist, List *clauses, List *custom_plans)
{
	CustomScan *cscan = makeNode(CustomScan);
	RangeTblEntry *rte = planner_rt_fetch(rel->relid, root);
	FuncExpr   *fexpr = (FuncExpr *) ((RangeTblFunction *) linitial(rte->functions))->funcexpr;
	TupleDesc	tupdesc;
	List	   *scan_tlist = NIL;

	if (get_expr_result_type((Node *) fexpr, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	for (int i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		scan_tlist = lappend(scan_tlist,
							 makeTargetEntry((Expr *) makeVar(rel->relid, i + 1, att->atttypid,
															  att->atttypmod, att->attcollation, 0),
											 i + 1, NULL, false));
	}

	cscan->scan.plan.targetlist = tlist;
	cscan->scan.plan.qual = extract_actual_clauses(clauses, false);
	cscan->scan.scanrelid = 0;
	cscan->custom_scan_tlist = scan_tlist;
	cscan->custom_exprs = copyObject(fexpr->args);
	cscan->custom_private = best_path->custom_private;
	cscan->methods = &dyn_pages_scan_methods;
	return &cscan->scan.plan;
}

static Node *
dyn_create_pages_state(CustomScan *cscan)
{
	DynPagesScanState *ps = (DynPagesScanState *) newNode(sizeof(DynPagesScanState),
														  T_CustomScanState);

	ps->css.methods = &dyn_pages_exec_methods;
	ps->kind = intVal(linitial(cscan->custom_private));
	return (Node *) ps;
}

static void
dyn_begin_pages(CustomScanState *node, EState *estate, int eflags)
{
	DynPagesScanState *ps = (DynPagesScanState *) node;
	CustomScan *cscan = (CustomScan *) node->ss.ps.plan;

	ps->args = ExecInitExprList(cscan->custom_exprs, (PlanState *) node);
}

static TupleTableSlot *
dyn_pages_next(ScanState *ss)
{
	DynPagesScanState *ps = (DynPagesScanState *) ss;
	TupleTableSlot *slot = ss->ss_ScanTupleSlot;
	MemoryContext oldcxt;
	bool		more;

	ExecClearTuple(slot);
	if (ps->finished)
		return slot;
	if (ps->pager == NULL)
	{
		ExprContext *econtext = ss->ps.ps_ExprContext;
		Datum		args[5];
		bool		argnulls[5];
		ListCell   *lc;
		int			i = 0;

		foreach(lc, ps->args)
		{
			args[i] = ExecEvalExpr(lfirst(lc), econtext, &argnulls[i]);
			i++;
		}
		ps->pager = dyn_pager_from_args(ps->kind, args, argnulls,
										ss->ps.state->es_query_cxt);
	}

	/* a row's values live until the next row: ExecScan resets this context */
	oldcxt = MemoryContextSwitchTo(ss->ps.ps_ExprContext->ecxt_per_tuple_memory);
	if (ps->kind == DYN_PAGER_PAGE)
	{
		dyn_pager_one_page(ps->pager, slot->tts_values, slot->tts_isnull);
		ps->finished = true;
		more = true;
	}
	else
		more = dyn_pager_row(ps->pager, slot->tts_values, slot->tts_isnull);
	MemoryContextSwitchTo(oldcxt);
	if (!more)
	{
		ps->finished = true;
		return slot;
	}
	return ExecStoreVirtualTuple(slot);
}

static bool
dyn_pages_recheck(ScanState *ss, TupleTableSlot *slot)
{
	return true;
}

static TupleTableSlot *
dyn_exec_pages(CustomScanState *node)
{
	return ExecScan(&node->ss, dyn_pages_next, dyn_pages_recheck);
}

static void
dyn_end_pages(CustomScanState *node)
{
	DynPagesScanState *ps = (DynPagesScanState *) node;

	if (ps->pager)
		MemoryContextDelete(ps->pager->cxt);
	ps->pager = NULL;
}

static void
dyn_rescan_pages(CustomScanState *node)
{
	dyn_end_pages(node);
	((DynPagesScanState *) node)->finished = false;
}

void
dyn_paging_init(void)
{
	RegisterCustomScanMethods(&dyn_pages_scan_methods);
	prev_rel_pathlist_hook = set_rel_pathlist_hook;
	set_rel_pathlist_hook = dyn_rel_pathlist;
}
