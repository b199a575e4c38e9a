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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "commands/explain.h"
#include "fmgr.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "nodes/pg_list.h"
#include "nodes/plannodes.h"
#include "port/pg_bitutils.h"
#include "utils/relcache.h"

#include "compat.h"

/* a json-c object, seen from files that must not include json-c */
typedef struct json_object DynJson;

/* ---- option.c ---- */

#define DYN_MAX_SEGMENTS	64
/* Scan segments a parallel scan has for each process, without the option */
#define DYN_SEGMENTS_PER_PROCESS	2
#define DYN_MAX_JOIN_IN_FLIGHT	32
#define DYN_DEFAULT_JOIN_IN_FLIGHT	8

/* Every option of a foreign table, merged from server, mapping and table. */
typedef struct DynOptions
{
	Oid			relid;			/* the foreign table; InvalidOid for a
								 * server's own requests */
	Oid			serverid;
	/* server */
	char	   *region;
	char	   *endpoint;		/* full URL, never NULL once merged */
	int			connect_timeout_ms;
	int			request_timeout_ms;
	int			max_retries;
	double		fdw_startup_cost;
	double		fdw_tuple_cost;
	/* user mapping (or the superuser's environment) */
	char	   *access_key_id;
	char	   *secret_access_key;
	char	   *session_token;
	struct DynCredSpec *cred;	/* where the signing keys come from */
	char	   *credentials_description;	/* for EXPLAIN VERBOSE, or NULL */
	/* table */
	char	   *table;			/* DynamoDB table name */
	int			page_size;		/* 0: no Limit, DynamoDB's 1 MB pages */
	int			segments;		/* Scan segments read side by side */
	bool		segments_given; /* the table sets segments */
	bool		prefetch;		/* ask for the next page while one is read */
	bool		consistent_read;
	char	   *token_secret;	/* signs next_token; NULL: unsigned */
	bool		pushdown;		/* ship conditions, LIMIT and ORDER BY */
	char	   *index;			/* a secondary index to read, or NULL */
	/* writes (table, or server for batch_size and transactional) */
	bool		overwrite;		/* INSERT as plain, unconditional puts */
	int			batch_size;		/* rows an INSERT hands over at once */
	bool		transactional;	/* writes held until COMMIT */
	/* reads (server, or table) */
	double		read_capacity_per_second;	/* 0: no budget */
	bool		budget_per_table;	/* the table's own budget, not the
									 * server's */
	bool		allow_full_scan;	/* a Scan of the whole table may run */
	/* joins (server, or table) */
	int			join_requests_in_flight;	/* a batched join's requests on
											 * their way at once */
} DynOptions;

extern DynOptions *dyn_get_options(Oid foreigntableid, Oid userid, bool credentials);
extern char *dyn_find_option(List *options, const char *name);
extern DynOptions *dyn_get_server_options(ForeignServer *server, UserMapping *user,
										  bool credentials);
extern char *dyn_column_attribute(Oid relid, AttrNumber attnum);
extern bool dyn_machine_credentials_allowed(ForeignServer *server, UserMapping *user,
											const char **why);

/* What a column holds: an attribute, or something about the item or page. */
typedef enum DynMetaKind
{
	DYN_META_NONE = 0,			/* an ordinary attribute */
	DYN_META_ITEM,				/* the whole item as plain JSON */
	DYN_META_PAGE_NUMBER,		/* the 1-based number of the response page */
	DYN_META_NEXT_TOKEN			/* resumes the query right after the row */
} DynMetaKind;

extern DynMetaKind dyn_column_meta(Oid relid, AttrNumber attnum);

/* ---- connection.c ---- */

/* A DynamoDB response kept in the caller's memory context. */
typedef struct DynResponse
{
	long		status;
	StringInfoData body;
	int			retries;		/* how many times the request was retried */
	int			throttles;		/* of its tries, the ones DynamoDB throttled */
} DynResponse;

typedef struct DynConnection DynConnection;

extern DynConnection *dyn_get_connection(ForeignServer *server, UserMapping *user,
										 DynOptions *opts);
extern void dyn_request(DynConnection *conn, DynOptions *opts, const char *operation,
						const char *payload, size_t payload_len, DynResponse *resp);
extern bool dyn_request_accepting(DynConnection *conn, DynOptions *opts,
								  const char *operation, const char *payload,
								  size_t payload_len, DynResponse *resp,
								  const char *accepted_error);
extern void dyn_backoff(int attempt);

typedef struct DynAsync DynAsync;

extern DynAsync *dyn_async_create(DynConnection *conn, MemoryContext cxt);
extern void dyn_async_start(DynAsync *a, DynOptions *opts, const char *operation,
							const char *payload, size_t payload_len, StringInfo body);
typedef void (*DynAsyncWatch) (void *arg, StringInfo body);
extern void dyn_async_watch(DynAsync *a, DynAsyncWatch fn, void *arg);
extern void dyn_async_progress(DynConnection *conn);
extern bool dyn_async_active(DynAsync *a);
extern void dyn_async_cancel(DynAsync *a);
extern bool dyn_async_done(DynAsync *a);
extern DynAsync *dyn_async_wait_any(DynAsync **set, int n);
extern void dyn_async_finish(DynAsync *a, DynOptions *opts, DynResponse *resp);

/* One plain HTTP exchange (a credential endpoint), on the connection's loop. */
typedef struct DynHttpCall
{
	const char *method;			/* "GET", "PUT" or "POST" */
	const char *url;
	const char *const *headers; /* "Name: value" lines */
	int			nheaders;
	const char *body;
	size_t		body_len;
	size_t		limit;			/* the most of an answer taken */
	int			timeout_ms;
} DynHttpCall;

extern bool dyn_http_call(DynConnection *conn, const DynOptions *opts,
						  const DynHttpCall *call, long *status, StringInfo body,
						  char **failure);

/* ---- credentials.c ---- */

typedef struct DynCredSpec DynCredSpec;

/* Keys to sign one request with; valid until the next call. */
typedef struct DynCredKeys
{
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;	/* NULL for long-term keys */
} DynCredKeys;

extern bool dyn_credentials_check_option(const char *name, const char *value);
extern DynCredSpec *dyn_credentials_configure(DynOptions *opts, ForeignServer *server,
											  UserMapping *user);
extern void dyn_credentials_get(DynConnection *conn, const DynOptions *opts,
								DynCredKeys *keys);
extern char *dyn_credentials_describe(List *umoptions);

/* ---- dynamo_api.c ---- */

/* What a caller learns from a DynamoDB error body. */
typedef struct DynError
{
	char	   *type;			/* "ResourceNotFoundException", never NULL */
	char	   *message;		/* may be NULL */
} DynError;

extern void dyn_parse_error(const char *body, size_t len, DynError *err);
extern bool dyn_error_is_retryable(long status, const DynError *err);
extern bool dyn_error_is_throttle(long status, const DynError *err);
pg_noreturn extern void dyn_report_error(const char *operation, const DynOptions *opts,
										 long status, const DynError *err, int tries);

/*
 * The most a response may hold before it is cut off: DynamoDB sends at most
 * 1 MB of data a page (and the item crossing it) and 16 MB a BatchGetItem,
 * which JSON makes larger; see dyn_response_limit.
 */
#define DYN_RESPONSE_LIMIT			(4 * 1024 * 1024)
#define DYN_BATCH_RESPONSE_LIMIT	(48 * 1024 * 1024)
#define DYN_BATCH_MAX_KEYS			100 /* keys one BatchGetItem may ask for */
#define DYN_KEY_PAIRS_MAX			1000	/* partition x sort-key values read by
										 * BatchGetItem rather than a Query */

extern size_t dyn_response_limit(const char *operation);

/* The read operations. */
typedef enum DynOperation
{
	DYN_OP_SCAN,
	DYN_OP_QUERY,
	DYN_OP_GETITEM,
	DYN_OP_BATCHGETITEM
} DynOperation;

extern const char *dyn_operation_name(DynOperation op);

/* A value of a request: S, N, B (base64) or BOOL ('T'). */
typedef struct DynValue
{
	char		type;
	char	   *text;			/* "true"/"false" for BOOL */
} DynValue;

/* A name or value placeholder and what it stands for. */
typedef struct DynPlaceholder
{
	char	   *placeholder;	/* "#k0", ":f1", ... */
	char	   *name;			/* for names */
	DynValue   *value;			/* for values */
} DynPlaceholder;

/* One key of GetItem or BatchGetItem: attribute names and values. */
typedef struct DynKey
{
	int			nattrs;
	char	   *names[2];
	DynValue   *values[2];
} DynKey;

/* Everything one request says; dynamo_api.c turns it into JSON. */
typedef struct DynRequest
{
	DynOperation op;
	const char *table;
	const char *index;			/* NULL: the table itself */
	List	   *projection;		/* attribute names; NIL: every attribute */
	bool		count_only;		/* Select=COUNT */
	int			limit;			/* 0: none */
	bool		consistent_read;
	bool		forward;		/* ScanIndexForward */
	char	   *key_condition;	/* Query */
	char	   *filter;			/* Scan and Query; NULL: none */
	List	   *names;			/* DynPlaceholder: ExpressionAttributeNames */
	List	   *values;			/* DynPlaceholder: ExpressionAttributeValues */
	List	   *keys;			/* DynKey: GetItem (one) and BatchGetItem */
	int			segment;		/* Scan: Segment, when total_segments > 1 */
	int			total_segments;
	bool		capacity;		/* ask for ConsumedCapacity (EXPLAIN ANALYZE) */
} DynRequest;

/*
 * One page of a response, as the scan loop sees it.  The response text is
 * kept and its items are only located; each item is parsed when it is
 * read, so a page costs its own size, not a tree of it.
 */
typedef struct DynPage
{
	const char *body;			/* the response text */
	const char *operation;		/* what it answers, for errors */
	const char *table;
	bool		has_items;		/* Items, Item or Responses was there */
	int			nitems;
	int		   *item_off;		/* where each item starts in body */
	int		   *item_len;
	void	   *tokener;		/* json-c's, reused for every item */
	DynJson    *item;			/* the item read last; freed at the next */
	int			count;			/* Count: items matched (Select=COUNT) */
	int			scanned_count;
	double		capacity;		/* ConsumedCapacity: capacity units */
	DynJson    *last_key;		/* LastEvaluatedKey, or NULL */
	DynJson    *unprocessed;	/* BatchGetItem's UnprocessedKeys, or NULL */
} DynPage;

/*
 * What a response must be: the answer to which request on which table, and
 * the key a LastEvaluatedKey or a key to retry must have: nkeys attributes
 * of these names and types (table keys, then the index's), or with nkeys 0
 * (the key schema is not known) any one to four of S, N or B.
 */
typedef void (*DynPageAccount) (const void *arg, const DynPage *page);

typedef struct DynExpect
{
	DynOperation op;
	const char *table;
	int			nkeys;
	const char *key_names[4];
	char		key_types[4];
	DynPageAccount account;		/* told of each page parsed, or NULL */
	const void *account_arg;
} DynExpect;

/*
 * The LastEvaluatedKeys of one paged read (a Scan, a segment, the Query of
 * one partition): a key the read started after before means it loops.
 */
typedef struct DynKeyTrail
{
	MemoryContext cxt;			/* where the keys kept live */
	char	   *last;			/* the key the read now goes on after */
	int			lastlen;
	char	   *mark;			/* a key every later one is compared with */
	int			marklen;
	long		steps;			/* pages since the mark was set */
	long		power;			/* pages until it is set again */
	long		pages;
} DynKeyTrail;

extern void dyn_key_trail_start(DynKeyTrail *trail, MemoryContext cxt, DynJson *start);
extern char *dyn_build_request(const DynRequest *req, DynJson *start_key, bool pretty);
extern char *dyn_build_unprocessed_request(DynJson *unprocessed);
/* Items of a response located while it arrives (see dyn_item_index_feed). */
typedef struct DynItemIndex
{
	MemoryContext cxt;			/* where item_off and item_len live */
	int			stage;
	int			pos;			/* how far the text is read */
	int			resume_at;		/* cut short: wait until this much has come */
	int			items_at;		/* where the '[' of Items is, or -1 */
	int			after_last;		/* where the last item located ends */
	int			nitems;
	int			cap;
	int		   *item_off;
	int		   *item_len;
} DynItemIndex;

extern void dyn_item_index_reset(DynItemIndex *ix, MemoryContext cxt);
extern void dyn_item_index_feed(DynItemIndex *ix, const char *body, int len);
extern void dyn_parse_page(const char *body, size_t len, DynPage *page,
						   const DynExpect *expect, DynKeyTrail *trail,
						   MemoryContext owner, DynItemIndex *prefix);
extern DynJson *dyn_page_item(DynPage *page, int index);
extern DynJson *dyn_page_item_kept(DynPage *page, int index, MemoryContext owner);
extern DynJson *dyn_item_from_text(const DynExpect *e, const char *text, int len,
								   MemoryContext owner);

/* The key schema and indexes of a DynamoDB table, from DescribeTable. */
typedef struct DynKeySchema
{
	char	   *hash;			/* partition key attribute */
	char		hash_type;		/* 'S', 'N' or 'B' */
	char	   *range;			/* sort key attribute, or NULL */
	char		range_type;
} DynKeySchema;

typedef enum DynProjection
{
	DYN_PROJECT_ALL,
	DYN_PROJECT_KEYS_ONLY,
	DYN_PROJECT_INCLUDE
} DynProjection;

typedef struct DynIndex
{
	char	   *name;
	bool		global;
	DynKeySchema key;
	DynProjection projection;
	List	   *nonkey;			/* INCLUDE: the projected non-key attributes */
} DynIndex;

typedef struct DynTableInfo
{
	char	   *table;
	DynKeySchema key;
	List	   *indexes;		/* DynIndex */
	double		item_count;		/* 0 where the server does not say */
	double		size_bytes;
} DynTableInfo;

extern DynTableInfo *dyn_parse_table_description(const char *body, size_t len);
extern List *dyn_parse_table_names(const char *body, size_t len, char **last,
								   DynKeyTrail *trail);
extern char *dyn_build_describe_request(const char *table);

/* One attribute of an item, key or update: its name and AttributeValue text. */
typedef struct DynAttr
{
	const char *name;
	const char *value;			/* {"S":"x"}, ...; in an update, NULL: REMOVE */
} DynAttr;

/* The writes, and the condition each may carry. */
typedef enum DynWriteOp
{
	DYN_WRITE_PUT,				/* PutItem */
	DYN_WRITE_UPDATE,			/* UpdateItem: SET and REMOVE */
	DYN_WRITE_DELETE			/* DeleteItem */
} DynWriteOp;

typedef enum DynWriteCond
{
	DYN_COND_NONE,
	DYN_COND_ITEM_ABSENT,		/* attribute_not_exists of the partition key */
	DYN_COND_ITEM_PRESENT		/* attribute_exists of the partition key */
} DynWriteCond;

/* Everything one write says; dynamo_api.c turns it into JSON. */
typedef struct DynWriteRequest
{
	DynWriteOp	op;
	const char *table;
	const char *hash_key;		/* the partition key attribute, for conditions */
	List	   *item;			/* DynAttr: Put's item */
	List	   *key;			/* DynAttr: Update's and Delete's key */
	List	   *update;			/* DynAttr: Update's SET (value) and REMOVE (NULL) */
	DynWriteCond condition;
	const char *return_values;	/* ALL_OLD, ALL_NEW; NULL: none */
} DynWriteRequest;

extern char *dyn_build_write_request(const DynWriteRequest *w);
extern char *dyn_build_write_action(const DynWriteRequest *w);
extern char *dyn_build_batch_write_request(const char *table, List *items);
extern char *dyn_build_transact_write_request(List *actions);
extern char *dyn_build_unprocessed_writes(const char *response);
extern char *dyn_build_map(List *attrs);
extern char *dyn_value_text(const DynValue *v);
extern char *dyn_build_list_tables_request(const char *start);

/* ---- token.c ---- */

/* What a token is bound to, and the key it holds. */
typedef struct DynTokenScope
{
	const char *table;
	const char *index;			/* NULL: the table */
	const char *binding;		/* hash of the request's conditions */
	const char *secret;			/* NULL: unsigned */
	int			nkeys;
	const char *key_names[4];	/* table keys, then the index's */
	char		key_types[4];
} DynTokenScope;

extern bool dyn_key_valid(DynJson *key, int nkeys, const char *const *names,
						  const char *types, const char **what);

extern char *dyn_request_binding(const DynRequest *req);
extern char *dyn_token_encode(const DynTokenScope *scope, DynJson *key);
extern DynJson *dyn_token_decode(const DynTokenScope *scope, const char *token,
								 MemoryContext owner);
extern DynJson *dyn_item_key_object(DynJson *item, const DynTokenScope *scope,
									MemoryContext owner);
extern DynJson *dyn_start_at_key(const char *plain, const DynTokenScope *scope,
								 MemoryContext owner);
extern char *dyn_json_text(DynJson *obj);
extern DynJson *dyn_json_copy(DynJson *obj, MemoryContext owner);
extern List *dyn_parse_filter(const char *plain);

/* ---- jsontext.c ---- */

/* JSON text being scanned: from start, now at p, up to end. */
typedef struct DynText
{
	const char *start;
	const char *p;
	const char *end;
} DynText;

/* Past any white space. */
static inline void
dyn_text_ws(DynText *t)
{
	while (t->p < t->end &&
		   (*t->p == ' ' || *t->p == '\n' || *t->p == '\r' || *t->p == '\t'))
		t->p++;
}

/* Past the character c, after any white space. */
static inline bool
dyn_text_char(DynText *t, char c)
{
	dyn_text_ws(t);
	if (t->p >= t->end || *t->p != c)
		return false;
	t->p++;
	return true;
}

/*
 * The first '"' or '\\' from p on, or end if there is none.  Strings are
 * most of a page's text: with SSE2, 16 bytes are looked at a time.
 */
static inline const char *
dyn_text_quote_or_escape(const char *p, const char *end)
{
#if defined(__SSE2__)
	const __m128i quote = _mm_set1_epi8('"');
	const __m128i backslash = _mm_set1_epi8('\\');

	while (end - p >= 16)
	{
		__m128i		chunk = _mm_loadu_si128((const __m128i *) p);
		uint32		mask;

		mask = (uint32) _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(chunk, quote),
													   _mm_cmpeq_epi8(chunk, backslash)));
		if (mask != 0)
			return p + pg_rightmost_one_pos32(mask);
		p += 16;
	}
#endif
	while (p < end && *p != '"' && *p != '\\')
		p++;
	return p;
}

/*
 * Past a string; its text (escapes and all) in *s and *len when asked.
 * With escapes false, a string that has any is refused.
 */
static inline bool
dyn_text_string(DynText *t, const char **s, int *len, bool escapes)
{
	const char *start;

	if (!dyn_text_char(t, '"'))
		return false;
	start = t->p;
	for (;;)
	{
		t->p = dyn_text_quote_or_escape(t->p, t->end);
		if (t->p >= t->end)
			return false;
		if (*t->p == '"')
			break;
		if (!escapes)
			return false;
		t->p += 2;				/* the backslash and what it escapes */
	}
	if (s)
		*s = start;
	if (len)
		*len = (int) (t->p - start);
	t->p++;
	return true;
}

/*
 * Past the opening of an attribute value of type S, N or BOOL written
 * without white space ({"S":), its type in *type and *typelen; false, and
 * nothing passed, for anything else.
 */
static inline bool
dyn_text_type_prefix(DynText *t, const char **type, int *typelen)
{
	const char *p = t->p;

	if (t->end - p < 8 || p[0] != '{' || p[1] != '"')
		return false;
	if ((p[2] == 'S' || p[2] == 'N') && p[3] == '"' && p[4] == ':')
	{
		*type = p + 2;
		*typelen = 1;
		t->p = p + 5;
		return true;
	}
	if (memcmp(p + 2, "BOOL\":", 6) == 0)
	{
		*type = p + 2;
		*typelen = 4;
		t->p = p + 8;
		return true;
	}
	return false;
}

/* Past the literal word (true, false, null). */
static inline bool
dyn_text_literal(DynText *t, const char *word)
{
	size_t		n = strlen(word);

	dyn_text_ws(t);
	if (t->end - t->p < (long) n || memcmp(t->p, word, n) != 0)
		return false;
	t->p += n;
	return true;
}

/*
 * How deep DynamoDB JSON may nest: 32 levels of M and L as DynamoDB allows,
 * and room for the item and the response around them.  json-c is given the
 * same limit, in JSON levels.
 */
#define DYN_MAX_NESTING		34
#define DYN_JSON_MAX_DEPTH	(2 * DYN_MAX_NESTING + 4)

/* A member name met by a check, for finding names given twice. */
typedef struct DynName
{
	const char *s;				/* raw text, between the quotes */
	int			len;
	bool		escaped;		/* holds escapes: compare decoded */
} DynName;

/*
 * The state of a strict check of response text.  A check that fails sets
 * what (a description) and at (where); one that fails with what NULL ran
 * out of text, so the same text with more after it may pass.
 */
typedef struct DynCheck
{
	const char *what;
	const char *at;
	bool		out_of_memory;
	MemoryContext cxt;			/* where room for more names comes from */
	DynName    *names;			/* names of the objects being checked */
	int			nnames;
	int			maxnames;
	DynName		first[32];
} DynCheck;

/* A number as DynamoDB writes it, located in its text. */
typedef struct DynNumber
{
	bool		negative;
	bool		zero;
	const char *first;			/* first and last significant digit */
	const char *last;
	long		exponent;		/* of the first significant digit */
} DynNumber;

extern void dyn_check_init(DynCheck *chk, MemoryContext cxt);
extern void dyn_check_done(DynCheck *chk);
extern bool dyn_check_name(DynText *t, DynCheck *chk, const char **s, int *len);
extern bool dyn_check_unique(DynCheck *chk, int base);
extern bool dyn_text_check_value(DynText *t, DynCheck *chk);
extern bool dyn_text_check_item(DynText *t, DynCheck *chk);
extern bool dyn_number_parse(const char *s, int len, DynNumber *num);
extern bool dyn_number_check(const char *s, int len, const char **what);
extern void dyn_number_canonical(const char *s, int len, StringInfo out);
extern bool dyn_base64_check(const char *s, int len);
extern bool dyn_text_skip(DynText *t);
extern bool dyn_text_unescape(const char *s, int len, StringInfo out);

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

/*
 * Types the fast path builds from N or S text itself, without the type's
 * input function (exactly the type, no domain, no typmod): the value is the
 * input function's, to the bit.
 */
typedef enum DynDirectKind
{
	DYN_DIRECT_NONE,
	DYN_DIRECT_TEXT,			/* text from S, N or BOOL */
	DYN_DIRECT_INT2,			/* smallint, integer, bigint from N */
	DYN_DIRECT_INT4,
	DYN_DIRECT_INT8,
	DYN_DIRECT_NUMERIC			/* numeric without typmod from N */
} DynDirectKind;

/* How to turn an attribute into the value of one column; set up by scan.c. */
typedef struct DynColumn
{
	AttrNumber	attnum;
	char	   *colname;
	char	   *attname;		/* DynamoDB attribute name */
	int			attnamelen;
	DynColumnKind kind;
	DynMetaKind meta;			/* not an attribute but the item, ... */
	char	   *typname;
	int32		typmod;
	FmgrInfo	input;			/* input function of the type, or of the
								 * element type of an array column */
	Oid			ioparam;
	DynDirectKind direct;		/* built without input, where it can be */
	/* array columns only */
	DynColumnKind elemkind;
	Oid			elemtype;
	char	   *elemtypname;
	int16		elemlen;
	bool		elembyval;
	char		elemalign;
} DynColumn;

/*
 * What the fast path keeps of one scan's columns and items: the column each
 * attribute matched last, by the attribute's place in the item (items of
 * one table mostly list their attributes in one order), and the columns
 * that read the same attribute.  Set up with the columns, in a context that
 * lives as long as they do.
 */
#define DYN_FAST_PLACES 64
typedef struct DynFastMap
{
	int			ncols;
	int		   *same_next;		/* per column: the next column of the same
								 * attribute, or -1 */
	int16		last[DYN_FAST_PLACES];	/* per place: a column, or -1 */
} DynFastMap;

extern DynDirectKind dyn_direct_kind(Oid typid, int32 typmod);
extern void dyn_fast_map_init(DynFastMap *map, DynColumn *cols, int ncols);
extern Datum dyn_convert_value(DynColumn *col, DynJson *value, bool *isnull);
extern Datum dyn_item_value(DynColumn *col, DynJson *item, bool *isnull,
							const char *relname);
extern Datum dyn_whole_item_value(DynColumn *col, DynJson *item);
extern char *dyn_item_key_text(DynJson *item, const char *attname);
extern void dyn_append_item_json(StringInfo buf, DynJson *item, DynColumn *cols, int ncols);
extern bool dyn_item_fast_values(DynColumn *cols, int ncols, DynFastMap *map,
								 const char *text, int len, Datum *values, bool *nulls,
								 const char *relname, bool *others);
extern bool dyn_item_other_attributes(const char *text, int len, List *names);

/* items of each page a scan looks at before its next request */
#define DYN_PROBE_ITEMS 16

/* ---- metadata.c ---- */
extern DynTableInfo *dyn_get_table_info(Oid foreigntableid, Oid userid, DynOptions *opts);
extern List *dynomiteImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid);

/* ---- analyze.c ---- */
extern bool dynomiteAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func,
										BlockNumber *totalpages);

/* ---- paging.c ---- */
extern void dyn_paging_init(void);

/* ---- join.c ---- */
extern void dyn_join_init(void);

/* ---- dynomite_fdw.c ---- */
extern void _PG_init(void);
extern bool dyn_allow_full_scan;	/* dynomite_fdw.allow_full_scan */
extern double dyn_max_read_capacity_per_query;	/* 0: no cap */

/* ---- budget.c ---- */
extern void dyn_budget_shmem_init(void);
extern bool dyn_budget_shared(void);
extern bool dyn_budget_active(const DynOptions *opts);
extern bool dyn_budget_paced(const char *operation);
extern long dyn_budget_wait_ms(const DynOptions *opts, const char *operation);
extern void dyn_budget_waited(const DynOptions *opts, double ms);
extern void dyn_account_page(const void *arg, const DynPage *page);
extern void dyn_stat_request(const DynOptions *opts, const char *operation,
							 int retries, int throttles, bool failed);
extern void dyn_stat_add_reads(const DynOptions *opts, const char *operation, long requests,
							   long items, double capacity, long retries, long throttles);

/* ---- deparse.c ---- */

typedef enum DynCondOp
{
	DYN_EQ,
	DYN_NE,
	DYN_LT,
	DYN_LE,
	DYN_GT,
	DYN_GE,
	DYN_BEGINS,					/* LIKE 'prefix%' */
	DYN_IN,						/* = ANY(array) */
	DYN_ISNULL,
	DYN_NOTNULL,
	DYN_EXISTS,					/* item ? 'a': present, of any type */
	DYN_MISSING					/* NOT (item ? 'a') */
} DynCondOp;

/* One condition DynamoDB can evaluate: attribute op value. */
typedef struct DynCond
{
	DynCondOp	op;
	char	   *attname;
	char		dyntype;		/* 'S', 'N', 'B', 'T' (BOOL); 0 for null tests */
	bool		keyed;			/* a key attribute of the table or an index,
								 * of that key's type: never empty */
	Expr	   *value;			/* planning only: the value, or NULL */
	int			valueidx;		/* the value's index in the value list, or -1 */
	RestrictInfo *rinfo;		/* planning only: the clause it came from */
} DynCond;

/* A condition DynamoDB might take, and the clause it came from. */
typedef struct DynClause
{
	RestrictInfo *rinfo;		/* NULL for the paging functions' filter */
	List	   *conds;			/* DynCond; more than one: an OR */
	bool		implied;		/* implied by another clause, which is checked
								 * locally: for the keys only (rinfo NULL) */
} DynClause;

extern char dyn_column_dyntype(Oid typid);
extern bool dyn_attribute_ref(PlannerInfo *root, RelOptInfo *baserel, Expr *expr,
							  char **attname, char *dyntype);
extern bool dyn_classify_clause(PlannerInfo *root, RelOptInfo *baserel, Expr *clause,
								List **conds);
extern List *dyn_classify_filter(Oid relid, List *filter);
extern List *dyn_implied_lists(PlannerInfo *root, RelOptInfo *baserel, Expr *clause);
extern const char *dyn_cond_op_text(DynCondOp op);
extern char *dyn_display_conditions(List *conds, List *filters, char **value_text);

/* ---- access.c ---- */

/*
 * What choosing a request needs to know of a foreign table: for planning,
 * baserel->fdw_private; the paging functions make one too.
 */
typedef struct DynRelInfo
{
	Oid			relid;
	DynOptions *opts;
	DynTableInfo *info;			/* NULL when pushdown is off */
	Oid			userid;
	double		items;			/* items in the table */
	double		item_bytes;
	bool		size_known;		/* items from DynamoDB or ANALYZE, not a
								 * guess */
	Bitmapset  *attrs_needed;	/* every column the query mentions */
	bool		wants_tokens;	/* a next_token or page_number column is
								 * mentioned, or the reader pages: the read
								 * is paged, not looked up */
	bool		whole_items;	/* the reader wants items as the table or
								 * index holds them (the paging functions) */
	bool		exact;			/* nothing is checked locally: every
								 * condition goes to DynamoDB as it is */
} DynRelInfo;

/*
 * The access description: what is read and how, for a scan, a join or the
 * paging functions.  Made at plan time (for the paging functions when they
 * are called) and carried in fdw_private or custom_private.
 */
typedef struct DynPlan
{
	List	   *retrieved;		/* attnums the scan returns */
	bool		count_only;		/* Select=COUNT: rows, but no column */
	DynOperation op;
	char	   *index;			/* NULL: the table */
	List	   *key_conds;		/* DynCond: partition key, then sort key */
	List	   *filters;		/* List of List of DynCond: AND of ORs */
	bool		exact_filters;	/* filters decide alone: no other type kept */
	bool		forward;		/* ScanIndexForward */
	int			bound;			/* rows the query needs at most; 0: all */
	char	   *hash_key;		/* the table's key, for GetItem and
								 * BatchGetItem */
	char	   *range_key;
	bool		consistent_read;
	Expr	   *start_token;	/* planning only: where to start */
	int			start_token_idx;	/* its index in the value list, or -1 */
	bool		start_plain;	/* the start is a plain JSON key (start_at),
								 * not a next_token */
	List	   *token_keys;		/* String and Integer pairs: the key
								 * attributes a token holds, and types */
	bool		read_all;		/* the query will read every row */
	List	   *projection;		/* String: attribute names; NIL: all */
	bool		projection_optional;	/* it names every column: sent only
										 * once items carry more */
	int			streams;		/* Scan segments or partitions side by side,
								 * in each process of a parallel scan */
	int			total_segments; /* Scan: segments of the table, 1 for none */
	bool		parallel;		/* processes of a parallel query share the
								 * segments or partitions */
	bool		nothing;		/* constants no item can match: send nothing */
	char	   *full_scan_hint; /* a Scan of the whole table or index: what
								 * would make it a Query or GetItem; else
								 * NULL */
	double		scan_capacity;	/* a Scan's read capacity from the table's
								 * size; -1: unknown */
} DynPlan;

/* The outcome of choosing a request for a set of conditions. */
typedef struct DynAccess
{
	DynPlan		plan;
	DynKeySchema key;			/* of the table or index read */
	List	   *local;			/* RestrictInfos checked locally */
	List	   *keyed;			/* DynClauses the request's keys take */
	double		items_read;		/* items DynamoDB reads */
	double		requests;
	double		rows;			/* rows returned after local checks */
} DynAccess;

/* what a reader wants besides its columns, for dyn_plan_reading */
#define DYN_READ_KEYS	0x01	/* the key attributes, to match items */
#define DYN_READ_TOKENS	0x02	/* tokens: the key attributes they hold */
#define DYN_READ_ITEMS	0x04	/* whole items */

extern DynRelInfo *dyn_rel_info(Oid relid, Oid userid, bool need_info);
extern void dyn_choose_access(DynRelInfo *ri, List *clauses, Expr *start_token,
							  DynAccess *acc);
extern List *dyn_plan_values(DynPlan *plan);
extern void dyn_plan_reading(DynPlan *plan, Relation rel, const DynOptions *opts,
							 int flags);
extern bool dyn_plan_may_share(const DynPlan *plan, const DynOptions *opts);
extern void dyn_plan_parallel(DynPlan *plan, const DynOptions *opts, int workers);
extern List *dyn_serialize_plan(const DynPlan *plan);
extern bool dyn_full_scan_refused(const DynPlan *plan, const DynOptions *opts);
extern void dyn_refuse_full_scan(const DynPlan *plan, const DynOptions *opts);
extern DynPlan *dyn_deserialize_plan(List *private);

/* ---- request.c ---- */

/* A value expression evaluated for one execution. */
typedef struct DynParamValue
{
	Datum		value;
	bool		isnull;
	Oid			type;
} DynParamValue;

/* Where the BatchGetItem requests of an execution are. */
typedef struct DynBatchCursor
{
	List	   *keys;			/* DynKey: every key to read */
	int			next;			/* the first key not yet asked for */
	int			tries;			/* answers in a row with unprocessed keys */
} DynBatchCursor;

/*
 * One execution of an access description: its values known and DynamoDB's
 * rules applied to them.
 */
typedef struct DynExecution
{
	const DynPlan *plan;
	const DynOptions *opts;
	const DynParamValue *params;
	bool		nothing;		/* no item can match: nothing is sent */
	List	   *partitions;		/* Query: DynValue per partition-key value */
	int			nsort;			/* Query: sort-key conditions (0 to 2) */
	DynCondOp	sort_ops[2];
	DynValue   *sort_values[2];
	List	   *keys;			/* GetItem, BatchGetItem: DynKey */
	DynBatchCursor batch;
	DynJson    *start_key;		/* where the first request starts, or NULL */
	int			start_partition;
	DynTokenScope scope;		/* what the execution's tokens are bound to */
} DynExecution;

extern DynParamValue *dyn_const_params(List *exprs);
extern List *dyn_cond_values(const DynCond *cond, const DynParamValue *params, bool keyed,
							 bool exact, bool *unsent);
extern void dyn_execution_begin(DynExecution *ex, const DynPlan *plan,
								const DynOptions *opts, const DynParamValue *params,
								bool tokens, bool resume);
extern List *dyn_execution_keys(const DynPlan *plan, const DynParamValue *params);
extern void dyn_base_request(const DynPlan *plan, const DynOptions *opts, DynRequest *req);
extern void dyn_plan_expect(const DynPlan *plan, const DynOptions *opts, DynExpect *expect);
extern bool dyn_render_conditions(DynExecution *ex, int partition, DynRequest *req);
extern void dyn_unprocessed_pause(int *tries, const DynOptions *opts, const char *what);
extern char *dyn_batch_next(DynBatchCursor *c, const DynRequest *req, DynPage *last,
							const DynOptions *opts);
extern char *dyn_key_lookup_text(const DynKey *key);
extern char *dyn_item_lookup_text(DynJson *item, const DynPlan *plan);
extern void dyn_add_projection_names(DynRequest *req, List *attributes);

/* ---- planner.c ---- */
extern void dynomiteGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel,
									  Oid foreigntableid);
extern void dynomiteGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel,
									Oid foreigntableid);
extern ForeignScan *dynomiteGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel,
										   Oid foreigntableid, ForeignPath *best_path,
										   List *tlist, List *scan_clauses,
										   Plan *outer_plan);
extern bool dynomiteIsForeignScanParallelSafe(PlannerInfo *root, RelOptInfo *rel,
											  RangeTblEntry *rte);

/* ---- scan.c ---- */
extern void dyn_init_column(DynColumn *col, Relation rel, AttrNumber attnum);
extern void dynomiteBeginForeignScan(ForeignScanState *node, int eflags);
extern TupleTableSlot *dynomiteIterateForeignScan(ForeignScanState *node);
extern void dynomiteReScanForeignScan(ForeignScanState *node);
extern void dynomiteEndForeignScan(ForeignScanState *node);
extern void dynomiteExplainForeignScan(ForeignScanState *node, ExplainState *es);
extern Size dynomiteEstimateDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt);
extern void dynomiteInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt,
											 void *coordinate);
extern void dynomiteReInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt,
											   void *coordinate);
extern void dynomiteInitializeWorkerForeignScan(ForeignScanState *node, shm_toc *toc,
												void *coordinate);
extern void dynomiteShutdownForeignScan(ForeignScanState *node);

/* ---- write_convert.c ---- */

#define DYN_MAX_ITEM_BYTES	(400 * 1024)

/* What a value is written as. */
typedef enum DynWriteKind
{
	DYN_WRITE_S,				/* through the type's output function */
	DYN_WRITE_N,
	DYN_WRITE_B,
	DYN_WRITE_BOOL,
	DYN_WRITE_JSON,				/* M, L, S, N, BOOL or NULL */
	DYN_WRITE_ARRAY				/* SS, NS, BS, or L */
} DynWriteKind;

/* How to turn the value of one column into an AttributeValue. */
typedef struct DynWriteColumn
{
	AttrNumber	attnum;
	char	   *colname;
	char	   *attname;		/* DynamoDB attribute name */
	DynMetaKind meta;
	Oid			typid;			/* base type */
	char		keytype;		/* 'S', 'N' or 'B' for a key attribute, or 0 */
	DynWriteKind kind;
	FmgrInfo	output;			/* of the type, or of an array's element */
	/* array columns only */
	DynWriteKind elemkind;
	Oid			elemtype;
	int16		elemlen;
	bool		elembyval;
	char		elemalign;
} DynWriteColumn;

extern void dyn_init_write_column(DynWriteColumn *col, Relation rel, AttrNumber attnum,
								  const DynKeySchema *key);
extern bool dyn_append_attribute_value(StringInfo buf, DynWriteColumn *col, Datum value,
									   bool isnull, int *size, const char *relname);
extern void dyn_check_item_size(int size, const char *relname);

/* One attribute of a whole-item (meta 'item') column's value. */
typedef struct DynItemAttribute
{
	char	   *name;			/* UTF-8 */
	char	   *value;			/* AttributeValue text */
	int			size;			/* DynamoDB's size of it, name included */
	bool		taken;			/* a column gives this attribute */
} DynItemAttribute;

extern List *dyn_item_attributes(DynWriteColumn *col, Datum value, const char *relname);
extern bool dyn_same_attribute_value(const char *a, const char *b);

/* ---- modify.c ---- */
extern void dyn_modify_init(void);
extern void dyn_modify_routines(FdwRoutine *routine);

#endif							/* DYNOMITE_FDW_H */
