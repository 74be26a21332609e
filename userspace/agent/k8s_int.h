/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The field readers k8s.c's object readers share with netpol.c: each
 * checks what it reads, and a bad field sets *why and returns -EINVAL.
 */
#ifndef KPLANE_AGENT_K8S_INT_H
#define KPLANE_AGENT_K8S_INT_H

#include "k8s.h"

/* YAML 1.2's null as a plain scalar (libfyaml 0.7.12 returns it as text). */
bool kp_k8s_is_null(struct fy_node *v);
/* @v's text if it is a scalar, not null. */
const char *kp_k8s_scalar(struct fy_node *v);
/* The scalar at @path, or NULL if absent or null. */
const char *kp_k8s_str(struct fy_node *n, const char *path);
/* A decimal number written as digits only, at most 10 of them. */
bool kp_k8s_digits(const char *s, unsigned long *v);
/* @s into @dst of @size: -EINVAL (@what) when absent, empty or too long. */
int kp_k8s_copy(char *dst, size_t size, const char *s, const char *what, const char **why);
/* A port number at @path: 0 if absent and @optional, else 1..65535. */
int kp_k8s_port(struct fy_node *n, const char *path, bool optional, uint16_t *out,
		const char *what, const char **why);
int kp_k8s_ip(const char *s, struct kpl_ip *ip);
/*
 * Room for @seq's items (at most @max, each @size bytes, zeroed) in *@arr;
 * 0 with *@arr NULL for no sequence, -EINVAL (@what) for too many or not a
 * list, -ENOMEM.
 */
int kp_k8s_alloc_items(struct fy_node *seq, unsigned int max, size_t size, void **arr,
		       const char *what, const char **why);
/*
 * metadata.namespace (default "default") and name, and @label when @svc,
 * in one allocation at *@ns.
 */
int kp_k8s_meta_dup(struct fy_node *root, const char *label, char **ns, char **name,
		    char **svc, const char **why);
/* A label value, or a key's name: at most 63 of [A-Za-z0-9._-], alphanumeric at both ends. */
bool kp_k8s_label_name_ok(const char *s, size_t n, bool empty_ok);
/* A label key: [DNS subdomain "/"] name. */
bool kp_k8s_label_key_ok(const char *k);
/* Appends @s to *@buf (of *@len, room *@cap), growing it; false: out of memory. */
bool kp_k8s_buf_add(char **buf, size_t *len, size_t *cap, const char *s);

/* metadata.labels, checked as the API checks them, room for @extra more (netpol.c). */
int kp_k8s_labels_read(struct fy_node *root, unsigned int extra, struct kp_k8s_label **out,
		       unsigned int *n, const char **why);
void kp_k8s_labels_free(struct kp_k8s_label *l, unsigned int n);
/* "10.0.0.0/8" as a prefix, host bits cleared as the kernel keeps it. */
int kp_k8s_cidr(const char *s, struct kplane_prefix *p);

/* Whether the final (scoped) selector @sel parses within the language's caps. */
int kp_k8s_sel_check(const char *sel, const char **why);

#endif /* KPLANE_AGENT_K8S_INT_H */
