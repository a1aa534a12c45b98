// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric core: message credits.
 *
 * A credit is a receive the peer has posted.  Consumer sends take one,
 * never the last credits.reserve ones, which stay for the provider's own
 * credit updates (kfi_credit_take_reserved()); without a credit the send
 * fails with -EAGAIN and the endpoint is marked starved, so the next
 * kfi_credit_add() calls ep->credit_ready.  Everything is lockless: the
 * send path runs in any context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include "kfi_priv.h"

/**
 * kfi_credit_init() - start counting credits on a new connection
 * @ep: endpoint
 * @send: credits the peer granted in the connection handshake
 * @reserve: credits consumer sends may not take
 *
 * Context: any; before the endpoint is connected.
 */
void kfi_credit_init(struct kfid_ep *ep, u32 send, u32 reserve)
{
	atomic_set(&ep->credits.send, send);
	ep->credits.reserve = reserve;
	atomic_set(&ep->credit_starved, 0);
	/* Publish the counts before a sender can see @enabled. */
	smp_store_release(&ep->credits.enabled, true);
}
EXPORT_SYMBOL_GPL(kfi_credit_init);

/**
 * kfi_credit_take() - take a credit for a consumer send
 * @ep: endpoint
 *
 * Context: any; never sleeps.
 * Return: 0 (taken, or @ep does not use credits), or -EAGAIN (none above
 * the reserve; @ep is marked starved).
 */
int kfi_credit_take(struct kfid_ep *ep)
{
	int reserve = ep->credits.reserve;
	int c;

	/* Pairs with the release in kfi_credit_init(). */
	if (!smp_load_acquire(&ep->credits.enabled) || kfi_credits_off(ep))
		return 0;

	c = atomic_read(&ep->credits.send);
	for (;;) {
		if (c > reserve) {
			if (atomic_try_cmpxchg(&ep->credits.send, &c, c - 1))
				return 0;
			continue;
		}
		/*
		 * Mark starved, then look again: credits added before the
		 * mark was visible would otherwise never call credit_ready.
		 */
		atomic_set(&ep->credit_starved, 1);
		/* Order the mark before the re-read; kfi_credit_add() pairs. */
		smp_mb__after_atomic();
		c = atomic_read(&ep->credits.send);
		if (c <= reserve)
			return -EAGAIN;
	}
}

/**
 * kfi_credit_return() - give back a credit whose send was not posted
 * @ep: endpoint
 *
 * Context: any.
 */
void kfi_credit_return(struct kfid_ep *ep)
{
	/* Pairs with the release in kfi_credit_init(). */
	if (smp_load_acquire(&ep->credits.enabled) && !kfi_credits_off(ep))
		atomic_inc(&ep->credits.send);
}

/**
 * kfi_credit_add() - add credits the peer granted
 * @ep: endpoint
 * @n: credits
 *
 * Calls ep->credit_ready, if set, when a send was refused for lack of
 * credit since the last time.
 *
 * Context: any (usually the provider's completion context); never sleeps.
 */
void kfi_credit_add(struct kfid_ep *ep, u32 n)
{
	/* Nobody counts them: the consumer keeps its own. */
	if (!n || kfi_credits_off(ep))
		return;
	/* Both are full barriers, pairing with kfi_credit_take(). */
	atomic_add_return(n, &ep->credits.send);
	if (atomic_xchg(&ep->credit_starved, 0) && ep->credit_ready)
		ep->credit_ready(ep);
}
EXPORT_SYMBOL_GPL(kfi_credit_add);

/**
 * kfi_credit_take_reserved() - take a credit for a provider's own message
 * @ep: endpoint
 *
 * May take the reserve, so a credit update can always be sent.
 *
 * Context: any; never sleeps.
 * Return: 0, or -EAGAIN when no credit at all is left (always 0 with
 * KFI_EP_NO_CREDITS).
 */
int kfi_credit_take_reserved(struct kfid_ep *ep)
{
	/* The consumer answers for the peer's receives: send the update. */
	if (kfi_credits_off(ep))
		return 0;
	return atomic_dec_if_positive(&ep->credits.send) >= 0 ? 0 : -EAGAIN;
}
EXPORT_SYMBOL_GPL(kfi_credit_take_reserved);

/**
 * kfi_credit_take_grant() - take the credits to advertise to the peer
 * @ep: endpoint
 *
 * Context: any.
 * Return: the receives posted since the last call; the caller now owes
 * them to the peer (or gives them back with kfi_credit_add_grant()).
 */
u32 kfi_credit_take_grant(struct kfid_ep *ep)
{
	return atomic_xchg(&ep->credits.grant, 0);
}
EXPORT_SYMBOL_GPL(kfi_credit_take_grant);

/**
 * kfi_credit_add_grant() - add credits to advertise to the peer
 * @ep: endpoint
 * @n: credits (receives posted, or a grant that could not be sent)
 *
 * Context: any.
 */
void kfi_credit_add_grant(struct kfid_ep *ep, u32 n)
{
	atomic_add(n, &ep->credits.grant);
}
EXPORT_SYMBOL_GPL(kfi_credit_add_grant);

/*
 * A receive counted by kfi_recvmsg() before the provider refused it: its
 * grant is taken back unless it was sent already (the count is then 0,
 * and the peer holds one credit too many until the next receive).
 */
void kfi_credit_unpost_grant(struct kfid_ep *ep)
{
	atomic_add_unless(&ep->credits.grant, -1, 0);
}

/**
 * kfi_ep_set_credit_ready() - the callback for credits arriving
 * @ep: endpoint, not enabled yet
 * @credit_ready: called once, from the provider's completion context
 *	(softirq or a workqueue; never sleeps), when credits arrive after a
 *	send got -EAGAIN for lack of them; NULL for none
 *
 * Resubmit from the callback, or kick a worker that does.
 *
 * Context: process context.
 * Return: 0; -EINVAL (not an endpoint, or enabled already).
 */
int kfi_ep_set_credit_ready(struct kfid_ep *ep,
			    void (*credit_ready)(struct kfid_ep *ep))
{
	if (!KFI_VALID(ep, KFI_CLASS_EP) || READ_ONCE(ep->state) != KFI_EP_IDLE)
		return -EINVAL;
	WRITE_ONCE(ep->credit_ready, credit_ready);
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_ep_set_credit_ready);
