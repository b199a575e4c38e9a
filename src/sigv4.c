/*-------------------------------------------------------------------------
 * sigv4.c
 *		AWS Signature Version 4: canonical request, string to sign, signing
 *		key and Authorization header, computed with libcrypto alone.
 *
 * No PostgreSQL headers here: the unit test links this file on its own.
 * Text is assembled in growable buffers whose capacity doubles, so the cost
 * stays linear in the size of the request; an allocation failure is
 * remembered in the buffer and checked once, instead of after every append.
 *-------------------------------------------------------------------------
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* gmtime_r */
#endif

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sigv4.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_DIGEST_LEN 32		/* SHA-256 */

typedef struct SigV4Buf
{
	char	   *data;			/* NUL-terminated once anything is added */
	size_t		len;
	size_t		cap;
	int			failed;			/* an allocation failed; data is unusable */
} SigV4Buf;

/*
 * A header (name, canonical value) or a query parameter (encoded name,
 * encoded value).  The text lives in a scratch buffer that may move while it
 * grows, so offsets are recorded first and turned into pointers once the
 * buffer is complete.
 */
typedef struct SigV4Pair
{
	size_t		key_off;
	size_t		value_off;
	const char *key;
	const char *value;
	int			order;			/* position in the input, for a stable sort */
} SigV4Pair;

static const char sigv4_hex_upper[] = "0123456789ABCDEF";
static const char sigv4_hex_lower[] = "0123456789abcdef";

/* ---- growable buffer ---- */

static void
sigv4_buf_reserve(SigV4Buf *b, size_t extra)
{
	size_t		need;
	size_t		cap;
	char	   *p;

	if (b->failed)
		return;
	if (extra > SIZE_MAX - b->len - 1)
	{
		b->failed = 1;
		return;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
	{
		if (cap > SIZE_MAX / 2)
		{
			cap = need;
			break;
		}
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (p == NULL)
	{
		b->failed = 1;
		return;
	}
	b->data = p;
	b->cap = cap;
}

static void
sigv4_buf_add(SigV4Buf *b, const void *src, size_t n)
{
	sigv4_buf_reserve(b, n);
	if (b->failed)
		return;
	if (n > 0)
		memcpy(b->data + b->len, src, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
sigv4_buf_puts(SigV4Buf *b, const char *s)
{
	sigv4_buf_add(b, s, strlen(s));
}

static void
sigv4_buf_putc(SigV4Buf *b, char c)
{
	sigv4_buf_add(b, &c, 1);
}

/* Hand the text to the caller, or free it when the caller did not ask. */
static void
sigv4_buf_give(SigV4Buf *b, char **out)
{
	if (out != NULL)
	{
		*out = b->data;
		b->data = NULL;
	}
	free(b->data);
	b->data = NULL;
}

/* ---- character classes and encoding ---- */

/* RFC 3986 unreserved: the only bytes SigV4 leaves unencoded. */
static int
sigv4_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Blanks trimmed from and collapsed inside header values. */
static int
sigv4_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static int
sigv4_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void
sigv4_buf_encode_byte(SigV4Buf *b, unsigned char c)
{
	char		esc[3];

	if (sigv4_unreserved(c))
	{
		sigv4_buf_putc(b, (char) c);
		return;
	}
	esc[0] = '%';
	esc[1] = sigv4_hex_upper[c >> 4];
	esc[2] = sigv4_hex_upper[c & 0x0f];
	sigv4_buf_add(b, esc, 3);
}

/*
 * Query names and values may arrive raw or already percent-encoded; decoding
 * valid escapes before encoding gives the same canonical text either way.  A
 * '%' not followed by two hex digits is taken literally.
 */
static void
sigv4_buf_reencode(SigV4Buf *b, const char *s, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '%' && n - i >= 3)
		{
			int			hi = sigv4_hex_value((unsigned char) s[i + 1]);
			int			lo = sigv4_hex_value((unsigned char) s[i + 2]);

			if (hi >= 0 && lo >= 0)
			{
				sigv4_buf_encode_byte(b, (unsigned char) (hi * 16 + lo));
				i += 3;
				continue;
			}
		}
		sigv4_buf_encode_byte(b, c);
		i++;
	}
}

static void
sigv4_hex(const unsigned char *bytes, size_t n, char *out)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		out[2 * i] = sigv4_hex_lower[bytes[i] >> 4];
		out[2 * i + 1] = sigv4_hex_lower[bytes[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

/* ---- canonical URI ---- */

/*
 * Non-S3 services sign the path with dot segments resolved and empty
 * segments dropped, then each segment percent-encoded.  The output is built
 * segment by segment so that ".." can simply cut the buffer back to the
 * previous '/'.  A path ending in '/', "." or ".." keeps a trailing slash,
 * as RFC 3986 dot-segment removal does.
 */
static void
sigv4_canonical_uri(SigV4Buf *b, const char *path)
{
	size_t		base = b->len;
	const char *seg = path;
	int			ends_as_dir = 1;

	for (;;)
	{
		const char *slash = strchr(seg, '/');
		size_t		n = slash ? (size_t) (slash - seg) : strlen(seg);

		if (n == 0 || (n == 1 && seg[0] == '.'))
			ends_as_dir = 1;
		else if (n == 2 && seg[0] == '.' && seg[1] == '.')
		{
			ends_as_dir = 1;
			if (!b->failed)
			{
				while (b->len > base && b->data[b->len - 1] != '/')
					b->len--;
				if (b->len > base)
					b->len--;
				if (b->data != NULL)
					b->data[b->len] = '\0';
			}
		}
		else
		{
			size_t		i;

			ends_as_dir = 0;
			sigv4_buf_putc(b, '/');
			for (i = 0; i < n; i++)
				sigv4_buf_encode_byte(b, (unsigned char) seg[i]);
		}
		if (slash == NULL)
			break;
		seg = slash + 1;
	}
	if (b->len == base || ends_as_dir)
		sigv4_buf_putc(b, '/');
}

/* ---- canonical query string ---- */

static int
sigv4_cmp_query(const void *a, const void *b)
{
	const SigV4Pair *x = a;
	const SigV4Pair *y = b;
	int			c = strcmp(x->key, y->key);

	return c != 0 ? c : strcmp(x->value, y->value);
}

/* Parameters sorted by encoded name, then encoded value; empty ones dropped. */
static int
sigv4_canonical_query(SigV4Buf *b, const char *query)
{
	SigV4Buf	scratch = {0};
	SigV4Pair  *pairs;
	size_t		count = 1;
	size_t		n = 0;
	size_t		i;
	const char *p;

	if (query == NULL || *query == '\0')
		return SIGV4_OK;
	for (p = query; *p; p++)
		if (*p == '&')
			count++;
	pairs = malloc(count * sizeof(SigV4Pair));
	if (pairs == NULL)
		return SIGV4_ERR_NOMEM;

	p = query;
	for (;;)
	{
		const char *amp = strchr(p, '&');
		size_t		len = amp ? (size_t) (amp - p) : strlen(p);

		if (len > 0)
		{
			const char *eq = memchr(p, '=', len);
			size_t		klen = eq ? (size_t) (eq - p) : len;

			pairs[n].order = (int) n;
			pairs[n].key_off = scratch.len;
			sigv4_buf_reencode(&scratch, p, klen);
			sigv4_buf_add(&scratch, "", 1);
			pairs[n].value_off = scratch.len;
			if (eq != NULL)
				sigv4_buf_reencode(&scratch, eq + 1, len - klen - 1);
			sigv4_buf_add(&scratch, "", 1);
			n++;
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	if (scratch.failed)
	{
		free(scratch.data);
		free(pairs);
		return SIGV4_ERR_NOMEM;
	}

	for (i = 0; i < n; i++)
	{
		pairs[i].key = scratch.data + pairs[i].key_off;
		pairs[i].value = scratch.data + pairs[i].value_off;
	}
	qsort(pairs, n, sizeof(SigV4Pair), sigv4_cmp_query);
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			sigv4_buf_putc(b, '&');
		sigv4_buf_puts(b, pairs[i].key);
		sigv4_buf_putc(b, '=');
		sigv4_buf_puts(b, pairs[i].value);
	}
	free(scratch.data);
	free(pairs);
	return SIGV4_OK;
}

/* ---- canonical headers ---- */

/*
 * Trim, collapse inner blanks to one space, and join the lines of a folded
 * value with commas, which is how the AWS test suite reads a value continued
 * over several lines.
 */
static void
sigv4_buf_header_value(SigV4Buf *b, const char *value)
{
	const char *line = value;
	int			first = 1;

	for (;;)
	{
		const char *eol = strchr(line, '\n');
		const char *s = line;
		const char *e = eol ? eol : line + strlen(line);

		while (s < e && sigv4_blank(*s))
			s++;
		while (e > s && sigv4_blank(e[-1]))
			e--;
		if (s < e)
		{
			int			in_blank = 0;

			if (!first)
				sigv4_buf_putc(b, ',');
			first = 0;
			for (; s < e; s++)
			{
				if (sigv4_blank(*s))
					in_blank = 1;
				else
				{
					if (in_blank)
						sigv4_buf_putc(b, ' ');
					in_blank = 0;
					sigv4_buf_putc(b, *s);
				}
			}
		}
		if (eol == NULL)
			break;
		line = eol + 1;
	}
}

/* Lowercased, blank-trimmed name; -1 if it is empty or not a token. */
static int
sigv4_buf_header_name(SigV4Buf *b, const char *name)
{
	const char *s = name;
	const char *e = name + strlen(name);

	while (s < e && sigv4_blank(*s))
		s++;
	while (e > s && sigv4_blank(e[-1]))
		e--;
	if (s == e)
		return -1;
	for (; s < e; s++)
	{
		unsigned char c = (unsigned char) *s;

		/* a blank, colon or control byte would corrupt the canonical form */
		if (c <= ' ' || c == ':' || c == 0x7f)
			return -1;
		/* ASCII only: a locale-aware tolower() could change other bytes */
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char) (c - 'A' + 'a');
		sigv4_buf_putc(b, (char) c);
	}
	return 0;
}

static int
sigv4_cmp_header(const void *a, const void *b)
{
	const SigV4Pair *x = a;
	const SigV4Pair *y = b;
	int			c = strcmp(x->key, y->key);

	/* repeated headers keep the order they were given in */
	if (c != 0)
		return c;
	return (x->order > y->order) - (x->order < y->order);
}

/*
 * Canonicalize every header into *scratch and return them sorted in *out
 * (malloc'd; pointers into scratch->data).
 */
static int
sigv4_sorted_headers(const SigV4Request *req, SigV4Buf *scratch,
					 SigV4Pair **out)
{
	SigV4Pair  *pairs;
	int			i;

	*out = NULL;
	/* at least one element: malloc(0) may return NULL */
	pairs = malloc((size_t) (req->nheaders > 0 ? req->nheaders : 1) *
				   sizeof(SigV4Pair));
	if (pairs == NULL)
		return SIGV4_ERR_NOMEM;
	for (i = 0; i < req->nheaders; i++)
	{
		const SigV4Header *h = &req->headers[i];

		if (h->name == NULL || h->value == NULL)
		{
			free(pairs);
			return SIGV4_ERR_ARG;
		}
		pairs[i].order = i;
		pairs[i].key_off = scratch->len;
		if (sigv4_buf_header_name(scratch, h->name) != 0)
		{
			free(pairs);
			return SIGV4_ERR_ARG;
		}
		sigv4_buf_add(scratch, "", 1);
		pairs[i].value_off = scratch->len;
		sigv4_buf_header_value(scratch, h->value);
		sigv4_buf_add(scratch, "", 1);
	}
	if (scratch->failed)
	{
		free(pairs);
		return SIGV4_ERR_NOMEM;
	}
	for (i = 0; i < req->nheaders; i++)
	{
		pairs[i].key = scratch->data + pairs[i].key_off;
		pairs[i].value = scratch->data + pairs[i].value_off;
	}
	qsort(pairs, (size_t) req->nheaders, sizeof(SigV4Pair), sigv4_cmp_header);
	*out = pairs;
	return SIGV4_OK;
}

/* The only value of a header that must appear exactly once, else NULL. */
static const char *
sigv4_single_header(const SigV4Pair *pairs, int n, const char *name)
{
	const char *found = NULL;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (strcmp(pairs[i].key, name) != 0)
			continue;
		if (found != NULL)
			return NULL;
		found = pairs[i].value;
	}
	return found;
}

/* ---- crypto ---- */

static int
sigv4_hmac(const unsigned char *key, size_t key_len,
		   const void *data, size_t len, unsigned char out[SIGV4_DIGEST_LEN])
{
	unsigned int out_len = 0;

	if (key_len > INT_MAX)
		return -1;
	if (HMAC(EVP_sha256(), key, (int) key_len, data, len, out, &out_len) == NULL ||
		out_len != SIGV4_DIGEST_LEN)
		return -1;
	return 0;
}

/*
 * The signature is HMAC(kSigning, string to sign), where kSigning chains
 * HMACs of "AWS4" + secret over the date, region, service and the terminator.
 * The secret and the keys derived from it are wiped before their memory is
 * released, so they do not linger in freed heap or on the stack.
 */
static int
sigv4_signature(const char *secret, const char *date8, const char *region,
				const char *service, const char *sts, size_t sts_len,
				char out[2 * SIGV4_DIGEST_LEN + 1])
{
	size_t		secret_len = strlen(secret);
	unsigned char *k_secret;
	unsigned char k1[SIGV4_DIGEST_LEN];
	unsigned char k2[SIGV4_DIGEST_LEN];
	unsigned char sig[SIGV4_DIGEST_LEN];
	int			rc = SIGV4_ERR_CRYPTO;

	if (secret_len > SIZE_MAX - 4)
		return SIGV4_ERR_ARG;
	k_secret = malloc(secret_len + 4);
	if (k_secret == NULL)
		return SIGV4_ERR_NOMEM;
	memcpy(k_secret, "AWS4", 4);
	memcpy(k_secret + 4, secret, secret_len);

	if (sigv4_hmac(k_secret, secret_len + 4, date8, 8, k1) == 0 &&
		sigv4_hmac(k1, sizeof(k1), region, strlen(region), k2) == 0 &&
		sigv4_hmac(k2, sizeof(k2), service, strlen(service), k1) == 0 &&
		sigv4_hmac(k1, sizeof(k1), "aws4_request", 12, k2) == 0 &&
		sigv4_hmac(k2, sizeof(k2), sts, sts_len, sig) == 0)
	{
		sigv4_hex(sig, sizeof(sig), out);
		rc = SIGV4_OK;
	}

	OPENSSL_cleanse(k_secret, secret_len + 4);
	OPENSSL_cleanse(k1, sizeof(k1));
	OPENSSL_cleanse(k2, sizeof(k2));
	free(k_secret);
	return rc;
}

int
sigv4_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;

	out[0] = '\0';
	if (data == NULL)
	{
		if (len != 0)
			return -1;
		data = "";
	}
	if (EVP_Digest(data, len, md, &md_len, EVP_sha256(), NULL) != 1 ||
		md_len != SIGV4_DIGEST_LEN)
		return -1;
	sigv4_hex(md, SIGV4_DIGEST_LEN, out);
	return 0;
}

/* ---- public entry points ---- */

int
sigv4_amz_date(time_t t, char out[17])
{
	struct tm	tm;

	out[0] = '\0';
	if (gmtime_r(&t, &tm) == NULL)
		return -1;
	/* a year past 9999 does not fit in 16 characters: strftime returns 0 */
	if (strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
	{
		out[0] = '\0';
		return -1;
	}
	return 0;
}

/* YYYYMMDDTHHMMSSZ, checked by shape only: AWS judges the value itself. */
static int
sigv4_valid_date(const char *d)
{
	int			i;

	for (i = 0; i < 16; i++)
	{
		char		c = d[i];

		if (i == 8 ? c != 'T' : i == 15 ? c != 'Z' : (c < '0' || c > '9'))
			return 0;
	}
	return d[16] == '\0';
}

/* Non-empty, and free of '/' which would shift the fields of the scope. */
static int
sigv4_valid_scope_part(const char *s)
{
	return s != NULL && *s != '\0' && strchr(s, '/') == NULL;
}

static int
sigv4_empty(const char *s)
{
	return s == NULL || *s == '\0';
}

const char *
sigv4_strerror(int code)
{
	switch (code)
	{
		case SIGV4_OK:
			return "success";
		case SIGV4_ERR_ARG:
			return "missing or malformed signing argument";
		case SIGV4_ERR_HEADER:
			return "host, x-amz-date or x-amz-security-token header missing, repeated or inconsistent";
		case SIGV4_ERR_NOMEM:
			return "out of memory";
		case SIGV4_ERR_CRYPTO:
			return "libcrypto failure";
	}
	return "unknown error";
}

int
sigv4_authorization(const SigV4Request *req, const SigV4Credentials *cred,
					const char *region, const char *service,
					const char *amz_date, char **authorization,
					char **canonical_request, char **string_to_sign)
{
	SigV4Buf	scratch = {0};
	SigV4Buf	creq = {0};
	SigV4Buf	sts = {0};
	SigV4Buf	authz = {0};
	SigV4Pair  *headers = NULL;
	const char *date;
	const char *token;
	size_t		signed_off;
	size_t		signed_len;
	size_t		scope_off;
	size_t		scope_len;
	char		hash[2 * SIGV4_DIGEST_LEN + 1];
	char		signature[2 * SIGV4_DIGEST_LEN + 1];
	int			rc;
	int			i;

	if (canonical_request != NULL)
		*canonical_request = NULL;
	if (string_to_sign != NULL)
		*string_to_sign = NULL;
	if (authorization == NULL)
		return SIGV4_ERR_ARG;
	*authorization = NULL;

	if (req == NULL || cred == NULL ||
		sigv4_empty(req->method) || req->path == NULL ||
		req->nheaders < 0 || (req->nheaders > 0 && req->headers == NULL) ||
		(req->payload == NULL && req->payload_len > 0) ||
		sigv4_empty(cred->access_key_id) ||
		sigv4_empty(cred->secret_access_key) ||
		!sigv4_valid_scope_part(region) || !sigv4_valid_scope_part(service) ||
		(amz_date != NULL && !sigv4_valid_date(amz_date)))
		return SIGV4_ERR_ARG;

	rc = sigv4_sorted_headers(req, &scratch, &headers);
	if (rc != SIGV4_OK)
		goto done;

	/* AWS rejects a request whose signed host or date is missing */
	rc = SIGV4_ERR_HEADER;
	date = sigv4_single_header(headers, req->nheaders, "x-amz-date");
	if (sigv4_single_header(headers, req->nheaders, "host") == NULL ||
		date == NULL || !sigv4_valid_date(date) ||
		(amz_date != NULL && strcmp(amz_date, date) != 0))
		goto done;
	token = sigv4_single_header(headers, req->nheaders, "x-amz-security-token");
	if (!sigv4_empty(cred->session_token) &&
		(token == NULL || strcmp(token, cred->session_token) != 0))
		goto done;

	/* canonical request */
	sigv4_buf_puts(&creq, req->method);
	sigv4_buf_putc(&creq, '\n');
	sigv4_canonical_uri(&creq, req->path);
	sigv4_buf_putc(&creq, '\n');
	rc = sigv4_canonical_query(&creq, req->query);
	if (rc != SIGV4_OK)
		goto done;
	sigv4_buf_putc(&creq, '\n');
	for (i = 0; i < req->nheaders; i++)
	{
		if (i == 0 || strcmp(headers[i].key, headers[i - 1].key) != 0)
		{
			if (i > 0)
				sigv4_buf_putc(&creq, '\n');
			sigv4_buf_puts(&creq, headers[i].key);
			sigv4_buf_putc(&creq, ':');
		}
		else
			sigv4_buf_putc(&creq, ',');
		sigv4_buf_puts(&creq, headers[i].value);
	}
	sigv4_buf_puts(&creq, "\n\n");
	signed_off = creq.len;
	for (i = 0; i < req->nheaders; i++)
	{
		if (i > 0 && strcmp(headers[i].key, headers[i - 1].key) == 0)
			continue;
		if (i > 0)
			sigv4_buf_putc(&creq, ';');
		sigv4_buf_puts(&creq, headers[i].key);
	}
	signed_len = creq.len - signed_off;
	sigv4_buf_putc(&creq, '\n');
	rc = SIGV4_ERR_CRYPTO;
	if (sigv4_sha256_hex(req->payload, req->payload_len, hash) != 0)
		goto done;
	sigv4_buf_puts(&creq, hash);
	rc = SIGV4_ERR_NOMEM;
	if (creq.failed)
		goto done;

	/* string to sign */
	rc = SIGV4_ERR_CRYPTO;
	if (sigv4_sha256_hex(creq.data, creq.len, hash) != 0)
		goto done;
	sigv4_buf_puts(&sts, SIGV4_ALGORITHM "\n");
	sigv4_buf_puts(&sts, date);
	sigv4_buf_putc(&sts, '\n');
	scope_off = sts.len;
	sigv4_buf_add(&sts, date, 8);
	sigv4_buf_putc(&sts, '/');
	sigv4_buf_puts(&sts, region);
	sigv4_buf_putc(&sts, '/');
	sigv4_buf_puts(&sts, service);
	sigv4_buf_puts(&sts, "/aws4_request");
	scope_len = sts.len - scope_off;
	sigv4_buf_putc(&sts, '\n');
	sigv4_buf_puts(&sts, hash);
	rc = SIGV4_ERR_NOMEM;
	if (sts.failed)
		goto done;

	rc = sigv4_signature(cred->secret_access_key, date, region, service,
						 sts.data, sts.len, signature);
	if (rc != SIGV4_OK)
		goto done;

	sigv4_buf_puts(&authz, SIGV4_ALGORITHM " Credential=");
	sigv4_buf_puts(&authz, cred->access_key_id);
	sigv4_buf_putc(&authz, '/');
	sigv4_buf_add(&authz, sts.data + scope_off, scope_len);
	sigv4_buf_puts(&authz, ", SignedHeaders=");
	sigv4_buf_add(&authz, creq.data + signed_off, signed_len);
	sigv4_buf_puts(&authz, ", Signature=");
	sigv4_buf_puts(&authz, signature);
	rc = authz.failed ? SIGV4_ERR_NOMEM : SIGV4_OK;

done:
	if (rc == SIGV4_OK)
	{
		sigv4_buf_give(&authz, authorization);
		sigv4_buf_give(&creq, canonical_request);
		sigv4_buf_give(&sts, string_to_sign);
	}
	free(authz.data);
	free(creq.data);
	free(sts.data);
	free(scratch.data);
	free(headers);
	return rc;
}
