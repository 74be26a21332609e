/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Calico's label selector language (projectcalico.org/v3 policies'
 * selector, namespaceSelector; a NetworkPolicy's label selectors are
 * translated into it): parsed, evaluated against a set of labels, and
 * written back in Calico's canonical form, so that identical selectors can
 * share one IP set.  Plain C, no I/O.
 *
 *   k == "v"  k != "v"  k in {"a", "b"}  k not in {...}  has(k)  all()
 *   global()  k contains "s"  k starts with "s"  k ends with "s"
 *   !X  X && Y  X || Y  (X)
 *
 * As Calico's: an absent label matches != and not in (and !has), nothing
 * else; values are strings compared bytewise, quoted with ' or " and
 * without escapes; only space and tab separate; global() evaluates as all()
 * (its scope is the caller's business); an empty selector is all().
 */
#ifndef KPLANE_AGENT_SELECTOR_H
#define KPLANE_AGENT_SELECTOR_H

#include <stdbool.h>
#include <stddef.h>

#define KP_SEL_KEY_MAX		512	/* bytes of a label key, as Calico's */
#define KP_SEL_DEPTH_MAX	64	/* nested &&, || and ! (Calico has no cap) */
#define KP_SEL_LEN_MAX		(64 * 1024)	/* bytes of a whole selector */

enum kp_sel_op {
	KP_SEL_ALL, KP_SEL_GLOBAL, KP_SEL_HAS,
	KP_SEL_EQ, KP_SEL_NE, KP_SEL_CONTAINS, KP_SEL_STARTS, KP_SEL_ENDS,
	KP_SEL_IN, KP_SEL_NOT_IN,
	KP_SEL_NOT, KP_SEL_AND, KP_SEL_OR,
};

struct kp_sel {
	enum kp_sel_op op;
	char *key;			/* HAS and the comparisons */
	char **vals;			/* one, or IN/NOT_IN's set: sorted, unique */
	unsigned int n_vals;
	struct kp_sel **kids;		/* NOT: one; AND, OR: two or more */
	unsigned int n_kids;
};

/*
 * Parses @text (@len bytes, NUL bytes refused) into *@out; -EINVAL with
 * *@why and *@at (the byte offset) naming the fault, or -ENOMEM.
 */
int kp_sel_parse(const char *text, size_t len, struct kp_sel **out, const char **why,
		 size_t *at);
void kp_sel_free(struct kp_sel *s);

/* A label's value on the object being judged, NULL when it has no such label. */
typedef const char *(*kp_sel_label_fn)(const char *key, void *arg);

bool kp_sel_match(const struct kp_sel *s, kp_sel_label_fn label, void *arg);

/*
 * Calico's canonical form (its Selector.String()): written into @buf as
 * snprintf does; returns the length it needs.  It parses back to the same
 * meaning, when no longer than KP_SEL_LEN_MAX (it may be longer than the
 * text it came from: "a==''" is a == "").
 */
size_t kp_sel_string(const struct kp_sel *s, char *buf, size_t size);

/* Puts @prefix before every label key of @s ("pcns.": a namespace's labels); -ENOMEM. */
int kp_sel_prefix(struct kp_sel *s, const char *prefix);
/*
 * @text parsed, its keys under @prefix (NULL: none), in canonical form in
 * *@out (malloc'd); -EINVAL with *@why, or -ENOMEM.
 */
int kp_sel_canon(const char *text, const char *prefix, char **out, const char **why);

#endif /* KPLANE_AGENT_SELECTOR_H */
