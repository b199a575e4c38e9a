/*-------------------------------------------------------------------------
 * metadata.c
 *		What DynamoDB says about its tables: DescribeTable, cached for the
 *		life of the backend and dropped when a server or foreign table
 *		changes; and IMPORT FOREIGN SCHEMA from ListTables.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_foreign_table.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "dynomite_fdw.h"

#define DYN_TABLE_NAME_MAX	256

typedef struct DynTableCacheKey
{
	Oid			serverid;
	char		table[DYN_TABLE_NAME_MAX];
} DynTableCacheKey;

typedef struct DynTableCacheEntry
{
	DynTableCacheKey key;
	DynTableInfo *info;
} DynTableCacheEntry;

static HTAB *TableCache = NULL;
static MemoryContext TableCacheContext = NULL;
static bool TableCacheStale = false;

/* A changed server or foreign table may name another table or endpoint. */
static void
dyn_table_cache_inval(Datum arg, int cacheid, uint32 hashvalue)
{
	TableCacheStale = true;
}

static void
dyn_table_cache_init(void)
{
	HASHCTL		ctl;

	if (TableCacheContext == NULL)
	{
		TableCacheContext = AllocSetContextCreate(CacheMemoryContext,
												  "dynomite_fdw table descriptions",
												  ALLOCSET_SMALL_SIZES);
		CacheRegisterSyscacheCallback(FOREIGNSERVEROID, dyn_table_cache_inval, (Datum) 0);
		CacheRegisterSyscacheCallback(FOREIGNTABLEREL, dyn_table_cache_inval, (Datum) 0);
	}
	else
		MemoryContextReset(TableCacheContext);

	ctl.keysize = sizeof(DynTableCacheKey);
	ctl.entrysize = sizeof(DynTableCacheEntry);
	ctl.hcxt = TableCacheContext;
	TableCache = hash_create("dynomite_fdw table descriptions", 16, &ctl,
							 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	TableCacheStale = false;
}

static DynKeySchema
dyn_copy_key(const DynKeySchema *key)
{
	DynKeySchema copy = *key;

	copy.hash = pstrdup(key->hash);
	copy.range = key->range ? pstrdup(key->range) : NULL;
	return copy;
}

/* A deep copy in the current context: the cache may be reset at any time. */
static DynTableInfo *
dyn_copy_table_info(const DynTableInfo *info)
{
	DynTableInfo *copy = palloc0(sizeof(DynTableInfo));
	ListCell   *lc;

	copy->table = info->table ? pstrdup(info->table) : NULL;
	copy->key = dyn_copy_key(&info->key);
	copy->item_count = info->item_count;
	copy->size_bytes = info->size_bytes;
	foreach(lc, info->indexes)
	{
		DynIndex   *index = lfirst(lc);
		DynIndex   *icopy = palloc0(sizeof(DynIndex));
		ListCell   *lc2;

		icopy->name = pstrdup(index->name);
		icopy->global = index->global;
		icopy->key = dyn_copy_key(&index->key);
		icopy->projection = index->projection;
		foreach(lc2, index->nonkey)
			icopy->nonkey = lappend(icopy->nonkey, pstrdup(lfirst(lc2)));
		copy->indexes = lappend(copy->indexes, icopy);
	}
	return copy;
}

static DynTableInfo *
dyn_describe_table(DynConnection *conn, DynOptions *opts, const char *table)
{
	char	   *body = dyn_build_describe_request(table);
	DynResponse resp;
	DynTableInfo *info;

	dyn_request(conn, opts, "DescribeTable", body, strlen(body), &resp);
	info = dyn_parse_table_description(resp.body.data, resp.body.len);
	pfree(resp.body.data);
	pfree(body);
	return info;
}

/*
 * The key schema, indexes and size of a foreign table's DynamoDB table, as
 * a copy in the current memory context.
 */
DynTableInfo *
dyn_get_table_info(Oid foreigntableid, Oid userid, DynOptions *opts)
{
	ForeignTable *ft = GetForeignTable(foreigntableid);
	DynTableCacheKey key;
	DynTableCacheEntry *entry;
	bool		found;

	if (TableCache == NULL || TableCacheStale)
		dyn_table_cache_init();

	memset(&key, 0, sizeof(key));
	key.serverid = ft->serverid;
	strlcpy(key.table, opts->table, sizeof(key.table));
	entry = hash_search(TableCache, &key, HASH_FIND, &found);
	if (!found)
	{
		ForeignServer *server = GetForeignServer(ft->serverid);
		UserMapping *user = GetUserMapping(userid, ft->serverid);
		DynConnection *conn = dyn_get_connection(server, user, opts);
		DynTableInfo *info = dyn_describe_table(conn, opts, opts->table);
		MemoryContext oldcxt;

		/* an invalidation may have come while we waited */
		if (TableCacheStale)
			dyn_table_cache_init();
		oldcxt = MemoryContextSwitchTo(TableCacheContext);
		info = dyn_copy_table_info(info);
		MemoryContextSwitchTo(oldcxt);

		entry = hash_search(TableCache, &key, HASH_ENTER, &found);
		entry->info = info;
	}
	return dyn_copy_table_info(entry->info);
}

/* ---------------------------------------------------------------------
 * IMPORT FOREIGN SCHEMA
 * ---------------------------------------------------------------------
 */
static bool
dyn_table_wanted(ImportForeignSchemaStmt *stmt, const char *name)
{
	ListCell   *lc;
	bool		listed = false;

	if (stmt->list_type == FDW_IMPORT_SCHEMA_ALL)
		return true;
	foreach(lc, stmt->table_list)
		if (strcmp(((RangeVar *) lfirst(lc))->relname, name) == 0)
			listed = true;
	return stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO ? listed : !listed;
}

static const char *
dyn_key_column_type(char type)
{
	return type == 'N' ? "numeric" : type == 'B' ? "bytea" : "text";
}

/*
 * One foreign table per DynamoDB table: the key attributes as typed
 * columns, and the whole item in one jsonb column.  DynamoDB has no
 * schemas, so any remote schema name is accepted.
 */
List *
dynomiteImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	UserMapping *user = GetUserMapping(GetUserId(), serverOid);
	DynOptions *opts = dyn_get_server_options(server, user, true);
	DynConnection *conn = dyn_get_connection(server, user, opts);
	List	   *commands = NIL;
	char	   *start = NULL;
	DynKeyTrail trail;

	if (stmt->options != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\"", ((DefElem *) linitial(stmt->options))->defname),
				 errhint("IMPORT FOREIGN SCHEMA for dynomite_fdw takes no options.")));

	dyn_key_trail_start(&trail, CurrentMemoryContext, NULL);
	do
	{
		char	   *body = dyn_build_list_tables_request(start);
		DynResponse resp;
		List	   *names;
		ListCell   *lc;

		CHECK_FOR_INTERRUPTS();
		dyn_request(conn, opts, "ListTables", body, strlen(body), &resp);
		names = dyn_parse_table_names(resp.body.data, resp.body.len, &start, &trail);

		foreach(lc, names)
		{
			char	   *name = lfirst(lc);
			DynTableInfo *info;
			StringInfoData cmd;
			bool		item_taken;

			if (!dyn_table_wanted(stmt, name))
				continue;
			opts->table = name;
			info = dyn_describe_table(conn, opts, name);
			item_taken = strcmp(info->key.hash, "item") == 0 ||
				(info->key.range && strcmp(info->key.range, "item") == 0);

			initStringInfo(&cmd);
			appendStringInfo(&cmd, "CREATE FOREIGN TABLE %s (\n  %s %s OPTIONS (attribute %s)",
							 quote_identifier(name),
							 quote_identifier(info->key.hash),
							 dyn_key_column_type(info->key.hash_type),
							 quote_literal_cstr(info->key.hash));
			if (info->key.range)
				appendStringInfo(&cmd, ",\n  %s %s OPTIONS (attribute %s)",
								 quote_identifier(info->key.range),
								 dyn_key_column_type(info->key.range_type),
								 quote_literal_cstr(info->key.range));
			appendStringInfo(&cmd, ",\n  %s jsonb OPTIONS (meta 'item')\n) SERVER %s OPTIONS (table %s)",
							 item_taken ? "dynamodb_item" : "item",
							 quote_identifier(server->servername),
							 quote_literal_cstr(name));
			commands = lappend(commands, cmd.data);
		}
		opts->table = NULL;
	} while (start != NULL);

	return commands;
}
