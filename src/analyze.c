/*-------------------------------------------------------------------------
 * analyze.c
 *		ANALYZE of a foreign table: one Scan of the DynamoDB table, its
 *		items counted and a sample of them kept, so the planner knows the
 *		table's size and its columns' statistics where DynamoDB does not
 *		say (a new table's ItemCount is 0 for hours).
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/sampling.h"

#include "dynomite_fdw.h"

/* Reservoir sampling of the items as they come, as ANALYZE does for heaps. */
typedef struct DynSampler
{
	HeapTuple  *rows;
	int			targrows;
	int			numrows;
	double		samplerows;		/* items seen */
	double		rowstoskip;
	ReservoirStateData rstate;
} DynSampler;

static void
dyn_sample_add(DynSampler *sampler, HeapTuple tuple)
{
	if (sampler->numrows < sampler->targrows)
		sampler->rows[sampler->numrows++] = tuple;
	else
	{
		if (sampler->rowstoskip < 0)
			sampler->rowstoskip = reservoir_get_next_S(&sampler->rstate,
													   sampler->samplerows,
													   sampler->targrows);
		if (sampler->rowstoskip <= 0)
		{
			int			k = (int) (sampler->targrows *
								   sampler_random_fract(&sampler->rstate.randstate));

			heap_freetuple(sampler->rows[k]);
			sampler->rows[k] = tuple;
		}
		else
			heap_freetuple(tuple);
		sampler->rowstoskip -= 1;
	}
	sampler->samplerows += 1;
}

static int
dyn_acquire_sample_rows(Relation rel, int elevel, HeapTuple *rows, int targrows,
						double *totalrows, double *totaldeadrows)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	ForeignTable *ft = GetForeignTable(RelationGetRelid(rel));
	DynOptions *opts = dyn_get_options(RelationGetRelid(rel), GetUserId(), true);
	DynConnection *conn = dyn_get_connection(GetForeignServer(ft->serverid),
											 GetUserMapping(GetUserId(), ft->serverid),
											 opts);
	MemoryContext page_cxt = AllocSetContextCreate(CurrentMemoryContext,
												   "dynomite_fdw analyze page",
												   ALLOCSET_DEFAULT_SIZES);
	MemoryContext row_cxt = AllocSetContextCreate(CurrentMemoryContext,
												  "dynomite_fdw analyze row",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext outer = CurrentMemoryContext;
	DynColumn  *cols = palloc0(sizeof(DynColumn) * Max(tupdesc->natts, 1));
	Datum	   *values = palloc(sizeof(Datum) * Max(tupdesc->natts, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(tupdesc->natts, 1));
	DynSampler	sampler = {rows, targrows, 0, 0, -1};
	DynRequest	req = {0};
	DynExpect	expect = {DYN_OP_SCAN, opts->table, 0};
	DynKeyTrail trail;
	DynJson    *start = NULL;
	char	   *body = NULL;
	int			ncols = 0;
	bool		whole_items = false;
	DynFastMap	fast_map;

	reservoir_init_selection_state(&sampler.rstate, targrows);

	for (int i = 1; i <= tupdesc->natts; i++)
	{
		if (TupleDescAttr(tupdesc, i - 1)->attisdropped)
			continue;
		dyn_init_column(&cols[ncols], rel, i);
		if (cols[ncols].meta == DYN_META_ITEM)
			whole_items = true;
		else if (cols[ncols].meta == DYN_META_NONE)
			req.projection = lappend(req.projection, cols[ncols].attname);
		ncols++;
	}
	dyn_fast_map_init(&fast_map, cols, ncols);
	req.op = DYN_OP_SCAN;
	req.table = opts->table;
	req.limit = opts->page_size;
	req.capacity = dyn_budget_active(opts);
	expect.account = dyn_account_page;
	expect.account_arg = opts;
	if (whole_items)
		req.projection = NIL;
	dyn_add_projection_names(&req, req.projection);
	dyn_key_trail_start(&trail, outer, NULL);

	do
	{
		DynResponse resp;
		DynPage		page;

		CHECK_FOR_INTERRUPTS();
		/* the request from the page before, which then goes */
		MemoryContextSwitchTo(outer);
		if (body)
			pfree(body);
		body = dyn_build_request(&req, start, false);
		MemoryContextReset(page_cxt);
		MemoryContextSwitchTo(page_cxt);
		dyn_request(conn, opts, "Scan", body, strlen(body), &resp);
		dyn_parse_page(resp.body.data, resp.body.len, &page, &expect, &trail, page_cxt, NULL);

		for (int n = 0; n < page.nitems; n++)
		{
			HeapTuple	tuple;

			MemoryContextReset(row_cxt);
			MemoryContextSwitchTo(row_cxt);
			memset(nulls, true, sizeof(bool) * tupdesc->natts);
			if (whole_items ||
				!dyn_item_fast_values(cols, ncols, &fast_map, page.body + page.item_off[n],
									  page.item_len[n], values, nulls,
									  RelationGetRelationName(rel), NULL))
			{
				DynJson    *item = dyn_page_item(&page, n);

				memset(nulls, true, sizeof(bool) * tupdesc->natts);
				for (int c = 0; c < ncols; c++)
				{
					int			idx = cols[c].attnum - 1;

					if (cols[c].meta == DYN_META_ITEM)
					{
						values[idx] = dyn_whole_item_value(&cols[c], item);
						nulls[idx] = false;
					}
					else if (cols[c].meta == DYN_META_NONE)
						values[idx] = dyn_item_value(&cols[c], item, &nulls[idx],
													 RelationGetRelationName(rel));
				}
			}
			MemoryContextSwitchTo(outer);
			tuple = heap_form_tuple(tupdesc, values, nulls);
			dyn_sample_add(&sampler, tuple);
		}
		MemoryContextSwitchTo(outer);
		/* the start key outlives its page: a copy, kept by the outer context */
		start = page.last_key ? dyn_json_copy(page.last_key, outer) : NULL;
	} while (start != NULL);

	MemoryContextDelete(page_cxt);
	MemoryContextDelete(row_cxt);

	*totalrows = sampler.samplerows;
	*totaldeadrows = 0;
	ereport(elevel,
			(errmsg("\"%s\": DynamoDB table \"%s\" holds %.0f items, %d in the sample",
					RelationGetRelationName(rel), opts->table,
					sampler.samplerows, sampler.numrows)));
	return sampler.numrows;
}

bool
dynomiteAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func,
							BlockNumber *totalpages)
{
	*func = dyn_acquire_sample_rows;
	*totalpages = 1;
	return true;
}
