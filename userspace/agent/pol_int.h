/* SPDX-License-Identifier: GPL-2.0 */
/* Orders polwant.c and poldiff.c share: what is compared is sorted alike. */
#ifndef KPLANE_AGENT_POL_INT_H
#define KPLANE_AGENT_POL_INT_H

#include "agent.h"

/* qsort() that takes an empty array at NULL. */
void kp_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
/* Sets by name, prefixes bytewise, rule items bytewise (zeroed), policies by id. */
int kp_pset_cmp(const void *a, const void *b);
int kp_member_cmp(const void *a, const void *b);
int kp_item_cmp(const void *a, const void *b);
int kp_pol_id_cmp(const void *a, const void *b);
/* @ip as a host's prefix (/32, /128), zeroed around it: what sets hold. */
void kp_host_prefix(const struct kpl_ip *ip, struct kplane_prefix *p);
/* The set of the pods whose named port @port_name (@proto) is @port. */
void kp_port_set_name(char name[KPLANE_ID_MAX], uint8_t proto, const char *port_name,
		      uint16_t port);
/* A set's members sorted, each once: as they are compared. */
void kp_pset_settle(struct kp_pset *s);

#endif /* KPLANE_AGENT_POL_INT_H */
