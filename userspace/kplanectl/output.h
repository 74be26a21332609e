/* SPDX-License-Identifier: GPL-2.0 */
/* kplanectl output: one printer per object, human or JSON. */
#ifndef KPLANECTL_OUTPUT_H
#define KPLANECTL_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>
#include "agent.h"
#include "libkplane.h"

void kp_print_status(FILE *f, const struct kpl_status *st, bool json);
void kp_print_endpoint(FILE *f, const struct kpl_endpoint *ep, bool json);
void kp_print_endpoints(FILE *f, const struct kpl_endpoint *eps, size_t n, bool json);
void kp_print_service(FILE *f, const struct kpl_service *svc, bool json);
void kp_print_services(FILE *f, const struct kpl_service *svcs, size_t n, bool json);
/* What a sync would write: endpoints and services to delete, set, add. */
void kp_print_change(FILE *f, const struct kp_change *c, bool json);

void kp_print_ipsets(FILE *f, const struct kpl_ipset_info *sets, size_t n, bool json);
void kp_print_ipset_members(FILE *f, const struct kpl_ipset_info *set, bool json);
void kp_print_policies(FILE *f, const struct kpl_policy *pols, size_t n, bool json);
void kp_print_trace(FILE *f, const struct kpl_trace_result *res, bool json);

#endif /* KPLANECTL_OUTPUT_H */
