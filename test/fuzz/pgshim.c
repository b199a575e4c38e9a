/*-------------------------------------------------------------------------
 * pgshim.c
 *		Just enough of PostgreSQL's runtime for the fuzz targets to call
 *		the extension's parsing code outside a backend: palloc and friends
 *		(every chunk freed after each input, the context pointer before
 *		each chunk as GetMemoryChunkContext expects, memory-context reset
 *		callbacks run then), StringInfo, a List that lappend grows, and
 *		ereport/elog: an ERROR jumps to PG_exception_stack as in a backend,
 *		so PG_TRY and the fuzz target's own catch work as they would.
 *		Compiled into the fuzzers only.
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <setjmp.h>
#include <stdio.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/memnodes.h"
#include "nodes/pg_list.h"
#include "utils/memutils.h"

#include "pgshim.h"

/* ---- memory ---- */

typedef struct ShimChunk
{
	struct ShimChunk *prev;
	struct ShimChunk *next;
	size_t		size;
	MemoryContext cxt;			/* just before the user's bytes */
} ShimChunk;

static MemoryContextData shim_context;
MemoryContext CurrentMemoryContext = &shim_context;
MemoryContext TopMemoryContext = &shim_context;
static ShimChunk *chunks;
static MemoryContextCallback *callbacks;

volatile sig_atomic_t InterruptPending = false;
sigjmp_buf *PG_exception_stack = NULL;
ErrorContextCallback *error_context_stack = NULL;

static void *
shim_alloc(MemoryContext cxt, size_t size, bool zero)
{
	ShimChunk  *c = malloc(sizeof(ShimChunk) + Max(size, 1));

	if (c == NULL)
		abort();
	c->cxt = cxt;
	c->size = size;
	c->prev = NULL;
	c->next = chunks;
	if (chunks)
		chunks->prev = c;
	chunks = c;
	if (zero)
		memset(c + 1, 0, size);
	return c + 1;
}

void *
palloc(Size size)
{
	return shim_alloc(CurrentMemoryContext, size, false);
}

void *
palloc0(Size size)
{
	return shim_alloc(CurrentMemoryContext, size, true);
}

void *
palloc_extended(Size size, int flags)
{
	return shim_alloc(CurrentMemoryContext, size, (flags & MCXT_ALLOC_ZERO) != 0);
}

void *
MemoryContextAlloc(MemoryContext context, Size size)
{
	return shim_alloc(context, size, false);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return shim_alloc(context, size, true);
}

void *
MemoryContextAllocExtended(MemoryContext context, Size size, int flags)
{
	return shim_alloc(context, size, (flags & MCXT_ALLOC_ZERO) != 0);
}

void
pfree(void *pointer)
{
	ShimChunk  *c = ((ShimChunk *) pointer) - 1;

	if (c->prev)
		c->prev->next = c->next;
	else
		chunks = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
}

void *
repalloc(void *pointer, Size size)
{
	ShimChunk  *old = ((ShimChunk *) pointer) - 1;
	void	   *p = shim_alloc(old->cxt, size, false);

	memcpy(p, pointer, Min(size, old->size));
	pfree(pointer);
	return p;
}

char *
pstrdup(const char *in)
{
	return MemoryContextStrdup(CurrentMemoryContext, in);
}

char *
MemoryContextStrdup(MemoryContext context, const char *string)
{
	size_t		len = strlen(string) + 1;
	char	   *p = shim_alloc(context, len, false);

	memcpy(p, string, len);
	return p;
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *p = palloc(len + 1);

	memcpy(p, in, len);
	p[len] = '\0';
	return p;
}

void
MemoryContextRegisterResetCallback(MemoryContext context, MemoryContextCallback *cb)
{
	cb->next = callbacks;
	callbacks = cb;
}

MemoryContext
AllocSetContextCreateInternal(MemoryContext parent, const char *name,
							  Size minContextSize, Size initBlockSize, Size maxBlockSize)
{
	return &shim_context;
}

void
MemoryContextReset(MemoryContext context)
{
}

void
MemoryContextDelete(MemoryContext context)
{
}

/* After each input: every callback, then every chunk. */
void
shim_reset(void)
{
	while (callbacks)
	{
		MemoryContextCallback *cb = callbacks;

		callbacks = cb->next;
		cb->func(cb->arg);
	}
	while (chunks)
	{
		ShimChunk  *c = chunks;

		chunks = c->next;
		free(c);
	}
	CurrentMemoryContext = &shim_context;
	PG_exception_stack = NULL;
	error_context_stack = NULL;
}

/* ---- strings ---- */

char *
psprintf(const char *fmt,...)
{
	va_list		args;
	char	   *buf;
	int			n;

	va_start(args, fmt);
	n = vsnprintf(NULL, 0, fmt, args);
	va_end(args);
	buf = palloc(n + 1);
	va_start(args, fmt);
	vsnprintf(buf, n + 1, fmt, args);
	va_end(args);
	return buf;
}

void
initStringInfo(StringInfo str)
{
	str->data = palloc(1024);
	str->maxlen = 1024;
	resetStringInfo(str);
}

void
resetStringInfo(StringInfo str)
{
	str->data[0] = '\0';
	str->len = 0;
	str->cursor = 0;
}

void
enlargeStringInfo(StringInfo str, int needed)
{
	int			newlen;
	char	   *data;

	needed += str->len + 1;
	if (needed <= str->maxlen)
		return;
	newlen = 2 * str->maxlen;
	while (needed > newlen)
		newlen *= 2;
	data = shim_alloc(GetMemoryChunkContext(str->data), newlen, false);
	memcpy(data, str->data, str->len + 1);
	pfree(str->data);
	str->data = data;
	str->maxlen = newlen;
}

void
appendBinaryStringInfo(StringInfo str, const char *data, int datalen)
{
	enlargeStringInfo(str, datalen);
	memcpy(str->data + str->len, data, datalen);
	str->len += datalen;
	str->data[str->len] = '\0';
}

void
appendStringInfoString(StringInfo str, const char *s)
{
	appendBinaryStringInfo(str, s, strlen(s));
}

void
appendStringInfoChar(StringInfo str, char ch)
{
	appendBinaryStringInfo(str, &ch, 1);
}

void
appendStringInfo(StringInfo str, const char *fmt,...)
{
	va_list		args;
	int			n;

	va_start(args, fmt);
	n = vsnprintf(NULL, 0, fmt, args);
	va_end(args);
	enlargeStringInfo(str, n);
	va_start(args, fmt);
	vsnprintf(str->data + str->len, n + 1, fmt, args);
	va_end(args);
	str->len += n;
}

/* ---- lists ---- */

List *
lappend(List *list, void *datum)
{
	if (list == NIL)
	{
		list = palloc(offsetof(List, initial_elements) + 8 * sizeof(ListCell));
		list->type = T_List;
		list->length = 0;
		list->max_length = 8;
		list->elements = list->initial_elements;
	}
	else if (list->length == list->max_length)
	{
		ListCell   *more = palloc(sizeof(ListCell) * list->max_length * 2);

		memcpy(more, list->elements, sizeof(ListCell) * list->length);
		list->elements = more;
		list->max_length *= 2;
	}
	list->elements[list->length++].ptr_value = datum;
	return list;
}

/* ---- errors ---- */

static int	shim_elevel;

bool
errstart(int elevel, const char *domain)
{
	shim_elevel = elevel;
	return elevel >= ERROR;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	if (shim_elevel >= ERROR)
	{
		/* the error context callbacks run, as they would for a report */
		for (ErrorContextCallback *e = error_context_stack; e; e = e->previous)
			e->callback(e->arg);
		pg_re_throw();
	}
}

void
pg_re_throw(void)
{
	if (PG_exception_stack == NULL)
		abort();
	siglongjmp(*PG_exception_stack, 1);
}

int
errcode(int sqlerrcode)
{
	return 0;
}

#define SHIM_MESSAGE(name) \
int name(const char *fmt,...) \
{ \
	va_list		args; \
	char		buf[256]; \
	va_start(args, fmt); \
	vsnprintf(buf, sizeof(buf), fmt, args); \
	va_end(args); \
	return 0; \
}
SHIM_MESSAGE(errmsg)
SHIM_MESSAGE(errmsg_internal)
SHIM_MESSAGE(errdetail)
SHIM_MESSAGE(errdetail_internal)
SHIM_MESSAGE(errhint)
SHIM_MESSAGE(errcontext_msg)

int
set_errcontext_domain(const char *domain)
{
	return 0;
}

void
ProcessInterrupts(void)
{
}

int
pg_mbcliplen(const char *mbstr, int len, int limit)
{
	return Min(len, limit);
}
