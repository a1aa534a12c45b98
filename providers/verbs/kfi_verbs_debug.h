/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfabric verbs provider: what it exports for its tests only.
 */
#ifndef _KFI_VERBS_DEBUG_H
#define _KFI_VERBS_DEBUG_H

/**
 * kfiv_debug_live_objects() - provider objects alive now
 *
 * Domains, CQs, endpoints, passive endpoints, connection requests and
 * MRs: equal before and after a test that closed all it opened.
 *
 * Context: any.
 * Return: the count.
 */
int kfiv_debug_live_objects(void);

struct kfid_ep;
struct kfid_domain;
int kfiv_debug_deferred(struct kfid_ep *kep);
u64 kfiv_debug_premapped(struct kfid_domain *kdom);

#endif /* _KFI_VERBS_DEBUG_H */
