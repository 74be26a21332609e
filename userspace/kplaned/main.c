// SPDX-License-Identifier: GPL-2.0
/*
 * kplaned, the node agent: makes its netns a kplane node and keeps the
 * node's services equal to what its sources (a directory, etcd) describe,
 * as kube-proxy does for its node.  Nothing is written before every source
 * has listed; then one full sync (a diff against a kernel dump, so a
 * restart with unchanged state writes nothing), then one transaction per
 * change at most once per --min-sync-period, and a full sync every
 * --sync-period to repair drift.  On SIGTERM it exits and leaves the node
 * as it is: the dataplane outlives the agent.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "reconcile.h"

#define KP_SOURCES_MAX	2
#define KP_BACKOFF_MAX	60.0

struct kp_daemon {
	struct kp_config cfg;
	struct kpl_handle *h;
	struct kp_store store;
	struct kp_reconciler rec;
	struct kp_metrics m;
	struct kp_source *srcs[KP_SOURCES_MAX];
	unsigned int n_srcs;
	struct kp_http *http;
	struct kp_health *health;
	int epfd, sigfd, timerfd;
	bool pending;			/* the store changed since the last sync */
	/* Monotonic seconds: when each is due (0: not due), when the last sync ended. */
	double next_partial, next_full, last_sync;
	double backoff;			/* seconds before a failed sync is retried */
	bool stop;
	int failed;			/* --once: the last sync's error */
	double started;			/* monotonic, for "programmed N ms after start" */
	bool programmed;
};

static const char kp_usage_text[] =
"usage: kplaned [OPTION]...\n"
"Keep this network namespace's kplane node equal to the Kubernetes Services\n"
"and EndpointSlices of a directory and/or an etcd key prefix.\n\n"
"  -d, --state-dir DIR        YAML/JSON files (*.yaml, *.yml, *.json), watched\n"
"                             with inotify (default /etc/kplane/state.d;\n"
"                             \"\" for none)\n"
"  -e, --etcd-endpoints URL   etcd's client URL (http://HOST:PORT); objects as\n"
"                             JSON under --etcd-prefix (default: no etcd)\n"
"  -p, --etcd-prefix PREFIX   default /kplane/v1/\n"
"  -N, --node-name NAME       this node, as EndpointSlices' nodeName names it\n"
"                             (default: the hostname)\n"
"  -z, --zone ZONE            this node's topology zone (for topology hints)\n"
"  -m, --min-sync-period MS   changes are applied at most this often (default\n"
"                             1000 ms; 0: at once)\n"
"  -s, --sync-period S        a full sync repairs drift this often (default\n"
"                             900 s)\n"
"  -l, --listen ADDR:PORT     /metrics, /healthz, /livez, /readyz (default\n"
"                             127.0.0.1:9099; \"\" for none)\n"
"  -v, --log-level LEVEL      error, warning, info (default) or debug\n"
"  -1, --once                 sync once, then exit (0: synced)\n"
"  -h, --help                 this text\n\n"
"Signals: SIGTERM/SIGINT exit and leave the node's state in place; SIGHUP\n"
"runs a full sync at once.\n";

static int kp_parse_uint(const char *s, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max || s[0] == '-')
		return -EINVAL;
	*out = v;
	return 0;
}

static int kp_parse_level(const char *s)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	unsigned int i;

	for (i = 0; i < 4; i++)
		if (!strcmp(s, names[i])) {
			kp_log_level = i;
			return 0;
		}
	return -EINVAL;
}

static int kp_parse_args(struct kp_config *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state-dir", required_argument, NULL, 'd' },
		{ "etcd-endpoints", required_argument, NULL, 'e' },
		{ "etcd-prefix", required_argument, NULL, 'p' },
		{ "node-name", required_argument, NULL, 'N' },
		{ "zone", required_argument, NULL, 'z' },
		{ "min-sync-period", required_argument, NULL, 'm' },
		{ "sync-period", required_argument, NULL, 's' },
		{ "listen", required_argument, NULL, 'l' },
		{ "log-level", required_argument, NULL, 'v' },
		{ "once", no_argument, NULL, '1' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int o, err = 0;

	*c = (struct kp_config){ .state_dir = "/etc/kplane/state.d", .etcd_prefix = "/kplane/v1/",
				 .listen = "127.0.0.1:9099", .min_sync_ms = 1000,
				 .sync_period_s = 900 };
	if (gethostname(c->node_name, sizeof(c->node_name) - 1))
		c->node_name[0] = '\0';
	while (!err && (o = getopt_long(argc, argv, "d:e:p:N:z:m:s:l:v:1h", opts, NULL)) != -1) {
		switch (o) {
		case 'd': c->state_dir = optarg; break;
		case 'e': c->etcd_endpoints = optarg; break;
		case 'p': c->etcd_prefix = optarg; break;
		case 'N':
			err = strlen(optarg) < sizeof(c->node_name) ? 0 : -EINVAL;
			if (!err)
				strcpy(c->node_name, optarg);
			break;
		case 'z': c->zone = optarg; break;
		case 'm': err = kp_parse_uint(optarg, 3600000, &c->min_sync_ms); break;
		case 's': err = kp_parse_uint(optarg, 86400 * 7, &c->sync_period_s); break;
		case 'l': c->listen = optarg; break;
		case 'v': err = kp_parse_level(optarg); break;
		case '1': c->once = true; break;
		case 'h': fputs(kp_usage_text, stdout); exit(0);
		default: err = -EINVAL;
		}
		if (err && o != '?')
			fprintf(stderr, "kplaned: invalid value for --%s: %s\n",
				opts[strchr("depNzmslv", o) - "depNzmslv"].name, optarg);
	}
	if (!err && optind < argc) {
		fprintf(stderr, "kplaned: unexpected argument %s\n", argv[optind]);
		err = -EINVAL;
	}
	if (!err && !c->state_dir[0] && !c->etcd_endpoints) {
		fprintf(stderr, "kplaned: no source: give --state-dir or --etcd-endpoints\n");
		err = -EINVAL;
	}
	if (!err && c->sync_period_s < 1) {
		fprintf(stderr, "kplaned: --sync-period must be at least 1 s\n");
		err = -EINVAL;
	}
	if (err)
		fputs("Try kplaned --help.\n", stderr);
	return err;
}

static int kp_watch(struct kp_daemon *d, int fd, uint64_t tag)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = tag };

	return epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

/* Tags of epoll events: a source's index, or one of these. */
enum { KP_TAG_SIGNAL = 100, KP_TAG_TIMER };

static int kp_add_source(struct kp_daemon *d, struct kp_source *src)
{
	if (!src)
		return -EINVAL;
	d->srcs[d->n_srcs] = src;
	return kp_watch(d, src->fd, d->n_srcs++);
}

static bool kp_all_listed(const struct kp_daemon *d)
{
	unsigned int i;

	for (i = 0; i < d->n_srcs; i++)
		if (!d->srcs[i]->listed)
			return false;
	return true;
}

static void kp_arm(struct kp_daemon *d)
{
	double due = 0, now = kp_mono();
	struct itimerspec its = { 0 };

	if (d->pending && d->next_partial)
		due = d->next_partial;
	if (d->next_full && (!due || d->next_full < due))
		due = d->next_full;
	if (due) {
		double in = due > now ? due - now : 0;

		its.it_value.tv_sec = (time_t)in;
		its.it_value.tv_nsec = (long)((in - (time_t)in) * 1e9);
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(d->timerfd, 0, &its, NULL);
}

static void kp_source_news(struct kp_daemon *d, struct kp_source *src)
{
	double now = kp_now();	/* a change's time counts its reading too */
	int n = src->process(src, &d->store);
	double mono = kp_mono();
	unsigned int i;
	bool ok = true;

	if (n < 0)
		kp_log(KP_ERR, "%s source: %s", src->name, strerror(-n));
	pthread_mutex_lock(&d->m.lock);
	for (i = 0; i < d->n_srcs; i++) {
		ok &= d->srcs[i]->healthy;
	}
	d->m.sources_ok = ok;
	d->m.skipped = 0;
	for (i = 0; i < d->n_srcs; i++)
		d->m.skipped += d->srcs[i]->skipped;
	d->m.svc_changes = d->store.svc_changes;
	d->m.slice_changes = d->store.slice_changes;
	d->m.wep_changes = d->store.wep_changes;
	if (n > 0) {
		d->m.last_queued = now;
		d->m.changes_pending += n;
		if (!d->m.oldest_pending)
			d->m.oldest_pending = now;
	}
	pthread_mutex_unlock(&d->m.lock);
	if (n <= 0)
		return;
	d->pending = true;
	/* Before the first full sync (every source listed), changes only accumulate. */
	if (!d->next_partial && d->rec.have_applied) {
		double earliest = d->last_sync + d->cfg.min_sync_ms / 1000.0;

		d->next_partial = earliest > mono ? earliest : mono;
	}
}

static void kp_sync(struct kp_daemon *d, bool full)
{
	int err = kp_reconcile(&d->rec, &d->store, full, full && !d->pending);
	double now = kp_mono();

	d->failed = err;
	d->last_sync = now;
	if (err) {
		d->backoff = d->backoff ? d->backoff * 2 : 1;
		if (d->backoff > KP_BACKOFF_MAX)
			d->backoff = KP_BACKOFF_MAX;
		/* Retried in full: what the kernel holds after a failure is not known. */
		d->next_full = now + d->backoff;
		d->next_partial = 0;
		return;
	}
	if (!d->programmed) {
		d->programmed = true;
		kp_log(KP_INFO, "node programmed %.0f ms after start", (now - d->started) * 1000);
	}
	d->backoff = 0;
	d->pending = false;
	kp_health_update(d->health, &d->rec.applied.health);
	d->next_partial = 0;
	if (full)
		d->next_full = now + d->cfg.sync_period_s;
}

static void kp_on_timer(struct kp_daemon *d)
{
	uint64_t ticks;
	double now = kp_mono();

	if (read(d->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		kp_log(KP_WARN, "timerfd: %s", strerror(errno));
	if (d->next_full && now >= d->next_full)
		kp_sync(d, true);
	else if (d->pending && d->next_partial && now >= d->next_partial && d->rec.have_applied)
		kp_sync(d, false);
}

static void kp_on_signal(struct kp_daemon *d)
{
	struct signalfd_siginfo si;

	if (read(d->sigfd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		kp_log(KP_INFO, "SIGHUP: full sync");
		if (d->rec.have_applied)
			d->next_full = kp_mono();
		return;
	}
	kp_log(KP_INFO, "%s received, exiting; node state left in place",
	       strsignal(si.ssi_signo));
	d->stop = true;
}

static void kp_first_sync(struct kp_daemon *d)
{
	kp_log(KP_INFO, "every source listed (%u keys, %u services, %u slices): first sync",
	       d->store.n_keys, d->store.n_svcs, d->store.n_slices);
	d->next_full = kp_mono();
}

static int kp_loop(struct kp_daemon *d)
{
	struct epoll_event evs[8];
	unsigned int i;

	for (i = 0; i < d->n_srcs; i++)
		kp_source_news(d, d->srcs[i]);
	while (!d->stop) {
		bool was_listed = kp_all_listed(d);
		int n, k;

		if (was_listed && !d->rec.have_applied && !d->next_full)
			kp_first_sync(d);
		kp_arm(d);
		n = epoll_wait(d->epfd, evs, 8, -1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		for (k = 0; k < n; k++) {
			uint64_t tag = evs[k].data.u64;

			if (tag == KP_TAG_SIGNAL)
				kp_on_signal(d);
			else if (tag == KP_TAG_TIMER)
				kp_on_timer(d);
			else
				kp_source_news(d, d->srcs[tag]);
		}
		if (d->cfg.once && (d->rec.have_applied || d->failed))
			return d->failed;
	}
	return 0;
}

static int kp_signals(struct kp_daemon *d)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return d->sigfd < 0 ? -errno : kp_watch(d, d->sigfd, KP_TAG_SIGNAL);
}

static int kp_node_up(struct kp_daemon *d)
{
	struct kpl_status st;
	int err = kpl_open(&d->h);

	if (err) {
		kp_log(KP_ERR, "cannot reach kplane: %s%s", strerror(-err),
		       err == -ENOENT ? " (is the kplane module loaded?)" : "");
		return err;
	}
	err = kpl_node_enable(d->h);
	if (!err)
		err = kpl_node_status(d->h, &st);
	if (err) {
		kp_log(KP_ERR, "cannot enable the node: %s: %s", strerror(-err), kpl_error(d->h));
		return err;
	}
	kp_log(KP_INFO, "node %s enabled (generation %u, %u services, %u endpoints)",
	       d->cfg.node_name, st.generation, st.service_count, st.endpoint_count);
	return 0;
}

static int kp_sources_up(struct kp_daemon *d)
{
	int err = 0;

	if (d->cfg.state_dir[0])
		err = kp_add_source(d, kp_dir_source(d->cfg.state_dir));
	if (!err && d->cfg.etcd_endpoints)
		err = kp_add_source(d, kp_etcd_source(d->cfg.etcd_endpoints, d->cfg.etcd_prefix));
	return err;
}

int main(int argc, char **argv)
{
	static struct kp_daemon d = { .epfd = -1, .sigfd = -1, .timerfd = -1,
				      .m.lock = PTHREAD_MUTEX_INITIALIZER };
	unsigned int i;
	int err;

	setvbuf(stderr, NULL, _IOLBF, 0);
	d.started = kp_mono();
	if (kp_parse_args(&d.cfg, argc, argv))
		return 2;
	err = kp_node_up(&d);
	if (err)
		goto err_node;
	d.rec = (struct kp_reconciler){ .h = d.h, .m = &d.m,
		.node = { .name = d.cfg.node_name, .zone = d.cfg.zone } };
	kp_polidx_init(&d.rec.polidx);
	d.epfd = epoll_create1(EPOLL_CLOEXEC);
	d.timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d.epfd < 0 || d.timerfd < 0 || kp_watch(&d, d.timerfd, KP_TAG_TIMER)) {
		err = -errno;
		goto err_fds;
	}
	err = kp_signals(&d);
	if (err)
		goto err_fds;
	d.health = kp_health_new();
	err = d.health ? kp_sources_up(&d) : -ENOMEM;
	if (err)
		goto err_sources;
	if (d.cfg.listen[0]) {
		d.http = kp_http_start(d.cfg.listen, &d.m, 2.0 * d.cfg.sync_period_s);
		if (!d.http) {
			err = -EINVAL;
			goto err_sources;
		}
	}
	err = kp_loop(&d);
	kp_http_stop(d.http);
err_sources:
	for (i = 0; i < d.n_srcs; i++)
		d.srcs[i]->destroy(d.srcs[i]);
	kp_health_free(d.health);
err_fds:
	if (d.sigfd >= 0)
		close(d.sigfd);
	if (d.timerfd >= 0)
		close(d.timerfd);
	if (d.epfd >= 0)
		close(d.epfd);
	kp_reconciler_free(&d.rec);
	kp_store_free(&d.store);
err_node:
	if (d.h)
		kpl_close(d.h);
	return err ? 1 : 0;
}
