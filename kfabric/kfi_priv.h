/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfabric core: private header, shared by the core's own files only.
 */
#ifndef _KFABRIC_KFI_PRIV_H
#define _KFABRIC_KFI_PRIV_H

#include <kfabric/kfi.h>
#include <kfabric/kfi_provider.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>

/* Budget of a CQ opened with attr.budget == 0. */
#define KFI_CQ_DEFAULT_BUDGET	64
/* The software pending ring holds at least this many entries. */
#define KFI_CQ_MIN_PENDING	64

/* Operations as the kfi_post tracepoint names them. */
enum kfi_trace_op {
	KFI_TRACE_SEND,
	KFI_TRACE_RECV,
	KFI_TRACE_READ,
	KFI_TRACE_WRITE,
	KFI_TRACE_ATOMIC,
};

/**
 * struct kfi_eq_node - one queued event
 * @list: entry on kfid_eq.events
 * @entry: the event, as reported
 */
struct kfi_eq_node {
	struct list_head list;
	struct kfi_eq_cm_entry entry;
};

/* registry.c */
extern struct rw_semaphore kfi_registry_rwsem;
extern struct list_head kfi_providers;
int kfi_registry_check_version(u32 version);
void kfi_connreq_put(struct kfi_connreq *creq);

/* object.c */
extern struct mutex kfi_objects_mutex;
void *kfid_alloc(struct kfi_provider *prov, size_t size,
		 enum kfi_fclass fclass, struct kfid *parent, void *context);
void kfid_put(struct kfid *fid);
int kfid_child_get(struct kfid *parent);
void kfid_child_put(struct kfid *parent);
int kfid_close_begin(struct kfid *fid);
const char *kfid_class_name(enum kfi_fclass fclass);

/* ep.c */
void kfi_ep_close(struct kfid_ep *ep);
void kfi_pep_close(struct kfid_pep *pep);
void kfi_srx_close(struct kfid_ep *srx);
const char *kfi_ep_state_name(enum kfi_ep_state state);

/* cq.c */
void kfi_cq_close(struct kfid_cq *cq);
void kfi_cq_sw_flush(struct kfid_cq *cq);
int kfi_cq_init(void);
void kfi_cq_exit(void);

/* eq.c */
void kfi_eq_close(struct kfid_eq *eq);
void kfi_eq_forget(struct kfid_eq *eq, struct kfid *fid);
void kfi_eq_release(struct kfid_eq *eq);
struct kfi_eq_node *kfi_eq_node_alloc(void);
int kfi_eq_init(void);
void kfi_eq_exit(void);

/* mr.c */
void kfi_mr_close(struct kfid_mr *mr);

/* credit.c */
static inline bool kfi_credits_off(const struct kfid_ep *ep)
{
	return ep->info.ep_attr.flags & KFI_EP_NO_CREDITS;
}

int kfi_credit_take(struct kfid_ep *ep);
void kfi_credit_return(struct kfid_ep *ep);
void kfi_credit_unpost_grant(struct kfid_ep *ep);

/* debugfs.c */
void kfi_debugfs_init(void);
void kfi_debugfs_exit(void);
void kfi_debugfs_add_provider(struct kfi_provider *prov);
void kfi_debugfs_remove_provider(struct kfi_provider *prov);
struct dentry *kfi_debugfs_dir(void);

/* sess.c */
int kfi_sess_init(void);
void kfi_sess_exit(void);

/*
 * KFI_VALID() - is @obj (a struct kfid_* pointer, may be NULL) an object of
 * class @cls.  Every exported call checks its objects with it.
 */
#define KFI_VALID(obj, cls)						\
	({								\
		typeof(obj) __obj = (obj);				\
									\
		__obj && __obj->fid.fclass == (cls);			\
	})

#endif /* _KFABRIC_KFI_PRIV_H */
