// SPDX-License-Identifier: GPL-2.0
/*
 * healthCheckNodePort servers, as kube-proxy's service health server: for
 * each service with externalTrafficPolicy Local and a health check port,
 * an HTTP server on that port (every address of the node's netns) that
 * answers any path with 200 while the node has a local ready endpoint for
 * the service, 503 without, and the same JSON body, so a cloud load
 * balancer sends traffic only to nodes that can serve it.  One
 * libmicrohttpd daemon (and thread) per port; the loop's thread starts,
 * updates and stops them after each sync.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kplaned.h"

struct kp_hc_server {
	struct MHD_Daemon *mhd;
	struct kp_health *hs;
	struct kp_health_port now;	/* under hs->lock */
};

struct kp_health {
	pthread_mutex_t lock;		/* every server's @now */
	struct kp_hc_server **srv;
	unsigned int n;
};

static enum MHD_Result kp_hc_answer(void *cls, struct MHD_Connection *c, const char *url,
				    const char *method, const char *version,
				    const char *upload_data, size_t *upload_size, void **state)
{
	struct kp_hc_server *s = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned int local;
	char body[512];
	int len;

	(void)url, (void)method, (void)version, (void)upload_data, (void)upload_size, (void)state;
	pthread_mutex_lock(&s->hs->lock);
	local = s->now.local;
	len = snprintf(body, sizeof(body), "{\"service\":{\"namespace\":\"%s\",\"name\":\"%s\"},"
		       "\"localEndpoints\":%u,\"serviceProxyHealthy\":true}\n", s->now.ns,
		       s->now.name, local);
	pthread_mutex_unlock(&s->hs->lock);
	if (len < 0 || (size_t)len >= sizeof(body))
		return MHD_NO;
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	ret = MHD_queue_response(c, local ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, r);
	MHD_destroy_response(r);
	return ret;
}

static struct kp_hc_server *kp_hc_start(struct kp_health *hs, const struct kp_health_port *hp)
{
	struct kp_hc_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->hs = hs;
	s->now = *hp;
	/* Both families, as kube-proxy listens on every node address. */
	s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
				  MHD_USE_DUAL_STACK, hp->port, NULL, NULL, kp_hc_answer, s,
				  MHD_OPTION_CONNECTION_LIMIT, 32U,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10U, MHD_OPTION_END);
	if (!s->mhd) {
		kp_log(KP_WARN, "healthCheckNodePort %u of %s/%s: cannot listen: %s", hp->port,
		       hp->ns, hp->name, strerror(errno));
		free(s);
		return NULL;
	}
	kp_log(KP_INFO, "healthCheckNodePort %u serves %s/%s", hp->port, hp->ns, hp->name);
	return s;
}

static void kp_hc_stop(struct kp_hc_server *s)
{
	kp_log(KP_INFO, "healthCheckNodePort %u of %s/%s closed", s->now.port, s->now.ns,
	       s->now.name);
	MHD_stop_daemon(s->mhd);
	free(s);
}

static const struct kp_health_port *kp_hc_find(const struct kp_health_ports *want, uint16_t port)
{
	unsigned int i;

	for (i = 0; i < want->n; i++)
		if (want->hp[i].port == port)
			return &want->hp[i];
	return NULL;
}

struct kp_health *kp_health_new(void)
{
	struct kp_health *hs = calloc(1, sizeof(*hs));

	if (hs)
		pthread_mutex_init(&hs->lock, NULL);
	return hs;
}

void kp_health_update(struct kp_health *hs, const struct kp_health_ports *want)
{
	unsigned int i, k = 0;

	/* Ports no longer wanted close; the others take their service's news. */
	for (i = 0; i < hs->n; i++) {
		const struct kp_health_port *hp = kp_hc_find(want, hs->srv[i]->now.port);

		if (!hp) {
			kp_hc_stop(hs->srv[i]);
			continue;
		}
		pthread_mutex_lock(&hs->lock);
		hs->srv[i]->now = *hp;
		pthread_mutex_unlock(&hs->lock);
		hs->srv[k++] = hs->srv[i];
	}
	hs->n = k;
	for (i = 0; i < want->n; i++) {
		struct kp_hc_server **p, *s;
		unsigned int j;
		bool have = false;

		for (j = 0; j < hs->n && !have; j++)
			have = hs->srv[j]->now.port == want->hp[i].port;
		if (have || !(s = kp_hc_start(hs, &want->hp[i])))
			continue;	/* served, or not now: tried again at the next sync */
		p = realloc(hs->srv, (hs->n + 1) * sizeof(*p));
		if (!p) {
			kp_hc_stop(s);
			continue;
		}
		hs->srv = p;
		hs->srv[hs->n++] = s;
	}
}

void kp_health_free(struct kp_health *hs)
{
	unsigned int i;

	if (!hs)
		return;
	for (i = 0; i < hs->n; i++)
		kp_hc_stop(hs->srv[i]);
	free(hs->srv);
	pthread_mutex_destroy(&hs->lock);
	free(hs);
}
