/*-------------------------------------------------------------------------
 * sigv4.h
 *		AWS Signature Version 4 (AWS4-HMAC-SHA256) for HTTP requests: the
 *		canonical request, the string to sign and the Authorization header.
 *
 * Plain C and libcrypto only, so that the same file builds into the
 * extension and into the standalone unit test.  No global state; every
 * result is malloc'd and owned by the caller; safe from any thread.
 *-------------------------------------------------------------------------
 */
#ifndef SIGV4_H
#define SIGV4_H

#include <stddef.h>
#include <time.h>

/* Return codes: 0 on success, one of these (all negative) on failure. */
#define SIGV4_OK			0
#define SIGV4_ERR_ARG		(-1)	/* NULL, empty or malformed argument */
#define SIGV4_ERR_HEADER	(-2)	/* host / x-amz-date / x-amz-security-token
									 * missing, duplicated or inconsistent */
#define SIGV4_ERR_NOMEM		(-3)
#define SIGV4_ERR_CRYPTO	(-4)	/* libcrypto failed */

/* One header exactly as it will be sent; the name in any case. */
typedef struct SigV4Header
{
	const char *name;
	const char *value;
} SigV4Header;

typedef struct SigV4Request
{
	const char *method;			/* "POST", "GET", ... as sent */
	const char *path;			/* request path as sent, e.g. "/"; "" means "/" */
	const char *query;			/* raw query without '?'; NULL or "" if none */
	const SigV4Header *headers; /* every header to sign; must include host
								 * and x-amz-date */
	int			nheaders;
	const void *payload;		/* body; may be NULL when payload_len is 0 */
	size_t		payload_len;
} SigV4Request;

typedef struct SigV4Credentials
{
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;	/* NULL or "" for long-term keys */
} SigV4Credentials;

/*
 * Sign a request.
 *
 * Every header in req->headers is signed.  Names are compared without case;
 * values are trimmed, inner runs of blanks collapse to one space, a value
 * spread over several lines becomes its lines joined with commas, and
 * repeated headers are joined with commas in the order given.
 *
 * The path is normalized as for every service but S3 (dot segments removed,
 * empty segments dropped) and each segment is percent-encoded, '%' included,
 * so a path sent already encoded comes out encoded twice as AWS expects.
 * The query is split on '&', each name and value percent-decoded then
 * re-encoded with the strict RFC 3986 unreserved set, and sorted; '+' is a
 * literal plus, not a space.
 *
 * amz_date is YYYYMMDDTHHMMSSZ, or NULL to take it from the x-amz-date
 * header; when given it must equal that header.  If cred->session_token is
 * set, the headers must carry x-amz-security-token with that same value:
 * a token that is not sent, or not the one signed for, would only surface
 * later as an opaque 403.
 *
 * On success *authorization receives the Authorization header value and,
 * when the pointers are not NULL, *canonical_request and *string_to_sign
 * receive those texts (for tests and debugging); the caller free()s them.
 * On failure every output is set to NULL and a SIGV4_ERR_* code returned.
 */
extern int	sigv4_authorization(const SigV4Request *req,
								const SigV4Credentials *cred,
								const char *region, const char *service,
								const char *amz_date,
								char **authorization,
								char **canonical_request,
								char **string_to_sign);

/* A short English text for a SIGV4_* code; never NULL. */
extern const char *sigv4_strerror(int code);

/* Format t (UTC) as YYYYMMDDTHHMMSSZ; returns 0, or -1 leaving out "". */
extern int	sigv4_amz_date(time_t t, char out[17]);

/* Lowercase hex SHA-256 of data; returns 0, or -1 leaving out "". */
extern int	sigv4_sha256_hex(const void *data, size_t len, char out[65]);

#endif							/* SIGV4_H */
