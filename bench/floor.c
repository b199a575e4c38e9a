/*
 * floor.c: the benchmark's floor.  The least work a client can do to read a
 * whole DynamoDB table with Scan: one libcurl easy handle (one keep-alive
 * connection), a POST per page, the body kept only long enough to find
 * "Count" and "LastEvaluatedKey" by string search, then thrown away.  No
 * JSON parsing, no signing: it sends a fixed dummy Authorization header,
 * which dynalite and the replay server do not check.
 *
 *   floor --endpoint URL --table T [--limit P] [--count]
 *         [--segment I --total-segments N]
 *         [--record DIR --stream NAME]
 *
 * --count asks for Select=COUNT.  --record writes every page body as
 * DIR/NAME-NNNNN.json and appends "NAME FILE" lines, in page order, to
 * DIR/manifest, for the replay server and the json-c parse.
 *
 * Prints one line: items=N pages=N bytes=N wall=S cpu_user=S cpu_sys=S
 * maxrss_kb=N (wall and CPU from the first request to the last page).
 */
#include "scanjson.h"

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

#include <curl/curl.h>

typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

static void
die(const char *msg)
{
	fprintf(stderr, "floor: %s\n", msg);
	exit(1);
}

static void
buf_append(Buf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap)
	{
		size_t		cap = b->cap ? b->cap : 1 << 20;

		while (b->len + n + 1 > cap)
			cap *= 2;
		b->data = realloc(b->data, cap);
		if (b->data == NULL)
			die("out of memory");
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static size_t
on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	buf_append((Buf *) arg, p, size * nmemb);
	return size * nmemb;
}

static double
now_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
tv_s(struct timeval tv)
{
	return tv.tv_sec + tv.tv_usec / 1e6;
}

int
main(int argc, char **argv)
{
	const char *endpoint = NULL,
			   *table = NULL,
			   *record = NULL,
			   *stream = NULL;
	long		limit = 0,
				segment = -1,
				total_segments = 0;
	int			count_only = 0;
	CURL	   *h;
	struct curl_slist *headers = NULL;
	Buf			req = {0},
				resp = {0},
				lek = {0};
	long		items = 0,
				pages = 0;
	uint64_t	bytes = 0;
	FILE	   *manifest = NULL;
	double		t0,
				t1;
	struct rusage ru0,
				ru1;

	for (int i = 1; i < argc; i++)
	{
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--count") == 0)
		{
			count_only = 1;
			continue;
		}
		if (v == NULL)
			die("option needs a value");
		if (strcmp(a, "--endpoint") == 0)
			endpoint = v;
		else if (strcmp(a, "--table") == 0)
			table = v;
		else if (strcmp(a, "--limit") == 0)
			limit = atol(v);
		else if (strcmp(a, "--segment") == 0)
			segment = atol(v);
		else if (strcmp(a, "--total-segments") == 0)
			total_segments = atol(v);
		else if (strcmp(a, "--record") == 0)
			record = v;
		else if (strcmp(a, "--stream") == 0)
			stream = v;
		else
			die("unknown option");
		i++;
	}
	if (!endpoint || !table)
		die("usage: floor --endpoint URL --table T [--limit P] [--count] "
			"[--segment I --total-segments N] [--record DIR --stream NAME]");
	if (record && !stream)
		die("--record needs --stream");
	if (record)
	{
		char		path[4096];

		snprintf(path, sizeof(path), "%s/manifest", record);
		manifest = fopen(path, "a");
		if (!manifest)
			die("cannot open manifest");
	}

	curl_global_init(CURL_GLOBAL_DEFAULT);
	h = curl_easy_init();
	if (!h)
		die("curl_easy_init failed");
	headers = curl_slist_append(headers, "Content-Type: application/x-amz-json-1.0");
	headers = curl_slist_append(headers, "X-Amz-Target: DynamoDB_20120810.Scan");
	headers = curl_slist_append(headers, "X-Amz-Date: 20240101T000000Z");
	headers = curl_slist_append(headers,
								"Authorization: AWS4-HMAC-SHA256 "
								"Credential=AKIDBENCHFLOOR/20240101/us-east-1/dynamodb/aws4_request, "
								"SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
								"Signature=0000000000000000000000000000000000000000000000000000000000000000");
	headers = curl_slist_append(headers, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, endpoint);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp);

	getrusage(RUSAGE_SELF, &ru0);
	t0 = now_s(CLOCK_MONOTONIC);
	for (;;)
	{
		char		tail[256];
		CURLcode	rc;
		long		status = 0,
					n;
		const char *obj;
		size_t		objlen;

		req.len = 0;
		buf_append(&req, "{\"TableName\":\"", 14);
		buf_append(&req, table, strlen(table));
		buf_append(&req, "\"", 1);
		tail[0] = '\0';
		if (limit > 0)
			snprintf(tail + strlen(tail), sizeof(tail) - strlen(tail), ",\"Limit\":%ld", limit);
		if (count_only)
			snprintf(tail + strlen(tail), sizeof(tail) - strlen(tail), ",\"Select\":\"COUNT\"");
		if (total_segments > 0)
			snprintf(tail + strlen(tail), sizeof(tail) - strlen(tail),
					 ",\"Segment\":%ld,\"TotalSegments\":%ld", segment, total_segments);
		buf_append(&req, tail, strlen(tail));
		if (lek.len > 0)
		{
			buf_append(&req, ",\"ExclusiveStartKey\":", 21);
			buf_append(&req, lek.data, lek.len);
		}
		buf_append(&req, "}", 1);

		resp.len = 0;
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req.data);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long) req.len);
		rc = curl_easy_perform(h);
		if (rc != CURLE_OK)
		{
			fprintf(stderr, "floor: request %ld: %s\n", pages + 1, curl_easy_strerror(rc));
			return 1;
		}
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (status != 200)
		{
			fprintf(stderr, "floor: request %ld: HTTP %ld: %.500s\n", pages + 1, status,
					resp.data ? resp.data : "");
			return 1;
		}
		pages++;
		bytes += resp.len;
		n = sj_long(resp.data, resp.len, "Count");
		if (n < 0)
		{
			fprintf(stderr, "floor: page %ld has no Count: %.300s\n", pages, resp.data);
			return 1;
		}
		items += n;
		if (manifest)
		{
			char		path[4096];
			FILE	   *f;

			snprintf(path, sizeof(path), "%s/%s-%05ld.json", record, stream, pages);
			f = fopen(path, "w");
			if (!f || fwrite(resp.data, 1, resp.len, f) != resp.len || fclose(f) != 0)
				die("cannot write a recorded page");
			fprintf(manifest, "%s %s-%05ld.json\n", stream, stream, pages);
		}
		lek.len = 0;
		if (!sj_object(resp.data, resp.len, "LastEvaluatedKey", &obj, &objlen))
			break;
		buf_append(&lek, obj, objlen);
	}
	t1 = now_s(CLOCK_MONOTONIC);
	getrusage(RUSAGE_SELF, &ru1);
	if (manifest)
		fclose(manifest);

	printf("items=%ld pages=%ld bytes=%llu wall=%.6f cpu_user=%.6f cpu_sys=%.6f maxrss_kb=%ld\n",
		   items, pages, (unsigned long long) bytes, t1 - t0,
		   tv_s(ru1.ru_utime) - tv_s(ru0.ru_utime),
		   tv_s(ru1.ru_stime) - tv_s(ru0.ru_stime), ru1.ru_maxrss);
	curl_slist_free_all(headers);
	curl_easy_cleanup(h);
	curl_global_cleanup();
	return 0;
}
