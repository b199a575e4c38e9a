/*-------------------------------------------------------------------------
 * dynomite_fdw.c
 *		The foreign-data wrapper handler and module initialization.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>

#include "fmgr.h"
#include "foreign/fdwapi.h"
#include "utils/guc.h"

#include "dynomite_fdw.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(dynomite_fdw_handler);

/* Settings; the options of the same names are option.c's. */
bool		dyn_allow_full_scan = true;
double		dyn_max_read_capacity_per_query = 0;

static void
dyn_define_settings(void)
{
	DefineCustomBoolVariable("dynomite_fdw.allow_full_scan",
							 "Lets a query Scan the whole of a DynamoDB table.",
							 "When off, a query that would Scan a whole table or index is refused "
							 "when it runs; EXPLAIN still shows its plan.",
							 &dyn_allow_full_scan, true, PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomRealVariable("dynomite_fdw.max_read_capacity_per_query",
							 "The most read capacity units one statement may consume in DynamoDB.",
							 "0 sets no cap.",
							 &dyn_max_read_capacity_per_query, 0, 0, 1e12, PGC_USERSET, 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("dynomite_fdw");
}

void
_PG_init(void)
{
	/* once per process, before any handle exists */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not initialize libcurl")));
	dyn_define_settings();
	dyn_budget_shmem_init();
	dyn_join_init();
	dyn_paging_init();
	dyn_modify_init();
}

Datum
dynomite_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = dynomiteGetForeignRelSize;
	routine->GetForeignPaths = dynomiteGetForeignPaths;
	routine->GetForeignPlan = dynomiteGetForeignPlan;
	routine->BeginForeignScan = dynomiteBeginForeignScan;
	routine->IterateForeignScan = dynomiteIterateForeignScan;
	routine->ReScanForeignScan = dynomiteReScanForeignScan;
	routine->EndForeignScan = dynomiteEndForeignScan;
	routine->ExplainForeignScan = dynomiteExplainForeignScan;
	routine->IsForeignScanParallelSafe = dynomiteIsForeignScanParallelSafe;
	routine->EstimateDSMForeignScan = dynomiteEstimateDSMForeignScan;
	routine->InitializeDSMForeignScan = dynomiteInitializeDSMForeignScan;
	routine->ReInitializeDSMForeignScan = dynomiteReInitializeDSMForeignScan;
	routine->InitializeWorkerForeignScan = dynomiteInitializeWorkerForeignScan;
	routine->ShutdownForeignScan = dynomiteShutdownForeignScan;
	routine->ImportForeignSchema = dynomiteImportForeignSchema;
	routine->AnalyzeForeignTable = dynomiteAnalyzeForeignTable;
	dyn_modify_routines(routine);

	PG_RETURN_POINTER(routine);
}
