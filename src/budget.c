/*-------------------------------------------------------------------------
 * budget.c
 *		What reading DynamoDB costs: the read budget (a token bucket of
 *		capacity units a second that paces read requests), the cap on the
 *		capacity one statement may spend, and the statistics of each foreign
 *		table (dynomite_stat_tables, dynomite_stat_reset).
 *
 * connection.c asks dyn_budget_wait_ms before it sends a read and tells
 * dyn_stat_request how each request ended; the page parser tells
 * dyn_account_page what each page read and cost (DynExpect.account).
 *
 * The bucket banks no credit: a request waits until the capacity of the
 * reads before it is paid for at the budget's rate, counted from when the
 * last of them was sent (its flight overlaps the wait it pays for), so
 * requests are spaced by their capacity / rate and a read of C units takes
 * at least (C - its last page's) / rate.  Over any stretch of a read the
 * capacity consumed stays under the budget, by at most the requests in
 * flight at once.  Buckets live in shared memory, one per
 * server or foreign table for every backend, when the library is loaded
 * through shared_preload_libraries; else each backend has its own.
 * Statistics are per backend.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "dynomite_fdw.h"

#define DYN_SHARED_BUCKETS		256

/* A budget's bucket: a server's, or a foreign table's own. */
typedef struct DynBucketKey
{
	Oid			serverid;
	Oid			relid;			/* InvalidOid: the server's budget */
} DynBucketKey;

typedef struct DynBucket
{
	DynBucketKey key;
	TimestampTz next_free;		/* when the capacity charged is paid for */
	TimestampTz last_send;		/* when the last request went */
} DynBucket;

typedef struct DynBudgetShared
{
	slock_t		mutex;
	int			nbuckets;
	DynBucket	buckets[DYN_SHARED_BUCKETS];
} DynBudgetShared;

static DynBudgetShared *BudgetShared = NULL;
static HTAB *LocalBuckets = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* What one statement has spent, for dynomite_fdw.max_read_capacity_per_query. */
static TimestampTz StatementStart = 0;
static double StatementCapacity = 0;

/* ---------------------------------------------------------------------
 * Statistics
 * ---------------------------------------------------------------------
 */
typedef struct DynTableStat
{
	Oid			relid;			/* hash key */
	int64		scans;
	int64		queries;
	int64		gets;
	int64		batch_gets;
	int64		writes;
	int64		items;
	double		capacity;
	int64		throttles;
	int64		retries;
	int64		errors;
	int64		budget_waits;
	double		budget_wait_ms;
} DynTableStat;

static HTAB *TableStats = NULL;

/* A hash table of fixed-size keys that lives as long as the backend. */
static HTAB *
dyn_backend_hash(const char *name, long nelem, Size keysize, Size entrysize)
{
	HASHCTL		ctl;

	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = TopMemoryContext;
	return hash_create(name, nelem, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static DynTableStat *
dyn_table_stat(Oid relid)
{
	DynTableStat *st;
	bool		found;

	if (!OidIsValid(relid))
		return NULL;
	if (TableStats == NULL)
		TableStats = dyn_backend_hash("dynomite_fdw table statistics", 16,
									  sizeof(Oid), sizeof(DynTableStat));
	st = hash_search(TableStats, &relid, HASH_ENTER, &found);
	if (!found)
	{
		memset(st, 0, sizeof(DynTableStat));
		st->relid = relid;
	}
	return st;
}

/*
 * A request of a foreign table's has ended, after retries of which
 * throttles were throttled; failed: with an error.
 */
void
dyn_stat_request(const DynOptions *opts, const char *operation, int retries,
				 int throttles, bool failed)
{
	DynTableStat *st = dyn_table_stat(opts->relid);

	if (st == NULL)
		return;
	if (strcmp(operation, "Scan") == 0)
		st->scans++;
	else if (strcmp(operation, "Query") == 0)
		st->queries++;
	else if (strcmp(operation, "GetItem") == 0)
		st->gets++;
	else if (strcmp(operation, "BatchGetItem") == 0)
		st->batch_gets++;
	else if (strcmp(operation, "DescribeTable") == 0 ||
			 strcmp(operation, "ListTables") == 0)
		return;					/* the catalog's, not the table's */
	else
		st->writes++;
	st->retries += retries;
	st->throttles += throttles;
	if (failed)
		st->errors++;
}

/*
 * Reads another backend made for this one (the workers of a parallel scan,
 * their counts taken by the leader): requests, each counted once, the
 * items DynamoDB read and the capacity, retries and throttles.
 */
void
dyn_stat_add_reads(const DynOptions *opts, const char *operation, long requests, long items,
				   double capacity, long retries, long throttles)
{
	DynTableStat *st = dyn_table_stat(opts->relid);

	if (st == NULL)
		return;
	if (strcmp(operation, "Scan") == 0)
		st->scans += requests;
	else if (strcmp(operation, "Query") == 0)
		st->queries += requests;
	st->items += items;
	st->capacity += capacity;
	st->retries += retries;
	st->throttles += throttles;
}

PG_FUNCTION_INFO_V1(dynomite_stat_tables);
PG_FUNCTION_INFO_V1(dynomite_stat_reset);

/* This backend's statistics, a row per foreign table read since the reset. */
Datum
dynomite_stat_tables(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HASH_SEQ_STATUS scan;
	DynTableStat *st;

	InitMaterializedSRF(fcinfo, 0);
	if (TableStats == NULL)
		return (Datum) 0;
	hash_seq_init(&scan, TableStats);
	while ((st = hash_seq_search(&scan)) != NULL)
	{
		Datum		values[13];
		bool		nulls[13] = {0};

		values[0] = ObjectIdGetDatum(st->relid);
		values[1] = Int64GetDatum(st->scans);
		values[2] = Int64GetDatum(st->queries);
		values[3] = Int64GetDatum(st->gets);
		values[4] = Int64GetDatum(st->batch_gets);
		values[5] = Int64GetDatum(st->writes);
		values[6] = Int64GetDatum(st->items);
		values[7] = Float8GetDatum(st->capacity);
		values[8] = Int64GetDatum(st->throttles);
		values[9] = Int64GetDatum(st->retries);
		values[10] = Int64GetDatum(st->errors);
		values[11] = Int64GetDatum(st->budget_waits);
		values[12] = Float8GetDatum(st->budget_wait_ms);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* Forget this backend's statistics: of one foreign table, or (NULL) all. */
Datum
dynomite_stat_reset(PG_FUNCTION_ARGS)
{
	if (TableStats == NULL)
		PG_RETURN_VOID();
	if (PG_ARGISNULL(0))
	{
		hash_destroy(TableStats);
		TableStats = NULL;
	}
	else
	{
		Oid			relid = PG_GETARG_OID(0);

		(void) hash_search(TableStats, &relid, HASH_REMOVE, NULL);
	}
	PG_RETURN_VOID();
}

/* ---------------------------------------------------------------------
 * Buckets
 * ---------------------------------------------------------------------
 */
static void
dyn_budget_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(DynBudgetShared)));
}

static void
dyn_budget_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	BudgetShared = ShmemInitStruct("dynomite_fdw read budgets", sizeof(DynBudgetShared),
								   &found);
	if (!found)
	{
		SpinLockInit(&BudgetShared->mutex);
		BudgetShared->nbuckets = 0;
	}
	LWLockRelease(AddinShmemInitLock);
}

/* From _PG_init: buckets in shared memory when preloaded. */
void
dyn_budget_shmem_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = dyn_budget_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = dyn_budget_shmem_startup;
}

/* Whether budgets are shared by every backend, for EXPLAIN. */
bool
dyn_budget_shared(void)
{
	return BudgetShared != NULL;
}

/* Whether requests must ask for ConsumedCapacity: a budget or a cap. */
bool
dyn_budget_active(const DynOptions *opts)
{
	return opts->read_capacity_per_second > 0 || dyn_max_read_capacity_per_query > 0;
}

/* Whether the operation reads a table, and so is paced. */
bool
dyn_budget_paced(const char *operation)
{
	return strcmp(operation, "Scan") == 0 || strcmp(operation, "Query") == 0 ||
		strcmp(operation, "GetItem") == 0 || strcmp(operation, "BatchGetItem") == 0;
}

/*
 * Step a bucket: with charge 0, a request that wants to go now (go: it
 * goes if the capacity before it is paid for, and is the last sent);
 * else charge units consumed at rate.  Returns the microseconds still
 * owed.
 */
static int64
dyn_bucket_step(DynBucket *b, double rate, double charge, TimestampTz now)
{
	if (charge > 0)
	{
		b->next_free = Max(b->next_free, b->last_send) +
			(TimestampTz) (charge / rate * USECS_PER_SEC);
		return Max(0, b->next_free - now);
	}
	if (now >= b->next_free)
	{
		b->last_send = now;
		return 0;
	}
	return b->next_free - now;
}

/*
 * Step the bucket of the options' budget (see dyn_bucket_step): in shared
 * memory when there is room there, else this backend's.
 */
static int64
dyn_bucket_take(const DynOptions *opts, double charge)
{
	DynBucketKey key;
	TimestampTz now = GetCurrentTimestamp();
	double		rate = opts->read_capacity_per_second;
	DynBucket  *b = NULL;
	bool		found;

	memset(&key, 0, sizeof(key));
	key.serverid = opts->serverid;
	key.relid = opts->budget_per_table ? opts->relid : InvalidOid;

	if (BudgetShared)
	{
		int64		owed = 0;

		found = false;
		SpinLockAcquire(&BudgetShared->mutex);
		for (int i = 0; i < BudgetShared->nbuckets && !found; i++)
		{
			b = &BudgetShared->buckets[i];
			if (b->key.serverid == key.serverid && b->key.relid == key.relid)
				found = true;
		}
		if (!found && BudgetShared->nbuckets < DYN_SHARED_BUCKETS)
		{
			b = &BudgetShared->buckets[BudgetShared->nbuckets++];
			b->key = key;
			b->next_free = 0;
			b->last_send = 0;
			found = true;
		}
		if (found)
			owed = dyn_bucket_step(b, rate, charge, now);
		SpinLockRelease(&BudgetShared->mutex);
		if (found)
			return owed;
		/* no room left in shared memory: this backend's own bucket */
	}

	if (LocalBuckets == NULL)
		LocalBuckets = dyn_backend_hash("dynomite_fdw read budgets", 8,
										sizeof(DynBucketKey), sizeof(DynBucket));
	b = hash_search(LocalBuckets, &key, HASH_ENTER, &found);
	if (!found)
	{
		b->next_free = 0;
		b->last_send = 0;
	}
	return dyn_bucket_step(b, rate, charge, now);
}

/*
 * Before a read is sent: how long, in milliseconds, until the capacity of
 * the reads before it is paid for at the budget's rate; 0 when it may go
 * (and then it counts as sent).
 * connection.c waits, moving transfers in flight on meanwhile, and asks
 * again.
 */
long
dyn_budget_wait_ms(const DynOptions *opts, const char *operation)
{
	int64		owed;

	if (opts->read_capacity_per_second <= 0 || !dyn_budget_paced(operation))
		return 0;
	owed = dyn_bucket_take(opts, 0);
	return owed <= 0 ? 0 : Max(1, (long) ((owed + 999) / 1000));
}

/* A read waited ms for the budget. */
void
dyn_budget_waited(const DynOptions *opts, double ms)
{
	DynTableStat *st = dyn_table_stat(opts->relid);

	if (st)
	{
		st->budget_waits++;
		st->budget_wait_ms += ms;
	}
}

/*
 * A page has been read (DynExpect.account; arg is the reader's options):
 * count its items and capacity, charge the budget, and stop the statement
 * once it has spent more than dynomite_fdw.max_read_capacity_per_query.
 */
void
dyn_account_page(const void *arg, const DynPage *page)
{
	const DynOptions *opts = (const DynOptions *) arg;
	DynTableStat *st = dyn_table_stat(opts->relid);
	bool		scanned = strcmp(page->operation, "Scan") == 0 ||
		strcmp(page->operation, "Query") == 0;

	if (st)
	{
		st->items += scanned ? page->scanned_count : page->nitems;
		st->capacity += page->capacity;
	}
	if (page->capacity <= 0)
		return;
	if (opts->read_capacity_per_second > 0)
		(void) dyn_bucket_take(opts, page->capacity);

	if (GetCurrentStatementStartTimestamp() != StatementStart)
	{
		StatementStart = GetCurrentStatementStartTimestamp();
		StatementCapacity = 0;
	}
	StatementCapacity += page->capacity;
	if (dyn_max_read_capacity_per_query > 0 &&
		StatementCapacity > dyn_max_read_capacity_per_query)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("read capacity of the statement exceeds dynomite_fdw.max_read_capacity_per_query (%g units)",
						dyn_max_read_capacity_per_query),
				 errdetail("The statement has consumed %g read capacity units, the last %g by a %s of DynamoDB table \"%s\".",
						   StatementCapacity, page->capacity, page->operation,
						   opts->table),
				 errhint("Raise dynomite_fdw.max_read_capacity_per_query, or give conditions on the table's keys that make the read a Query or GetItem.")));
}
