/* SPDX-License-Identifier: MIT */
/*
 * Hand-built raw records (PERF_SAMPLE_RAW bytes) for the formats in
 * formats.h, laid out at the offsets those formats give.
 */
#ifndef QUAZAR_TEST_RECORDS_H
#define QUAZAR_TEST_RECORDS_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <quazar/tp.h>
#include "formats.h"

#define ID_SCHED_SWITCH 372
#define ID_SCHED_WAKEUP 374
#define ID_SCHED_PROCESS_EXEC 365
#define ID_KMALLOC 658
#define ID_BR_FDB_ADD 2258
#define ID_SYS_ENTER 443
#define ID_REL_TEST 9001

static inline void put(void *rec, size_t off, const void *v, size_t n)
{
	memcpy((uint8_t *)rec + off, v, n);
}

#define PUT(rec, off, type, val)                                               \
	do {                                                                   \
		type _v = (type)(val);                                         \
		put(rec, off, &_v, sizeof(_v));                                \
	} while (0)

/* A char[16] comm: NUL-padded, no NUL when the name fills it (as the kernel). */
static inline void put_comm(void *rec, size_t off, const char *comm)
{
	size_t n = strnlen(comm, 16);

	memset((uint8_t *)rec + off, 0, 16);
	memcpy((uint8_t *)rec + off, comm, n);
}

static inline void common(void *rec, uint16_t type, int32_t pid)
{
	PUT(rec, 0, uint16_t, type);
	PUT(rec, 2, uint8_t, 0);
	PUT(rec, 3, uint8_t, 0);
	PUT(rec, 4, int32_t, pid);
}

/* 64 bytes plus the 4 the kernel pads a raw sample to: give 68. */
static inline size_t rec_sched_switch(void *rec, const char *prev_comm,
				      int32_t prev_pid, int32_t prev_prio,
				      int64_t prev_state, const char *next_comm,
				      int32_t next_pid, int32_t next_prio)
{
	memset(rec, 0, 68);
	common(rec, ID_SCHED_SWITCH, prev_pid);
	put_comm(rec, 8, prev_comm);
	PUT(rec, 24, int32_t, prev_pid);
	PUT(rec, 28, int32_t, prev_prio);
	PUT(rec, 32, int64_t, prev_state);
	put_comm(rec, 40, next_comm);
	PUT(rec, 56, int32_t, next_pid);
	PUT(rec, 60, int32_t, next_prio);
	return 68;
}

static inline size_t rec_kmalloc(void *rec, int32_t pid, uint64_t call_site,
				 uint64_t ptr, uint64_t req, uint64_t alloc,
				 uint64_t gfp, int32_t node)
{
	memset(rec, 0, 56);
	common(rec, ID_KMALLOC, pid);
	PUT(rec, 8, uint64_t, call_site);
	PUT(rec, 16, uint64_t, ptr);
	PUT(rec, 24, uint64_t, req);
	PUT(rec, 32, uint64_t, alloc);
	PUT(rec, 40, uint64_t, gfp);
	PUT(rec, 48, int32_t, node);
	return 56;
}

/* filename as __data_loc: the string (with its NUL) after the fixed part. */
static inline size_t rec_exec(void *rec, int32_t pid, const char *filename)
{
	size_t n = strlen(filename) + 1;

	memset(rec, 0, 20 + n);
	common(rec, ID_SCHED_PROCESS_EXEC, pid);
	PUT(rec, 8, uint32_t, (uint32_t)(n << 16 | 20));
	PUT(rec, 12, int32_t, pid);
	PUT(rec, 16, int32_t, pid);
	memcpy((char *)rec + 20, filename, n);
	return 20 + n;
}

static inline size_t rec_br_fdb_add(void *rec, const char *dev,
				    const uint8_t addr[6], uint16_t vid)
{
	size_t n = strlen(dev) + 1;

	memset(rec, 0, 28 + n);
	common(rec, ID_BR_FDB_ADD, 1);
	PUT(rec, 8, uint8_t, 0x82);
	PUT(rec, 12, uint32_t, (uint32_t)(n << 16 | 28));
	put(rec, 16, addr, 6);
	PUT(rec, 22, uint16_t, vid);
	PUT(rec, 24, uint16_t, 0x0601);
	memcpy((char *)rec + 28, dev, n);
	return 28 + n;
}

static inline size_t rec_sys_enter(void *rec, int32_t pid, int64_t id,
				   const uint64_t args[6])
{
	memset(rec, 0, 64);
	common(rec, ID_SYS_ENTER, pid);
	PUT(rec, 8, int64_t, id);
	put(rec, 16, args, 48);
	return 64;
}

/* __rel_loc: the offset counts from the end of the 4-byte word (12). */
static inline size_t rec_rel(void *rec, const char *msg, int32_t val)
{
	size_t n = strlen(msg) + 1;

	memset(rec, 0, 16 + n);
	common(rec, ID_REL_TEST, 7);
	PUT(rec, 8, uint32_t, (uint32_t)(n << 16 | 4));
	PUT(rec, 12, int32_t, val);
	memcpy((char *)rec + 16, msg, n);
	return 16 + n;
}

/* An offline qz_tp holding every format above. */
static inline struct qz_tp *test_tp(void)
{
	QZ_OPTS(qz_tp_opts, opts, .offline = true);
	struct qz_tp *tp = qz_tp__new(&opts);

	if (!tp)
		return NULL;
	if (qz_tp__add_format(tp, "sched", SCHED_SWITCH_FMT, NULL) ||
	    qz_tp__add_format(tp, "sched", SCHED_WAKEUP_FMT, NULL) ||
	    qz_tp__add_format(tp, "sched", SCHED_PROCESS_EXEC_FMT, NULL) ||
	    qz_tp__add_format(tp, "kmem", KMALLOC_FMT, NULL) ||
	    qz_tp__add_format(tp, "bridge", BR_FDB_ADD_FMT, NULL) ||
	    qz_tp__add_format(tp, "raw_syscalls", SYS_ENTER_FMT, NULL) ||
	    qz_tp__add_format(tp, "test", REL_LOC_FMT, NULL)) {
		qz_tp__free(tp);
		return NULL;
	}
	return tp;
}

#endif
