/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The desired-state model kplaned and kplanectl share: objects kept by the
 * key they came under (a file, an etcd key), the services they make on a
 * node, and the one transaction that makes the kernel equal to them.
 */
#ifndef KPLANE_AGENT_H
#define KPLANE_AGENT_H

#include "k8s.h"
#include "labelindex.h"

/* A service's name, first in the structs kept by it (a tsearch key). */
struct kp_name {
	const char *ns, *name;
};

int kp_name_cmp(const void *a, const void *b);
/* @size bytes (zeroed) that start with a kp_name, its strings after them. */
void *kp_named_new(size_t size, const char *ns, const char *name);

/*
 * The objects of one service name (namespace and name): its Services, in
 * key order (the first stands, as in kp_store_view()), and the
 * EndpointSlices labelled for it.  Read-only outside store.c.
 */
struct kp_store_svc {
	const struct kp_k8s_service *svc;
	const char *key;
};

struct kp_store_name {
	struct kp_name key;		/* first */
	struct kp_store_svc *svcs;
	const struct kp_k8s_slice **slices;
	unsigned int n_svcs, cap_svcs, n_slices, cap_slices;
	bool dirty;
};

/*
 * Objects by source key, and indexed by service name: the names a change
 * touched are "dirty" until kp_store_settle(), so a sync recomputes those
 * only.  Not thread-safe: one owner (kplaned's loop, or kplanectl)
 * changes and reads it.
 */
struct kp_store {
	void *root;			/* tsearch tree of struct kp_store_entry */
	unsigned int n_keys;
	unsigned int n_svcs, n_slices, n_weps, n_cfgs;	/* over every key */
	unsigned int n_pods, n_nss, n_netpols, n_cpols, n_tiers, n_netsets, n_heps;
	/* keys put or deleted that held or hold Services, EndpointSlices, WEPs... */
	uint64_t svc_changes, slice_changes, wep_changes, cfg_changes;
	uint64_t pol_changes;		/* Pods, Namespaces, the policy kinds */
	void *names;			/* tsearch tree of struct kp_store_name */
	struct kp_store_name **dirty;	/* touched since the last settle */
	unsigned int n_dirty, cap_dirty;
	unsigned int orphans;		/* slices whose service is not there */
	bool names_lost;		/* out of memory: the index needs a reindex */
	/* Stamps each put's pods, WEPs, network sets, host endpoints (their gen). */
	uint64_t gen;
	uint64_t rule_changes;		/* keys that held or hold NetworkPolicies, Tiers... */
	/* What left since the last kp_store_items_settle(): the label index's news. */
	struct kp_item_gone *gone;
	unsigned int n_gone, cap_gone;
	bool gone_lost;			/* too many or no memory: the index must look at all */
};

/* An item's id: "p:NS/POD", "n:NS/NAME" ("n:/NAME" global), "h:NAME" (@kind p, n, h). */
#define KP_ITEM_ID_MAX	(2 * KP_K8S_NAME_MAX + 8)
void kp_item_id(char *buf, size_t size, char kind, const char *ns, const char *name);

/* An item (see struct kp_polidx) a put or delete took away; kind 'w': a WEP on @node. */
struct kp_item_gone {
	char kind;			/* 'p' Pod, 'w' WorkloadEndpoint, 'n' network set, 'h' host endpoint */
	uint64_t gen;			/* the gone object's: one put and gone unseen does not count */
	char *id;			/* the item's id; @node follows it in the same allocation */
	const char *node;
};

/* Keys changed so far, of any kind: a source's news is the difference. */
static inline uint64_t kp_store_changes(const struct kp_store *s)
{
	return s->svc_changes + s->slice_changes + s->wep_changes + s->cfg_changes +
	       s->pol_changes;
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
/* The names changed since the last settle have been seen: forgets them. */
void kp_store_settle(struct kp_store *s);
/* The items gone so far were seen by the label index: forgets them. */
void kp_store_items_settle(struct kp_store *s);
/* Marks @ns/@name changed again (a change of it the kernel refused, to retry). */
void kp_store_touch(struct kp_store *s, const char *ns, const char *name);
/* Rebuilds a lost name index (every name clean); -ENOMEM: still lost. */
int kp_store_reindex(struct kp_store *s);

/* Every object of a store, services sorted by namespace and name. */
struct kp_k8s_view {
	const struct kp_k8s_service **svcs;
	const struct kp_k8s_slice **slices;
	const struct kp_k8s_wep **weps;
	const struct kp_k8s_nodecfg **cfgs;
	const struct kp_k8s_pod **pods;
	const struct kp_k8s_namespace **nss;
	const struct kp_k8s_netpol **netpols;
	const struct kp_cal_policy **cpols;
	const struct kp_cal_tier **tiers;
	const struct kp_cal_netset **netsets;
	const struct kp_cal_hep **heps;
	unsigned int n_svcs, n_slices, n_weps, n_cfgs, n_pods, n_nss, n_netpols;
	unsigned int n_cpols, n_tiers, n_netsets, n_heps;
	/* For the label index: the store's gen and changes, and its items gone since. */
	uint64_t gen, rule_changes;
	const struct kp_item_gone *gone;
	unsigned int n_gone;
	bool gone_lost;
};

int kp_store_view(const struct kp_store *s, struct kp_k8s_view *v);
/* All but its Services and EndpointSlices. */
int kp_store_view_pods(const struct kp_store *s, struct kp_k8s_view *v);
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
	struct kpl_service *svcs;
	const struct kp_k8s_service **from;	/* each one's Service; NULL: a dump */
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
/* @svc's health check port, from the frontends it made in @fes; false: it has none. */
bool kp_k8s_health(const struct kp_k8s_service *svc, const struct kp_svc_set *fes,
		   struct kp_health_port *hp);
int kp_health_ports_add(struct kp_health_ports *ports, const struct kp_health_port *hp);
/* What one service name makes on @node: kp_k8s_want() for that name alone. */
int kp_k8s_name_want(const struct kp_store_name *nm, const struct kp_k8s_node *node,
		     struct kp_svc_set *out);
/*
 * Takes @fe out of @set, if it is one of its own (a change the kernel
 * refused); returns its Service, if known, to try again.
 */
const struct kp_k8s_service *kp_svc_set_forget(struct kp_svc_set *set,
					       const struct kpl_service *fe);
void kp_svc_set_free(struct kp_svc_set *set);

/* A workload endpoint kplaned wants, with the path of its pod's netns. */
struct kp_want_ep {
	struct kpl_endpoint ep;		/* its attachments (ep.attach) owned */
	char netns[256];		/* "": not known (an endpoint dumped from the kernel) */
};

struct kp_ep_set {
	struct kp_want_ep *eps;
	unsigned int n, cap;
};

/*
 * The endpoints @v's WorkloadEndpoints for @node make: id "namespace/pod"
 * (hashed to fit when longer), the host side of the pod's veth, its
 * addresses; and its HostEndpoints: "hep:NAME", the interface, its
 * expected addresses.
 */
int kp_k8s_want_eps(const struct kp_k8s_view *v, const struct kp_k8s_node *node,
		    struct kp_ep_set *out);
/* Attachments in the order kp_ep_diff() compares them (tiers kept in order). */
void kp_ep_attach_sort(struct kpl_endpoint *ep);
/* The kernel's workload endpoints (host endpoints left out) as a set to diff. */
int kp_ep_set_from(const struct kpl_endpoint *eps, size_t n, struct kp_ep_set *out);
/* Takes @ep out of @set, if it is one of its own (a change the kernel refused). */
void kp_ep_set_forget(struct kp_ep_set *set, const struct kp_want_ep *ep);
void kp_ep_set_free(struct kp_ep_set *set);

/*
 * Endpoints to add and to delete (one that changed is both: the kernel
 * replaces an endpoint by deleting and adding it, in one transaction),
 * and those whose policies alone changed (@pol: replaced in place).
 * Compared by id, interface, addresses and attachments; pointers into
 * @want and @have.
 */
struct kp_ep_diff {
	const struct kp_want_ep **add, **del, **pol;
	unsigned int n_add, n_del, n_pol;
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
 * "default"'s, the host's where neither says (has: always KPL_SET_ALL).
 */
void kp_k8s_want_settings(const struct kp_k8s_view *v, const struct kp_k8s_node *node,
			  struct kpl_node_settings *out);
/* Whether the kernel's settings @have are @want (both as kp_status gives them). */
bool kp_settings_same(const struct kpl_node_settings *want, const struct kpl_node_settings *have);

/*
 * An id for a named object that fits the kernel's: "@prefix@ns/@name" (no
 * "/" when @ns is ""), or,
 * when longer, its first bytes and a hash of the whole (the same across
 * restarts, and distinct).  Always 0 (an int for use in expressions).
 */
int kp_id_fit(char id[KPLANE_ID_MAX], const char *prefix, const char *ns, const char *name);

/*
 * An IP set kplaned keeps: "s:HASH", the pods a selector takes, or
 * "np:PROTO:NAME:PORT", the pods whose named port NAME is PORT (a named
 * port is resolved per pod: a rule matches PORT towards that set).
 */
struct kp_pset {
	char name[KPLANE_ID_MAX];
	char *selector;			/* canonical; NULL for a port set */
	uint8_t proto;
	uint16_t port;
	char port_name[16];
	unsigned int n, cap;
	struct kplane_prefix *m;	/* sorted, unique */
};

/*
 * The policy state kplaned keeps: sets and policies ("knp:NS/NAME"), both
 * sorted by name.  Those of other names (an operator's) are left alone.
 */
struct kp_pol_want {
	struct kp_pset *sets;
	struct kpl_policy *pols;
	unsigned int n_sets, cap_sets, n_pols, cap_pols;
	/* Policies left out for what other objects say ("KIND NAME: why"), sorted. */
	char **refused;
	unsigned int n_refused, cap_refused;
	void *set_tree;			/* the sets while compiled (internal) */
	void *port_tree;		/* named ports to their numbers (internal) */
	bool ports_indexed;
	const char *port_ns;		/* the rule compiled: its named ports are this namespace's */
};

/*
 * Which selectors take which items (pods, network sets, host endpoints),
 * kept from one sync to the next: each sync puts only the items,
 * namespaces and selectors that changed (the store's gens and gone list
 * say which items did), so one pod's label change evaluates only the
 * selectors that can concern it (lx.evaluations).  What the pairs make
 * follows them: each set's members, each item's policies.  Item ids: see
 * kp_item_id().
 */
struct kp_polidx {
	struct kp_lx lx;
	void *items, *parents, *sels;	/* tsearch of struct kp_known, by id */
	void *sets;			/* tsearch of struct kp_kset: each set's members */
	void *ports;			/* tsearch: each named port number some pod has */
	uint64_t epoch;			/* one per sync: namespaces and selectors seen */
	uint64_t item_epoch;		/* one per pass over items */
	uint64_t gen_seen;		/* the store's gen the items were brought to */
	uint64_t ports_version;		/* changes when a named port number comes or goes */
	uint64_t item_passes, whole_passes;	/* syncs of items; of them, over every item */
	bool primed;			/* the items are the store's as of gen_seen */
	int cb_err;			/* a pair's consequence had no memory: start anew */
	/* The last compile, while the policy objects and named ports it read stand. */
	struct kp_pol_want compiled;
	void *srcs;
	uint64_t compiled_rules, compiled_ports;
	bool have_compiled;
};

void kp_polidx_init(struct kp_polidx *x);
void kp_polidx_free(struct kp_polidx *x);
/*
 * A sync: kp_polidx_begin() puts @v's namespaces where they changed,
 * kp_polidx_sel() each selector it wants, kp_polidx_items() the items
 * that changed (every item when the index is new or lost track),
 * kp_polidx_sweep() deletes the namespaces (and, @sels, selectors) it did
 * not see again.  Selectors go in before items: then a new item is judged
 * by the selectors its labels can concern, not every selector by every item.
 */
int kp_polidx_begin(struct kp_polidx *x, const struct kp_k8s_view *v);
int kp_polidx_sel(struct kp_polidx *x, const char *id, const char *text);
int kp_polidx_items(struct kp_polidx *x, const struct kp_k8s_view *v,
		    const struct kp_k8s_node *node);
int kp_polidx_sweep(struct kp_polidx *x, bool sels);
/* Set @set's *@n members, sorted, until the index changes; NULL: no memory. */
const struct kplane_prefix *kp_polidx_members(struct kp_polidx *x, const char *set,
					      unsigned int *n);
/* The ids of the policies whose selector takes item @item_id, in no order. */
void kp_polidx_item_pols(const struct kp_polidx *x, const char *item_id,
			 char *const **pols, unsigned int *n);

/*
 * What @v's policies make: the sets, the policies, and each of @eps's
 * (made by kp_k8s_want_eps() from @v) attachments.  @idx: the index kept
 * from the last sync (NULL: one for this call alone); on failure it is to
 * be freed and started anew.
 */
int kp_k8s_want_policy(const struct kp_k8s_view *v, const struct kp_k8s_node *node,
		       struct kp_pol_want *out, struct kp_ep_set *eps, struct kp_polidx *idx);
/*
 * kplaned's own of the kernel's sets and policies (dumped), taken over
 * (zeroed in the dumps, which the caller frees), counters left out.
 */
int kp_pol_want_take(struct kp_pol_want *out, struct kpl_ipset_info *sets, size_t n_sets,
		     struct kpl_policy *pols, size_t n_pols);
void kp_pol_want_free(struct kp_pol_want *pw);

/* Members a set gains and loses. */
struct kp_pset_upd {
	const struct kp_pset *set;
	struct kplane_prefix *add, *del;
	unsigned int n_add, n_del;
};

/* What turns @have's sets and policies into @want's; points into both. */
struct kp_pol_diff {
	const struct kp_pset **set_new, **set_del;
	struct kp_pset_upd *set_upd;
	const struct kpl_policy **pol_set, **pol_del;
	unsigned int n_set_new, n_set_del, n_set_upd, n_pol_set, n_pol_del;
};

int kp_pol_diff(const struct kp_pol_want *want, const struct kp_pol_want *have,
		struct kp_pol_diff *d);
void kp_pol_diff_free(struct kp_pol_diff *d);
bool kp_pol_diff_empty(const struct kp_pol_diff *d);

/* Everything kplaned keeps in the kernel: services, workload endpoints, settings. */
struct kp_desired {
	struct kp_svc_set svcs;
	struct kp_ep_set eps;
	struct kp_pol_want pol;
	struct kpl_node_settings settings;
	struct kp_health_ports health;	/* not the kernel's: kplaned serves them */
	unsigned int orphans;		/* slices whose service is not there */
};

/* What @s makes on @node. */
int kp_store_desired(const struct kp_store *s, const struct kp_k8s_node *node,
		     struct kp_desired *out);
/* The same, with the label index kept from the last sync (see kp_k8s_want_policy()). */
int kp_store_desired_idx(const struct kp_store *s, const struct kp_k8s_node *node,
			 struct kp_desired *out, struct kp_polidx *idx);
/* What the kernel holds (a dump). */
int kp_kernel_desired(struct kpl_handle *h, struct kp_desired *out);
void kp_desired_free(struct kp_desired *d);

/*
 * What the last sync applied, kept by service name, so that a change
 * recomputes and diffs only the names it touched (as kube-proxy's change
 * trackers do): at 100k services one EndpointSlice costs its own service.
 */
struct kp_model {
	void *svcs;			/* tsearch of struct kp_model_svc, by namespace and name */
	void *fes;			/* tsearch of const struct kpl_service *, by frontend */
	unsigned int n_fes;
	/* A frontend two names want (which stands depends on every name): changes are judged whole. */
	bool recompute;
	/* Out of memory while kept: it may not be what the kernel has; the next sync dumps it. */
	bool stale;
	struct kp_ep_set eps;
	struct kp_pol_want pol;
	struct kpl_node_settings settings;
	struct kp_health_ports health;
	unsigned int orphans;
};

/* @m as @want (taken over, then zeroed) makes it: after a whole sync. */
void kp_model_build(struct kp_model *m, struct kp_desired *want);
/* @m as a kp_desired to diff against, sharing @m's memory: kp_model_flat_free(). */
int kp_model_flat(const struct kp_model *m, struct kp_desired *flat);
void kp_model_flat_free(struct kp_desired *flat);
void kp_model_free(struct kp_model *m);

/* What each name a store marks dirty wants now. */
struct kp_names_change {
	const struct kp_store_name **names;
	struct kp_svc_set *want;	/* one per name */
	unsigned int n;
};

/*
 * What the names dirty in @s make on @node (@nc), and the services to set
 * and delete to bring @m there (@d, pointing into @nc and @m); -EAGAIN
 * when that cannot be judged name by name (a frontend another name has
 * or wants), -ENOMEM.
 */
int kp_model_names_diff(const struct kp_model *m, const struct kp_store *s,
			const struct kp_k8s_node *node, struct kp_names_change *nc,
			struct kp_svc_diff *d);
/* @nc's names as applied (what the kernel refused forgotten from nc->want first). */
void kp_model_names_apply(struct kp_model *m, struct kp_names_change *nc);
void kp_names_change_free(struct kp_names_change *nc);

/* What turns @have into @want; points into both. */
struct kp_change {
	struct kp_svc_diff svc;
	struct kp_ep_diff ep;
	struct kp_pol_diff pol;
	const struct kpl_node_settings *settings;	/* to set, or NULL */
};

int kp_desired_diff(const struct kp_desired *want, const struct kp_desired *have,
		    struct kp_change *c);
void kp_change_free(struct kp_change *c);

/* The one change a failed sync was refused for, when known, and why. */
struct kp_refused {
	const struct kpl_service *svc;
	const struct kp_want_ep *ep;
	bool settings;
	/* The first of two transactions committed, the second failed: the kernel is partly changed. */
	bool partly;
	char why[320];			/* a netns path and its error fit */
};

/*
 * Applies @c as one transaction: all of it or nothing.  Nothing to change
 * writes nothing.  On failure, @r names the change refused if one was (a
 * service the kernel finds invalid, a pod whose netns is gone), so that a
 * caller can leave it out and apply the rest.
 */
int kp_sync_apply(struct kpl_handle *h, const struct kp_change *c, struct kp_refused *r);
/* What @r refused, for a message: "the node's settings", "endpoint ID", "service FE (ID)". */
void kp_refused_name(const struct kp_refused *r, char *buf, size_t size);

#endif /* KPLANE_AGENT_H */
