/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfabric TCP provider: what it exports for its tests only.
 */
#ifndef _KFI_TCP_DEBUG_H
#define _KFI_TCP_DEBUG_H

/**
 * kfit_debug_live_objects() - provider objects alive now
 *
 * Domains, CQs, endpoints, passive endpoints, connection requests and
 * MRs: equal before and after a test that closed all it opened.
 *
 * Context: any.
 * Return: the count.
 */
int kfit_debug_live_objects(void);

struct kfid_ep;

/**
 * kfit_debug_deferred() - messages held back by KFI_MORE on @ep
 * @ep: an endpoint of the provider
 *
 * Context: any.
 * Return: the count.
 */
int kfit_debug_deferred(struct kfid_ep *ep);

/**
 * kfit_debug_credit_msgs() - CREDIT messages @ep sent on their own
 * @ep: an endpoint of the provider
 *
 * Context: any.
 * Return: the count since the endpoint was opened.
 */
int kfit_debug_credit_msgs(struct kfid_ep *ep);

/**
 * kfit_debug_by_ref() - payload bytes @ep handed its socket by reference
 * @ep: an endpoint of the provider
 *
 * Context: any.
 * Return: the count since the endpoint was opened.
 */
u64 kfit_debug_by_ref(struct kfid_ep *ep);

#endif /* _KFI_TCP_DEBUG_H */
