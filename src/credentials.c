/*-------------------------------------------------------------------------
 * credentials.c
 *		Where the keys that sign requests come from: a user mapping's static
 *		keys, the server process's environment, a profile of the shared AWS
 *		config and credentials files (with role_arn/source_profile and
 *		credential_process), web identity, the container credentials
 *		endpoint, EC2 instance metadata (IMDSv2), and a role assumed with STS
 *		AssumeRole on top of any of them.  Temporary keys are cached per
 *		backend and fetched again before they expire.
 *
 * Every endpoint here is trusted no more than a DynamoDB endpoint: answers
 * are capped in size and time, parsed strictly, and their keys checked
 * before they go into a header.  No message says a secret.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <json-c/json.h>

#include <ctype.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands/defrem.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "dynomite_fdw.h"
#include "sigv4.h"

#define DYN_CRED_REFRESH_SECONDS	300 /* fetch again this long before expiry */
#define DYN_CRED_GRACE_SECONDS		60	/* keys this close to expiry must be
										 * fetched again; before, a failed
										 * fetch keeps them */
#define DYN_CRED_RETRY_SECONDS		30	/* a failed fetch waits this long */
#define DYN_CRED_ANSWER_LIMIT		(64 * 1024) /* an endpoint's answer */
#define DYN_CRED_FILE_LIMIT			(1024 * 1024)	/* a config or credentials file */
#define DYN_CRED_TOKEN_LIMIT		(64 * 1024) /* a token file */
#define DYN_CRED_VALUE_LIMIT		8192	/* one key, secret or token */
#define DYN_CRED_PROFILE_DEPTH		5	/* source_profile hops */
#define DYN_CRED_CACHE_SIZE			32
#define DYN_IMDS_DEFAULT			"http://169.254.169.254"
#define DYN_CONTAINER_HOST			"http://169.254.170.2"
#define DYN_SESSION_NAME			"dynomite_fdw"

typedef enum DynCredSource
{
	DYN_CRED_STATIC,			/* the user mapping's keys */
	DYN_CRED_ENV,				/* AWS_ACCESS_KEY_ID ... of the server process */
	DYN_CRED_PROFILE,
	DYN_CRED_WEB_IDENTITY,
	DYN_CRED_CONTAINER,
	DYN_CRED_IMDS,
	DYN_CRED_DEFAULT			/* the first of the above that is configured */
} DynCredSource;

static const struct
{
	const char *option;
	DynCredSource source;
	const char *description;
}			dyn_cred_sources[] = {
	{"static", DYN_CRED_STATIC, "the user mapping's keys"},
	{"environment", DYN_CRED_ENV, "the server process's environment"},
	{"profile", DYN_CRED_PROFILE, "profile \"default\""},
	{"web_identity", DYN_CRED_WEB_IDENTITY, "web identity"},
	{"container", DYN_CRED_CONTAINER, "the container credentials endpoint"},
	{"instance_metadata", DYN_CRED_IMDS, "EC2 instance metadata (IMDSv2)"},
	{"default", DYN_CRED_DEFAULT, "the default chain"},
	{NULL, DYN_CRED_DEFAULT, NULL}
};

struct DynCredSpec
{
	DynCredSource source;		/* never DYN_CRED_DEFAULT once configured */
	bool		chosen;			/* named by an option: EXPLAIN VERBOSE says it */
	char	   *access_key_id;	/* static and environment keys */
	char	   *secret_access_key;
	char	   *session_token;
	char	   *profile;
	char	   *config_file;
	char	   *credentials_file;
	char	   *web_identity_token_file;
	char	   *web_identity_role_arn;
	char	   *container_uri;
	char	   *container_token;
	char	   *container_token_file;
	char	   *metadata_endpoint;
	char	   *sts_endpoint;
	char	   *role_arn;		/* assumed on top of the source */
	char	   *external_id;
	char	   *role_session_name;
	char		cache_key[65];	/* the whole spec, hashed */
};

/* Keys as fetched: malloc'd in TopMemoryContext when cached. */
typedef struct DynCreds
{
	char	   *access_key_id;
	char	   *secret_access_key;
	char	   *session_token;
	time_t		expires;		/* 0: never */
} DynCreds;

typedef struct DynCredCacheEntry
{
	char		key[70];
	DynCreds	creds;
	uint64		used;
	time_t		retry_at;		/* after a failed fetch: none before this */
} DynCredCacheEntry;

static DynCredCacheEntry dyn_cred_cache[DYN_CRED_CACHE_SIZE];
static uint64 dyn_cred_clock = 0;

/* What a fetch needs besides the spec. */
typedef struct DynCredContext
{
	DynConnection *conn;
	const DynOptions *opts;
	const DynCredSpec *spec;
} DynCredContext;

static void dyn_cred_fetch_source(DynCredContext *cx, DynCreds *out);

/* ---------------------------------------------------------------------
 * Options
 * ---------------------------------------------------------------------
 */

static void
dyn_cred_bad_value(const char *name, const char *value, const char *accepts)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
			 errhint("Option \"%s\" accepts %s.", name, accepts)));
}

/* http(s)://host[:port][/path], no user, query or fragment */
static bool
dyn_cred_url_ok(const char *value)
{
	const char *host;

	if (strncmp(value, "http://", 7) == 0)
		host = value + 7;
	else if (strncmp(value, "https://", 8) == 0)
		host = value + 8;
	else
		return false;
	if (*host == '\0' || *host == '/' || *host == ':')
		return false;
	for (const char *p = host; *p; p++)
		if (*p == '?' || *p == '#' || *p == '@' || !isgraph((unsigned char) *p))
			return false;
	return true;
}

/* A value that goes into an HTTP header or a request as it is. */
static bool
dyn_cred_printable(const char *value, size_t max)
{
	size_t		n = 0;

	for (const char *p = value; *p; p++, n++)
		if (*p < 0x21 || *p > 0x7e)
			return false;
	return n > 0 && n <= max;
}

/*
 * Check one option of the credential sources; false when the option is not
 * one of them.  Options that make the server process read a file are for
 * superusers to set, as file_fdw's filename is.
 */
bool
dyn_credentials_check_option(const char *name, const char *value)
{
	if (strcmp(name, "credentials_source") == 0)
	{
		for (int i = 0; dyn_cred_sources[i].option; i++)
			if (strcmp(dyn_cred_sources[i].option, value) == 0)
				return true;
		dyn_cred_bad_value(name, value,
						   "static, environment, profile, web_identity, container, instance_metadata or default");
	}
	if (strcmp(name, "config_file") == 0 ||
		strcmp(name, "credentials_file") == 0 ||
		strcmp(name, "web_identity_token_file") == 0 ||
		strcmp(name, "container_authorization_token_file") == 0)
	{
		if (!superuser())
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("only a superuser can set option \"%s\"", name),
					 errdetail("The file is read by the server process, as its operating system user.")));
		if (!is_absolute_path(value))
			dyn_cred_bad_value(name, value, "an absolute path");
		return true;
	}
	if (strcmp(name, "sts_endpoint") == 0 ||
		strcmp(name, "metadata_endpoint") == 0 ||
		strcmp(name, "container_credentials_uri") == 0)
	{
		if (!dyn_cred_url_ok(value))
			dyn_cred_bad_value(name, value, "an http:// or https:// URL");
		return true;
	}
	if (strcmp(name, "container_authorization_token") == 0)
	{
		/* a secret: never echoed */
		if (!dyn_cred_printable(value, DYN_CRED_VALUE_LIMIT))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("option \"%s\" must be non-empty printable text", name)));
		return true;
	}
	if (strcmp(name, "profile") == 0 ||
		strcmp(name, "role_arn") == 0 ||
		strcmp(name, "web_identity_role_arn") == 0 ||
		strcmp(name, "external_id") == 0 ||
		strcmp(name, "role_session_name") == 0)
	{
		if (!dyn_cred_printable(value, 2048))
			dyn_cred_bad_value(name, value, "non-empty text without spaces");
		return true;
	}
	return false;
}

/* An option, else an environment variable of the server process. */
static char *
dyn_cred_option_env(List *options, const char *name, const char *env)
{
	char	   *value = dyn_find_option(options, name);

	if (value == NULL && env != NULL)
	{
		value = getenv(env);
		if (value != NULL && *value == '\0')
			value = NULL;
		if (value != NULL)
			value = pstrdup(value);
	}
	return value;
}

static bool
dyn_cred_file_exists(const char *path)
{
	struct stat st;

	return path != NULL && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static char *
dyn_cred_home_file(const char *name)
{
	const char *home = getenv("HOME");

	return (home && *home) ? psprintf("%s/.aws/%s", home, name) : NULL;
}

/*
 * Where the keys of a user mapping come from.  Raised here, before any
 * request: a source the user may not use, and one that is not set up.
 */
DynCredSpec *
dyn_credentials_configure(DynOptions *opts, ForeignServer *server, UserMapping *user)
{
	List	   *um = user ? user->options : NIL;
	DynCredSpec *spec = palloc0(sizeof(DynCredSpec));
	char	   *source = dyn_find_option(um, "credentials_source");
	const char *why;
	StringInfoData fp;

	spec->access_key_id = dyn_find_option(um, "access_key_id");
	spec->secret_access_key = dyn_find_option(um, "secret_access_key");
	spec->session_token = dyn_find_option(um, "session_token");
	spec->role_arn = dyn_find_option(um, "role_arn");
	spec->external_id = dyn_find_option(um, "external_id");
	spec->role_session_name = dyn_find_option(um, "role_session_name");
	spec->sts_endpoint = dyn_find_option(um, "sts_endpoint");
	if (spec->sts_endpoint == NULL)
		spec->sts_endpoint = dyn_cred_option_env(server->options, "sts_endpoint",
												 "AWS_ENDPOINT_URL_STS");
	if (spec->sts_endpoint == NULL)
		spec->sts_endpoint = psprintf("https://sts.%s.amazonaws.com", opts->region);
	spec->chosen = source != NULL || spec->role_arn != NULL ||
		dyn_find_option(um, "profile") != NULL;

	if (source)
	{
		for (int i = 0; dyn_cred_sources[i].option; i++)
			if (strcmp(dyn_cred_sources[i].option, source) == 0)
				spec->source = dyn_cred_sources[i].source;
	}
	else if (dyn_find_option(um, "profile"))
		spec->source = DYN_CRED_PROFILE;
	else if (spec->access_key_id && spec->secret_access_key)
		spec->source = DYN_CRED_STATIC;
	else
		spec->source = DYN_CRED_DEFAULT;

	if (spec->source == DYN_CRED_STATIC)
	{
		if (spec->access_key_id == NULL || spec->secret_access_key == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("credentials_source \"static\" needs access_key_id and secret_access_key in the user mapping")));
	}
	else if (!dyn_machine_credentials_allowed(server, user, &why))
		ereport(ERROR,
				(errcode(ERRCODE_S_R_E_PROHIBITED_SQL_STATEMENT_ATTEMPTED),
				 errmsg("AWS credentials are required"),
				 errdetail("%s", why),
				 errhint("ALTER USER MAPPING FOR CURRENT_USER SERVER ... OPTIONS (ADD access_key_id '...', ADD secret_access_key '...').")));
	else
	{
		/* the machine's sources, each option falling back to its variable */
		spec->profile = dyn_cred_option_env(um, "profile", "AWS_PROFILE");
		spec->config_file = dyn_cred_option_env(um, "config_file", "AWS_CONFIG_FILE");
		if (spec->config_file == NULL)
			spec->config_file = dyn_cred_home_file("config");
		spec->credentials_file = dyn_cred_option_env(um, "credentials_file",
													 "AWS_SHARED_CREDENTIALS_FILE");
		if (spec->credentials_file == NULL)
			spec->credentials_file = dyn_cred_home_file("credentials");
		spec->web_identity_token_file =
			dyn_cred_option_env(um, "web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE");
		spec->web_identity_role_arn =
			dyn_cred_option_env(um, "web_identity_role_arn", "AWS_ROLE_ARN");
		if (spec->role_session_name == NULL && spec->source != DYN_CRED_STATIC)
			spec->role_session_name = dyn_cred_option_env(NIL, "-", "AWS_ROLE_SESSION_NAME");
		spec->container_uri = dyn_cred_option_env(um, "container_credentials_uri",
												  "AWS_CONTAINER_CREDENTIALS_FULL_URI");
		if (spec->container_uri == NULL && getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") &&
			getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")[0] == '/')
			spec->container_uri = psprintf(DYN_CONTAINER_HOST "%s",
										   getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
		spec->container_token = dyn_cred_option_env(um, "container_authorization_token",
													"AWS_CONTAINER_AUTHORIZATION_TOKEN");
		spec->container_token_file =
			dyn_cred_option_env(um, "container_authorization_token_file",
								"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
		spec->metadata_endpoint = dyn_find_option(um, "metadata_endpoint");
		if (spec->metadata_endpoint == NULL)
			spec->metadata_endpoint =
				dyn_cred_option_env(server->options, "metadata_endpoint",
									"AWS_EC2_METADATA_SERVICE_ENDPOINT");
		if (spec->metadata_endpoint == NULL)
			spec->metadata_endpoint = DYN_IMDS_DEFAULT;
		if (spec->profile == NULL && spec->source == DYN_CRED_PROFILE)
			spec->profile = "default";

		if (spec->source == DYN_CRED_DEFAULT)
		{
			/* the SDKs' order; the first that is set up is the source */
			char	   *key = getenv("AWS_ACCESS_KEY_ID");
			char	   *secret = getenv("AWS_SECRET_ACCESS_KEY");
			char	   *disabled = getenv("AWS_EC2_METADATA_DISABLED");

			if (key && *key && secret && *secret)
				spec->source = DYN_CRED_ENV;
			else if (dyn_find_option(um, "profile") || getenv("AWS_PROFILE") ||
					 dyn_cred_file_exists(spec->credentials_file) ||
					 dyn_cred_file_exists(spec->config_file))
				spec->source = DYN_CRED_PROFILE;
			else if (spec->web_identity_token_file && spec->web_identity_role_arn)
				spec->source = DYN_CRED_WEB_IDENTITY;
			else if (spec->container_uri)
				spec->source = DYN_CRED_CONTAINER;
			else if (disabled == NULL || pg_strcasecmp(disabled, "true") != 0)
				spec->source = DYN_CRED_IMDS;
			else
				ereport(ERROR,
						(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
						 errmsg("no AWS credentials found"),
						 errdetail("The user mapping has no keys and names no credentials_source, the server process has no AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, no profile, web identity or container credentials, and instance metadata is disabled."),
						 errhint("Add access_key_id and secret_access_key, or credentials_source, to the user mapping.")));
			if (spec->profile == NULL)
				spec->profile = "default";
		}
		if (spec->source == DYN_CRED_ENV)
		{
			spec->access_key_id = dyn_cred_option_env(NIL, "-", "AWS_ACCESS_KEY_ID");
			spec->secret_access_key = dyn_cred_option_env(NIL, "-", "AWS_SECRET_ACCESS_KEY");
			spec->session_token = dyn_cred_option_env(NIL, "-", "AWS_SESSION_TOKEN");
			if (spec->access_key_id == NULL || spec->secret_access_key == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
						 errmsg("no AWS credentials found"),
						 errdetail("The server process has no AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.")));
		}
		else if (spec->source == DYN_CRED_WEB_IDENTITY &&
				 (spec->web_identity_token_file == NULL || spec->web_identity_role_arn == NULL))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("web identity needs a token file and a role"),
					 errhint("Set web_identity_token_file and web_identity_role_arn in the user mapping, or AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN in the server's environment.")));
		else if (spec->source == DYN_CRED_CONTAINER && spec->container_uri == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("the container credentials endpoint is not set"),
					 errhint("Set container_credentials_uri in the user mapping, or AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI in the server's environment.")));
	}
	if (spec->source != DYN_CRED_STATIC && spec->source != DYN_CRED_ENV)
	{
		spec->access_key_id = NULL;
		spec->secret_access_key = NULL;
		spec->session_token = NULL;
	}
	if (spec->role_session_name == NULL)
		spec->role_session_name = DYN_SESSION_NAME;

	/* the cache key: everything that decides the keys, and whose they are */
	initStringInfo(&fp);
	appendStringInfo(&fp, "%u|%u|%d", server->serverid, user ? user->umid : InvalidOid,
					 (int) spec->source);
#define FP(f) appendStringInfo(&fp, "\x1f%s", spec->f ? spec->f : "")
	FP(access_key_id);
	FP(secret_access_key);
	FP(session_token);
	FP(profile);
	FP(config_file);
	FP(credentials_file);
	FP(web_identity_token_file);
	FP(web_identity_role_arn);
	FP(container_uri);
	FP(container_token);
	FP(container_token_file);
	FP(metadata_endpoint);
	FP(sts_endpoint);
	FP(role_arn);
	FP(external_id);
	FP(role_session_name);
#undef FP
	appendStringInfo(&fp, "\x1f%s", opts->region);
	if (sigv4_sha256_hex(fp.data, fp.len, spec->cache_key) != 0)
		elog(ERROR, "could not hash the credential settings");
	explicit_bzero(fp.data, fp.len);
	pfree(fp.data);

	opts->access_key_id = spec->access_key_id;
	opts->secret_access_key = spec->secret_access_key;
	opts->session_token = spec->session_token;
	return spec;
}

/*
 * What EXPLAIN VERBOSE says of the source, from a user mapping's options
 * alone (EXPLAIN fetches no keys): NULL unless an option chose it.
 */
char *
dyn_credentials_describe(List *umoptions)
{
	char	   *source = dyn_find_option(umoptions, "credentials_source");
	char	   *profile = dyn_find_option(umoptions, "profile");
	char	   *role = dyn_find_option(umoptions, "role_arn");
	const char *what = NULL;

	if ((source == NULL || strcmp(source, "profile") == 0) && profile)
		what = psprintf("profile \"%s\"", profile);
	else if (source)
	{
		for (int i = 0; dyn_cred_sources[i].option; i++)
			if (strcmp(dyn_cred_sources[i].option, source) == 0)
				what = dyn_cred_sources[i].description;
	}
	else if (role)
		what = dyn_find_option(umoptions, "access_key_id") ?
			"the user mapping's keys" : "the default chain";
	if (what == NULL)
		return NULL;
	return role ? psprintf("%s, then STS AssumeRole of %s", what, role) : pstrdup(what);
}

/* ---------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------
 */

/*
 * Text from an endpoint fit for a message: printable ASCII, at most 200
 * characters.
 */
static char *
dyn_cred_clean(const char *text, size_t len)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (size_t i = 0; i < len && buf.len < 200; i++)
		appendStringInfoChar(&buf, (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : '?');
	if (len > 200)
		appendStringInfoString(&buf, "...");
	return buf.data;
}

/* "the answer ..." as a detail: "The answer ...." */
static char *
dyn_cred_sentence(const char *text)
{
	return psprintf("%c%s.", toupper((unsigned char) text[0]), text + 1);
}

pg_noreturn static void
dyn_cred_fail(int sqlstate, const char *source, const char *detail)
{
	/* a cancel that raced with the failure is reported as a cancel */
	CHECK_FOR_INTERRUPTS();
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg("could not get AWS credentials from %s", source),
			 detail ? errdetail("%s", detail) : 0));
}

/* ---------------------------------------------------------------------
 * Parsing answers
 * ---------------------------------------------------------------------
 */

static int64
dyn_days_from_civil(int y, int m, int d)
{
	int			era;
	int			yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int64) era * 146097 + doe - 719468;
}

/* YYYY-MM-DDTHH:MM:SS[.fraction](Z|+00:00); false for anything else */
static bool
dyn_cred_parse_time(const char *s, time_t *out)
{
	int			y,
				mo,
				d,
				h,
				mi,
				se;
	const char *p = s;

	for (int i = 0; i < 19; i++)
	{
		bool		digit = !(i == 4 || i == 7 || i == 10 || i == 13 || i == 16);

		if (digit ? !isdigit((unsigned char) p[i]) : p[i] == '\0')
			return false;
	}
	if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
		s[13] != ':' || s[16] != ':')
		return false;
	y = atoi(s);
	mo = atoi(s + 5);
	d = atoi(s + 8);
	h = atoi(s + 11);
	mi = atoi(s + 14);
	se = atoi(s + 17);
	p = s + 19;
	if (*p == '.')
	{
		p++;
		if (!isdigit((unsigned char) *p))
			return false;
		while (isdigit((unsigned char) *p))
			p++;
	}
	if (!(strcmp(p, "Z") == 0 || strcmp(p, "z") == 0 || strcmp(p, "+00:00") == 0))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
		return false;
	*out = (time_t) (dyn_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se);
	return true;
}

/*
 * Keys as an endpoint gave them, checked before they go into a header: an
 * error text, or NULL.
 */
static const char *
dyn_cred_check(const char *key, const char *secret, const char *token,
			   const char *expiration, DynCreds *out)
{
	if (key == NULL || secret == NULL)
		return "the answer has no AccessKeyId or SecretAccessKey";
	for (const char *p = key; *p; p++)
		if (!isalnum((unsigned char) *p))
			return "the AccessKeyId is not letters and digits";
	if (strlen(key) < 16 || strlen(key) > 128)
		return "the AccessKeyId is not 16 to 128 characters long";
	if (!dyn_cred_printable(secret, 128))
		return "the SecretAccessKey is not 1 to 128 printable characters";
	if (token && !dyn_cred_printable(token, DYN_CRED_VALUE_LIMIT))
		return "the session token is not 1 to 8192 printable characters";
	out->expires = 0;
	if (expiration && !dyn_cred_parse_time(expiration, &out->expires))
		return "the Expiration is not an ISO 8601 time in UTC";
	out->access_key_id = pstrdup(key);
	out->secret_access_key = pstrdup(secret);
	out->session_token = token ? pstrdup(token) : NULL;
	return NULL;
}

/*
 * The credentials of a JSON answer (container, instance metadata,
 * credential_process): an error text, or NULL.  json-c's objects are freed
 * before anything is raised.
 */
static const char *
dyn_cred_parse_json(const char *body, size_t len, const char *token_member,
					bool need_version, DynCreds *out)
{
	json_tokener *tok;
	json_object *root;
	const char *err = NULL;
	const char *names[] = {"AccessKeyId", "SecretAccessKey", token_member, "Expiration"};
	const char *values[4] = {NULL, NULL, NULL, NULL};

	if (len == 0 || memchr(body, '\0', len) != NULL)
		return "the answer is not JSON";
	tok = json_tokener_new_ex(4);
	if (tok == NULL)
		return "out of memory";
	root = json_tokener_parse_ex(tok, body, (int) len);
	if (root == NULL || json_tokener_get_error(tok) != json_tokener_success)
		err = "the answer is not JSON";
	else
	{
		/* blanks may follow the object, nothing else */
		size_t		at = json_tokener_get_parse_end(tok);

		while (at < len && isspace((unsigned char) body[at]))
			at++;
		if (at < len)
			err = "the answer has more after its JSON";
	}
	json_tokener_free(tok);
	if (err == NULL && !json_object_is_type(root, json_type_object))
		err = "the answer is not a JSON object";
	if (err == NULL && need_version)
	{
		json_object *v;

		if (!json_object_object_get_ex(root, "Version", &v) ||
			!json_object_is_type(v, json_type_int) || json_object_get_int(v) != 1)
			err = "the output has no \"Version\": 1";
	}
	if (err == NULL)
	{
		json_object *v;

		if (json_object_object_get_ex(root, "Code", &v) &&
			(!json_object_is_type(v, json_type_string) ||
			 strcmp(json_object_get_string(v), "Success") != 0))
			err = "the answer's Code is not Success";
	}
	for (int i = 0; err == NULL && i < 4; i++)
	{
		json_object *v;

		if (!json_object_object_get_ex(root, names[i], &v) ||
			json_object_is_type(v, json_type_null))
			continue;
		if (!json_object_is_type(v, json_type_string))
			err = psprintf("the answer's %s is not a string", names[i]);
		else
			values[i] = pstrdup(json_object_get_string(v));
	}
	if (root)
		json_object_put(root);
	if (err == NULL)
		err = dyn_cred_check(values[0], values[1], values[2], values[3], out);
	for (int i = 0; i < 4; i++)
		if (values[i])
			explicit_bzero((char *) values[i], strlen(values[i]));
	return err;
}

/*
 * The text of element tag inside element within, which must each be there
 * exactly once, with nothing but text and the five XML entities in it:
 * NULL when it is not so.
 */
static char *
dyn_xml_text(const char *body, const char *within, const char *tag)
{
	char	   *open = psprintf("<%s>", within);
	char	   *close = psprintf("</%s>", within);
	const char *start = strstr(body, open);
	const char *end;
	const char *vs;
	const char *ve;
	char	   *topen;
	char	   *tclose;
	StringInfoData out;

	if (start == NULL || strstr(start + 1, open) != NULL)
		return NULL;
	start += strlen(open);
	end = strstr(start, close);
	if (end == NULL)
		return NULL;
	topen = psprintf("<%s>", tag);
	tclose = psprintf("</%s>", tag);
	vs = strstr(start, topen);
	if (vs == NULL || vs > end)
		return NULL;
	vs += strlen(topen);
	ve = strstr(vs, tclose);
	if (ve == NULL || ve > end)
		return NULL;
	/* only once */
	{
		const char *again = strstr(ve, topen);

		if (again != NULL && again < end)
			return NULL;
	}
	if (ve - vs > DYN_CRED_VALUE_LIMIT)
		return NULL;
	initStringInfo(&out);
	for (const char *p = vs; p < ve; p++)
	{
		if (*p == '<')
			return NULL;
		if (*p == '&')
		{
			static const char *const ents[][2] = {
				{"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&apos;", "'"}
			};
			bool		known = false;

			for (int i = 0; i < 5; i++)
				if (strncmp(p, ents[i][0], strlen(ents[i][0])) == 0 &&
					p + strlen(ents[i][0]) <= ve)
				{
					appendStringInfoString(&out, ents[i][1]);
					p += strlen(ents[i][0]) - 1;
					known = true;
					break;
				}
			if (!known)
				return NULL;
			continue;
		}
		appendStringInfoChar(&out, *p);
	}
	return out.data;
}

/* ---------------------------------------------------------------------
 * Talking to credential endpoints
 * ---------------------------------------------------------------------
 */

/*
 * One exchange with retries of what may pass (no connection, 5xx, 429);
 * any other answer is the caller's to judge.  Never returns without one.
 */
static void
dyn_cred_http(DynCredContext *cx, const char *source, DynHttpCall *call,
			  long *status, StringInfo body)
{
	int			max_retries = cx->opts->max_retries;

	call->limit = DYN_CRED_ANSWER_LIMIT;
	call->timeout_ms = cx->opts->request_timeout_ms;
	for (int attempt = 0;; attempt++)
	{
		char	   *failure = NULL;

		CHECK_FOR_INTERRUPTS();
		if (dyn_http_call(cx->conn, cx->opts, call, status, body, &failure))
		{
			if ((*status >= 500 || *status == 429) && attempt < max_retries)
			{
				dyn_backoff(attempt);
				continue;
			}
			return;
		}
		if (strstr(failure, "cut off") != NULL)
			dyn_cred_fail(ERRCODE_FDW_REPLY_HANDLE, source, dyn_cred_sentence(failure));
		if (attempt < max_retries)
		{
			dyn_backoff(attempt);
			continue;
		}
		dyn_cred_fail(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION, source,
					  psprintf("%c%s (tries: %d).", toupper((unsigned char) failure[0]),
							   failure + 1, attempt + 1));
	}
}

/* An answer that is not 200: its status and, from an STS error, the code. */
pg_noreturn static void
dyn_cred_refused(const char *source, long status, StringInfo body)
{
	char	   *code = dyn_xml_text(body->data, "Error", "Code");
	char	   *message = dyn_xml_text(body->data, "Error", "Message");
	int			sqlstate = (status == 400 || status == 401 || status == 403) ?
		ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION : ERRCODE_FDW_ERROR;

	dyn_cred_fail(sqlstate, source,
				  psprintf("HTTP status %ld%s%s%s%s.", status,
						   code ? ": " : "", code ? dyn_cred_clean(code, strlen(code)) : "",
						   message ? ": " : "",
						   message ? dyn_cred_clean(message, strlen(message)) : ""));
}

/*
 * Fetch a JSON document of keys (the container endpoint's, instance
 * metadata's: AccessKeyId, SecretAccessKey, Token, Expiration) into out.
 */
static void
dyn_cred_http_keys(DynCredContext *cx, const char *source, DynHttpCall *call,
				   StringInfo body, DynCreds *out)
{
	long		status;
	const char *err;

	dyn_cred_http(cx, source, call, &status, body);
	if (status != 200)
		dyn_cred_refused(source, status, body);
	err = dyn_cred_parse_json(body->data, body->len, "Token", false, out);
	if (err)
		dyn_cred_fail(ERRCODE_FDW_REPLY_HANDLE, source, dyn_cred_sentence(err));
}

/* application/x-www-form-urlencoded, RFC 3986's unreserved set kept */
static void
dyn_form_append(StringInfo buf, const char *name, const char *value)
{
	if (buf->len > 0)
		appendStringInfoChar(buf, '&');
	appendStringInfo(buf, "%s=", name);
	for (const unsigned char *p = (const unsigned char *) value; *p; p++)
	{
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~')
			appendStringInfoChar(buf, (char) *p);
		else
			appendStringInfo(buf, "%%%02X", *p);
	}
}

/* Host[:port] and path of a URL checked by dyn_cred_url_ok. */
static void
dyn_url_split(const char *url, char **host, char **path)
{
	const char *h = strstr(url, "://") + 3;
	const char *slash = strchr(h, '/');

	*host = slash ? pnstrdup(h, slash - h) : pstrdup(h);
	*path = slash ? pstrdup(slash) : pstrdup("/");
}

/* The credentials in an STS answer's <Credentials>. */
static void
dyn_sts_credentials(const char *source, StringInfo body, DynCreds *out)
{
	char	   *key,
			   *secret,
			   *token,
			   *expiration;
	const char *err;

	if (memchr(body->data, '\0', body->len) != NULL)
		dyn_cred_fail(ERRCODE_FDW_REPLY_HANDLE, source, "The answer holds a NUL byte.");
	key = dyn_xml_text(body->data, "Credentials", "AccessKeyId");
	secret = dyn_xml_text(body->data, "Credentials", "SecretAccessKey");
	token = dyn_xml_text(body->data, "Credentials", "SessionToken");
	expiration = dyn_xml_text(body->data, "Credentials", "Expiration");
	if (key == NULL || secret == NULL || token == NULL || expiration == NULL)
		err = "the answer has no Credentials with AccessKeyId, SecretAccessKey, SessionToken and Expiration, each once";
	else
		err = dyn_cred_check(key, secret, token, expiration, out);
	if (err)
		dyn_cred_fail(ERRCODE_FDW_REPLY_HANDLE, source, dyn_cred_sentence(err));
}

/* STS's URL: the endpoint, with the path "/" when it has none */
static char *
dyn_sts_url(const char *endpoint)
{
	const char *host = strstr(endpoint, "://") + 3;

	return strchr(host, '/') ? pstrdup(endpoint) : psprintf("%s/", endpoint);
}

/* STS AssumeRole, signed with the source's keys, for service "sts" */
static void
dyn_sts_assume_role(DynCredContext *cx, const DynCreds *src, const char *role_arn,
					const char *external_id, const char *session_name, DynCreds *out)
{
	const char *source = "STS AssumeRole";
	StringInfoData form;
	StringInfoData body;
	char	   *url = dyn_sts_url(cx->spec->sts_endpoint);
	char	   *host;
	char	   *path;
	char		amz_date[17];
	SigV4Header sh[4];
	int			nsh = 0;
	SigV4Request req;
	SigV4Credentials cred;
	char	   *authorization = NULL;
	const char *lines[5];
	DynHttpCall call;
	long		status;

	initStringInfo(&form);
	dyn_form_append(&form, "Action", "AssumeRole");
	if (external_id)
		dyn_form_append(&form, "ExternalId", external_id);
	dyn_form_append(&form, "RoleArn", role_arn);
	dyn_form_append(&form, "RoleSessionName", session_name);
	dyn_form_append(&form, "Version", "2011-06-15");

	dyn_url_split(url, &host, &path);
	sigv4_amz_date(time(NULL), amz_date);
	sh[nsh++] = (SigV4Header) {"Host", host};
	sh[nsh++] = (SigV4Header) {"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"};
	sh[nsh++] = (SigV4Header) {"X-Amz-Date", amz_date};
	if (src->session_token)
		sh[nsh++] = (SigV4Header) {"X-Amz-Security-Token", src->session_token};
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = path;
	req.query = "";
	req.headers = sh;
	req.nheaders = nsh;
	req.payload = form.data;
	req.payload_len = form.len;
	cred.access_key_id = src->access_key_id;
	cred.secret_access_key = src->secret_access_key;
	cred.session_token = src->session_token;
	if (sigv4_authorization(&req, &cred, cx->opts->region, "sts", amz_date,
							&authorization, NULL, NULL) != 0 || authorization == NULL)
		dyn_cred_fail(ERRCODE_FDW_ERROR, source, "The request could not be signed.");

	lines[0] = psprintf("Content-Type: %s", sh[1].value);
	lines[1] = psprintf("X-Amz-Date: %s", amz_date);
	lines[2] = psprintf("Authorization: %s", authorization);
	explicit_bzero(authorization, strlen(authorization));
	free(authorization);
	lines[3] = src->session_token ? psprintf("X-Amz-Security-Token: %s", src->session_token) : NULL;

	memset(&call, 0, sizeof(call));
	call.method = "POST";
	call.url = url;
	call.headers = lines;
	call.nheaders = src->session_token ? 4 : 3;
	call.body = form.data;
	call.body_len = form.len;
	initStringInfo(&body);
	dyn_cred_http(cx, source, &call, &status, &body);
	if (status != 200)
		dyn_cred_refused(source, status, &body);
	dyn_sts_credentials(source, &body, out);
}

/* ---------------------------------------------------------------------
 * Files
 * ---------------------------------------------------------------------
 */

/* A whole file of at most limit bytes, or NULL when it is not there. */
static char *
dyn_cred_read_file(const char *path, size_t limit, const char *source)
{
	int			fd = open(path, O_RDONLY | PG_BINARY);
	StringInfoData buf;

	if (fd < 0)
	{
		if (errno == ENOENT)
			return NULL;
		dyn_cred_fail(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, source,
					  psprintf("Could not open file \"%s\": %m.", path));
	}
	initStringInfo(&buf);
	for (;;)
	{
		char		chunk[8192];
		ssize_t		n = read(fd, chunk, sizeof(chunk));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
		{
			close(fd);
			dyn_cred_fail(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, source,
						  psprintf("Could not read file \"%s\": %m.", path));
		}
		if (n == 0)
			break;
		if ((size_t) buf.len + n > limit)
		{
			close(fd);
			dyn_cred_fail(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, source,
						  psprintf("File \"%s\" is larger than %zu bytes.", path, limit));
		}
		appendBinaryStringInfo(&buf, chunk, n);
	}
	close(fd);
	if (memchr(buf.data, '\0', buf.len) != NULL)
		dyn_cred_fail(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, source,
					  psprintf("File \"%s\" holds a NUL byte.", path));
	return buf.data;
}

/* A token file's text, without the blanks around it */
static char *
dyn_cred_token_file(const char *path, const char *source)
{
	char	   *text = dyn_cred_read_file(path, DYN_CRED_TOKEN_LIMIT, source);
	char	   *end;

	if (text == NULL)
		dyn_cred_fail(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, source,
					  psprintf("Token file \"%s\" does not exist.", path));
	while (isspace((unsigned char) *text))
		text++;
	end = text + strlen(text);
	while (end > text && isspace((unsigned char) end[-1]))
		*--end = '\0';
	if (!dyn_cred_printable(text, DYN_CRED_TOKEN_LIMIT))
		dyn_cred_fail(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, source,
					  psprintf("Token file \"%s\" is empty or holds more than printable text.", path));
	return text;
}

/*
 * The value of key in section of an INI file's text, or NULL.  Sections
 * whose lines are indented (nested settings) are passed over.
 */
static char *
dyn_ini_get(const char *text, const char *section, const char *key)
{
	bool		in = false;
	char	   *found = NULL;
	const char *p = text;

	while (p && *p)
	{
		const char *eol = strchr(p, '\n');
		char	   *line = eol ? pnstrdup(p, eol - p) : pstrdup(p);
		char	   *s = line;
		char	   *e;
		bool		indented = (*s == ' ' || *s == '\t');

		p = eol ? eol + 1 : NULL;
		while (isspace((unsigned char) *s))
			s++;
		e = s + strlen(s);
		while (e > s && isspace((unsigned char) e[-1]))
			*--e = '\0';
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[' && e[-1] == ']')
		{
			char	   *name = s + 1;

			e[-1] = '\0';
			while (isspace((unsigned char) *name))
				name++;
			e = name + strlen(name);
			while (e > name && isspace((unsigned char) e[-1]))
				*--e = '\0';
			in = strcmp(name, section) == 0;
			continue;
		}
		if (!in || indented)
			continue;
		e = strchr(s, '=');
		if (e == NULL)
			continue;
		{
			char	   *k = s;
			char	   *v = e + 1;
			char	   *ke = e;

			while (ke > k && isspace((unsigned char) ke[-1]))
				ke--;
			*ke = '\0';
			while (isspace((unsigned char) *v))
				v++;
			if (pg_strcasecmp(k, key) == 0 && *v != '\0')
				found = pstrdup(v);
		}
	}
	return found;
}

/* A setting of a profile: the credentials file first, then the config file. */
static char *
dyn_profile_get(const char *creds_text, const char *config_text, const char *profile,
				const char *key)
{
	char	   *v = NULL;

	if (creds_text)
		v = dyn_ini_get(creds_text, profile, key);
	if (v == NULL && config_text)
	{
		v = dyn_ini_get(config_text, psprintf("profile %s", profile), key);
		if (v == NULL && strcmp(profile, "default") == 0)
			v = dyn_ini_get(config_text, "default", key);
	}
	return v;
}

/*
 * Run a profile's credential_process as the server's operating system
 * user, its standard output capped in size and time, cancellable; the
 * program is killed on any way out.
 */
static void
dyn_credential_process(DynCredContext *cx, const char *command, const char *source,
					   DynCreds *out)
{
	int			fds[2];
	pid_t		pid;
	StringInfoData buf;
	volatile bool reaped = false;
	int			wstatus = 0;
	const char *err;
	TimestampTz deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   cx->opts->request_timeout_ms);

	if (pipe(fds) != 0)
		dyn_cred_fail(ERRCODE_SYSTEM_ERROR, source, psprintf("Could not create a pipe: %m."));
	fflush(NULL);
	pid = fork();
	if (pid < 0)
	{
		close(fds[0]);
		close(fds[1]);
		dyn_cred_fail(ERRCODE_SYSTEM_ERROR, source, psprintf("Could not fork: %m."));
	}
	if (pid == 0)
	{
		sigset_t	none;
		int			devnull = open("/dev/null", O_RDWR);

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		dup2(fds[1], 1);
		if (devnull >= 0)
		{
			dup2(devnull, 0);
			dup2(devnull, 2);
		}
		close(fds[0]);
		close(fds[1]);
		execl("/bin/sh", "sh", "-c", command, (char *) NULL);
		_exit(127);
	}
	close(fds[1]);
	initStringInfo(&buf);

	PG_TRY();
	{
		for (;;)
		{
			struct pollfd pfd = {fds[0], POLLIN, 0};
			long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
			int			rc;

			if (left <= 0)
				dyn_cred_fail(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION, source,
							  psprintf("The program did not finish within the server's request_timeout of %g seconds.",
									   cx->opts->request_timeout_ms / 1000.0));
			pgstat_report_wait_start(dyn_request_wait_event());
			rc = poll(&pfd, 1, (int) Min(left, 100));
			pgstat_report_wait_end();
			CHECK_FOR_INTERRUPTS();
			if (rc < 0 && errno != EINTR)
				dyn_cred_fail(ERRCODE_SYSTEM_ERROR, source, psprintf("Could not wait for the program: %m."));
			if (rc > 0)
			{
				char		chunk[4096];
				ssize_t		n = read(fds[0], chunk, sizeof(chunk));

				if (n < 0 && (errno == EINTR || errno == EAGAIN))
					continue;
				if (n < 0)
					dyn_cred_fail(ERRCODE_SYSTEM_ERROR, source, psprintf("Could not read from the program: %m."));
				if (n == 0)
					break;
				if ((size_t) buf.len + n > DYN_CRED_ANSWER_LIMIT)
					dyn_cred_fail(ERRCODE_FDW_REPLY_HANDLE, source,
								  psprintf("The program wrote more than %d bytes.", DYN_CRED_ANSWER_LIMIT));
				appendBinaryStringInfo(&buf, chunk, n);
			}
		}
		/* the output is complete: wait for the exit, as long as time allows */
		for (;;)
		{
			pid_t		r = waitpid(pid, &wstatus, WNOHANG);

			if (r == pid)
			{
				reaped = true;
				break;
			}
			if (r < 0 && errno != EINTR)
			{
				reaped = true;
				break;
			}
			if (TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline) <= 0)
				dyn_cred_fail(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION, source,
							  "The program closed its output but did not exit within the server's request_timeout.");
			pg_usleep(10000);
			CHECK_FOR_INTERRUPTS();
		}
	}
	PG_FINALLY();
	{
		close(fds[0]);
		if (!reaped)
		{
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
	}
	PG_END_TRY();

	if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
		dyn_cred_fail(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, source,
					  WIFEXITED(wstatus) ?
					  psprintf("The program exited with status %d.", WEXITSTATUS(wstatus)) :
					  "The program was ended by a signal.");
	err = dyn_cred_parse_json(buf.data, buf.len, "SessionToken", true, out);
	explicit_bzero(buf.data, buf.len);
	if (err)
		dyn_cred_fail(ERRCODE_FDW_REPLY_HANDLE, source,
					  dyn_cred_sentence(err));
}

/*
 * A profile's keys: its own static keys, its credential_process, or its
 * role_arn assumed with the keys of its source_profile.
 */
static void
dyn_profile_credentials(DynCredContext *cx, const char *creds_text, const char *config_text,
						const char *profile, int depth, DynCreds *out)
{
	char	   *source = psprintf("profile \"%s\"", profile);
	char	   *role = dyn_profile_get(creds_text, config_text, profile, "role_arn");
	char	   *process = dyn_profile_get(creds_text, config_text, profile, "credential_process");
	char	   *key = dyn_profile_get(creds_text, config_text, profile, "aws_access_key_id");
	char	   *secret = dyn_profile_get(creds_text, config_text, profile, "aws_secret_access_key");
	const char *err;

	if (depth > DYN_CRED_PROFILE_DEPTH)
		dyn_cred_fail(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, source,
					  psprintf("Its source_profile chain is longer than %d profiles, or goes round in a circle.",
							   DYN_CRED_PROFILE_DEPTH));
	if (role && depth > 0 && key && secret)
		role = NULL;			/* as a source, a profile's own keys come first */
	if (role)
	{
		char	   *from = dyn_profile_get(creds_text, config_text, profile, "source_profile");
		DynCreds	base;

		if (from == NULL)
			dyn_cred_fail(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, source,
						  "It has a role_arn but no source_profile (credential_source is not supported).");
		dyn_profile_credentials(cx, creds_text, config_text, from, depth + 1, &base);
		{
			char	   *ext = dyn_profile_get(creds_text, config_text, profile, "external_id");
			char	   *name = dyn_profile_get(creds_text, config_text, profile, "role_session_name");

			dyn_sts_assume_role(cx, &base, role, ext, name ? name : DYN_SESSION_NAME, out);
		}
		return;
	}
	if (process)
	{
		dyn_credential_process(cx, process, psprintf("the credential_process of profile \"%s\"", profile),
							   out);
		return;
	}
	if (key == NULL && secret == NULL)
	{
		if (creds_text == NULL && config_text == NULL)
			dyn_cred_fail(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, source,
						  "Neither the config file nor the credentials file exists.");
		dyn_cred_fail(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, source,
					  "The profile is not in the config or credentials file, or has no aws_access_key_id and aws_secret_access_key, role_arn or credential_process.");
	}
	err = dyn_cred_check(key, secret,
						 dyn_profile_get(creds_text, config_text, profile, "aws_session_token"),
						 NULL, out);
	if (err)
		dyn_cred_fail(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, source,
					  dyn_cred_sentence(err));
}

/* ---------------------------------------------------------------------
 * The sources
 * ---------------------------------------------------------------------
 */

static void
dyn_cred_web_identity(DynCredContext *cx, DynCreds *out)
{
	const DynCredSpec *spec = cx->spec;
	const char *source = "web identity (STS AssumeRoleWithWebIdentity)";
	char	   *token = dyn_cred_token_file(spec->web_identity_token_file, source);
	StringInfoData form;
	StringInfoData body;
	const char *lines[1] = {"Content-Type: application/x-www-form-urlencoded; charset=utf-8"};
	DynHttpCall call;
	long		status;

	initStringInfo(&form);
	dyn_form_append(&form, "Action", "AssumeRoleWithWebIdentity");
	dyn_form_append(&form, "RoleArn", spec->web_identity_role_arn);
	dyn_form_append(&form, "RoleSessionName", spec->role_session_name);
	dyn_form_append(&form, "Version", "2011-06-15");
	dyn_form_append(&form, "WebIdentityToken", token);
	explicit_bzero(token, strlen(token));

	memset(&call, 0, sizeof(call));
	call.method = "POST";
	call.url = dyn_sts_url(spec->sts_endpoint);
	call.headers = lines;
	call.nheaders = 1;
	call.body = form.data;
	call.body_len = form.len;
	initStringInfo(&body);
	PG_TRY();
	{
		dyn_cred_http(cx, source, &call, &status, &body);
	}
	PG_FINALLY();
	{
		explicit_bzero(form.data, form.len);
	}
	PG_END_TRY();
	if (status != 200)
		dyn_cred_refused(source, status, &body);
	dyn_sts_credentials(source, &body, out);
}

/* http:// only to the hosts the SDKs allow: loopback and the ECS/EKS agents */
static bool
dyn_container_host_ok(const char *uri)
{
	char	   *host;
	char	   *path;
	char	   *colon;

	if (strncmp(uri, "https://", 8) == 0)
		return true;
	dyn_url_split(uri, &host, &path);
	if (host[0] != '[' && (colon = strrchr(host, ':')) != NULL)
		*colon = '\0';
	else if (host[0] == '[' && (colon = strstr(host, "]:")) != NULL)
		colon[1] = '\0';
	return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
		strcmp(host, "[::1]") == 0 || strcmp(host, "169.254.170.2") == 0 ||
		strcmp(host, "169.254.170.23") == 0 || strcmp(host, "[fd00:ec2::23]") == 0;
}

static void
dyn_cred_container(DynCredContext *cx, DynCreds *out)
{
	const DynCredSpec *spec = cx->spec;
	const char *source = "the container credentials endpoint";
	const char *token = spec->container_token;
	const char *lines[1];
	DynHttpCall call;
	StringInfoData body;

	if (!dyn_container_host_ok(spec->container_uri))
		dyn_cred_fail(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, source,
					  "An http:// container credentials URI must be on a loopback address, 169.254.170.2 or 169.254.170.23.");
	if (spec->container_token_file)
		token = dyn_cred_token_file(spec->container_token_file, source);
	if (token && !dyn_cred_printable(token, DYN_CRED_VALUE_LIMIT))
		dyn_cred_fail(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, source,
					  "The authorization token is not printable text.");
	memset(&call, 0, sizeof(call));
	call.method = "GET";
	call.url = spec->container_uri;
	if (token)
	{
		lines[0] = psprintf("Authorization: %s", token);
		call.headers = lines;
		call.nheaders = 1;
	}
	initStringInfo(&body);
	dyn_cred_http_keys(cx, source, &call, &body, out);
}

static void
dyn_cred_imds(DynCredContext *cx, DynCreds *out)
{
	const char *source = "EC2 instance metadata (IMDSv2)";
	const char *ep = cx->spec->metadata_endpoint;
	size_t		eplen = strlen(ep);
	char	   *base = psprintf("%.*s", (int) (eplen > 0 && ep[eplen - 1] == '/' ? eplen - 1 : eplen), ep);
	const char *lines[1];
	DynHttpCall call;
	StringInfoData body;
	long		status;
	char	   *token;
	char	   *role;
	char	   *nl;

	/* a session token by PUT */
	memset(&call, 0, sizeof(call));
	call.method = "PUT";
	call.url = psprintf("%s/latest/api/token", base);
	lines[0] = "X-aws-ec2-metadata-token-ttl-seconds: 21600";
	call.headers = lines;
	call.nheaders = 1;
	initStringInfo(&body);
	dyn_cred_http(cx, source, &call, &status, &body);
	if (status != 200)
		dyn_cred_refused(source, status, &body);
	token = pstrdup(body.data);
	if (!dyn_cred_printable(token, 1024) || memchr(body.data, '\0', body.len))
		dyn_cred_fail(ERRCODE_FDW_REPLY_HANDLE, source,
					  "The session token it gave is not 1 to 1024 printable characters.");

	/* the role */
	lines[0] = psprintf("X-aws-ec2-metadata-token: %s", token);
	call.method = "GET";
	call.url = psprintf("%s/latest/meta-data/iam/security-credentials/", base);
	dyn_cred_http(cx, source, &call, &status, &body);
	if (status == 404)
		dyn_cred_fail(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, source,
					  "The instance has no IAM role (HTTP status 404).");
	if (status != 200)
		dyn_cred_refused(source, status, &body);
	role = pstrdup(body.data);
	if ((nl = strchr(role, '\n')) != NULL)
		*nl = '\0';
	for (const char *p = role; *p; p++)
		if (!(isalnum((unsigned char) *p) || strchr("+=,.@_-", *p)))
			dyn_cred_fail(ERRCODE_FDW_REPLY_HANDLE, source,
						  "The role name it gave is not an IAM role name.");
	if (*role == '\0' || strlen(role) > 128 || memchr(body.data, '\0', body.len))
		dyn_cred_fail(ERRCODE_FDW_REPLY_HANDLE, source,
					  "The role name it gave is not an IAM role name.");

	/* the role's credentials */
	call.url = psprintf("%s/latest/meta-data/iam/security-credentials/%s", base, role);
	dyn_cred_http_keys(cx, source, &call, &body, out);
}

static void
dyn_cred_fetch_source(DynCredContext *cx, DynCreds *out)
{
	const DynCredSpec *spec = cx->spec;

	switch (spec->source)
	{
		case DYN_CRED_STATIC:
		case DYN_CRED_ENV:
			out->access_key_id = spec->access_key_id;
			out->secret_access_key = spec->secret_access_key;
			out->session_token = spec->session_token;
			out->expires = 0;
			break;
		case DYN_CRED_PROFILE:
			{
				const char *source = psprintf("profile \"%s\"", spec->profile);
				char	   *creds_text = spec->credentials_file ?
					dyn_cred_read_file(spec->credentials_file, DYN_CRED_FILE_LIMIT, source) : NULL;
				char	   *config_text = spec->config_file ?
					dyn_cred_read_file(spec->config_file, DYN_CRED_FILE_LIMIT, source) : NULL;

				dyn_profile_credentials(cx, creds_text, config_text, spec->profile, 0, out);
				if (creds_text)
					explicit_bzero(creds_text, strlen(creds_text));
				if (config_text)
					explicit_bzero(config_text, strlen(config_text));
				break;
			}
		case DYN_CRED_WEB_IDENTITY:
			dyn_cred_web_identity(cx, out);
			break;
		case DYN_CRED_CONTAINER:
			dyn_cred_container(cx, out);
			break;
		case DYN_CRED_IMDS:
			dyn_cred_imds(cx, out);
			break;
		case DYN_CRED_DEFAULT:
			elog(ERROR, "credential source not resolved");
	}
}

/* ---------------------------------------------------------------------
 * The cache
 * ---------------------------------------------------------------------
 */

static void
dyn_cred_forget(DynCredCacheEntry *e)
{
	char	   *parts[] = {e->creds.access_key_id, e->creds.secret_access_key,
	e->creds.session_token};

	for (int i = 0; i < 3; i++)
		if (parts[i])
		{
			explicit_bzero(parts[i], strlen(parts[i]));
			pfree(parts[i]);
		}
	memset(e, 0, sizeof(*e));
}

/* Keys still good for longer than margin seconds, or NULL. */
static DynCredCacheEntry *
dyn_cred_lookup_for(const char *key, int margin)
{
	time_t		now = time(NULL);

	for (int i = 0; i < DYN_CRED_CACHE_SIZE; i++)
	{
		DynCredCacheEntry *e = &dyn_cred_cache[i];

		if (e->key[0] == '\0' || strcmp(e->key, key) != 0)
			continue;
		if (e->creds.expires != 0 && now >= e->creds.expires - margin)
			return NULL;
		e->used = ++dyn_cred_clock;
		return e;
	}
	return NULL;
}

/* Keys still good for longer than the refresh window, or NULL. */
static DynCredCacheEntry *
dyn_cred_lookup(const char *key)
{
	return dyn_cred_lookup_for(key, DYN_CRED_REFRESH_SECONDS);
}

static DynCredCacheEntry *
dyn_cred_store(const char *key, const DynCreds *creds)
{
	DynCredCacheEntry *slot = NULL;

	for (int i = 0; i < DYN_CRED_CACHE_SIZE && slot == NULL; i++)
		if (strcmp(dyn_cred_cache[i].key, key) == 0)
			slot = &dyn_cred_cache[i];
	for (int i = 0; i < DYN_CRED_CACHE_SIZE && slot == NULL; i++)
		if (dyn_cred_cache[i].key[0] == '\0')
			slot = &dyn_cred_cache[i];
	if (slot == NULL)
	{
		slot = &dyn_cred_cache[0];
		for (int i = 1; i < DYN_CRED_CACHE_SIZE; i++)
			if (dyn_cred_cache[i].used < slot->used)
				slot = &dyn_cred_cache[i];
	}
	dyn_cred_forget(slot);
	strlcpy(slot->key, key, sizeof(slot->key));
	slot->creds.access_key_id = MemoryContextStrdup(TopMemoryContext, creds->access_key_id);
	slot->creds.secret_access_key = MemoryContextStrdup(TopMemoryContext, creds->secret_access_key);
	slot->creds.session_token = creds->session_token ?
		MemoryContextStrdup(TopMemoryContext, creds->session_token) : NULL;
	slot->creds.expires = creds->expires;
	slot->used = ++dyn_cred_clock;
	slot->retry_at = 0;
	return slot;
}

/*
 * Fetch the keys afresh (the source's keys, then the role on top) and
 * cache them.
 */
static DynCredCacheEntry *
dyn_cred_fetch(DynCredContext *cx)
{
	const DynCredSpec *spec = cx->spec;
	DynCredCacheEntry *volatile e = NULL;
	DynCreds	base;
	MemoryContext cxt;
	MemoryContext old;

	/* what a fetch leaves behind goes with this context */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "dynomite_fdw credentials",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		char	   *base_key = psprintf("%s/source", spec->cache_key);
		DynCredCacheEntry *b = spec->role_arn ? dyn_cred_lookup(base_key) : NULL;

		if (b)
			base = b->creds;
		else
		{
			dyn_cred_fetch_source(cx, &base);
			if (spec->role_arn && spec->source != DYN_CRED_STATIC &&
				spec->source != DYN_CRED_ENV)
				base = dyn_cred_store(base_key, &base)->creds;
		}
		if (spec->role_arn)
		{
			DynCreds	role;

			dyn_sts_assume_role(cx, &base, spec->role_arn, spec->external_id,
								spec->role_session_name, &role);
			e = dyn_cred_store(spec->cache_key, &role);
		}
		else
			e = dyn_cred_store(spec->cache_key, &base);
	}
	PG_FINALLY();
	{
		MemoryContextSwitchTo(old);
		MemoryContextDelete(cxt);
	}
	PG_END_TRY();
	return e;
}

/*
 * Whether a failed fetch may leave the current keys in use: the failures
 * of the credential sources themselves (an endpoint that refuses, does not
 * answer, or answers nonsense), never a cancel, a timeout of the statement
 * or a shortage of memory.
 */
static bool
dyn_cred_fetch_may_fail(int sqlerrcode)
{
	return sqlerrcode == ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION ||
		sqlerrcode == ERRCODE_FDW_REPLY_HANDLE ||
		sqlerrcode == ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION ||
		sqlerrcode == ERRCODE_FDW_ERROR ||
		sqlerrcode == ERRCODE_SYSTEM_ERROR;
}

/*
 * The keys to sign a request with now.  Static keys as they are; others
 * from the cache while they have more than the refresh window left, else
 * fetched afresh.  Keys in the refresh window that are still good for more
 * than the grace period stay in use when the fetch fails, as the AWS SDKs
 * keep them: a warning says so, and the fetch is tried again after
 * DYN_CRED_RETRY_SECONDS, not on every request.  Within the grace period a
 * failed fetch is an error.
 */
void
dyn_credentials_get(DynConnection *conn, const DynOptions *opts, DynCredKeys *keys)
{
	const DynCredSpec *spec = opts->cred;
	DynCredContext cx = {conn, opts, spec};
	DynCredCacheEntry *volatile e;
	DynCredCacheEntry *current;

	if (spec == NULL)
		elog(ERROR, "no credentials were configured for this request");
	if ((spec->source == DYN_CRED_STATIC || spec->source == DYN_CRED_ENV) &&
		spec->role_arn == NULL)
	{
		keys->access_key_id = spec->access_key_id;
		keys->secret_access_key = spec->secret_access_key;
		keys->session_token = spec->session_token;
		return;
	}

	e = dyn_cred_lookup(spec->cache_key);
	if (e == NULL &&
		(current = dyn_cred_lookup_for(spec->cache_key, DYN_CRED_GRACE_SECONDS)) != NULL)
	{
		MemoryContext cxt = CurrentMemoryContext;

		if (time(NULL) < current->retry_at)
			e = current;
		else
		{
			PG_TRY();
			{
				e = dyn_cred_fetch(&cx);
			}
			PG_CATCH();
			{
				ErrorData  *edata;

				MemoryContextSwitchTo(cxt);
				edata = CopyErrorData();
				if (!dyn_cred_fetch_may_fail(edata->sqlerrcode))
					PG_RE_THROW();
				FlushErrorState();
				current->retry_at = time(NULL) + DYN_CRED_RETRY_SECONDS;
				ereport(WARNING,
						(errcode(edata->sqlerrcode),
						 errmsg("%s", edata->message),
						 edata->detail ? errdetail("%s", edata->detail) : 0,
						 errhint("The current keys, which have not expired, stay in use; they are fetched again in %d seconds.",
								 DYN_CRED_RETRY_SECONDS)));
				FreeErrorData(edata);
				e = current;
			}
			PG_END_TRY();
		}
	}
	if (e == NULL)
		e = dyn_cred_fetch(&cx);
	keys->access_key_id = e->creds.access_key_id;
	keys->secret_access_key = e->creds.secret_access_key;
	keys->session_token = e->creds.session_token;
}
