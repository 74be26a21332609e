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
	unsigned int n_svcs, n_slices;	/* over every key */
	/* keys put or deleted that held or hold Services, EndpointSlices */
	uint64_t svc_changes, slice_changes;
};

/* Replaces what @key holds with @objs (taken over, then zeroed); -ENOMEM. */
int kp_store_put(struct kp_store *s, const char *key, struct kp_k8s_objects *objs);
/* Forgets @key; false if it held nothing. */
bool kp_store_del(struct kp_store *s, const char *key);
/* Calls @fn for each key, in key order. */
void kp_store_walk(const struct kp_store *s,
		   void (*fn)(const char *key, const struct kp_k8s_objects *objs, void *arg),
		   void *arg);
void kp_store_free(struct kp_store *s);

/* Every object of a store, services sorted by namespace and name. */
struct kp_k8s_view {
	const struct kp_k8s_service **svcs;
	const struct kp_k8s_slice **slices;
	unsigned int n_svcs, n_slices;
};

int kp_store_view(const struct kp_store *s, struct kp_k8s_view *v);
void kp_k8s_view_free(struct kp_k8s_view *v);

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
void kp_svc_set_free(struct kp_svc_set *set);
/* kp_k8s_want() of every object in @s. */
int kp_store_want(const struct kp_store *s, const struct kp_k8s_node *node,
		  struct kp_svc_set *out, unsigned int *orphans);

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
 * Applies @d (kp_svc_diff) as one transaction: every delete and set, then
 * the commit; all of it or nothing.  An empty diff writes nothing.  When
 * the kernel refused one change, *@refused is its index (deletes first,
 * then sets); else SIZE_MAX.
 */
int kp_sync_apply(struct kp_handle *h, const struct kp_svc_diff *d, size_t *refused);
/*
 * Dumps the kernel's services, diffs @want against them and applies the
 * difference; @done gets only the counts (n_set, n_del) of what it wrote.
 */
int kp_sync_kernel(struct kp_handle *h, const struct kp_svc_set *want, struct kp_svc_diff *done);

#endif /* KPLANE_AGENT_H */
