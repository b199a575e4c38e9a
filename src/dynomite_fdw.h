/*-------------------------------------------------------------------------
 * dynomite_fdw.h
 *		Shared structures of dynomite_fdw; externs grouped by the file that
 *		defines them.
 *
 * This header holds PostgreSQL types only.  Code that needs json-c sees
 * DynamoDB JSON through the opaque DynJson pointer, so that json-c's
 * "json_object" never meets PostgreSQL's json_object() in one unit.
 *-------------------------------------------------------------------------
 */
#ifndef DYNOMITE_FDW_H
#define DYNOMITE_FDW_H

#include "postgres.h"

#include "commands/explain.h"
#include "fmgr.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "nodes/pg_list.h"
#include "nodes/plannodes.h"
#include "utils/relcache.h"

#include "compat.h"

/* a json-c object, seen from files that must not include json-c */
typedef struct json_object DynJson;

/* ---- option.c ---- */

/* Every option of a foreign table, merged from server, mapping and table. */
typedef struct DynOptions
{
	/* server */
	char	   *region;
	char	   *endpoint;		/* full URL, never NULL once merged */
	int			connect_timeout_ms;
	int			request_timeout_ms;
	int			max_retries;
	/* user mapping (or the superuser's environment) */
	char	   *access_key_id;
	char	   *secret_access_key;
	char	   *session_token;
	/* table */
	char	   *table;			/* DynamoDB table name */
	int			page_size;		/* 0: no Limit, DynamoDB's 1 MB pages */
	bool		consistent_read;
} DynOptions;

extern DynOptions *dyn_get_options(Oid foreigntableid, Oid userid, bool credentials);
extern DynOptions *dyn_get_server_options(ForeignServer *server, UserMapping *user,
										  bool credentials);
extern char *dyn_column_attribute(Oid relid, AttrNumber attnum);

/* ---- connection.c ---- */

/* A DynamoDB response kept in the caller's memory context. */
typedef struct DynResponse
{
	long		status;
	StringInfoData body;
	int			retries;		/* how many times the request was retried */
} DynResponse;

typedef struct DynConnection DynConnection;

extern DynConnection *dyn_get_connection(ForeignServer *server, UserMapping *user,
										 DynOptions *opts);
extern void dyn_request(DynConnection *conn, DynOptions *opts, const char *operation,
						const char *payload, size_t payload_len, DynResponse *resp);

/* ---- dynamo_api.c ---- */

/* What a caller learns from a DynamoDB error body. */
typedef struct DynError
{
	char	   *type;			/* "ResourceNotFoundException", never NULL */
	char	   *message;		/* may be NULL */
} DynError;

extern void dyn_parse_error(const char *body, size_t len, DynError *err);
extern bool dyn_error_is_retryable(long status, const DynError *err);
extern void dyn_report_error(const char *operation, const DynOptions *opts,
							 long status, const DynError *err) pg_attribute_noreturn();

/* One page of a Scan, as the scan loop sees it. */
typedef struct DynPage
{
	DynJson    *root;			/* the parsed response; owns the items */
	DynJson    *items;			/* its Items array, or NULL */
	int			nitems;
	int			count;			/* Count: items matched (Select=COUNT) */
	int			scanned_count;
	DynJson    *last_key;		/* LastEvaluatedKey inside root, or NULL */
} DynPage;

/* What a Scan request asks for. */
typedef struct DynScanRequest
{
	const char *table;
	List	   *attributes;		/* DynamoDB attribute names (char *) to project */
	bool		count_only;		/* Select=COUNT: no items, only counts */
	int			limit;			/* 0: none */
	bool		consistent_read;
} DynScanRequest;

extern char *dyn_build_scan_request(const DynScanRequest *req, DynJson *start_key,
									bool pretty);
extern void dyn_parse_page(const char *body, size_t len, DynPage *page,
						   MemoryContext owner);
extern DynJson *dyn_page_item(const DynPage *page, int index);

/* ---- convert.c ---- */

typedef enum DynColumnKind
{
	DYN_COL_SCALAR,				/* S and N through the type's input function */
	DYN_COL_TEXT,				/* text-like: M, L and sets as JSON text too */
	DYN_COL_BYTEA,
	DYN_COL_BOOL,
	DYN_COL_JSON,				/* json or jsonb: any value as plain JSON */
	DYN_COL_ARRAY				/* sets and lists, element by element */
} DynColumnKind;

/* How to turn an attribute into the value of one column; set up by scan.c. */
typedef struct DynColumn
{
	AttrNumber	attnum;
	char	   *colname;
	char	   *attname;		/* DynamoDB attribute name */
	DynColumnKind kind;
	char	   *typname;
	int32		typmod;
	FmgrInfo	input;			/* input function of the type, or of the
								 * element type of an array column */
	Oid			ioparam;
	/* array columns only */
	DynColumnKind elemkind;
	Oid			elemtype;
	char	   *elemtypname;
	int16		elemlen;
	bool		elembyval;
	char		elemalign;
} DynColumn;

extern Datum dyn_convert_value(DynColumn *col, DynJson *value, bool *isnull);
extern Datum dyn_item_value(DynColumn *col, DynJson *item, bool *isnull,
							const char *relname);

/* ---- dynomite_fdw.c ---- */
extern void _PG_init(void);

/* ---- planner.c ---- */
extern void dynomiteGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
									  Oid foreigntableid);
extern void dynomiteGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
									Oid foreigntableid);
extern ForeignScan *dynomiteGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
										   Oid foreigntableid, ForeignPath *best_path,
										   List *tlist, List *scan_clauses,
										   Plan *outer_plan);
extern void dynomiteExplainForeignScan(ForeignScanState *node, ExplainState *es);

/* ---- scan.c ---- */
extern void dynomiteBeginForeignScan(ForeignScanState *node, int eflags);
extern TupleTableSlot *dynomiteIterateForeignScan(ForeignScanState *node);
extern void dynomiteReScanForeignScan(ForeignScanState *node);
extern void dynomiteEndForeignScan(ForeignScanState *node);

/*
 * fdw_private of a ForeignScan: a List indexed by this enum.
 */
enum DynScanPrivate
{
	DynPrivRetrievedAttrs,		/* Integer list of attnums the scan returns */
	DynPrivCountOnly			/* Boolean: no column is needed */
};

#endif							/* DYNOMITE_FDW_H */
