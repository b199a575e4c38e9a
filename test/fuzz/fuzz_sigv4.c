/*
 * fuzz_sigv4.c
 *		The signer (src/sigv4.c), which needs no PostgreSQL: a request made
 *		of the input's lines (method, path, query, then header names and
 *		values, then the payload) signed twice; it must give an error code
 *		or the same signature both times.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"

#define MAX_HEADERS 8

int
LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	char	   *text = malloc(size + 1);
	char	   *fields[3 + 2 * MAX_HEADERS + 1] = {0};
	int			nfields = 0;
	SigV4Header headers[MAX_HEADERS + 2];
	SigV4Request req;
	SigV4Credentials cred = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL};
	char	   *auth[2] = {NULL, NULL};
	char	   *creq = NULL;
	char	   *sts = NULL;
	char	   *p;
	int			rc[2];

	memcpy(text, bytes, size);
	text[size] = '\0';
	/* fields end at newlines; the last one is the payload, whatever it holds */
	for (p = text; nfields < (int) (sizeof(fields) / sizeof(fields[0])) - 1;)
	{
		char	   *nl = memchr(p, '\n', text + size - p);

		fields[nfields++] = p;
		if (nl == NULL)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	fields[nfields] = p;

	memset(&req, 0, sizeof(req));
	req.method = fields[0] ? fields[0] : "POST";
	req.path = fields[1] ? fields[1] : "/";
	req.query = fields[2];
	req.headers = headers;
	headers[req.nheaders++] = (SigV4Header) {"Host", "dynamodb.us-east-1.amazonaws.com"};
	headers[req.nheaders++] = (SigV4Header) {"X-Amz-Date", "20150830T123600Z"};
	for (int i = 3; i + 1 < nfields && req.nheaders < MAX_HEADERS + 2; i += 2)
		headers[req.nheaders++] = (SigV4Header) {fields[i], fields[i + 1]};
	req.payload = fields[nfields];
	req.payload_len = text + size - fields[nfields];
	if (size > 0 && bytes[0] & 1)
		cred.session_token = fields[nfields];

	for (int i = 0; i < 2; i++)
		rc[i] = sigv4_authorization(&req, &cred, "us-east-1", "dynamodb", "20150830T123600Z",
									&auth[i], i ? &creq : NULL, i ? &sts : NULL);
	if (rc[0] != rc[1] || (rc[0] == SIGV4_OK && strcmp(auth[0], auth[1]) != 0))
		abort();
	(void) sigv4_strerror(rc[0]);
	free(auth[0]);
	free(auth[1]);
	free(creq);
	free(sts);
	free(text);
	return 0;
}
