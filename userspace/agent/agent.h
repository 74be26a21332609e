/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The desired-state model kplaned and kplanectl share: objects kept by the
 * key they came under (a file, an etcd key), the services they make on a
 * node, and the one transaction that makes the kernel equal to them.
 */
#ifndef KPLANE_AGENT_H
#define KPLANE_AGENT_H

#include "k8s.h"

/*
 * Objects by source key.  Not thread-safe: one owner (kplaned's loop, or
 * kplanectl) changes and reads it.
 */
struct kp_store {
	void *root;			/* tsearch tree of struct kp_store_entry */
	unsigned int n_keys;
	unsigned int n_svcs, n_slices, n_weps, n_cfgs;	/* over every key */
	/* keys put or deleted that held or hold Services, EndpointSlices, WEPs */
	uint64_t svc_changes, slice_changes, wep_changes, cfg_changes;
};

/* Keys changed so far, of any kind: a source's news is the difference. */
static inline uint64_t kp_store_changes(const struct kp_store *s)
{
	return s->svc_changes + s->slice_changes + s->wep_changes + s->cfg_changes;
}

/* Replaces what @key holds with @objs (taken over, then zeroed); -ENOMEM. */
int kp_store_put(struct kp_store *s, const char *key, struct kp_k8s_objects *objs);
/* Forgets @key; false if it held nothing. */
bool kp_store_del(struct kp_store *s, const char *key);
/* Calls @fn for each key, in key order. */
void kp_store_walk(const struct kp_store *s,
		   void (*fn)(const char *key, const struct kp_k8s_objects *objs, void *arg),
		   void *arg);
/*
 * Forgets every key @gone says is gone; -ENOMEM if some could not be
 * looked at (they stay, stale, until the next prune).
 */
int kp_store_prune(struct kp_store *s, bool (*gone)(const char *key, void *arg), void *arg);
void kp_store_free(struct kp_store *s);

/* Every object of a store, services sorted by namespace and name. */
struct kp_k8s_view {
	const struct kp_k8s_service **svcs;
	const struct kp_k8s_slice **slices;
	const struct kp_k8s_wep **weps;
	const struct kp_k8s_nodecfg **cfgs;
	unsigned int n_svcs, n_slices, n_weps, n_cfgs;
};

int kp_store_view(const struct kp_store *s, struct kp_k8s_view *v);
void kp_k8s_view_free(struct kp_k8s_view *v);

/*
 * A healthCheckNodePort to answer, as kube-proxy does for each service
 * with externalTrafficPolicy Local: 200 while the node has a local
 * endpoint for it, else 503.
 */
struct kp_health_port {
	uint16_t port;
	unsigned int local;		/* local ready endpoints */
	char ns[64];
	char name[KP_K8S_NAME_MAX];
};

struct kp_health_ports {
	struct kp_health_port *hp;
	unsigned int n;
};

/* Services (frontends) with their backends, owned. */
struct kp_svc_set {
	struct kp_service *svcs;
	unsigned int n, cap;
};

/*
 * What @v makes on @node, as kp_k8s_frontends() gives it for each service
 * with the slices labelled for it; *@orphans counts slices whose service is
 * not (yet) there, which kube-proxy also leaves unprogrammed.
 */
int kp_k8s_want(const struct kp_k8s_view *v, const struct kp_k8s_node *node,
		struct kp_svc_set *out, unsigned int *orphans);
/* The health check ports of @v's Local services, from the frontends @svcs they made. */
int kp_k8s_want_health(const struct kp_k8s_view *v, const struct kp_svc_set *svcs,
		       struct kp_health_ports *out);
void kp_svc_set_free(struct kp_svc_set *set);

/* A workload endpoint kplaned wants, with the path of its pod's netns. */
struct kp_want_ep {
	struct kp_endpoint ep;		/* no policy attachments: not the agent's yet */
	char netns[256];		/* "": not known (an endpoint dumped from the kernel) */
};

struct kp_ep_set {
	struct kp_want_ep *eps;
	unsigned int n, cap;
};

/*
 * The endpoints @v's WorkloadEndpoints for @node make: id "namespace/pod"
 * (hashed to fit when longer), the host side of the pod's veth, its
 * addresses.
 */
int kp_k8s_want_eps(const struct kp_k8s_view *v, const struct kp_k8s_node *node,
		    struct kp_ep_set *out);
/* The kernel's workload endpoints (host endpoints left out) as a set to diff. */
int kp_ep_set_from(const struct kp_endpoint *eps, size_t n, struct kp_ep_set *out);
void kp_ep_set_free(struct kp_ep_set *set);

/*
 * Endpoints to add and to delete (one that changed is both: the kernel
 * replaces an endpoint by deleting and adding it, in one transaction).
 * Compared by id, interface and addresses; pointers into @want and @have.
 */
struct kp_ep_diff {
	const struct kp_want_ep **add, **del;
	unsigned int n_add, n_del;
};

int kp_ep_diff(const struct kp_ep_set *want, const struct kp_ep_set *have, struct kp_ep_diff *d);
void kp_ep_diff_free(struct kp_ep_diff *d);

/*
 * Reads @path (a file, or a directory's *.yaml, *.yml and *.json files, in
 * name order, dotfiles left out) into @s, one key per file.  A file that
 * cannot be read, or a document in it that is bad, goes to @skip with the
 * file and line; the rest is kept.  -ENOENT when @path is not there, -ENOMEM.
 */
typedef void (*kp_skip_fn)(const char *where, unsigned int line, const char *why, void *arg);
int kp_files_read(struct kp_store *s, const char *path, kp_skip_fn skip, void *arg);
/* One file under its path as key; a file gone is deleted from @s. */
int kp_file_read(struct kp_store *s, const char *path, kp_skip_fn skip, void *arg);
/* Whether a directory's @name is one kp_files_read() reads. */
bool kp_file_wanted(const char *name);

/*
 * The node's settings its NodeConfigs make: "node.NAME"'s fields over
 * "default"'s, the host's where neither says (has: always KP_SET_ALL).
 */
void kp_k8s_want_settings(const struct kp_k8s_view *v, const struct kp_k8s_node *node,
			  struct kp_node_settings *out);
/* Whether the kernel's settings @have are @want (both as kp_status gives them). */
bool kp_settings_same(const struct kp_node_settings *want, const struct kp_node_settings *have);

/* Everything kplaned keeps in the kernel: services, workload endpoints, settings. */
struct kp_desired {
	struct kp_svc_set svcs;
	struct kp_ep_set eps;
	struct kp_node_settings settings;
	struct kp_health_ports health;	/* not the kernel's: kplaned serves them */
	unsigned int orphans;		/* slices whose service is not there */
};

/* What @s makes on @node. */
int kp_store_desired(const struct kp_store *s, const struct kp_k8s_node *node,
		     struct kp_desired *out);
/* What the kernel holds (a dump). */
int kp_kernel_desired(struct kp_handle *h, struct kp_desired *out);
void kp_desired_free(struct kp_desired *d);

/* What turns @have into @want; points into both. */
struct kp_change {
	struct kp_svc_diff svc;
	struct kp_ep_diff ep;
	const struct kp_node_settings *settings;	/* to set, or NULL */
};

int kp_desired_diff(const struct kp_desired *want, const struct kp_desired *have,
		    struct kp_change *c);
void kp_change_free(struct kp_change *c);

/* The one change a failed sync was refused for, when known, and why. */
struct kp_refused {
	const struct kp_service *svc;
	const struct kp_want_ep *ep;
	bool settings;
	char why[320];			/* a netns path and its error fit */
};

/*
 * Applies @c as one transaction: all of it or nothing.  Nothing to change
 * writes nothing.  On failure, @r names the change refused if one was (a
 * service the kernel finds invalid, a pod whose netns is gone), so that a
 * caller can leave it out and apply the rest.
 */
int kp_sync_apply(struct kp_handle *h, const struct kp_change *c, struct kp_refused *r);
/* What @r refused, for a message: "the node's settings", "endpoint ID", "service FE (ID)". */
void kp_refused_name(const struct kp_refused *r, char *buf, size_t size);

#endif /* KPLANE_AGENT_H */
