/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kfabric core tracepoints: one per post, one per delivered completion.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kfabric

#if !defined(_KFABRIC_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _KFABRIC_TRACE_H

#include <linux/tracepoint.h>
#include "kfi_priv.h"

#define kfi_show_op(op)					\
	__print_symbolic(op,				\
			 { KFI_TRACE_SEND, "send" },	\
			 { KFI_TRACE_RECV, "recv" },	\
			 { KFI_TRACE_READ, "read" },	\
			 { KFI_TRACE_WRITE, "write" },	\
			 { KFI_TRACE_ATOMIC, "atomic" })

TRACE_EVENT(kfi_post,
	    TP_PROTO(const struct kfid_ep *ep, int op, u64 len, int ret),
	    TP_ARGS(ep, op, len, ret),
	    TP_STRUCT__entry(__field(const void *, ep)
			     __field(int, op)
			     __field(u64, len)
			     __field(int, ret)),
	    TP_fast_assign(__entry->ep = ep;
			   __entry->op = op;
			   __entry->len = len;
			   __entry->ret = ret;),
	    TP_printk("ep=%p op=%s len=%llu ret=%d", __entry->ep,
		      kfi_show_op(__entry->op), __entry->len, __entry->ret)
);

TRACE_EVENT(kfi_complete,
	    TP_PROTO(const struct kfid_cq *cq, const struct kfi_cq_entry *e),
	    TP_ARGS(cq, e),
	    TP_STRUCT__entry(__field(const void *, cq)
			     __field(const void *, ctx)
			     __field(u64, flags)
			     __field(u64, len)
			     __field(int, err)
			     __field(int, prov_errno)),
	    TP_fast_assign(__entry->cq = cq;
			   __entry->ctx = e->op_context;
			   __entry->flags = e->flags;
			   __entry->len = e->len;
			   __entry->err = e->err;
			   __entry->prov_errno = e->prov_errno;),
	    TP_printk("cq=%p ctx=%p flags=0x%llx len=%llu err=%d prov_errno=%d",
		      __entry->cq, __entry->ctx, __entry->flags, __entry->len,
		      __entry->err, __entry->prov_errno)
);

#endif /* _KFABRIC_TRACE_H */

/* Out of tree: the build adds this directory to the include path. */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
