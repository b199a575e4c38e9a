/*-------------------------------------------------------------------------
 * compat.h
 *		PG_VERSION_NUM shims, and nothing else.
 *-------------------------------------------------------------------------
 */
#ifndef DYNOMITE_COMPAT_H
#define DYNOMITE_COMPAT_H

#if PG_VERSION_NUM < 150000
#error "dynomite_fdw requires PostgreSQL 15 or later"
#endif

/* The user whose mapping a scan of this range-table entry uses. */
#if PG_VERSION_NUM >= 160000
#define DYN_SCAN_USERID(estate, fsplan) \
	((fsplan)->checkAsUser != InvalidOid ? (fsplan)->checkAsUser : GetUserId())
#else
#define DYN_SCAN_USERID(estate, fsplan) \
	(exec_rt_fetch((fsplan)->scan.scanrelid, (estate))->checkAsUser != InvalidOid ? \
	 exec_rt_fetch((fsplan)->scan.scanrelid, (estate))->checkAsUser : GetUserId())
#endif

#endif							/* DYNOMITE_COMPAT_H */
