/*-------------------------------------------------------------------------
 * option.c
 *		The options of dynomite_fdw: the table of valid options and the
 *		object each belongs to, the validator, and the merged options of a
 *		server, user mapping, foreign table and column.  Option defaults live
 *		here and nowhere else.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <stdlib.h>

#include "access/reloptions.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "catalog/pg_attribute.h"
#include "commands/defrem.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "dynomite_fdw.h"

#define DYN_DEFAULT_CONNECT_TIMEOUT_MS	10000
#define DYN_DEFAULT_REQUEST_TIMEOUT_MS	60000
#define DYN_DEFAULT_MAX_RETRIES			3
#define DYN_MAX_MAX_RETRIES				20
#define DYN_MAX_TIMEOUT_SECONDS			3600.0
#define DYN_DEFAULT_STARTUP_COST		100.0
#define DYN_DEFAULT_TUPLE_COST			0.01
#define DYN_MAX_BATCH_SIZE				10000

typedef struct DynOptionDef
{
	const char *name;
	Oid			context;		/* catalog the option belongs to */
} DynOptionDef;

static const DynOptionDef dyn_options[] = {
	{"region", ForeignServerRelationId},
	{"endpoint", ForeignServerRelationId},
	{"connect_timeout", ForeignServerRelationId},
	{"request_timeout", ForeignServerRelationId},
	{"max_retries", ForeignServerRelationId},
	{"fdw_startup_cost", ForeignServerRelationId},
	{"fdw_tuple_cost", ForeignServerRelationId},
	{"batch_size", ForeignServerRelationId},
	{"transactional", ForeignServerRelationId},
	{"read_capacity_per_second", ForeignServerRelationId},
	{"allow_full_scan", ForeignServerRelationId},
	{"join_requests_in_flight", ForeignServerRelationId},
	{"access_key_id", UserMappingRelationId},
	{"secret_access_key", UserMappingRelationId},
	{"session_token", UserMappingRelationId},
	/* a secret: in the user mapping, which only its user and superusers read */
	{"token_secret", UserMappingRelationId},
	/* where credentials come from (credentials.c checks the values) */
	{"credentials_source", UserMappingRelationId},
	{"profile", UserMappingRelationId},
	{"config_file", UserMappingRelationId},
	{"credentials_file", UserMappingRelationId},
	{"web_identity_token_file", UserMappingRelationId},
	{"web_identity_role_arn", UserMappingRelationId},
	{"container_credentials_uri", UserMappingRelationId},
	{"container_authorization_token", UserMappingRelationId},
	{"container_authorization_token_file", UserMappingRelationId},
	{"role_arn", UserMappingRelationId},
	{"external_id", UserMappingRelationId},
	{"role_session_name", UserMappingRelationId},
	{"sts_endpoint", ForeignServerRelationId},
	{"sts_endpoint", UserMappingRelationId},
	{"metadata_endpoint", ForeignServerRelationId},
	{"metadata_endpoint", UserMappingRelationId},
	{"table", ForeignTableRelationId},
	{"page_size", ForeignTableRelationId},
	{"consistent_read", ForeignTableRelationId},
	{"pushdown", ForeignTableRelationId},
	{"segments", ForeignTableRelationId},
	{"prefetch", ForeignTableRelationId},
	{"index", ForeignTableRelationId},
	{"overwrite", ForeignTableRelationId},
	{"batch_size", ForeignTableRelationId},
	{"transactional", ForeignTableRelationId},
	{"read_capacity_per_second", ForeignTableRelationId},
	{"allow_full_scan", ForeignTableRelationId},
	{"join_requests_in_flight", ForeignTableRelationId},
	{"attribute", AttributeRelationId},
	{"meta", AttributeRelationId},
	{NULL, InvalidOid}
};

PG_FUNCTION_INFO_V1(dynomite_fdw_validator);

static const char *
dyn_context_name(Oid context)
{
	switch (context)
	{
		case ForeignServerRelationId:
			return "server";
		case UserMappingRelationId:
			return "user mapping";
		case ForeignTableRelationId:
			return "foreign table";
		case AttributeRelationId:
			return "column";
		default:
			return "foreign-data wrapper";
	}
}

static bool
dyn_is_valid_option(const char *name, Oid context)
{
	for (const DynOptionDef *opt = dyn_options; opt->name; opt++)
		if (opt->context == context && strcmp(opt->name, name) == 0)
			return true;
	return false;
}

static void
dyn_reject_unknown_option(const char *name, Oid context)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (const DynOptionDef *opt = dyn_options; opt->name; opt++)
	{
		if (opt->context != context)
			continue;
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", opt->name);
	}

	/* an option that belongs elsewhere is worth saying so */
	for (const DynOptionDef *opt = dyn_options; opt->name; opt++)
	{
		if (strcmp(opt->name, name) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("option \"%s\" is not valid for a %s",
							name, dyn_context_name(context)),
					 errdetail("Option \"%s\" belongs on the %s.",
							   name, dyn_context_name(opt->context)),
					 buf.len > 0 ?
					 errhint("Valid options in this context are: %s.", buf.data) :
					 errhint("There are no valid options in this context.")));
	}

	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
			 errmsg("invalid option \"%s\"", name),
			 buf.len > 0 ?
			 errhint("Valid options in this context are: %s.", buf.data) :
			 errhint("There are no valid options in this context.")));
}

static void
dyn_bad_value(const char *name, const char *value, const char *accepts)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
			 errhint("Option \"%s\" accepts %s.", name, accepts)));
}

/*
 * A number in (min, max], or [min, max] with min_included; anything else
 * is an error whose hint says what the option accepts.
 */
static double
dyn_parse_number(const char *name, const char *value, double min, bool min_included,
				 double max, const char *accepts)
{
	char	   *end;
	double		number;

	errno = 0;
	number = strtod(value, &end);
	if (end == value || *end != '\0' || errno != 0 ||
		!(min_included ? number >= min : number > min) || number > max)
		dyn_bad_value(name, value, accepts);
	return number;
}

/* Seconds, as a positive number with at most millisecond precision. */
static int
dyn_parse_timeout(const char *name, const char *value)
{
	double		seconds = dyn_parse_number(name, value, 0.0, false, DYN_MAX_TIMEOUT_SECONDS,
										   "a number of seconds greater than 0 and at most 3600");

	return (int) (seconds * 1000.0 + 0.5) > 0 ? (int) (seconds * 1000.0 + 0.5) : 1;
}

static double
dyn_parse_cost(const char *name, const char *value)
{
	return dyn_parse_number(name, value, 0.0, true, 1e10, "a number from 0 to 10000000000");
}

/* A read budget: capacity units a second, more than 0. */
static double
dyn_parse_capacity(const char *name, const char *value)
{
	return dyn_parse_number(name, value, 0.0, false, 1e9,
							"a number of capacity units a second, above 0 and at most 1000000000");
}

/* The meta kinds a column can hold, by name. */
static const struct
{
	const char *name;
	DynMetaKind kind;
}			dyn_meta_kinds[] = {
	{"item", DYN_META_ITEM},
	{"page_number", DYN_META_PAGE_NUMBER},
	{"next_token", DYN_META_NEXT_TOKEN},
	{NULL, DYN_META_NONE}
};

static DynMetaKind
dyn_parse_meta(const char *value)
{
	for (int i = 0; dyn_meta_kinds[i].name; i++)
		if (strcmp(dyn_meta_kinds[i].name, value) == 0)
			return dyn_meta_kinds[i].kind;
	dyn_bad_value("meta", value,
				  "\"item\" (the whole item as JSON), \"page_number\" or \"next_token\"");
	return DYN_META_NONE;
}

static int
dyn_parse_int(const char *name, const char *value, int min, int max)
{
	char	   *end;
	long		n;

	errno = 0;
	n = strtol(value, &end, 10);
	if (end == value || *end != '\0' || errno != 0 || n < min || n > max)
		dyn_bad_value(name, value,
					  psprintf("an integer from %d to %d", min, max));
	return (int) n;
}

static void
dyn_check_region(const char *value)
{
	if (*value == '\0')
		dyn_bad_value("region", value, "an AWS region name such as \"us-east-1\"");
	for (const char *p = value; *p; p++)
		if (!(isalnum((unsigned char) *p) || *p == '-'))
			dyn_bad_value("region", value,
						  "an AWS region name such as \"us-east-1\"");
}

static void
dyn_check_endpoint(const char *value)
{
	const char *host;
	const char *accepts = "an http:// or https:// URL with a host and no path, "
	"such as \"https://dynamodb.us-east-1.amazonaws.com\"";

	if (strncmp(value, "http://", 7) == 0)
		host = value + 7;
	else if (strncmp(value, "https://", 8) == 0)
		host = value + 8;
	else
		dyn_bad_value("endpoint", value, accepts);

	if (*host == '\0' || *host == '/' || *host == ':')
		dyn_bad_value("endpoint", value, accepts);
	for (const char *p = host; *p; p++)
	{
		/* a trailing slash is fine; any other path, query or user is not */
		if (*p == '/' && p[1] == '\0')
			break;
		if (*p == '/' || *p == '?' || *p == '#' || *p == '@' ||
			isspace((unsigned char) *p))
			dyn_bad_value("endpoint", value, accepts);
	}
}

static void
dyn_check_attribute_name(const char *name, const char *value)
{
	if (*value == '\0')
		dyn_bad_value(name, value, "a non-empty name");
	if (strlen(value) > 255 && strcmp(name, "table") == 0)
		dyn_bad_value(name, value, "a DynamoDB table name of at most 255 characters");
}

/*
 * Validate the options of one object.  PostgreSQL passes the complete list
 * after CREATE or ALTER, so required options can be checked here.
 */
Datum
dynomite_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	bool		has_region = false;
	bool		has_key = false;
	bool		has_secret = false;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		const char *name = def->defname;
		char	   *value;

		if (!dyn_is_valid_option(name, catalog))
			dyn_reject_unknown_option(name, catalog);

		value = defGetString(def);

		if (dyn_credentials_check_option(name, value))
			continue;
		if (strcmp(name, "region") == 0)
		{
			dyn_check_region(value);
			has_region = true;
		}
		else if (strcmp(name, "endpoint") == 0)
			dyn_check_endpoint(value);
		else if (strcmp(name, "connect_timeout") == 0 ||
				 strcmp(name, "request_timeout") == 0)
			(void) dyn_parse_timeout(name, value);
		else if (strcmp(name, "max_retries") == 0)
			(void) dyn_parse_int(name, value, 0, DYN_MAX_MAX_RETRIES);
		else if (strcmp(name, "page_size") == 0)
			(void) dyn_parse_int(name, value, 1, 1000000);
		else if (strcmp(name, "segments") == 0)
			(void) dyn_parse_int(name, value, 1, DYN_MAX_SEGMENTS);
		else if (strcmp(name, "batch_size") == 0)
			(void) dyn_parse_int(name, value, 1, DYN_MAX_BATCH_SIZE);
		else if (strcmp(name, "join_requests_in_flight") == 0)
			(void) dyn_parse_int(name, value, 1, DYN_MAX_JOIN_IN_FLIGHT);
		else if (strcmp(name, "fdw_startup_cost") == 0 ||
				 strcmp(name, "fdw_tuple_cost") == 0)
			(void) dyn_parse_cost(name, value);
		else if (strcmp(name, "read_capacity_per_second") == 0)
			(void) dyn_parse_capacity(name, value);
		else if (strcmp(name, "meta") == 0)
			(void) dyn_parse_meta(value);
		else if (strcmp(name, "index") == 0)
			dyn_check_attribute_name(name, value);
		else if (strcmp(name, "consistent_read") == 0 ||
				 strcmp(name, "pushdown") == 0 ||
				 strcmp(name, "prefetch") == 0 ||
				 strcmp(name, "overwrite") == 0 ||
				 strcmp(name, "transactional") == 0 ||
				 strcmp(name, "allow_full_scan") == 0)
		{
			bool		b;

			if (!parse_bool(value, &b))
				dyn_bad_value(name, value, "a boolean: true or false");
		}
		else if (strcmp(name, "table") == 0 || strcmp(name, "attribute") == 0)
			dyn_check_attribute_name(name, value);
		else if (strcmp(name, "access_key_id") == 0)
		{
			/* a key id is not secret, but it must be plausible */
			if (*value == '\0')
				dyn_bad_value(name, value, "a non-empty AWS access key id");
			has_key = true;
		}
		else if (strcmp(name, "secret_access_key") == 0 ||
				 strcmp(name, "session_token") == 0 ||
				 strcmp(name, "token_secret") == 0)
		{
			/* never echo a secret back */
			if (*value == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("option \"%s\" must not be empty", name)));
			if (strcmp(name, "secret_access_key") == 0)
				has_secret = true;
		}
	}

	if (catalog == ForeignServerRelationId && !has_region)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("option \"region\" is required for a dynomite_fdw server"),
				 errhint("Add OPTIONS (region 'us-east-1') with the region of the DynamoDB tables.")));

	if (catalog == UserMappingRelationId && has_key != has_secret)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("options \"access_key_id\" and \"secret_access_key\" must be given together")));

	PG_RETURN_VOID();
}

/* The value of an option of a list of DefElems, or NULL. */
char *
dyn_find_option(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, name) == 0)
			return defGetString(def);
	}
	return NULL;
}

/*
 * Whether a request may be signed with the machine's credentials (the
 * server process's environment, and any other source of the machine's own
 * that comes later): only for a superuser's user mapping on a server a
 * superuser owns.  For the reason postgres_fdw demands a password: a
 * non-superuser would otherwise act with the machine's identity, and a
 * server a non-superuser owns has an endpoint of their choosing, to which a
 * superuser's query would send requests signed with the machine's keys.
 */
bool
dyn_machine_credentials_allowed(ForeignServer *server, UserMapping *user,
								const char **why)
{
	if (!superuser_arg(user ? user->userid : GetUserId()))
	{
		*why = "Non-superusers must give access_key_id and secret_access_key in their user mapping.";
		return false;
	}
	if (!superuser_arg(server->owner))
	{
		*why = psprintf("Server \"%s\" is owned by a non-superuser, so its requests are never signed with the server process's credentials.",
						server->servername);
		return false;
	}
	return true;
}

/*
 * The options of the user mapping a query of userid would use (its own, or
 * PUBLIC's), or NIL when there is none: for EXPLAIN, which needs no keys.
 */
static List *
dyn_mapping_options(Oid userid, Oid serverid)
{
	HeapTuple	tp;
	List	   *options = NIL;

	tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(userid),
						 ObjectIdGetDatum(serverid));
	if (!HeapTupleIsValid(tp))
		tp = SearchSysCache2(USERMAPPINGUSERSERVER, ObjectIdGetDatum(InvalidOid),
							 ObjectIdGetDatum(serverid));
	if (HeapTupleIsValid(tp))
	{
		bool		isnull;
		Datum		datum = SysCacheGetAttr(USERMAPPINGUSERSERVER, tp,
											Anum_pg_user_mapping_umoptions, &isnull);

		if (!isnull)
			options = untransformRelOptions(datum);
		ReleaseSysCache(tp);
	}
	return options;
}

DynOptions *
dyn_get_server_options(ForeignServer *server, UserMapping *user, bool credentials)
{
	DynOptions *opts = palloc0(sizeof(DynOptions));
	char	   *value;

	opts->region = dyn_find_option(server->options, "region");
	if (opts->region == NULL)	/* only if the catalog was edited by hand */
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("server \"%s\" has no region", server->servername)));

	value = dyn_find_option(server->options, "endpoint");
	if (value)
	{
		size_t		len = strlen(value);

		opts->endpoint = pstrdup(value);
		if (len > 0 && opts->endpoint[len - 1] == '/')
			opts->endpoint[len - 1] = '\0';
	}
	else
		opts->endpoint = psprintf("https://dynamodb.%s.amazonaws.com", opts->region);

	value = dyn_find_option(server->options, "connect_timeout");
	opts->connect_timeout_ms = value ? dyn_parse_timeout("connect_timeout", value)
		: DYN_DEFAULT_CONNECT_TIMEOUT_MS;
	value = dyn_find_option(server->options, "request_timeout");
	opts->request_timeout_ms = value ? dyn_parse_timeout("request_timeout", value)
		: DYN_DEFAULT_REQUEST_TIMEOUT_MS;
	value = dyn_find_option(server->options, "max_retries");
	opts->max_retries = value ? dyn_parse_int("max_retries", value, 0, DYN_MAX_MAX_RETRIES)
		: DYN_DEFAULT_MAX_RETRIES;


	value = dyn_find_option(server->options, "fdw_startup_cost");
	opts->fdw_startup_cost = value ? dyn_parse_cost("fdw_startup_cost", value)
		: DYN_DEFAULT_STARTUP_COST;
	value = dyn_find_option(server->options, "fdw_tuple_cost");
	opts->fdw_tuple_cost = value ? dyn_parse_cost("fdw_tuple_cost", value)
		: DYN_DEFAULT_TUPLE_COST;

	value = dyn_find_option(server->options, "batch_size");
	opts->batch_size = value ? dyn_parse_int("batch_size", value, 1, DYN_MAX_BATCH_SIZE) : 1;
	value = dyn_find_option(server->options, "join_requests_in_flight");
	opts->join_requests_in_flight = value ?
		dyn_parse_int("join_requests_in_flight", value, 1, DYN_MAX_JOIN_IN_FLIGHT) :
		DYN_DEFAULT_JOIN_IN_FLIGHT;
	value = dyn_find_option(server->options, "transactional");
	opts->transactional = false;
	if (value && !parse_bool(value, &opts->transactional))
		dyn_bad_value("transactional", value, "a boolean: true or false");
	value = dyn_find_option(server->options, "read_capacity_per_second");
	opts->read_capacity_per_second = value ?
		dyn_parse_capacity("read_capacity_per_second", value) : 0;
	value = dyn_find_option(server->options, "allow_full_scan");
	opts->allow_full_scan = true;
	if (value && !parse_bool(value, &opts->allow_full_scan))
		dyn_bad_value("allow_full_scan", value, "a boolean: true or false");
	opts->serverid = server->serverid;

	if (credentials)
	{
		opts->cred = dyn_credentials_configure(opts, server, user);
		opts->credentials_description = dyn_credentials_describe(user ? user->options : NIL);
		opts->token_secret = user ? dyn_find_option(user->options, "token_secret") : NULL;
	}
	return opts;
}

DynOptions *
dyn_get_options(Oid foreigntableid, Oid userid, bool credentials)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	ForeignServer *server = GetForeignServer(table->serverid);
	UserMapping *user = credentials ? GetUserMapping(userid, server->serverid) : NULL;
	DynOptions *opts = dyn_get_server_options(server, user, credentials);
	char	   *value;

	if (!credentials)
		opts->credentials_description =
			dyn_credentials_describe(dyn_mapping_options(userid, server->serverid));

	opts->table = dyn_find_option(table->options, "table");
	if (opts->table == NULL)
		opts->table = get_rel_name(foreigntableid);

	value = dyn_find_option(table->options, "page_size");
	opts->page_size = value ? dyn_parse_int("page_size", value, 1, 1000000) : 0;

	value = dyn_find_option(table->options, "segments");
	opts->segments = value ? dyn_parse_int("segments", value, 1, DYN_MAX_SEGMENTS) : 1;
	opts->segments_given = value != NULL;

	value = dyn_find_option(table->options, "consistent_read");
	opts->consistent_read = false;
	if (value && !parse_bool(value, &opts->consistent_read))
		dyn_bad_value("consistent_read", value, "a boolean: true or false");

	value = dyn_find_option(table->options, "pushdown");
	opts->pushdown = true;
	if (value && !parse_bool(value, &opts->pushdown))
		dyn_bad_value("pushdown", value, "a boolean: true or false");

	value = dyn_find_option(table->options, "prefetch");
	opts->prefetch = true;
	if (value && !parse_bool(value, &opts->prefetch))
		dyn_bad_value("prefetch", value, "a boolean: true or false");

	opts->index = dyn_find_option(table->options, "index");

	/* a table's write options override its server's */
	value = dyn_find_option(table->options, "overwrite");
	opts->overwrite = false;
	if (value && !parse_bool(value, &opts->overwrite))
		dyn_bad_value("overwrite", value, "a boolean: true or false");
	value = dyn_find_option(table->options, "batch_size");
	if (value)
		opts->batch_size = dyn_parse_int("batch_size", value, 1, DYN_MAX_BATCH_SIZE);
	value = dyn_find_option(table->options, "transactional");
	if (value && !parse_bool(value, &opts->transactional))
		dyn_bad_value("transactional", value, "a boolean: true or false");

	/* a table's budget and guard override its server's */
	value = dyn_find_option(table->options, "read_capacity_per_second");
	if (value)
	{
		opts->read_capacity_per_second = dyn_parse_capacity("read_capacity_per_second", value);
		opts->budget_per_table = true;
	}
	value = dyn_find_option(table->options, "allow_full_scan");
	if (value && !parse_bool(value, &opts->allow_full_scan))
		dyn_bad_value("allow_full_scan", value, "a boolean: true or false");

	/* so does its join_requests_in_flight */
	value = dyn_find_option(table->options, "join_requests_in_flight");
	if (value)
		opts->join_requests_in_flight = dyn_parse_int("join_requests_in_flight", value, 1,
													  DYN_MAX_JOIN_IN_FLIGHT);
	opts->relid = foreigntableid;
	return opts;
}

/* The DynamoDB attribute a column reads: its "attribute" option or its name. */
char *
dyn_column_attribute(Oid relid, AttrNumber attnum)
{
	List	   *options = GetForeignColumnOptions(relid, attnum);
	char	   *value = dyn_find_option(options, "attribute");

	return value ? value : get_attname(relid, attnum, false);
}

/* What a column holds: its "meta" option, or an ordinary attribute. */
DynMetaKind
dyn_column_meta(Oid relid, AttrNumber attnum)
{
	char	   *value = dyn_find_option(GetForeignColumnOptions(relid, attnum), "meta");

	return value ? dyn_parse_meta(value) : DYN_META_NONE;
}
