/*-------------------------------------------------------------------------
 * compat.h
 *		PG_VERSION_NUM shims, and nothing else.
 *
 * The .c files call these and never test the version themselves.  A shim
 * whose expansion needs a header only some versions have includes it here;
 * the others use what the file calling them includes.
 *-------------------------------------------------------------------------
 */
#ifndef DYNOMITE_COMPAT_H
#define DYNOMITE_COMPAT_H

#if PG_VERSION_NUM < 150000
#error "dynomite_fdw requires PostgreSQL 15 or later"
#endif

/* 16 moved checkAsUser from RangeTblEntry to RTEPermissionInfo */
#if PG_VERSION_NUM >= 160000
#include "parser/parse_relation.h"
#endif

/* 18 moved ExplainState and the ExplainProperty functions out of explain.h */
#if PG_VERSION_NUM >= 180000
#include "commands/explain_format.h"
#include "commands/explain_state.h"
#endif

/*
 * A function that does not return.  18 has pg_noreturn, written before the
 * declaration, in place of pg_attribute_noreturn() after it; before 18 the
 * latter is GCC's attribute (or nothing), which may stand in front as well.
 */
#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

/*
 * The user whose mapping planning uses for a base relation.  From 16 on
 * the planner keeps checkAsUser for FDWs in RelOptInfo.userid (child rels
 * take their parent's); before, it is on the range-table entry.
 */
#if PG_VERSION_NUM >= 160000
#define DYN_REL_USERID(root, rel) \
	(OidIsValid((rel)->userid) ? (rel)->userid : GetUserId())
#else
#define DYN_REL_USERID(root, rel) \
	(OidIsValid(planner_rt_fetch((rel)->relid, (root))->checkAsUser) ? \
	 planner_rt_fetch((rel)->relid, (root))->checkAsUser : GetUserId())
#endif

/* The user whose mapping a scan of this range-table entry uses. */
#if PG_VERSION_NUM >= 160000
#define DYN_SCAN_USERID(estate, fsplan) \
	((fsplan)->checkAsUser != InvalidOid ? (fsplan)->checkAsUser : GetUserId())
#else
#define DYN_SCAN_USERID(estate, fsplan) \
	(exec_rt_fetch((fsplan)->scan.scanrelid, (estate))->checkAsUser != InvalidOid ? \
	 exec_rt_fetch((fsplan)->scan.scanrelid, (estate))->checkAsUser : GetUserId())
#endif

/*
 * checkAsUser of a range-table entry at execution, for plans that have no
 * field of their own for it (a custom scan); InvalidOid: the current user.
 * From 16 on only entries with an RTEPermissionInfo have one.
 */
#if PG_VERSION_NUM >= 160000
#define DYN_RTE_CHECKASUSER(estate, rti) \
	(exec_rt_fetch((rti), (estate))->perminfoindex != 0 ? \
	 getRTEPermissionInfo((estate)->es_rteperminfos, \
						  exec_rt_fetch((rti), (estate)))->checkAsUser : \
	 InvalidOid)
#else
#define DYN_RTE_CHECKASUSER(estate, rti) \
	(exec_rt_fetch((rti), (estate))->checkAsUser)
#endif

/*
 * create_foreignscan_path() as 15 and 16 call it.  17 added the clauses a
 * path enforces (fdw_restrictinfo: a join's only, NIL for a base rel), and
 * 18 the disabled nodes below it (none: no enable_* setting disables a
 * foreign scan).
 */
#if PG_VERSION_NUM >= 180000
#define DYN_CREATE_FOREIGNSCAN_PATH(root, rel, target, rows, startup, total, \
									pathkeys, required_outer, outerpath, fdw_private) \
	create_foreignscan_path((root), (rel), (target), (rows), 0, (startup), (total), \
							(pathkeys), (required_outer), (outerpath), NIL, (fdw_private))
#elif PG_VERSION_NUM >= 170000
#define DYN_CREATE_FOREIGNSCAN_PATH(root, rel, target, rows, startup, total, \
									pathkeys, required_outer, outerpath, fdw_private) \
	create_foreignscan_path((root), (rel), (target), (rows), (startup), (total), \
							(pathkeys), (required_outer), (outerpath), NIL, (fdw_private))
#else
#define DYN_CREATE_FOREIGNSCAN_PATH(root, rel, target, rows, startup, total, \
									pathkeys, required_outer, outerpath, fdw_private) \
	create_foreignscan_path((root), (rel), (target), (rows), (startup), (total), \
							(pathkeys), (required_outer), (outerpath), (fdw_private))
#endif

/*
 * A path built by hand over a subpath inherits the subpath's disabled
 * nodes.  From 18 on a path counts them instead of carrying disable_cost,
 * which before 18 comes along in the subpath's cost.
 */
#if PG_VERSION_NUM >= 180000
#define DYN_INHERIT_DISABLED_NODES(path, subpath) \
	((path)->disabled_nodes = (subpath)->disabled_nodes)
#else
#define DYN_INHERIT_DISABLED_NODES(path, subpath) ((void) 0)
#endif

/*
 * Give a Var the outer-join nulling marks of another Var of the same
 * column.  From 16 on a Var says which outer joins null it
 * (varnullingrels); before, no Var does.
 */
#if PG_VERSION_NUM >= 160000
#define DYN_VAR_SET_NULLINGRELS(var, like) \
	((var)->varnullingrels = bms_copy((like)->varnullingrels))
#else
#define DYN_VAR_SET_NULLINGRELS(var, like) ((void) 0)
#endif

/* Whether a pathkey sorts ascending; 18 gives a CompareType, not a strategy */
#if PG_VERSION_NUM >= 180000
#define DYN_PATHKEY_ASCENDING(pathkey) ((pathkey)->pk_cmptype == COMPARE_LT)
#else
#define DYN_PATHKEY_ASCENDING(pathkey) \
	((pathkey)->pk_strategy == BTLessStrategyNumber)
#endif

/*
 * Whether a collation orders text by bytes.  18 dropped lc_collate_is_c();
 * the collation's locale says it, and InvalidOid has no locale.
 */
#if PG_VERSION_NUM >= 180000
#define DYN_COLLATE_IS_C(collid) \
	(OidIsValid(collid) && pg_newlocale_from_collation(collid)->collate_is_c)
#else
#define DYN_COLLATE_IS_C(collid) lc_collate_is_c(collid)
#endif

/* base64 of binary data; 18 types the binary side uint8, not char */
#if PG_VERSION_NUM >= 180000
#define DYN_B64_ENCODE(src, len, dst, dstlen) \
	pg_b64_encode((const uint8 *) (src), (len), (dst), (dstlen))
#define DYN_B64_DECODE(src, len, dst, dstlen) \
	pg_b64_decode((src), (len), (uint8 *) (dst), (dstlen))
#else
#define DYN_B64_ENCODE(src, len, dst, dstlen) \
	pg_b64_encode((const char *) (src), (len), (dst), (dstlen))
#define DYN_B64_DECODE(src, len, dst, dstlen) \
	pg_b64_decode((src), (len), (char *) (dst), (dstlen))
#endif

/*
 * Wait events while a request is in flight, between retries and while the
 * read budget paces: named ones
 * from 17 on, registered on first use; PG_WAIT_EXTENSION before.
 */
#include "utils/wait_event.h"
#if PG_VERSION_NUM >= 170000
static inline uint32
dyn_request_wait_event(void)
{
	static uint32 event = 0;

	if (event == 0)
		event = WaitEventExtensionNew("DynamoDBRequest");
	return event;
}
static inline uint32
dyn_backoff_wait_event(void)
{
	static uint32 event = 0;

	if (event == 0)
		event = WaitEventExtensionNew("DynamoDBRetryWait");
	return event;
}
static inline uint32
dyn_budget_wait_event(void)
{
	static uint32 event = 0;

	if (event == 0)
		event = WaitEventExtensionNew("DynamoDBBudgetWait");
	return event;
}
#else
#define dyn_request_wait_event()	PG_WAIT_EXTENSION
#define dyn_backoff_wait_event()	PG_WAIT_EXTENSION
#define dyn_budget_wait_event()		PG_WAIT_EXTENSION
#endif

/*
 * The columns an UPDATE of a result relation sets (offset by
 * FirstLowInvalidHeapAttributeNumber).  16 gives them whole; before, the
 * range-table entry has them with the generated columns apart.
 */
#if PG_VERSION_NUM >= 160000
#include "optimizer/inherit.h"
#define DYN_UPDATED_COLS(root, rti) \
	get_rel_all_updated_cols((root), find_base_rel((root), (rti)))
#else
#define DYN_UPDATED_COLS(root, rti) \
	bms_union(planner_rt_fetch((rti), (root))->updatedCols, \
			  planner_rt_fetch((rti), (root))->extraUpdatedCols)
#endif

#endif							/* DYNOMITE_COMPAT_H */
