/*-------------------------------------------------------------------------
 * dynomite_fdw.c
 *		The foreign-data wrapper handler and module initialization.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>

#include "fmgr.h"
#include "foreign/fdwapi.h"

#include "dynomite_fdw.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(dynomite_fdw_handler);

void
_PG_init(void)
{
	/* once per process, before any handle exists */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not initialize libcurl")));
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
	routine->ImportForeignSchema = dynomiteImportForeignSchema;
	routine->AnalyzeForeignTable = dynomiteAnalyzeForeignTable;
	dyn_modify_routines(routine);

	PG_RETURN_POINTER(routine);
}
