// SPDX-License-Identifier: GPL-2.0
/*
 * kplaned's HTTP endpoint (libmicrohttpd, one thread of its own):
 * /metrics in Prometheus' text format with kube-proxy's names under a
 * kplane_ prefix and the kernel's counters; /healthz and /livez as
 * kube-proxy answers them; /readyz.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kplaned.h"
#include "reconcile.h"

const double kp_buckets[16] = { 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128,
				0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384, 32.768 };

void kp_observe(uint64_t *h, double *sum, double v)
{
	unsigned int i;

	for (i = 0; i < 16; i++)
		h[i] += v <= kp_buckets[i];
	*sum += v;
}

struct kp_http {
	struct MHD_Daemon *mhd;
	struct kp_metrics *m;
	struct kpl_handle *h;		/* the kernel's counters; used by the MHD thread only */
	double health_timeout;
};

static void kp_histogram(FILE *f, const char *name, const char *help, const uint64_t *h,
			 double sum, uint64_t count)
{
	unsigned int i;

	fprintf(f, "# HELP kplane_%s %s\n# TYPE kplane_%s histogram\n", name, help, name);
	for (i = 0; i < 16; i++)
		fprintf(f, "kplane_%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, kp_buckets[i], h[i]);
	fprintf(f, "kplane_%s_bucket{le=\"+Inf\"} %" PRIu64 "\nkplane_%s_sum %g\nkplane_%s_count %"
		PRIu64 "\n",
		name, count, name, sum, name, count);
}

static void kp_metric(FILE *f, const char *name, const char *type, const char *help, double v)
{
	fprintf(f, "# HELP kplane_%s %s\n# TYPE kplane_%s %s\nkplane_%s %.17g\n",
		name, help, name, type, name, v);
}

static void kp_agent_metrics(FILE *f, const struct kp_metrics *m)
{
	unsigned int i;

	kp_histogram(f, "sync_full_proxy_rules_duration_seconds", "Full syncs' durations",
		     m->h_full, m->s_full, m->syncs_full);
	kp_histogram(f, "sync_partial_proxy_rules_duration_seconds", "Partial syncs' durations",
		     m->h_partial, m->s_partial, m->syncs_partial);
	/* kube-proxy's older name: every sync, full or partial */
	{
		uint64_t all[16];

		for (i = 0; i < 16; i++)
			all[i] = m->h_full[i] + m->h_partial[i];
		kp_histogram(f, "sync_proxy_rules_duration_seconds", "Syncs' durations", all,
			     m->s_full + m->s_partial, m->syncs_full + m->syncs_partial);
	}
	kp_histogram(f, "network_programming_duration_seconds",
		     "From a change seen to the kernel programmed", m->h_prog, m->s_prog,
		     m->n_prog);
	kp_metric(f, "sync_proxy_rules_last_timestamp_seconds", "gauge",
		  "When the last sync succeeded", m->last_sync);
	kp_metric(f, "sync_proxy_rules_last_queued_timestamp_seconds", "gauge",
		  "When the last change was queued", m->last_queued);
	kp_metric(f, "sync_proxy_rules_service_changes_pending", "gauge",
		  "Changes not yet synced", m->changes_pending);
	kp_metric(f, "sync_proxy_rules_service_changes_total", "counter",
		  "Service objects changed", m->svc_changes);
	kp_metric(f, "sync_proxy_rules_endpoint_changes_pending", "gauge",
		  "Changes not yet synced", m->changes_pending);
	kp_metric(f, "sync_proxy_rules_endpoint_changes_total", "counter",
		  "EndpointSlice objects changed", m->slice_changes);
	kp_metric(f, "sync_workload_endpoint_changes_total", "counter",
		  "WorkloadEndpoint objects changed", m->wep_changes);
	kp_metric(f, "sync_proxy_rules_failures_total", "counter", "Syncs that failed",
		  m->sync_failures);
	kp_metric(f, "sync_proxy_rules_writes_total", "counter",
		  "Services (frontends) set or deleted in the kernel", m->writes);
	kp_metric(f, "sync_proxy_rules_repaired_total", "counter",
		  "Writes of full syncs that found the kernel changed by someone else", m->repaired);
	kp_metric(f, "sync_proxy_rules_refused_total", "counter",
		  "Services the kernel refused, left out", m->refused);
	kp_metric(f, "objects_skipped_total", "counter",
		  "Documents, files and keys skipped as invalid", m->skipped);
	kp_metric(f, "orphan_endpointslices", "gauge",
		  "EndpointSlices whose Service is not there", m->orphan_slices);
}

static void kp_kernel_metrics(FILE *f, const struct kpl_status *st)
{
	kp_metric(f, "connect_balanced_total", "counter", "Connects sent to a backend",
		  st->connect_lb);
	kp_metric(f, "connect_refused_total", "counter", "Connects to a service without backends",
		  st->connect_refused);
	kp_metric(f, "services", "gauge", "Services (frontends) in the kernel", st->service_count);
	kp_metric(f, "endpoints", "gauge", "Workload and host endpoints", st->endpoint_count);
	kp_metric(f, "flows", "gauge", "Flows in the flow table", st->flow_count);
	kp_metric(f, "flow_table_full_total", "counter", "Flows refused: table full",
		  st->flow_table_full);
	kp_metric(f, "service_table_full_total", "counter", "Services refused: table full",
		  st->svc_table_full);
	kp_metric(f, "endpoint_table_full_total", "counter", "Endpoints refused: table full",
		  st->ep_table_full);
	kp_metric(f, "nat_packets_total", "counter", "Packets translated", st->nat_packets);
	kp_metric(f, "policy_denied_total", "counter", "Packets policy dropped",
		  st->policy_denied);
	kp_metric(f, "spoofed_total", "counter", "Packets dropped: a workload's spoofed source",
		  st->spoofed);
	kp_metric(f, "generation", "gauge", "The node's generation", st->generation);
}

static enum MHD_Result kp_reply(struct MHD_Connection *c, unsigned int code, const char *type,
				char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body,
								 MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result kp_metrics_page(struct kp_http *http, struct MHD_Connection *c)
{
	struct kp_metrics snap;
	struct kpl_status st;
	char *body = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&body, &len);

	if (!f)
		return MHD_NO;
	pthread_mutex_lock(&http->m->lock);
	snap = *http->m;
	pthread_mutex_unlock(&http->m->lock);
	kp_agent_metrics(f, &snap);
	if (http->h && !kpl_node_status(http->h, &st))
		kp_kernel_metrics(f, &st);
	fclose(f);
	return kp_reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4", body, len);
}

static void kp_stamp(char *buf, size_t size, double t)
{
	time_t s = (time_t)t;
	struct tm tm;

	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&s, &tm));
}

/* kube-proxy's rule: unhealthy once a change has waited longer than the timeout. */
static enum MHD_Result kp_health_page(struct kp_http *http, struct MHD_Connection *c, bool ready)
{
	char last[32], now_s[32], *body = NULL;
	double now = kp_now();
	bool ok;
	int len;

	pthread_mutex_lock(&http->m->lock);
	ok = !http->m->oldest_pending || now < http->m->oldest_pending + http->health_timeout;
	if (ready)
		ok = ok && http->m->synced && http->m->sources_ok;
	kp_stamp(last, sizeof(last), http->m->last_sync);
	pthread_mutex_unlock(&http->m->lock);
	kp_stamp(now_s, sizeof(now_s), now);
	len = asprintf(&body, "{\"lastUpdated\": \"%s\",\"currentTime\": \"%s\", "
			      "\"nodeEligible\": true}\n", last, now_s);
	if (len < 0)
		return MHD_NO;
	return kp_reply(c, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, "application/json",
			body, len);
}

static enum MHD_Result kp_http_request(void *cls, struct MHD_Connection *c, const char *url,
				       const char *method, const char *version,
				       const char *upload_data, size_t *upload_size, void **state)
{
	struct kp_http *http = cls;
	char *body;

	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)state;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		body = strdup("method not allowed\n");
		return body ? kp_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain", body,
				       strlen(body)) : MHD_NO;
	}
	if (!strcmp(url, "/metrics"))
		return kp_metrics_page(http, c);
	if (!strcmp(url, "/healthz") || !strcmp(url, "/livez"))
		return kp_health_page(http, c, false);
	if (!strcmp(url, "/readyz"))
		return kp_health_page(http, c, true);
	body = strdup("404 page not found\n");
	return body ? kp_reply(c, MHD_HTTP_NOT_FOUND, "text/plain", body, strlen(body)) : MHD_NO;
}

/* ADDR:PORT or [ADDR6]:PORT, resolved numerically. */
static struct addrinfo *kp_listen_addr(const char *listen)
{
	const struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
					.ai_socktype = SOCK_STREAM };
	char host[256];
	const char *colon = strrchr(listen, ':');
	struct addrinfo *ai = NULL;
	size_t n;

	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		return NULL;
	n = colon - listen;
	memcpy(host, listen, n);
	host[n] = '\0';
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	if (getaddrinfo(host, colon + 1, &hints, &ai))
		return NULL;
	return ai;
}

struct kp_http *kp_http_start(const char *listen, struct kp_metrics *m, double health_timeout)
{
	struct addrinfo *ai = kp_listen_addr(listen);
	struct kp_http *http;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;

	if (!ai) {
		kp_log(KP_ERR, "--listen %s: not ADDR:PORT", listen);
		return NULL;
	}
	http = calloc(1, sizeof(*http));
	if (!http) {
		freeaddrinfo(ai);
		return NULL;
	}
	http->m = m;
	http->health_timeout = health_timeout;
	if (kpl_open(&http->h))
		http->h = NULL;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	http->mhd = MHD_start_daemon(flags, 0, NULL, NULL, kp_http_request, http,
				     MHD_OPTION_SOCK_ADDR, ai->ai_addr,
				     MHD_OPTION_CONNECTION_LIMIT, 64U,
				     MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!http->mhd) {
		kp_log(KP_ERR, "cannot listen on %s: %s", listen, strerror(errno));
		kp_http_stop(http);
		return NULL;
	}
	kp_log(KP_INFO, "serving /metrics, /healthz, /livez and /readyz on %s", listen);
	return http;
}

void kp_http_stop(struct kp_http *http)
{
	if (!http)
		return;
	if (http->mhd)
		MHD_stop_daemon(http->mhd);
	if (http->h)
		kpl_close(http->h);
	free(http);
}
