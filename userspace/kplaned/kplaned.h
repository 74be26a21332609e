/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kplaned: keeps its node's kernel state equal to the desired state its
 * sources report.  One thread (the loop in main.c) owns the store, the
 * model and the netlink handle; sources with threads of their own (etcd)
 * hand it their news through a queue and an eventfd, and the HTTP thread
 * reads the metrics under their lock.
 */
#ifndef KPLANED_H
#define KPLANED_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "agent.h"

enum kp_level { KP_ERR, KP_WARN, KP_INFO, KP_DEBUG };

extern enum kp_level kp_log_level;
void kp_log(enum kp_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct kp_config {
	const char *state_dir;		/* "": no directory source */
	const char *etcd_endpoints;	/* NULL: no etcd source */
	const char *etcd_prefix;
	const char *listen;		/* "": no HTTP endpoint */
	char node_name[256];
	const char *zone;
	unsigned int min_sync_ms, sync_period_s;
	bool once;			/* sync once, then exit */
};

struct kp_daemon;

/*
 * A source of desired state.  @fd becomes readable when it has news;
 * process() takes the news into the store (keys it owns only) and returns
 * how many objects changed, or -errno.  It sets @listed once its initial
 * listing is in and @healthy while it reaches its datastore.
 */
struct kp_source {
	const char *name;
	int fd;
	bool listed, healthy;
	uint64_t skipped;		/* documents and files left out */
	int (*process)(struct kp_source *src, struct kp_store *store);
	void (*destroy)(struct kp_source *src);
};

struct kp_source *kp_dir_source(const char *dir);
struct kp_source *kp_etcd_source(const char *endpoints, const char *prefix);

/* What /metrics and the health endpoints report; written under @lock. */
struct kp_metrics {
	pthread_mutex_t lock;
	bool synced;			/* the first full sync is done */
	bool sources_ok;
	double last_sync, last_queued;	/* unix seconds; 0: never */
	double oldest_pending;		/* first change not yet synced; 0: none */
	uint64_t syncs_full, syncs_partial, sync_failures;
	uint64_t svc_changes, slice_changes, wep_changes, changes_pending;
	uint64_t skipped, orphan_slices, repaired, refused;
	uint64_t writes;		/* frontends set or deleted, ever */
	/* histograms: sync durations (full, partial) and programming latency */
	uint64_t h_full[16], h_partial[16], h_prog[16];
	double s_full, s_partial, s_prog;
	uint64_t n_prog;
};

extern const double kp_buckets[16];
/* Adds @v (seconds) to histogram @h (kp_buckets' bounds), its sum @sum. */
void kp_observe(uint64_t *h, double *sum, double v);

/* healthCheckNodePort servers (health.c); updated by the loop's thread. */
struct kp_health;
struct kp_health *kp_health_new(void);
void kp_health_update(struct kp_health *hs, const struct kp_health_ports *want);
void kp_health_free(struct kp_health *hs);

struct kp_http;
/* Serves @m on @listen (ADDR:PORT); unhealthy once a change waits @health_timeout s. */
struct kp_http *kp_http_start(const char *listen, struct kp_metrics *m, double health_timeout);
void kp_http_stop(struct kp_http *http);

/* Seconds: wall clock (metrics, logs) and monotonic (scheduling). */
double kp_now(void);
double kp_mono(void);

#endif /* KPLANED_H */
