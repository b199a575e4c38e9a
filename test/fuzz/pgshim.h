/*
 * pgshim.h
 *		The fuzz targets' stand-in for a backend (pgshim.c).
 */
#ifndef PGSHIM_H
#define PGSHIM_H

#include <setjmp.h>

/* free everything the last input allocated, and run its callbacks */
extern void shim_reset(void);

/*
 * Run stmt as a backend would: an ERROR it raises ends it here.  Sets
 * *failed (a volatile bool) when one did.
 */
#define SHIM_TRY(stmt, failed) \
	do { \
		sigjmp_buf	shim_jb; \
		if (sigsetjmp(shim_jb, 0) == 0) \
		{ \
			PG_exception_stack = &shim_jb; \
			stmt; \
		} \
		else \
			*(failed) = true; \
		PG_exception_stack = NULL; \
	} while (0)

#endif
