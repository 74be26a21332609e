// SPDX-License-Identifier: GPL-2.0
/*
 * The etcd source, as Calico's etcdv3 datastore mode: one object (JSON or
 * YAML) per key under a prefix, e.g. /kplane/v1/<kind>/<namespace>/<name>.
 * A thread of its own lists the prefix with a paginated range read at one
 * revision, then watches from the next through etcd's v3 JSON gateway
 * (libcurl; no C etcd client is maintained).  A cancelled watch (the
 * revision compacted), a lost connection or etcd restarting makes it list
 * again; the loop's thread takes each listing as the whole truth (keys not
 * in it are deleted).  While etcd cannot be reached the source reports
 * unhealthy and the kernel is left as it is.
 */
#include <curl/curl.h>
#include <errno.h>
#include <libfyaml.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "kplaned.h"

#define KP_ETCD_PAGE		1000
#define KP_ETCD_KEY_PREFIX	"etcd:"		/* store keys: apart from files' */
#define KP_ETCD_LINE_MAX	(64UL << 20)	/* one watch response */
#define KP_ETCD_BACKOFF_MAX	30.0

/* A key put or deleted, its value read by the thread (the loop only stores it). */
struct kp_etcd_kv {
	char *key;			/* as in etcd, NUL-terminated */
	bool deleted;
	struct kp_k8s_objects objs;	/* what the value holds */
	unsigned int skipped;		/* documents of it left out (logged) */
};

/* What the thread tells the loop. */
struct kp_etcd_news {
	struct kp_etcd_news *next;
	enum { KP_ETCD_LISTING, KP_ETCD_EVENTS, KP_ETCD_HEALTH } type;
	bool healthy;
	char *why;			/* HEALTH: what failed */
	unsigned int n, cap;
	struct kp_etcd_kv *kvs;
};

struct kp_etcd {
	struct kp_source src;
	char *prefix, *range_end;	/* [prefix, range_end): every key under it */
	char **urls;
	unsigned int n_urls;
	pthread_t thread;
	bool started;

	pthread_mutex_t lock;		/* protects stop, news */
	pthread_cond_t wake;
	bool stop;
	struct kp_etcd_news *news, **news_tail;

	/* The thread's own. */
	CURL *curl;
	unsigned int url;		/* the endpoint in use */
	long long rev;			/* the revision listed or last watched */
	bool healthy, cancelled;
	char *buf;
	size_t len;
	char err[CURL_ERROR_SIZE];
};

/* --- base64, as the gateway encodes keys and values (OpenSSL's codec) --- */

static char *kp_b64(const char *s, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (out)
		EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, n);
	return out;
}

/* Decodes @in into a new NUL-terminated buffer of *@len bytes; NULL if not base64. */
static char *kp_unb64(const char *in, size_t *len)
{
	size_t n = strlen(in);
	char *out;
	int r;

	if (n % 4)
		return NULL;
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		return NULL;
	r = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)in, n);
	if (r < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	while (n && in[n - 1] == '=' && r > 0) {
		n--;
		r--;
	}
	out[r] = '\0';
	*len = r;
	return out;
}

/* --- the queue --- */

static void kp_news_free(struct kp_etcd_news *n)
{
	unsigned int i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++) {
		free(n->kvs[i].key);
		kp_k8s_objects_free(&n->kvs[i].objs);
	}
	free(n->kvs);
	free(n->why);
	free(n);
}

static void kp_news_post(struct kp_etcd *e, struct kp_etcd_news *n)
{
	uint64_t one = 1;

	pthread_mutex_lock(&e->lock);
	*e->news_tail = n;
	e->news_tail = &n->next;
	pthread_mutex_unlock(&e->lock);
	if (write(e->src.fd, &one, sizeof(one)) < 0)
		kp_log(KP_WARN, "etcd: eventfd: %s", strerror(errno));
}

/* Tells the loop when etcd turns reachable or unreachable (the thread's view). */
static void kp_set_health(struct kp_etcd *e, bool healthy)
{
	struct kp_etcd_news *n;

	if (e->healthy == healthy)
		return;
	n = calloc(1, sizeof(*n));
	if (!n)
		return;
	e->healthy = healthy;
	n->type = KP_ETCD_HEALTH;
	n->healthy = healthy;
	n->why = healthy ? NULL : strdup(e->err);
	kp_news_post(e, n);
}

static bool kp_stopping(struct kp_etcd *e)
{
	bool stop;

	pthread_mutex_lock(&e->lock);
	stop = e->stop;
	pthread_mutex_unlock(&e->lock);
	return stop;
}

/* --- JSON replies --- */

static const char *kp_json_str(struct fy_node *n, const char *path)
{
	struct fy_node *v = kp_k8s_at(n, path);

	return v && fy_node_is_scalar(v) ? fy_node_get_scalar0(v) : NULL;
}

static long long kp_json_ll(struct fy_node *n, const char *path)
{
	const char *s = kp_json_str(n, path);

	return s ? strtoll(s, NULL, 10) : 0;
}

static bool kp_json_true(struct fy_node *n, const char *path)
{
	const char *s = kp_json_str(n, path);

	return s && !strcmp(s, "true");
}

static void kp_kv_skipped(unsigned int line, const char *why, void *arg)
{
	struct kp_etcd_kv *kv = arg;

	kv->skipped++;
	if (line)
		kp_log(KP_WARN, "etcd key %s:%u: skipped: %s", kv->key, line, why);
	else
		kp_log(KP_WARN, "etcd key %s: skipped: %s", kv->key, why);
}

/*
 * Adds the key (and what its value holds, unless @del) of @kv to @news:
 * the value is read here, on the thread, while the loop goes on.
 * -EINVAL if not base64, -ENOMEM.
 */
static int kp_kv_add(struct kp_etcd_news *news, struct fy_node *kv, bool del)
{
	const char *key = kp_json_str(kv, "/key"), *value = kp_json_str(kv, "/value");
	struct kp_etcd_kv *slot;
	size_t klen, len;
	char *text;
	int err;

	if (news->n == news->cap) {
		unsigned int cap = news->cap ? news->cap * 2 : 64;
		struct kp_etcd_kv *p = realloc(news->kvs, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		news->kvs = p;
		news->cap = cap;
	}
	slot = &news->kvs[news->n];
	memset(slot, 0, sizeof(*slot));
	slot->key = key ? kp_unb64(key, &klen) : NULL;
	if (!slot->key)
		return -EINVAL;
	slot->deleted = del;
	text = del ? NULL : kp_unb64(value ? value : "", &len);
	err = del ? 0 : text ? kp_k8s_load(text, len, &slot->objs, kp_kv_skipped, slot) : -EINVAL;
	free(text);
	if (err) {
		kp_k8s_objects_free(&slot->objs);
		free(slot->key);
		return err;
	}
	news->n++;
	return 0;
}

static struct fy_document *kp_json(const char *buf, size_t len)
{
	struct fy_parse_cfg cfg = { .flags = FYPCF_QUIET | FYPCF_JSON_FORCE |
					    FYPCF_DISABLE_ACCELERATORS };
	struct fy_document *doc;

	if (!kp_k8s_text_ok(buf, len))
		return NULL;
	cfg.diag = kp_fy_diag(NULL);
	doc = cfg.diag ? fy_document_build_from_string(&cfg, buf, len) : NULL;
	fy_diag_unref(cfg.diag);	/* the document holds its own reference */
	return doc;
}

/* --- HTTP --- */

static size_t kp_collect(char *data, size_t size, size_t n, void *arg)
{
	struct kp_etcd *e = arg;
	char *p;

	n *= size;
	if (e->len + n + 1 > KP_ETCD_LINE_MAX)
		return 0;
	p = realloc(e->buf, e->len + n + 1);
	if (!p)
		return 0;
	e->buf = p;
	memcpy(e->buf + e->len, data, n);
	e->len += n;
	e->buf[e->len] = '\0';
	return n;
}

static int kp_xfer_stop(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	return kp_stopping(arg);
}

/* POSTs @body to @path of the endpoint in use; the reply goes to @write. */
static int kp_post(struct kp_etcd *e, const char *path, const char *body, long timeout,
		   curl_write_callback write, void *arg)
{
	char url[1024];
	long code = 0;
	CURLcode rc;

	snprintf(url, sizeof(url), "%s%s", e->urls[e->url], path);
	e->len = 0;
	curl_easy_reset(e->curl);
	curl_easy_setopt(e->curl, CURLOPT_URL, url);
	curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(e->curl, CURLOPT_WRITEFUNCTION, write);
	curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, arg);
	curl_easy_setopt(e->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(e->curl, CURLOPT_XFERINFOFUNCTION, kp_xfer_stop);
	curl_easy_setopt(e->curl, CURLOPT_XFERINFODATA, e);
	curl_easy_setopt(e->curl, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(e->curl, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(e->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e->curl, CURLOPT_ERRORBUFFER, e->err);
	curl_easy_setopt(e->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	e->err[0] = '\0';
	rc = curl_easy_perform(e->curl);
	curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK && code != 200)
		snprintf(e->err, sizeof(e->err), "HTTP status %ld", code);
	else if (rc != CURLE_OK && !e->err[0])
		snprintf(e->err, sizeof(e->err), "%s", curl_easy_strerror(rc));
	return rc == CURLE_OK && code == 200 ? 0 : -EIO;
}

/* --- list --- */

/* One page from @from (base64); *@more and *@next (base64 key after the last). */
static int kp_list_page(struct kp_etcd *e, struct kp_etcd_news *news, const char *from,
			bool *more, char **next)
{
	char *body = NULL, *end = kp_b64(e->range_end, strlen(e->range_end));
	struct fy_document *doc;
	struct fy_node *kvs, *kv;
	void *iter = NULL;
	int err;

	/* Every page at the first page's revision: one consistent snapshot. */
	if (!end || asprintf(&body, "{\"key\":\"%s\",\"range_end\":\"%s\",\"limit\":%d,"
			     "\"revision\":%lld}", from, end, KP_ETCD_PAGE, e->rev) < 0)
		body = NULL;
	free(end);
	if (!body)
		return -ENOMEM;
	err = kp_post(e, "/v3/kv/range", body, 60, kp_collect, e);
	free(body);
	if (err)
		return err;
	doc = kp_json(e->buf, e->len);
	if (!doc) {
		snprintf(e->err, sizeof(e->err), "range: not JSON");
		return -EIO;
	}
	if (!e->rev)
		e->rev = kp_json_ll(fy_document_root(doc), "/header/revision");
	kvs = kp_k8s_at(fy_document_root(doc), "/kvs");
	while (!err && kvs && (kv = fy_node_sequence_iterate(kvs, &iter)))
		err = kp_kv_add(news, kv, false);
	*more = !err && kp_json_true(fy_document_root(doc), "/more") && news->n;
	/* The next page starts just after the last key: the key and a NUL. */
	if (*more) {
		const char *last = news->kvs[news->n - 1].key;
		size_t n = strlen(last);
		char *k = malloc(n + 1);

		if (k) {
			memcpy(k, last, n + 1);
			*next = kp_b64(k, n + 1);
			free(k);
		}
		if (!*next)
			err = -ENOMEM;
	}
	fy_document_destroy(doc);
	if (err == -EINVAL)
		snprintf(e->err, sizeof(e->err), "range: a key or value not base64");
	return err;
}

static int kp_list(struct kp_etcd *e)
{
	struct kp_etcd_news *news = calloc(1, sizeof(*news));
	char *from = kp_b64(e->prefix, strlen(e->prefix));
	unsigned int pages = 0;
	double start = kp_mono();
	bool more = true;
	int err = news && from ? 0 : -ENOMEM;

	if (news)
		news->type = KP_ETCD_LISTING;
	e->rev = 0;
	while (!err && more) {
		char *next = NULL;

		err = kp_list_page(e, news, from, &more, &next);
		free(from);
		from = next;
		pages++;
	}
	free(from);
	if (err) {
		kp_news_free(news);
		return err;
	}
	kp_log(KP_INFO, "etcd: read %u keys at revision %lld in %u pages, %.0f ms", news->n, e->rev,
	       pages, (kp_mono() - start) * 1000);
	kp_news_post(e, news);
	kp_set_health(e, true);
	return 0;
}

/* --- watch --- */

/* The events of one watch response, posted; the revision of the last one. */
static int kp_watch_events(struct kp_etcd *e, struct fy_node *events, long long *last)
{
	struct kp_etcd_news *news = calloc(1, sizeof(*news));
	struct fy_node *ev;
	void *iter = NULL;
	int err = news ? 0 : -ENOMEM;

	while (!err && (ev = fy_node_sequence_iterate(events, &iter))) {
		const char *type = kp_json_str(ev, "/type");
		struct fy_node *kv = kp_k8s_at(ev, "/kv");

		err = kv ? kp_kv_add(news, kv, type && !strcmp(type, "DELETE")) : -EINVAL;
		if (!err && kp_json_ll(kv, "/mod_revision") > *last)
			*last = kp_json_ll(kv, "/mod_revision");
	}
	if (err) {
		kp_news_free(news);
		return err;
	}
	news->type = KP_ETCD_EVENTS;
	kp_news_post(e, news);
	return 0;
}

/*
 * One watch response; 1 when the watch was cancelled for a compaction (list
 * again), -EIO when it cannot be taken (then resumed after what was).  The
 * resume point moves only past events delivered, or to a progress
 * notification's revision: a created response or a catch-up batch names
 * the store's revision, not the watch's.
 */
static int kp_watch_line(struct kp_etcd *e, const char *line, size_t len)
{
	struct fy_document *doc = kp_json(line, len);
	struct fy_node *res, *events;
	long long last = e->rev;
	int err = 0;

	if (!doc)
		return -EIO;
	res = kp_k8s_at(fy_document_root(doc), "/result");
	if (res && kp_json_true(res, "/canceled")) {
		long long compacted = kp_json_ll(res, "/compact_revision");

		if (compacted)
			kp_log(KP_INFO, "etcd: watch from revision %lld cancelled (compacted to "
			       "%lld): listing again", e->rev + 1, compacted);
		else
			snprintf(e->err, sizeof(e->err), "watch cancelled: %s",
				 kp_json_str(res, "/cancel_reason") ?: "no reason given");
		e->cancelled = compacted;
		fy_document_destroy(doc);
		return compacted ? 1 : -EIO;
	}
	if (res && kp_json_true(res, "/created"))
		kp_set_health(e, true);
	events = res ? kp_k8s_at(res, "/events") : NULL;
	if (events && fy_node_is_sequence(events) && fy_node_sequence_item_count(events))
		err = kp_watch_events(e, events, &last);
	else if (res && !kp_json_true(res, "/created"))
		last = kp_json_ll(res, "/header/revision");	/* a progress notification */
	if (!err && last > e->rev)
		e->rev = last;
	fy_document_destroy(doc);
	return err ? -EIO : 0;
}

/* The stream is one JSON object a line: each complete line is taken at once. */
static size_t kp_watch_data(char *data, size_t size, size_t n, void *arg)
{
	struct kp_etcd *e = arg;
	size_t got = kp_collect(data, size, n, arg);
	char *nl;

	if (!got)
		return 0;
	while ((nl = memchr(e->buf, '\n', e->len))) {
		size_t line = nl - e->buf;
		int r = kp_watch_line(e, e->buf, line);

		memmove(e->buf, nl + 1, e->len - line - 1);
		e->len -= line + 1;
		if (r)
			return 0;	/* ends the transfer: list again, or resume */
	}
	return got;
}

/* Watches from the revision after e->rev: 1 when cancelled (list again), -EIO when broken. */
static int kp_watch(struct kp_etcd *e)
{
	char *key = kp_b64(e->prefix, strlen(e->prefix));
	char *end = kp_b64(e->range_end, strlen(e->range_end));
	char *body = NULL;
	int err = -ENOMEM;

	e->cancelled = false;
	if (key && end && asprintf(&body, "{\"create_request\":{\"key\":\"%s\",\"range_end\":"
				   "\"%s\",\"start_revision\":%lld,\"progress_notify\":true}}",
				   key, end, e->rev + 1) >= 0) {
		err = kp_post(e, "/v3/watch", body, 0, kp_watch_data, e);
		free(body);
		if (!err && !e->cancelled)
			snprintf(e->err, sizeof(e->err), "the watch stream ended");
		err = e->cancelled ? 1 : err ? err : -EIO;	/* a watch never ends well */
	}
	free(key);
	free(end);
	return err;
}

/* --- the thread --- */

static void kp_nap(struct kp_etcd *e, double s)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)s;
	ts.tv_nsec += (long)((s - (time_t)s) * 1e9);
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&e->lock);
	if (!e->stop)
		pthread_cond_timedwait(&e->wake, &e->lock, &ts);
	pthread_mutex_unlock(&e->lock);
}

/*
 * Lists, then watches; a watch that breaks (etcd restarted, the network)
 * resumes from the revision after the last seen, so nothing is missed and
 * nothing listed again unless etcd compacted it away.
 */
static void *kp_etcd_run(void *arg)
{
	struct kp_etcd *e = arg;
	double backoff = 0.5;
	bool listed = false;
	int err;

	while (!kp_stopping(e)) {
		err = listed ? kp_watch(e) : kp_list(e);
		if (err == 1 || (!err && !listed)) {
			listed = !err;
			backoff = 0.5;
			continue;
		}
		if (kp_stopping(e))
			break;
		if (e->healthy)
			backoff = 0.5;	/* it worked until now: retry soon */
		kp_log(e->healthy || backoff == 0.5 ? KP_WARN : KP_DEBUG,
		       "etcd %s: %s; retrying in %.1f s",
		       e->urls[e->url], e->err, backoff);
		kp_set_health(e, false);
		e->url = (e->url + 1) % e->n_urls;
		kp_nap(e, backoff);
		backoff = backoff * 2 > KP_ETCD_BACKOFF_MAX ? KP_ETCD_BACKOFF_MAX : backoff * 2;
	}
	return NULL;
}

/* --- the loop's side --- */

static int kp_kv_key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kp_etcd_kv *)a)->key, ((const struct kp_etcd_kv *)b)->key);
}

/* An etcd key the listing (sorted) no longer holds. */
static bool kp_etcd_gone(const char *key, void *arg)
{
	const struct kp_etcd_news *listing = arg;
	struct kp_etcd_kv probe = { .key = (char *)key + strlen(KP_ETCD_KEY_PREFIX) };

	return !strncmp(key, KP_ETCD_KEY_PREFIX, strlen(KP_ETCD_KEY_PREFIX)) &&
	       !bsearch(&probe, listing->kvs, listing->n, sizeof(probe), kp_kv_key_cmp);
}

static int kp_etcd_put(struct kp_etcd *e, struct kp_store *store, struct kp_etcd_kv *kv)
{
	char *key;
	int err = 0;

	if (asprintf(&key, KP_ETCD_KEY_PREFIX "%s", kv->key) < 0)
		return -ENOMEM;
	if (kv->deleted)
		kp_store_del(store, key);
	else
		err = kp_store_put(store, key, &kv->objs);
	e->src.skipped += kv->skipped;
	free(key);
	return err;
}

static int kp_etcd_listing(struct kp_etcd *e, struct kp_store *store, struct kp_etcd_news *n)
{
	unsigned int i;
	bool pruned;
	int err = 0;

	qsort(n->kvs, n->n, sizeof(*n->kvs), kp_kv_key_cmp);
	/* A key it could not look at stays: listed is then not claimed. */
	pruned = !kp_store_prune(store, kp_etcd_gone, n);
	for (i = 0; !err && i < n->n; i++)
		err = kp_etcd_put(e, store, &n->kvs[i]);
	if (!err && !e->src.listed)
		kp_log(KP_INFO, "etcd: %u keys listed", n->n);
	e->src.listed |= !err && pruned;
	return err;
}

static int kp_etcd_process(struct kp_source *src, struct kp_store *store)
{
	struct kp_etcd *e = (struct kp_etcd *)src;
	uint64_t before = kp_store_changes(store), ticks;
	struct kp_etcd_news *n, *next;
	unsigned int i;
	int err = 0;

	if (read(src->fd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return -errno;
	pthread_mutex_lock(&e->lock);
	n = e->news;
	e->news = NULL;
	e->news_tail = &e->news;
	pthread_mutex_unlock(&e->lock);
	for (; n; n = next) {
		next = n->next;
		if (n->type == KP_ETCD_HEALTH) {
			if (src->healthy != n->healthy)
				kp_log(n->healthy ? KP_INFO : KP_WARN, "etcd: %s%s",
				       n->healthy ? "reachable" : "unreachable: ",
				       n->why ? n->why : "");
			src->healthy = n->healthy;
		} else if (!err && n->type == KP_ETCD_LISTING) {
			err = kp_etcd_listing(e, store, n);
		} else {
			for (i = 0; !err && i < n->n; i++)
				err = kp_etcd_put(e, store, &n->kvs[i]);
		}
		kp_news_free(n);
	}
	return err ? err : (int)(kp_store_changes(store) - before);
}

static void kp_etcd_destroy(struct kp_source *src)
{
	struct kp_etcd *e = (struct kp_etcd *)src;
	struct kp_etcd_news *n, *next;
	unsigned int i;

	if (e->started) {
		pthread_mutex_lock(&e->lock);
		e->stop = true;
		pthread_cond_signal(&e->wake);
		pthread_mutex_unlock(&e->lock);
		pthread_join(e->thread, NULL);
	}
	for (n = e->news; n; n = next) {
		next = n->next;
		kp_news_free(n);
	}
	if (e->curl)
		curl_easy_cleanup(e->curl);
	if (src->fd >= 0)
		close(src->fd);
	for (i = 0; i < e->n_urls; i++)
		free(e->urls[i]);
	free(e->urls);
	free(e->prefix);
	free(e->range_end);
	free(e->buf);
	free(e);
}

/* "http://a:2379,http://b:2379": each endpoint, tried in turn. */
static int kp_etcd_urls(struct kp_etcd *e, const char *list)
{
	char *copy = strdup(list), *tok, *save = NULL;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
		char **p = realloc(e->urls, (e->n_urls + 1) * sizeof(*p));
		size_t n = strlen(tok);

		if (!p)
			break;
		e->urls = p;
		while (n && tok[n - 1] == '/')
			tok[--n] = '\0';
		e->urls[e->n_urls] = strdup(tok);
		if (e->urls[e->n_urls])
			e->n_urls++;
	}
	free(copy);
	return e->n_urls ? 0 : -EINVAL;
}

struct kp_source *kp_etcd_source(const char *endpoints, const char *prefix)
{
	struct kp_etcd *e = calloc(1, sizeof(*e));
	size_t n = strlen(prefix);

	if (!e)
		return NULL;
	e->src = (struct kp_source){ .name = "etcd", .fd = -1, .process = kp_etcd_process,
				     .destroy = kp_etcd_destroy };
	pthread_mutex_init(&e->lock, NULL);
	pthread_cond_init(&e->wake, NULL);
	e->news_tail = &e->news;
	curl_global_init(CURL_GLOBAL_DEFAULT);	/* before any thread: it is not thread-safe */
	e->prefix = strdup(prefix);
	e->range_end = strdup(prefix);
	/* The range end of a prefix: its last byte plus one (etcd's own rule). */
	if (!n || !e->prefix || !e->range_end || (unsigned char)prefix[n - 1] == 0xff ||
	    kp_etcd_urls(e, endpoints)) {
		kp_log(KP_ERR, "etcd: bad --etcd-endpoints or --etcd-prefix");
		goto err;
	}
	e->range_end[n - 1]++;
	e->src.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	e->curl = curl_easy_init();
	if (e->src.fd < 0 || !e->curl)
		goto err;
	if (pthread_create(&e->thread, NULL, kp_etcd_run, e)) {
		kp_log(KP_ERR, "etcd: cannot start its thread");
		goto err;
	}
	e->started = true;
	kp_log(KP_INFO, "etcd: watching %s under %s", endpoints, prefix);
	return &e->src;
err:
	kp_etcd_destroy(&e->src);
	return NULL;
}
