// SPDX-License-Identifier: GPL-2.0
/* One transaction that makes the kernel's state the wanted one: see agent.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/vfs.h>
#include "agent.h"

static int kp_kernel_policy(struct kpl_handle *h, struct kp_pol_want *out)
{
	struct kpl_ipset_info *sets = NULL;
	struct kpl_policy *pols = NULL;
	size_t n_sets = 0, n_pols = 0;
	int err;

	memset(out, 0, sizeof(*out));
	err = kpl_ipset_list(h, &sets, &n_sets);
	if (!err)
		err = kpl_policy_list(h, &pols, &n_pols);
	if (!err)
		err = kp_pol_want_take(out, sets, n_sets, pols, n_pols);
	kpl_ipsets_free(sets, n_sets);
	kpl_policies_free(pols, n_pols);
	return err;
}

int kp_kernel_desired(struct kpl_handle *h, struct kp_desired *out)
{
	struct kpl_endpoint *eps = NULL;
	struct kpl_service *svcs;
	size_t n_svcs, n_eps = 0;
	int err;

	memset(out, 0, sizeof(*out));
	err = kpl_service_list(h, &svcs, &n_svcs);
	if (err)
		return err;
	/* libkplane allocates as a kp_svc_set frees: the dump is taken as it is. */
	out->svcs = (struct kp_svc_set){ .svcs = svcs, .n = n_svcs, .cap = n_svcs };
	err = kpl_endpoint_list(h, &eps, &n_eps);
	if (!err)
		err = kp_ep_set_from(eps, n_eps, &out->eps);
	if (!err)
		err = kp_kernel_policy(h, &out->pol);
	if (!err) {
		struct kpl_status st;

		err = kpl_node_status(h, &st);
		out->settings = st.settings;
	}
	kpl_endpoints_free(eps, n_eps);
	if (err)
		kp_desired_free(out);
	return err;
}

static bool kp_object_refused(int err);

static bool kp_change_empty(const struct kp_change *c)
{
	return !c->svc.n_set && !c->svc.n_del && !c->ep.n_add && !c->ep.n_del && !c->ep.n_pol &&
	       kp_pol_diff_empty(&c->pol);
}

/* Settings first, outside the transaction (the kernel applies them at once). */
static int kp_apply_settings(struct kpl_handle *h, const struct kp_change *c, struct kp_refused *r)
{
	int err = c->settings ? kpl_node_set(h, c->settings) : 0;

	if (err && kp_object_refused(err)) {
		r->settings = true;
		snprintf(r->why, sizeof(r->why), "%s", kpl_error(h));
	}
	return err;
}

/*
 * A netns file, opened without blocking or side effects (the path is a
 * datastore's, untrusted: a FIFO or a device must not be opened for real).
 */
static int kp_open_ns(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW);
	struct statfs sfs;

	if (fd < 0 && errno == ELOOP)	/* /proc/PID/ns/net is a magic link: follow it */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd >= 0 && (fstatfs(fd, &sfs) || sfs.f_type != NSFS_MAGIC)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Opens each added endpoint's netns now: a pod gone is refused before the kernel sees it. */
static int kp_open_netns(const struct kp_change *c, int *fds, struct kp_refused *r)
{
	unsigned int i;

	for (i = 0; i < c->ep.n_add; i++) {
		const char *path = c->ep.add[i]->netns;

		fds[i] = path[0] ? kp_open_ns(path) : -1;
		if (path[0] && fds[i] < 0) {
			int err = -errno;

			r->ep = c->ep.add[i];
			snprintf(r->why, sizeof(r->why), "netns %s: %s", path,
				 errno == EINVAL ? "not a network namespace" : strerror(errno));
			while (i--)
				if (fds[i] >= 0)
					close(fds[i]);
			return err;
		}
	}
	return 0;
}

/*
 * Whether @err is the kernel refusing the object itself (to be left out),
 * not the node, memory or the transport (to be retried whole).
 */
static bool kp_object_refused(int err)
{
	return err == -EINVAL || err == -ERANGE || err == -ENODEV || err == -EEXIST ||
	       err == -ENOENT || err == -ENOSPC || err == -EPERM || err == -E2BIG ||
	       err == -EBADF;
}

/* Sets new and changed, then policies: before the endpoints that use them. */
static int kp_stage_policy_in(struct kpl_handle *h, const struct kp_pol_diff *d)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < d->n_set_new; i++)
		err = kpl_ipset_set(h, d->set_new[i]->name, d->set_new[i]->m, d->set_new[i]->n);
	for (i = 0; !err && i < d->n_set_upd; i++)
		err = kpl_ipset_update(h, d->set_upd[i].set->name, d->set_upd[i].add,
				      d->set_upd[i].n_add, d->set_upd[i].del, d->set_upd[i].n_del);
	for (i = 0; !err && i < d->n_pol_set; i++)
		err = kpl_policy_set(h, d->pol_set[i]);
	return err;
}

/* Policies gone, then their sets: after the endpoints that used them. */
static int kp_stage_policy_out(struct kpl_handle *h, const struct kp_pol_diff *d)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < d->n_pol_del; i++)
		err = kpl_policy_del(h, d->pol_del[i]->id);
	for (i = 0; !err && i < d->n_set_del; i++)
		err = kpl_ipset_del(h, d->set_del[i]->name);
	return err;
}

/* Endpoints whose policies alone changed. */
static int kp_stage_ep_policy(struct kpl_handle *h, const struct kp_change *c, struct kp_refused *r)
{
	unsigned int i;
	int err = 0;

	for (i = 0; !err && i < c->ep.n_pol; i++) {
		err = kpl_endpoint_policy(h, &c->ep.pol[i]->ep);
		if (err && kp_object_refused(err))
			r->ep = c->ep.pol[i];
	}
	return err;
}

/*
 * Endpoints out first, then sets and policies in, services (deletes first:
 * a frontend's slot is free before a set may need it), endpoints in and
 * their policies, and last the policies and sets no longer used: no
 * packet meets a policy whose sets are not there yet.  *@add_at: the
 * transaction's count of policy requests before the first endpoint add.
 */
static int kp_stage(struct kpl_handle *h, const struct kp_change *c, const int *fds,
		    struct kp_refused *r, uint32_t *add_at)
{
	unsigned int i;
	size_t failed;
	int err = 0;

	for (i = 0; !err && i < c->ep.n_del; i++) {
		err = kpl_endpoint_del(h, c->ep.del[i]->ep.id);
		if (err && kp_object_refused(err))
			r->ep = c->ep.del[i];
	}
	if (!err)
		err = kp_stage_policy_in(h, &c->pol);
	for (i = 0; !err && i < c->svc.n_del; i++)
		err = kpl_batch_service_del(h, c->svc.del[i]);
	for (i = 0; !err && i < c->svc.n_set; i++)
		err = kpl_batch_service_set(h, c->svc.set[i]);
	if (!err) {
		err = kpl_batch_flush(h, &failed);
		if (err && kp_object_refused(err) && failed >= c->svc.n_del &&
		    failed < c->svc.n_del + c->svc.n_set)
			r->svc = c->svc.set[failed - c->svc.n_del];
		else if (err && kp_object_refused(err) && failed < c->svc.n_del)
			r->svc = c->svc.del[failed];
	}
	*add_at = kpl_txn_policy_changes(h);
	for (i = 0; !err && i < c->ep.n_add; i++) {
		struct kpl_endpoint ep = c->ep.add[i]->ep;

		ep.netns_fd = fds[i];
		err = kpl_endpoint_add(h, &ep);
		if (err && kp_object_refused(err))
			r->ep = c->ep.add[i];
	}
	if (!err)
		err = kp_stage_ep_policy(h, c, r);
	if (!err)
		err = kp_stage_policy_out(h, &c->pol);
	if (err)	/* before the abort, which clears it */
		snprintf(r->why, sizeof(r->why), "%s", kpl_error(h));
	return err;
}

/*
 * A commit refused names the endpoint change: deletes first, adds from
 * @add_at, then policy changes (a set or policy refused is not one
 * object to leave out: the sync fails whole, the kernel unchanged).
 */
static void kp_commit_refused(struct kpl_handle *h, const struct kp_change *c, uint32_t add_at,
			      struct kp_refused *r)
{
	uint32_t i;

	if (!kpl_refused_change(h, &i))
		return;
	if (i < c->ep.n_del)
		r->ep = c->ep.del[i];
	else if (i >= add_at && i - add_at < c->ep.n_add)
		r->ep = c->ep.add[i - add_at];
	else if (i >= add_at + c->ep.n_add && i - add_at - c->ep.n_add < c->ep.n_pol)
		r->ep = c->ep.pol[i - add_at - c->ep.n_add];
}

static int kp_sync_apply_one(struct kpl_handle *h, const struct kp_change *c,
			     struct kp_refused *r)
{
	int fds[c->ep.n_add ? c->ep.n_add : 1];
	uint32_t add_at = 0;
	unsigned int i;
	int err;

	memset(r, 0, sizeof(*r));
	err = kp_apply_settings(h, c, r);
	if (err || kp_change_empty(c))
		return err;
	err = kp_open_netns(c, fds, r);
	if (err)
		return err;
	err = kpl_txn_begin(h);
	if (!err) {
		err = kp_stage(h, c, fds, r, &add_at);
		if (!err) {
			err = kpl_txn_commit(h);
			if (err)
				kp_commit_refused(h, c, add_at, r);
		} else {
			kpl_txn_abort(h);
		}
	}
	for (i = 0; i < c->ep.n_add; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (err && !r->why[0])
		snprintf(r->why, sizeof(r->why), "%s", kpl_error(h));
	return err;
}

/* Whether @a and @b claim one id, interface or address (the kernel keys endpoints by each). */
static bool kp_ep_clash(const struct kpl_endpoint *a, const struct kpl_endpoint *b)
{
	unsigned int i, j;

	if (!strcmp(a->id, b->id) || !strcmp(a->ifname, b->ifname))
		return true;
	for (i = 0; i < a->n_addrs; i++)
		for (j = 0; j < b->n_addrs; j++)
			if (!memcmp(&a->addrs[i], &b->addrs[j], sizeof(a->addrs[i])))
				return true;
	return false;
}

static bool kp_ep_clashes(const struct kp_change *c, const struct kp_want_ep *ep)
{
	unsigned int i;

	for (i = 0; i < c->ep.n_del; i++)
		if (kp_ep_clash(&ep->ep, &c->ep.del[i]->ep))
			return true;
	return false;
}

/*
 * An endpoint added in place of one deleted (its id, interface or an
 * address) can only join once that one has left: the kernel keeps a
 * leaving endpoint until its commit is published.  Those go in a second
 * transaction, everything else in the first.
 */
int kp_sync_apply(struct kpl_handle *h, const struct kp_change *c, struct kp_refused *r)
{
	const struct kp_want_ep **now, **next;
	struct kp_change first = *c, second = { 0 };
	unsigned int i;
	int err;

	now = malloc((c->ep.n_add + 1) * sizeof(*now));
	next = malloc((c->ep.n_add + 1) * sizeof(*next));
	if (!now || !next) {
		free(now);
		free(next);
		return -ENOMEM;
	}
	first.ep.add = now;
	second.ep.add = next;
	first.ep.n_add = 0;
	for (i = 0; i < c->ep.n_add; i++) {
		if (kp_ep_clashes(c, c->ep.add[i]))
			next[second.ep.n_add++] = c->ep.add[i];
		else
			now[first.ep.n_add++] = c->ep.add[i];
	}
	err = kp_sync_apply_one(h, &first, r);
	if (!err && second.ep.n_add) {
		err = kp_sync_apply_one(h, &second, r);
		if (err) {	/* not to be retried with the first again: a dump tells */
			r->partly = true;
			r->ep = NULL;
		}
	}
	free(now);
	free(next);
	return err;
}

void kp_refused_name(const struct kp_refused *r, char *buf, size_t size)
{
	const struct kpl_service *svc = r->svc;
	char ip[INET6_ADDRSTRLEN] = "?";

	if (r->settings) {
		snprintf(buf, size, "the node's settings");
		return;
	}
	if (!svc) {
		snprintf(buf, size, "endpoint %s", r->ep->ep.id);
		return;
	}
	inet_ntop(svc->addr.family, svc->addr.ip, ip, sizeof(ip));
	snprintf(buf, size, "service %s%s%s:%u/%s (%s)", svc->addr.family == AF_INET6 ? "[" : "",
		 ip, svc->addr.family == AF_INET6 ? "]" : "", svc->port,
		 svc->proto == IPPROTO_UDP ? "udp" : "tcp", svc->id[0] ? svc->id : "-");
}
