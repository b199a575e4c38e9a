/*-------------------------------------------------------------------------
 * connection.c
 *		HTTP connections to DynamoDB: one libcurl handle per user mapping,
 *		cached for the life of the backend so that keep-alive connections are
 *		reused, and dropped when the server or user mapping changes.  Sends
 *		signed requests, each read paced by its read budget (budget.c) first,
 *		retries what may be retried with backoff, counts how each request
 *		ended in the table's statistics, and stays cancellable throughout.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>

#include "access/xact.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "dynomite_fdw.h"
#include "sigv4.h"

#define DYN_TARGET_PREFIX		"DynamoDB_20120810."
#define DYN_POLL_MS				100		/* how often a wait looks at interrupts */
#define DYN_BACKOFF_BASE_MS		50
#define DYN_BACKOFF_CAP_MS		5000

/* Where a response's body goes, and how much of it may come. */
typedef struct DynSink
{
	CURL	   *easy;			/* the transfer, for its Content-Length */
	StringInfo	body;
	size_t		limit;
	bool		too_large;		/* it grew past limit and was cut off */
	bool		out_of_memory;	/* there was no room for more of it */
} DynSink;

struct DynConnection
{
	Oid			umid;			/* hash key: the user mapping's OID */
	Oid			serverid;
	CURL	   *easy;
	CURLM	   *multi;
	char	   *endpoint;		/* what the handle was set up for (malloc'd) */
	int			nasync;			/* asynchronous requests that use multi */
	bool		sync_done;		/* the transfer of easy has finished */
	CURLcode	sync_rc;
	DynSink		sink;			/* of the synchronous request */
	bool		invalidated;
	uint32		server_hashvalue;
	uint32		mapping_hashvalue;
	char		errbuf[CURL_ERROR_SIZE];
};

static HTAB *ConnectionHash = NULL;

static void
dyn_close_connection(DynConnection *entry)
{
	if (entry->multi)
		curl_multi_cleanup(entry->multi);
	if (entry->easy)
		curl_easy_cleanup(entry->easy);
	free(entry->endpoint);
	entry->multi = NULL;
	entry->easy = NULL;
	entry->endpoint = NULL;
}

static void
dyn_inval_callback(Datum arg, int cacheid, uint32 hashvalue)
{
	HASH_SEQ_STATUS scan;
	DynConnection *entry;

	hash_seq_init(&scan, ConnectionHash);
	while ((entry = (DynConnection *) hash_seq_search(&scan)) != NULL)
	{
		if (hashvalue == 0 ||
			(cacheid == FOREIGNSERVEROID && entry->server_hashvalue == hashvalue) ||
			(cacheid == USERMAPPINGOID && entry->mapping_hashvalue == hashvalue))
			entry->invalidated = true;
	}
}

/*
 * More of a response.  One that grows past its limit is cut off at once:
 * returning less than was given ends the transfer, so a hostile or broken
 * endpoint cannot make a backend hold more than the limit.
 */
static size_t
dyn_write_callback(char *data, size_t size, size_t nmemb, void *userdata)
{
	DynSink    *sink = (DynSink *) userdata;
	StringInfo	buf = sink->body;
	size_t		len = size * nmemb;
	size_t		need = (size_t) buf->len + len + 1;

	if (need - 1 > sink->limit)
	{
		sink->too_large = true;
		return 0;
	}
	if (need > (size_t) buf->maxlen)
	{
		/*
		 * Grow here, never past the limit, and without raising an error
		 * inside libcurl: StringInfo would double past it, or raise one.
		 */
		size_t		newmax = Max((size_t) buf->maxlen * 2, need);
		curl_off_t	length = -1;
		char	   *more;

		/*
		 * The first time, room for the whole body its Content-Length
		 * announces: a page is copied in once, not again at each doubling.
		 * Not beyond a Scan's limit, whatever a header claims: more room
		 * than that comes only as the body does.
		 */
		if (buf->len == 0 &&
			curl_easy_getinfo(sink->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) == CURLE_OK &&
			length > 0 && length <= DYN_RESPONSE_LIMIT && (size_t) length + 1 > newmax)
			newmax = (size_t) length + 1;
		newmax = Min(newmax, sink->limit + 1);
		more = MemoryContextAllocExtended(GetMemoryChunkContext(buf->data),
										  newmax, MCXT_ALLOC_NO_OOM);

		if (more == NULL)
		{
			sink->out_of_memory = true;
			return 0;
		}
		memcpy(more, buf->data, buf->len + 1);
		pfree(buf->data);
		buf->data = more;
		buf->maxlen = (int) newmax;
	}
	appendBinaryStringInfo(buf, data, (int) len);
	return len;
}

pg_noreturn static void dyn_report_too_large(DynOptions *opts, const char *operation,
											 size_t limit);

static void
dyn_sink_reset(DynSink *sink, CURL *easy, StringInfo body, const char *operation)
{
	sink->easy = easy;
	sink->body = body;
	sink->limit = Min(dyn_response_limit(operation), MaxAllocSize / 2);
	sink->too_large = false;
	sink->out_of_memory = false;
}

/* A transfer the sink cut off: why, as an error. */
static void
dyn_sink_check(DynSink *sink, DynOptions *opts, const char *operation)
{
	if (sink->out_of_memory)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Receiving a DynamoDB %s response of %d bytes.",
						   operation, sink->body->len)));
	if (sink->too_large)
		dyn_report_too_large(opts, operation, sink->limit);
}

static void
dyn_report_too_large(DynOptions *opts, const char *operation, size_t limit)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_REPLY_HANDLE),
			 errmsg("invalid %s response from DynamoDB", operation),
			 errdetail("The response grew past %zu bytes, the most a %s response may hold, and was cut off.",
					   limit, operation),
			 errhint("DynamoDB's own pages are much smaller; for items of many small attributes, a smaller page_size helps."),
			 opts->table ?
			 errcontext("DynamoDB %s request on table \"%s\"", operation, opts->table) : 0));
}

static void
dyn_setup_handle(DynConnection *entry, DynOptions *opts)
{
	entry->easy = curl_easy_init();
	entry->multi = curl_multi_init();
	entry->endpoint = strdup(opts->endpoint);
	if (entry->easy == NULL || entry->multi == NULL || entry->endpoint == NULL)
	{
		dyn_close_connection(entry);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not create an HTTP handle for DynamoDB")));
	}

	curl_easy_setopt(entry->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(entry->easy, CURLOPT_ERRORBUFFER, entry->errbuf);
	curl_easy_setopt(entry->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(entry->easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(entry->easy, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(entry->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(entry->easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(entry->easy, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(entry->easy, CURLOPT_POST, 1L);
	curl_easy_setopt(entry->easy, CURLOPT_WRITEFUNCTION, dyn_write_callback);
}

/*
 * The cached connection of a user mapping, created on first use.
 */
DynConnection *
dyn_get_connection(ForeignServer *server, UserMapping *user, DynOptions *opts)
{
	DynConnection *entry;
	bool		found;

	if (ConnectionHash == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(DynConnection);
		ConnectionHash = hash_create("dynomite_fdw connections", 8, &ctl,
									 HASH_ELEM | HASH_BLOBS);
		CacheRegisterSyscacheCallback(FOREIGNSERVEROID, dyn_inval_callback, (Datum) 0);
		CacheRegisterSyscacheCallback(USERMAPPINGOID, dyn_inval_callback, (Datum) 0);
	}

	entry = hash_search(ConnectionHash, &user->umid, HASH_ENTER, &found);
	if (!found)
	{
		entry->easy = NULL;
		entry->multi = NULL;
		entry->endpoint = NULL;
		entry->nasync = 0;
		entry->invalidated = false;
	}

	/*
	 * A changed server or mapping, or another endpoint: start afresh, unless
	 * a scan still has requests on the handles.
	 */
	if (entry->easy != NULL && entry->nasync == 0 &&
		(entry->invalidated || strcmp(entry->endpoint, opts->endpoint) != 0))
		dyn_close_connection(entry);

	if (entry->easy == NULL)
	{
		entry->serverid = server->serverid;
		entry->invalidated = false;
		entry->server_hashvalue =
			GetSysCacheHashValue1(FOREIGNSERVEROID, ObjectIdGetDatum(server->serverid));
		entry->mapping_hashvalue =
			GetSysCacheHashValue1(USERMAPPINGOID, ObjectIdGetDatum(user->umid));
		dyn_setup_handle(entry, opts);
	}
	return entry;
}

/* The Host header: the endpoint without its scheme. */
static const char *
dyn_endpoint_host(const char *endpoint)
{
	const char *p = strstr(endpoint, "://");

	return p ? p + 3 : endpoint;
}

/* ---------------------------------------------------------------------
 * Driving transfers
 * ---------------------------------------------------------------------
 */

/* An asynchronous request: its own handle on the connection's multi. */
struct DynAsync
{
	DynConnection *conn;
	CURL	   *easy;
	struct curl_slist *headers;
	bool		active;			/* added to the multi handle */
	bool		done;			/* its transfer has finished */
	CURLcode	rc;
	char	   *operation;
	const char *payload;
	size_t		payload_len;
	char	   *url;
	StringInfo	body;
	DynSink		sink;
	DynAsyncWatch watch;		/* told of every part of the body */
	void	   *watch_arg;
	char		errbuf[CURL_ERROR_SIZE];
};

/* An asynchronous request's body, and whoever watches it grow. */
static size_t
dyn_async_write_callback(char *data, size_t size, size_t nmemb, void *userdata)
{
	DynAsync   *a = (DynAsync *) userdata;
	size_t		n = dyn_write_callback(data, size, nmemb, &a->sink);

	if (n > 0 && a->watch)
		a->watch(a->watch_arg, a->body);
	return n;
}

/* Note the transfers that finished, for the synchronous one or an async. */
static void
dyn_dispatch_messages(DynConnection *conn)
{
	CURLMsg    *msg;
	int			nmsgs;

	while ((msg = curl_multi_info_read(conn->multi, &nmsgs)) != NULL)
	{
		char	   *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		if (priv == NULL)
		{
			conn->sync_done = true;
			conn->sync_rc = msg->data.result;
		}
		else
		{
			DynAsync   *a = (DynAsync *) priv;

			a->done = true;
			a->rc = msg->data.result;
		}
	}
}

/*
 * Move every transfer on as far as it goes without waiting.
 */
void
dyn_async_progress(DynConnection *conn)
{
	int			running = 0;
	CURLMcode	mc = curl_multi_perform(conn->multi, &running);

	if (mc != CURLM_OK)
		elog(ERROR, "curl_multi_perform failed: %s", curl_multi_strerror(mc));
	dyn_dispatch_messages(conn);
}

/*
 * Wait for socket activity, at most DYN_POLL_MS, under the request wait
 * event; then honour statement_timeout and cancel requests.
 */
static void
dyn_poll(DynConnection *conn)
{
	CURLMcode	mc;

	pgstat_report_wait_start(dyn_request_wait_event());
	mc = curl_multi_poll(conn->multi, NULL, 0, DYN_POLL_MS, NULL);
	pgstat_report_wait_end();
	if (mc != CURLM_OK)
		elog(ERROR, "curl_multi_poll failed: %s", curl_multi_strerror(mc));
	CHECK_FOR_INTERRUPTS();
}

/*
 * Wait until the read budget lets a request go, looking at interrupts
 * every DYN_POLL_MS; requests of a scan in flight move on meanwhile.
 */
static void
dyn_pace(DynConnection *conn, DynOptions *opts, const char *operation)
{
	TimestampTz began = 0;
	long		wait_ms;

	while ((wait_ms = dyn_budget_wait_ms(opts, operation)) > 0)
	{
		CURLMcode	mc;

		if (began == 0)
			began = GetCurrentTimestamp();
		pgstat_report_wait_start(dyn_budget_wait_event());
		mc = curl_multi_poll(conn->multi, NULL, 0, (int) Min(wait_ms, DYN_POLL_MS), NULL);
		pgstat_report_wait_end();
		if (mc != CURLM_OK)
			elog(ERROR, "curl_multi_poll failed: %s", curl_multi_strerror(mc));
		CHECK_FOR_INTERRUPTS();
		dyn_async_progress(conn);
	}
	if (began != 0)
		dyn_budget_waited(opts, (double) (GetCurrentTimestamp() - began) / 1000.0);
}

/* Drive transfers until *done is set. */
static void
dyn_drive(DynConnection *conn, bool *done)
{
	for (;;)
	{
		dyn_async_progress(conn);
		if (*done)
			return;
		dyn_poll(conn);
	}
}

/*
 * Run one transfer on the connection's multi handle; requests of a scan
 * that are in flight move on meanwhile.
 */
static CURLcode
dyn_perform(DynConnection *conn)
{
	CURLMcode	mc;

	conn->sync_done = false;
	conn->sync_rc = CURLE_OK;
	mc = curl_multi_add_handle(conn->multi, conn->easy);
	if (mc != CURLM_OK)
		elog(ERROR, "curl_multi_add_handle failed: %s", curl_multi_strerror(mc));

	PG_TRY();
	{
		dyn_drive(conn, &conn->sync_done);
	}
	PG_FINALLY();
	{
		curl_multi_remove_handle(conn->multi, conn->easy);
	}
	PG_END_TRY();

	return conn->sync_rc;
}

/* Sleep for a retry, in short steps so that a cancel is seen at once. */
void
dyn_backoff(int attempt)
{
	long		cap = DYN_BACKOFF_BASE_MS;
	long		delay;
	TimestampTz until;

	for (int i = 0; i < attempt && cap < DYN_BACKOFF_CAP_MS; i++)
		cap *= 2;
	if (cap > DYN_BACKOFF_CAP_MS)
		cap = DYN_BACKOFF_CAP_MS;
	/* full jitter: anywhere from nothing to the cap */
	delay = (long) (pg_prng_double(&pg_global_prng_state) * cap);
	until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), delay);

	for (;;)
	{
		long		left;

		CHECK_FOR_INTERRUPTS();
		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until);
		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min(left, DYN_POLL_MS), dyn_backoff_wait_event());
		ResetLatch(MyLatch);
	}
}

static struct curl_slist *
dyn_append_header(struct curl_slist *list, const char *name, const char *value)
{
	char	   *line = psprintf("%s: %s", name, value);
	struct curl_slist *next = curl_slist_append(list, line);

	pfree(line);
	if (next == NULL)
	{
		curl_slist_free_all(list);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory building a DynamoDB request")));
	}
	return next;
}

/* Build and sign the headers of one attempt; the caller frees the list. */
static struct curl_slist *
dyn_signed_headers(DynConnection *conn, DynOptions *opts, const char *target,
				   const char *payload, size_t payload_len)
{
	SigV4Header headers[5];
	int			nheaders = 0;
	SigV4Request req;
	SigV4Credentials cred;
	DynCredKeys keys;
	char		amz_date[17];
	char	   *authorization = NULL;
	struct curl_slist *list = NULL;
	int			rc;

	/* temporary keys are fetched, or refreshed, here: before the date */
	dyn_credentials_get(conn, opts, &keys);

	sigv4_amz_date(time(NULL), amz_date);
	headers[nheaders++] = (SigV4Header) {"Host", dyn_endpoint_host(opts->endpoint)};
	headers[nheaders++] = (SigV4Header) {"Content-Type", "application/x-amz-json-1.0"};
	headers[nheaders++] = (SigV4Header) {"X-Amz-Date", amz_date};
	headers[nheaders++] = (SigV4Header) {"X-Amz-Target", target};
	if (keys.session_token)
		headers[nheaders++] = (SigV4Header) {"X-Amz-Security-Token", keys.session_token};

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = "/";
	req.query = "";
	req.headers = headers;
	req.nheaders = nheaders;
	req.payload = payload;
	req.payload_len = payload_len;
	cred.access_key_id = keys.access_key_id;
	cred.secret_access_key = keys.secret_access_key;
	cred.session_token = keys.session_token;

	rc = sigv4_authorization(&req, &cred, opts->region, "dynamodb", amz_date,
							 &authorization, NULL, NULL);
	if (rc != 0 || authorization == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not sign the DynamoDB request")));

	for (int i = 0; i < nheaders; i++)
		list = dyn_append_header(list, headers[i].name, headers[i].value);
	PG_TRY();
	{
		list = dyn_append_header(list, "Authorization", authorization);
		/* no 100-continue round trip for large bodies */
		list = dyn_append_header(list, "Expect", "");
	}
	PG_FINALLY();
	{
		explicit_bzero(authorization, strlen(authorization));
		free(authorization);
	}
	PG_END_TRY();
	return list;
}

static bool
dyn_curl_error_is_stale(CURLcode rc)
{
	/* what a kept-alive connection the server has closed looks like */
	return rc == CURLE_GOT_NOTHING || rc == CURLE_SEND_ERROR ||
		rc == CURLE_RECV_ERROR;
}

static void
dyn_report_curl_error(DynConnection *conn, DynOptions *opts, const char *operation,
					  CURLcode rc, int tries)
{
	int			sqlstate;
	const char *what;

	switch (rc)
	{
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
		case CURLE_COULDNT_CONNECT:
			sqlstate = ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
			what = "could not connect to DynamoDB endpoint \"%s\"";
			break;
		case CURLE_OPERATION_TIMEDOUT:
			sqlstate = ERRCODE_CONNECTION_FAILURE;
			what = "DynamoDB request to \"%s\" timed out";
			break;
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_SSL_CACERT_BADFILE:
			sqlstate = ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
			what = "could not establish a verified TLS connection to DynamoDB endpoint \"%s\"";
			break;
		default:
			sqlstate = ERRCODE_CONNECTION_FAILURE;
			what = "DynamoDB request to \"%s\" failed";
			break;
	}
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg(what, opts->endpoint),
			 errdetail("%s (%s request).",
					   conn->errbuf[0] ? conn->errbuf : curl_easy_strerror(rc),
					   operation),
			 rc == CURLE_OPERATION_TIMEDOUT ?
			 errhint("The server's request_timeout is %g seconds; it was tried %d times.",
					 opts->request_timeout_ms / 1000.0, tries) :
			 errhint("The request was tried %d times.", tries)));
}

/*
 * Send one DynamoDB request and return its successful response.  Errors
 * that may pass (throttling, 5xx, broken connections) are retried up to
 * max_retries times, of which tried (tries made already, elsewhere, throttled
 * of them throttled) are used; every other failure is raised as an error
 * that says how many tries were made.  Each try of a read waits for the
 * read budget first; the request's end is counted in the table's
 * statistics.
 */
static bool
dyn_request_after(DynConnection *conn, DynOptions *opts, const char *operation,
				  const char *payload, size_t payload_len, DynResponse *resp, int tried,
				  int throttled, const char *accepted_error)
{
	char	   *target = psprintf(DYN_TARGET_PREFIX "%s", operation);
	char	   *url = psprintf("%s/", opts->endpoint);
	bool		stale_retry_used = false;
	int			tries = tried;
	int			throttles = throttled;

	initStringInfo(&resp->body);
	dyn_sink_reset(&conn->sink, conn->easy, &resp->body, operation);

	curl_easy_setopt(conn->easy, CURLOPT_URL, url);
	curl_easy_setopt(conn->easy, CURLOPT_CONNECTTIMEOUT_MS, (long) opts->connect_timeout_ms);
	curl_easy_setopt(conn->easy, CURLOPT_TIMEOUT_MS, (long) opts->request_timeout_ms);
	curl_easy_setopt(conn->easy, CURLOPT_POSTFIELDS, payload);
	curl_easy_setopt(conn->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) payload_len);
	curl_easy_setopt(conn->easy, CURLOPT_WRITEDATA, &conn->sink);

	for (int attempt = tried;; attempt++)
	{
		struct curl_slist *headers;
		CURLcode	rc;
		DynError	err;

		CHECK_FOR_INTERRUPTS();
		dyn_pace(conn, opts, operation);
		resetStringInfo(&resp->body);
		conn->sink.too_large = false;
		conn->sink.out_of_memory = false;
		conn->errbuf[0] = '\0';
		resp->status = 0;

		headers = dyn_signed_headers(conn, opts, target, payload, payload_len);
		curl_easy_setopt(conn->easy, CURLOPT_HTTPHEADER, headers);
		tries++;
		PG_TRY();
		{
			rc = dyn_perform(conn);
		}
		PG_FINALLY();
		{
			curl_easy_setopt(conn->easy, CURLOPT_HTTPHEADER, NULL);
			curl_slist_free_all(headers);
		}
		PG_END_TRY();

		if (rc != CURLE_OK)
			dyn_sink_check(&conn->sink, opts, operation);
		if (rc != CURLE_OK)
		{
			if (dyn_curl_error_is_stale(rc) && !stale_retry_used)
			{
				/* a reused connection closed under us: once more, at once */
				stale_retry_used = true;
				attempt--;
				continue;
			}
			if (attempt < opts->max_retries)
			{
				dyn_backoff(attempt);
				continue;
			}
			dyn_stat_request(opts, operation, tries - 1, throttles, true);
			dyn_report_curl_error(conn, opts, operation, rc, tries);
		}

		curl_easy_getinfo(conn->easy, CURLINFO_RESPONSE_CODE, &resp->status);
		if (resp->status == 200)
			break;

		dyn_parse_error(resp->body.data, resp->body.len, &err);
		if (accepted_error && strcmp(err.type, accepted_error) == 0)
		{
			/* an answer, not an error: the caller reads the body */
			resp->retries = tries - 1;
			resp->throttles = throttles;
			dyn_stat_request(opts, operation, tries - 1, throttles, false);
			pfree(target);
			pfree(url);
			return false;
		}
		if (dyn_error_is_throttle(resp->status, &err))
			throttles++;
		if (dyn_error_is_retryable(resp->status, &err) && attempt < opts->max_retries)
		{
			dyn_backoff(attempt);
			continue;
		}
		dyn_stat_request(opts, operation, tries - 1, throttles, true);
		dyn_report_error(operation, opts, resp->status, &err, tries);
	}
	resp->retries = tries - 1;
	resp->throttles = throttles;
	dyn_stat_request(opts, operation, tries - 1, throttles, false);

	pfree(target);
	pfree(url);
	return true;
}

void
dyn_request(DynConnection *conn, DynOptions *opts, const char *operation,
			const char *payload, size_t payload_len, DynResponse *resp)
{
	(void) dyn_request_after(conn, opts, operation, payload, payload_len, resp, 0, 0, NULL);
}

/*
 * A request whose failure with accepted_error (a condition that did not
 * hold, say) is an answer, not an error: false then, with the error body in
 * resp.
 */
bool
dyn_request_accepting(DynConnection *conn, DynOptions *opts, const char *operation,
					  const char *payload, size_t payload_len, DynResponse *resp,
					  const char *accepted_error)
{
	return dyn_request_after(conn, opts, operation, payload, payload_len, resp, 0, 0,
							 accepted_error);
}

/* ---------------------------------------------------------------------
 * Asynchronous requests: a page fetched while the rows of the one before
 * are returned, and Scan segments side by side
 * ---------------------------------------------------------------------
 */
static void
dyn_async_detach(DynAsync *a)
{
	if (a->active)
	{
		curl_multi_remove_handle(a->conn->multi, a->easy);
		a->active = false;
	}
	if (a->headers)
	{
		curl_slist_free_all(a->headers);
		a->headers = NULL;
	}
}

static void
dyn_async_release(void *arg)
{
	DynAsync   *a = (DynAsync *) arg;

	dyn_async_detach(a);
	if (a->easy)
		curl_easy_cleanup(a->easy);
	a->easy = NULL;
	a->conn->nasync--;
}

/*
 * A handle for asynchronous requests, released with the memory context
 * (so an error anywhere in the scan lets it go too).
 */
DynAsync *
dyn_async_create(DynConnection *conn, MemoryContext cxt)
{
	DynAsync   *a = MemoryContextAllocZero(cxt, sizeof(DynAsync));
	MemoryContextCallback *cb = MemoryContextAlloc(cxt, sizeof(MemoryContextCallback));

	a->conn = conn;
	a->easy = curl_easy_duphandle(conn->easy);
	if (a->easy == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not create an HTTP handle for DynamoDB")));
	curl_easy_setopt(a->easy, CURLOPT_PRIVATE, (char *) a);
	curl_easy_setopt(a->easy, CURLOPT_ERRORBUFFER, a->errbuf);
	curl_easy_setopt(a->easy, CURLOPT_WRITEFUNCTION, dyn_async_write_callback);
	curl_easy_setopt(a->easy, CURLOPT_WRITEDATA, a);
	conn->nasync++;
	cb->func = dyn_async_release;
	cb->arg = a;
	MemoryContextRegisterResetCallback(cxt, cb);
	return a;
}

/*
 * Send a request and return at once; the response collects into body,
 * which (like payload) must live until dyn_async_finish.
 */
void
dyn_async_start(DynAsync *a, DynOptions *opts, const char *operation,
				const char *payload, size_t payload_len, StringInfo body)
{
	MemoryContext cxt = GetMemoryChunkContext(a);
	CURLMcode	mc;

	dyn_async_detach(a);
	dyn_pace(a->conn, opts, operation);
	a->done = false;
	a->rc = CURLE_OK;
	a->errbuf[0] = '\0';
	a->operation = MemoryContextStrdup(cxt, operation);
	a->payload = payload;
	a->payload_len = payload_len;
	a->body = body;
	dyn_sink_reset(&a->sink, a->easy, body, operation);
	if (a->url == NULL)
		a->url = MemoryContextStrdup(cxt, psprintf("%s/", opts->endpoint));

	curl_easy_setopt(a->easy, CURLOPT_URL, a->url);
	curl_easy_setopt(a->easy, CURLOPT_CONNECTTIMEOUT_MS, (long) opts->connect_timeout_ms);
	curl_easy_setopt(a->easy, CURLOPT_TIMEOUT_MS, (long) opts->request_timeout_ms);
	curl_easy_setopt(a->easy, CURLOPT_POSTFIELDS, payload);
	curl_easy_setopt(a->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) payload_len);
	a->headers = dyn_signed_headers(a->conn, opts, psprintf(DYN_TARGET_PREFIX "%s", operation),
									payload, payload_len);
	curl_easy_setopt(a->easy, CURLOPT_HTTPHEADER, a->headers);

	mc = curl_multi_add_handle(a->conn->multi, a->easy);
	if (mc != CURLM_OK)
		elog(ERROR, "curl_multi_add_handle failed: %s", curl_multi_strerror(mc));
	a->active = true;
	/* on its way now, not at the next wait */
	dyn_async_progress(a->conn);
}

/*
 * Have fn called, with arg and the body so far, each time a part of the
 * response of the requests a starts from now on arrives (NULL: no one).  It
 * runs inside libcurl, so it must not raise an error.
 */
void
dyn_async_watch(DynAsync *a, DynAsyncWatch fn, void *arg)
{
	a->watch = fn;
	a->watch_arg = arg;
}

/* Abandon a request on its way (a rescan, say). */
void
dyn_async_cancel(DynAsync *a)
{
	dyn_async_detach(a);
	a->done = false;
}

bool
dyn_async_active(DynAsync *a)
{
	return a->active;
}

bool
dyn_async_done(DynAsync *a)
{
	return a->done;
}

/* Wait until one of the started requests has finished; return it. */
DynAsync *
dyn_async_wait_any(DynAsync **set, int n)
{
	DynConnection *conn = NULL;
	bool		any = false;

	for (;;)
	{
		for (int i = 0; i < n; i++)
		{
			if (set[i] == NULL || !set[i]->active)
				continue;
			conn = set[i]->conn;
			if (set[i]->done)
				return set[i];
		}
		if (conn == NULL)
			return NULL;
		/* wait for something to finish, then look again */
		any = false;
		for (;;)
		{
			dyn_async_progress(conn);
			for (int i = 0; i < n; i++)
				if (set[i] && set[i]->active && set[i]->done)
					any = true;
			if (any)
				break;
			dyn_poll(conn);
		}
	}
}

/*
 * The response of a finished request.  One that failed in a way worth
 * retrying is sent again, synchronously, with the usual retries; any other
 * failure is raised.
 */
void
dyn_async_finish(DynAsync *a, DynOptions *opts, DynResponse *resp)
{
	long		status = 0;
	int			throttled = 0;

	Assert(a->done);
	dyn_async_detach(a);
	resp->retries = 0;
	resp->throttles = 0;
	resp->status = 0;
	if (a->rc != CURLE_OK)
		dyn_sink_check(&a->sink, opts, a->operation);
	if (a->rc == CURLE_OK)
		curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &status);
	if (a->rc == CURLE_OK && status == 200)
	{
		resp->status = status;
		resp->body = *a->body;
		dyn_stat_request(opts, a->operation, 0, 0, false);
		return;
	}
	if (a->rc == CURLE_OK)
	{
		DynError	err;

		dyn_parse_error(a->body->data, a->body->len, &err);
		throttled = dyn_error_is_throttle(status, &err) ? 1 : 0;
		if (!dyn_error_is_retryable(status, &err) || opts->max_retries == 0)
		{
			dyn_stat_request(opts, a->operation, 0, throttled, true);
			dyn_report_error(a->operation, opts, status, &err, 1);
		}
	}
	else if (opts->max_retries == 0 && !dyn_curl_error_is_stale(a->rc))
	{
		strlcpy(a->conn->errbuf, a->errbuf, sizeof(a->conn->errbuf));
		dyn_stat_request(opts, a->operation, 0, 0, true);
		dyn_report_curl_error(a->conn, opts, a->operation, a->rc, 1);
	}

	/*
	 * The synchronous path retries what may be retried, and reports; this
	 * attempt counts as the first (a connection closed while idle is tried
	 * again at once).
	 */
	if (!dyn_curl_error_is_stale(a->rc))
		dyn_backoff(0);
	(void) dyn_request_after(a->conn, opts, a->operation, a->payload, a->payload_len, resp,
							 dyn_curl_error_is_stale(a->rc) ? 0 : 1, throttled, NULL);
}

/* ---------------------------------------------------------------------
 * Plain HTTP exchanges: the endpoints credentials come from
 * ---------------------------------------------------------------------
 */

/* Why a transfer failed, in words that do not change with libcurl's version. */
static const char *
dyn_curl_failure_text(CURLcode rc)
{
	switch (rc)
	{
		case CURLE_COULDNT_RESOLVE_HOST:
		case CURLE_COULDNT_RESOLVE_PROXY:
			return "could not resolve the host";
		case CURLE_COULDNT_CONNECT:
			return "could not connect";
		case CURLE_OPERATION_TIMEDOUT:
			return "no complete answer within the server's request_timeout";
		case CURLE_GOT_NOTHING:
			return "the connection closed without an answer";
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_SSL_CACERT_BADFILE:
			return "no verified TLS connection";
		default:
			return curl_easy_strerror(rc);
	}
}

/*
 * One exchange on a handle of its own, driven by the connection's loop (so
 * a cancel or statement_timeout ends it, and a scan's requests in flight
 * move on meanwhile).  True with the status and body of an answer; false
 * with *failure saying why none came.  No retries: the caller knows which
 * failures are worth another try.
 */
bool
dyn_http_call(DynConnection *conn, const DynOptions *opts, const DynHttpCall *call,
			  long *status, StringInfo body, char **failure)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "dynomite_fdw http",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	DynAsync   *a = MemoryContextAllocZero(cxt, sizeof(DynAsync));
	MemoryContextCallback *cb = MemoryContextAlloc(cxt, sizeof(MemoryContextCallback));
	CURLMcode	mc;
	volatile bool ok = false;

	MemoryContextSwitchTo(old);
	a->conn = conn;
	a->easy = curl_easy_init();
	if (a->easy == NULL)
	{
		MemoryContextDelete(cxt);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not create an HTTP handle")));
	}
	conn->nasync++;
	cb->func = dyn_async_release;
	cb->arg = a;
	MemoryContextRegisterResetCallback(cxt, cb);

	PG_TRY();
	{
		curl_easy_setopt(a->easy, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(a->easy, CURLOPT_PRIVATE, (char *) a);
		curl_easy_setopt(a->easy, CURLOPT_ERRORBUFFER, a->errbuf);
		curl_easy_setopt(a->easy, CURLOPT_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(a->easy, CURLOPT_FOLLOWLOCATION, 0L);
		curl_easy_setopt(a->easy, CURLOPT_SSL_VERIFYPEER, 1L);
		curl_easy_setopt(a->easy, CURLOPT_SSL_VERIFYHOST, 2L);
		curl_easy_setopt(a->easy, CURLOPT_URL, call->url);
		curl_easy_setopt(a->easy, CURLOPT_CONNECTTIMEOUT_MS,
						 (long) Min(opts->connect_timeout_ms, call->timeout_ms));
		curl_easy_setopt(a->easy, CURLOPT_TIMEOUT_MS, (long) call->timeout_ms);
		if (strcmp(call->method, "GET") == 0)
			curl_easy_setopt(a->easy, CURLOPT_HTTPGET, 1L);
		else
		{
			curl_easy_setopt(a->easy, CURLOPT_POST, 1L);
			curl_easy_setopt(a->easy, CURLOPT_POSTFIELDS, call->body ? call->body : "");
			curl_easy_setopt(a->easy, CURLOPT_POSTFIELDSIZE_LARGE,
							 (curl_off_t) (call->body ? call->body_len : 0));
			if (strcmp(call->method, "POST") != 0)
				curl_easy_setopt(a->easy, CURLOPT_CUSTOMREQUEST, call->method);
		}
		for (int i = 0; i < call->nheaders; i++)
		{
			struct curl_slist *next = curl_slist_append(a->headers, call->headers[i]);

			if (next == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_OUT_OF_MEMORY),
						 errmsg("out of memory building an HTTP request")));
			a->headers = next;
		}
		a->headers = curl_slist_append(a->headers, "Expect:");
		curl_easy_setopt(a->easy, CURLOPT_HTTPHEADER, a->headers);
		curl_easy_setopt(a->easy, CURLOPT_WRITEFUNCTION, dyn_async_write_callback);
		curl_easy_setopt(a->easy, CURLOPT_WRITEDATA, a);

		resetStringInfo(body);
		a->body = body;
		a->sink.easy = a->easy;
		a->sink.body = body;
		a->sink.limit = call->limit;
		mc = curl_multi_add_handle(conn->multi, a->easy);
		if (mc != CURLM_OK)
			elog(ERROR, "curl_multi_add_handle failed: %s", curl_multi_strerror(mc));
		a->active = true;
		dyn_drive(conn, &a->done);

		ok = (a->rc == CURLE_OK);
		*status = 0;
		if (ok)
			curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, status);
		else if (a->sink.too_large)
			*failure = psprintf("the answer grew past %zu bytes and was cut off", call->limit);
		else if (a->sink.out_of_memory)
			*failure = pstrdup("out of memory receiving the answer");
		else
			*failure = pstrdup(dyn_curl_failure_text(a->rc));
	}
	PG_FINALLY();
	{
		MemoryContextDelete(cxt);
	}
	PG_END_TRY();
	return ok;
}
