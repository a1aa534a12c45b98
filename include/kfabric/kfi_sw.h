/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfabric software RMA: for providers without RDMA hardware (TCP, shared
 * memory), never for consumers.
 *
 * What a NIC does for remote memory access is done here once: a per-domain
 * table of remote keys, the check that an incoming access names a live key
 * with the rights it needs and stays inside the registered bytes, and the
 * description of a registration as pages that an iov_iter walks, so a
 * provider moves payloads straight between its transport and the
 * registered pages.  Completions go through kfi_cq_sw_complete() and
 * credits through kfi_credit_*(): nothing of those is repeated here.
 *
 * Documentation/kfabric/provider-guide.rst ("Providers without RDMA").
 */
#ifndef _KFABRIC_KFI_SW_H
#define _KFABRIC_KFI_SW_H

#include <kfabric/kfi_provider.h>
#include <linux/bvec.h>
#include <linux/uio.h>
#include <linux/xarray.h>

/*
 * A remote key: the low KFI_SW_KEY_INDEX_BITS index the domain's table,
 * the next KFI_SW_KEY_GEN_BITS count the table's registrations (so a key
 * of a closed or re-mapped MR never names its successor), the high 32 bits
 * are random (so a peer cannot guess a live key from one it was given).
 */
#define KFI_SW_KEY_INDEX_BITS	20
#define KFI_SW_KEY_GEN_BITS	12
#define KFI_SW_KEY_INDEX_MASK	(BIT(KFI_SW_KEY_INDEX_BITS) - 1)

/**
 * struct kfi_sw_keys - a domain's remote keys
 * @xa: struct kfi_sw_mr by key index
 * @lock: guards every entry's @key, @bv and @nbv against lookups, and
 *	@gen; taken with irqs saved (mapping runs in any context)
 * @gen: registrations so far, for the key's generation bits
 * @revocations: MRs closed so far (kfi_sw_mr_revoke()); a provider that
 *	saw it change looks for held MRs to let go of
 * @atomic_lock: serialises software atomics of the domain
 */
struct kfi_sw_keys {
	struct xarray xa;
	spinlock_t lock;		/* see @lock above */
	u32 gen;
	atomic_t revocations;
	spinlock_t atomic_lock;		/* see @atomic_lock above */
};

/**
 * struct kfi_sw_mr - the software side of one MR, kept in the provider's MR
 * @mr: the core's MR (access, iova, len)
 * @keys: the table it is in
 * @bv: the registered bytes, as pages (an entry may span pages of one
 *	physically contiguous buffer)
 * @nbv: entries of @bv in use
 * @max_bv: entries allocated
 * @key: the live key, 0 while none (unmapped or closed)
 * @index: its slot in @keys
 * @users: accesses in progress (kfi_sw_key_get() to kfi_sw_mr_put())
 * @unmap_pending: an invalidation waits for @users to drain
 * @revoked: the MR is being closed: holders should let go soon
 * @idle: called once, from the context of the last kfi_sw_mr_put() (or
 *	from kfi_sw_mr_invalidate()), when an invalidated MR has no user left
 */
struct kfi_sw_mr {
	struct kfid_mr *mr;
	struct kfi_sw_keys *keys;
	struct bio_vec *bv;
	u32 nbv;
	u32 max_bv;
	u64 key;
	u32 index;
	atomic_t users;
	bool unmap_pending;
	bool revoked;
	void (*idle)(struct kfi_sw_mr *m);
};

void kfi_sw_keys_init(struct kfi_sw_keys *keys);
void kfi_sw_keys_destroy(struct kfi_sw_keys *keys);

int kfi_sw_mr_reg(struct kfi_sw_keys *keys, struct kfi_sw_mr *m,
		  struct kfid_mr *mr, const struct kfi_iov *iov);
int kfi_sw_mr_alloc(struct kfi_sw_keys *keys, struct kfi_sw_mr *m,
		    struct kfid_mr *mr);
int kfi_sw_mr_map(struct kfi_sw_mr *m, const struct kfi_iov *iov);
void kfi_sw_mr_invalidate(struct kfi_sw_mr *m);
int kfi_sw_key_invalidate(struct kfi_sw_keys *keys, u64 key,
			  struct kfi_sw_mr **mr);
int kfi_sw_mr_busy(const struct kfi_sw_mr *m);
void kfi_sw_mr_revoke(struct kfi_sw_mr *m);
void kfi_sw_mr_close(struct kfi_sw_mr *m);

/**
 * kfi_sw_mr_revoked() - the MR is being closed
 * @m: a held MR
 *
 * A holder that may keep @m long (waiting for a peer's bytes, or for room
 * in a socket) checks this when kfi_sw_keys.revocations changed and lets
 * go, or kfi_sw_mr_close() waits for it.
 *
 * Context: any.
 */
static inline bool kfi_sw_mr_revoked(const struct kfi_sw_mr *m)
{
	return READ_ONCE(m->revoked);
}

int kfi_sw_key_get(struct kfi_sw_keys *keys, u64 key, u64 addr, u64 len,
		   u64 access, struct kfi_sw_mr **mr, u64 *off);
void kfi_sw_mr_put(struct kfi_sw_mr *m);
void kfi_sw_mr_iter(const struct kfi_sw_mr *m, struct iov_iter *it,
		    unsigned int dir, u64 off, size_t len);
int kfi_sw_mr_atomic(struct kfi_sw_mr *m, u64 off, enum kfi_atomic_op op,
		     u64 operand, u64 compare, u64 *old);

int kfi_sw_iov_bvec(const struct kfi_iov *iov, struct bio_vec *bv, u32 max,
		    u64 *len);

#endif /* _KFABRIC_KFI_SW_H */
