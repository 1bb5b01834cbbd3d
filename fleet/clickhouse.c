// SPDX-License-Identifier: MIT
/*
 * ClickHouse's HTTP interface through libcurl: a query in the URL, data
 * (an INSERT's rows) in the POST body, one kept-alive connection. A
 * failure to connect or a 5xx with no ClickHouse exception is "down"
 * (-EAGAIN: try again later); an exception ClickHouse sends back is -EIO
 * with its text, which ingest also retries (a full disk, too many parts)
 * but reports as it is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "fleet_internal.h"

struct qz_ch {
	CURL *curl;
	struct curl_slist *headers;
	char *base;		/* url?database=DB& */
	char *userpwd;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *ctx)
{
	struct qz_buf *b = ctx;

	qz_buf__put(b, ptr, size * n);
	return b->err ? 0 : size * n;
}

struct qz_ch *qz_ch__new(const char *url, const char *database, const char *user,
			 const char *password, unsigned int timeout_ms)
{
	struct qz_ch *ch = calloc(1, sizeof(*ch));
	char *db = NULL;
	size_t n;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!ch)
		return NULL;
	ch->curl = curl_easy_init();
	if (!ch->curl)
		goto err;
	db = curl_easy_escape(ch->curl, database, 0);
	n = strlen(url) + (db ? strlen(db) : 0) + 32;
	ch->base = malloc(n);
	if (!db || !ch->base)
		goto err;
	snprintf(ch->base, n, "%s%sdatabase=%s&", url, strchr(url, '?') ? "&" : "?", db);
	if (user) {
		n = strlen(user) + (password ? strlen(password) : 0) + 2;
		ch->userpwd = malloc(n);
		if (!ch->userpwd)
			goto err;
		snprintf(ch->userpwd, n, "%s:%s", user, password ? password : "");
	}
	/* No "Expect: 100-continue": it costs a round trip per insert. */
	ch->headers = curl_slist_append(NULL, "Expect:");
	curl_easy_setopt(ch->curl, CURLOPT_HTTPHEADER, ch->headers);
	curl_easy_setopt(ch->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(ch->curl, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(ch->curl, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(ch->curl, CURLOPT_WRITEFUNCTION, on_data);
	if (ch->userpwd) {
		curl_easy_setopt(ch->curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(ch->curl, CURLOPT_USERPWD, ch->userpwd);
	}
	curl_free(db);
	return ch;
err:
	curl_free(db);
	qz_ch__free(ch);
	return NULL;
}

void qz_ch__free(struct qz_ch *ch)
{
	if (!ch)
		return;
	if (ch->curl)
		curl_easy_cleanup(ch->curl);
	curl_slist_free_all(ch->headers);
	free(ch->base);
	free(ch->userpwd);
	free(ch);
}

/* ClickHouse's exception text, first line, without its stack. */
static void first_line(const char *text, size_t len, char *err, size_t err_len)
{
	size_t n = 0;

	while (n < len && text[n] != '\n')
		n++;
	while (n && (text[n - 1] == ' ' || text[n - 1] == '\r'))
		n--;
	snprintf(err, err_len, "%.*s", (int)(n < 400 ? n : 400), text);
}

int qz_ch__query(struct qz_ch *ch, const char *query, const char *body, size_t len,
		 struct qz_buf *out, char *err, size_t err_len)
{
	struct qz_buf scratch = { 0 }, *o = out ? out : &scratch;
	char *q = NULL, *url = NULL;
	long status = 0;
	CURLcode rc;
	size_t n;
	int ret = 0;

	if (out)
		out->len = 0;
	/* Without data, the query is the body: no length limit of a URL. */
	if (body) {
		q = curl_easy_escape(ch->curl, query, 0);
		if (!q)
			return -ENOMEM;
	} else {
		body = query;
		len = strlen(query);
	}
	n = strlen(ch->base) + (q ? strlen(q) : 0) + 64;
	url = malloc(n);
	if (!url) {
		curl_free(q);
		return -ENOMEM;
	}
	snprintf(url, n, "%s%s%s", ch->base,
		 "output_format_json_quote_64bit_integers=0", q ? "&query=" : "");
	if (q)
		strcat(url, q);
	curl_easy_setopt(ch->curl, CURLOPT_URL, url);
	curl_easy_setopt(ch->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(ch->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(ch->curl, CURLOPT_WRITEDATA, o);
	rc = curl_easy_perform(ch->curl);
	if (rc != CURLE_OK) {
		snprintf(err, err_len, "%s", curl_easy_strerror(rc));
		ret = o->err ? -ENOMEM : -EAGAIN;
		goto out;
	}
	curl_easy_getinfo(ch->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		if (o->len)
			first_line(o->data, o->len, err, err_len);
		else
			snprintf(err, err_len, "HTTP status %ld", status);
		ret = o->len && strstr(err, "Code:") ? -EIO : -EAGAIN;
	}
out:
	free(scratch.data);
	free(url);
	curl_free(q);
	return ret;
}
