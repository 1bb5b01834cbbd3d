// SPDX-License-Identifier: MIT
/*
 * Ring storage: plain memory pages or a perf_event mmap. Both end up as one
 * meta page plus 2^n data pages with a qz_ring over them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "ring_internal.h"

struct qz_storage {
	void *base;
	size_t data_pages;
	size_t page_size;
	int fd;		/* -1 for memory */
	bool owns_fd;
	bool mapped;	/* munmap rather than free */
	struct qz_ring *ring;
};

static bool is_pow2(size_t n)
{
	return n && !(n & (n - 1));
}

static struct qz_storage *storage_finish(struct qz_storage *s)
{
	s->ring = qz_ring__new(s->base, s->data_pages, s->page_size);
	if (!s->ring) {
		int err = errno;

		qz_storage__free(s);
		errno = err;
		return NULL;
	}
	return s;
}

QZ_API struct qz_storage *qz_storage__new_memory(size_t data_pages)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct qz_storage *s;

	if (!is_pow2(data_pages)) {
		errno = QZ_ERR_RING_SIZE;
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->fd = -1;
	s->page_size = page;
	s->data_pages = data_pages;
	if (posix_memalign(&s->base, page, page * (1 + data_pages))) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	memset(s->base, 0, page * (1 + data_pages));
	return storage_finish(s);
}

static int perf_event_open(const struct perf_event_attr *attr, pid_t pid,
			   int cpu, unsigned long flags)
{
	return (int)syscall(SYS_perf_event_open, attr, pid, cpu, -1, flags);
}

QZ_API struct qz_storage *qz_storage__new_mmap(const struct qz_mmap_opts *opts)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_BPF_OUTPUT,
		.sample_type = PERF_SAMPLE_RAW | PERF_SAMPLE_TIME,
		.sample_period = 1,
	};
	const struct perf_event_attr *user_attr = QZ_OPT(opts, attr, NULL);
	uint32_t watermark = QZ_OPT(opts, watermark_bytes, 0);
	struct qz_storage *s;
	size_t len;
	int err;

	QZ_OPTS_CHECK_OR_NULL(opts);
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->fd = -1;
	s->page_size = (size_t)sysconf(_SC_PAGESIZE);
	s->data_pages = QZ_OPT(opts, data_pages, 0) ?: 8;
	if (!is_pow2(s->data_pages)) {
		err = QZ_ERR_RING_SIZE;
		goto fail;
	}

	if (QZ_OPT(opts, use_fd, false)) {
		s->fd = QZ_OPT(opts, fd, -1);
	} else {
		if (user_attr)
			attr = *user_attr;
		attr.size = sizeof(attr);
		attr.watermark = watermark > 0;
		if (watermark)
			attr.wakeup_watermark = watermark;
		else
			attr.wakeup_events = 1;
		s->fd = perf_event_open(&attr, QZ_OPT(opts, pid, -1),
					QZ_OPT(opts, cpu, -1),
					QZ_OPT(opts, open_flags, 0) |
						PERF_FLAG_FD_CLOEXEC);
		if (s->fd < 0) {
			err = errno;
			goto fail;
		}
		s->owns_fd = true;
	}

	len = s->page_size * (1 + s->data_pages);
	s->base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (s->base == MAP_FAILED) {
		s->base = NULL;
		err = errno;
		goto fail;
	}
	s->mapped = true;
	return storage_finish(s);

fail:
	qz_storage__free(s);
	errno = err;
	return NULL;
}

QZ_API void qz_storage__free(struct qz_storage *s)
{
	if (!s)
		return;
	qz_ring__free(s->ring);
	if (s->mapped)
		munmap(s->base, s->page_size * (1 + s->data_pages));
	else
		free(s->base);
	if (s->owns_fd && s->fd >= 0)
		close(s->fd);
	free(s);
}

QZ_API struct qz_ring *qz_storage__ring(struct qz_storage *s)
{
	return s->ring;
}

QZ_API int qz_storage__fd(const struct qz_storage *s)
{
	return s->fd;
}

QZ_API void *qz_storage__base(const struct qz_storage *s)
{
	return s->base;
}

QZ_API size_t qz_storage__data_pages(const struct qz_storage *s)
{
	return s->data_pages;
}

QZ_API size_t qz_storage__page_size(const struct qz_storage *s)
{
	return s->page_size;
}
