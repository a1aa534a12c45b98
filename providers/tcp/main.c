// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric TCP provider: module, kfi_getinfo(), domains, CQs and MRs.
 *
 * One domain, "tcp", stands for the host's TCP/IP stack: every local
 * address (IPv4 or IPv6) is reachable through it, so kfi_getinfo() offers
 * it for any address -- to hints that name the provider -- and leaves
 * routing to connect time (an unreachable peer is a KFI_UNREACHABLE
 * event, not a getinfo error).
 * Documentation/kfabric/tcp.rst tells the whole mapping.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "kfi_tcp.h"
#include "kfi_tcp_debug.h"
#include "kfi_compat.h"

#define KFIT_CAPS	(KFI_MSG | KFI_RMA | KFI_ATOMIC | KFI_READ | KFI_WRITE | \
			 KFI_RECV | KFI_SEND | KFI_REMOTE_READ | KFI_REMOTE_WRITE)

struct workqueue_struct *kfit_wq;
atomic_t kfit_live = ATOMIC_INIT(0);

int kfit_debug_live_objects(void)
{
	return atomic_read(&kfit_live);
}
EXPORT_SYMBOL_GPL(kfit_debug_live_objects);

/*
 * One entry, the "tcp" domain, for any address: routes are found at
 * connect time.  The provider's priority (KFI_PRIORITY_SW) lists it after
 * the RDMA devices, so a consumer that does not choose a provider keeps
 * getting those first.
 */
static int kfit_getinfo(struct kfi_provider *prov, const struct kfi_info *hints,
			u64 flags, struct kfi_info **info)
{
	struct kfi_info *fi;

	*info = NULL;
	fi = kfi_allocinfo();
	if (!fi)
		return -ENOMEM;
	fi->caps = KFIT_CAPS;
	strscpy(fi->domain_attr.name, "tcp", KFI_NAME_MAX);
	fi->domain_attr.cq_cnt = 1024;
	fi->domain_attr.ep_cnt = 65536;
	fi->domain_attr.mr_cnt = KFI_SW_KEY_INDEX_MASK;
	fi->domain_attr.cq_size = 2 * KFIT_MAX_DEPTH;
	fi->domain_attr.tx_size_max = KFIT_MAX_DEPTH;
	fi->domain_attr.rx_size_max = KFIT_MAX_DEPTH;
	fi->domain_attr.mr_key_size = sizeof(u64);
	fi->domain_attr.max_mr_segs = KFIT_MAX_MR_SEGS;
	fi->domain_attr.cq_data_size = sizeof(u32);
	fi->domain_attr.max_mr_size = SZ_1G;
	fi->ep_attr.type = KFI_EP_MSG;
	fi->ep_attr.max_msg_size = KFIT_MAX_MSG;
	fi->ep_attr.cm_data_size = KFIT_CM_DATA_MAX;
	fi->ep_attr.max_rd_atomic = KFIT_MAX_DEPTH;
	fi->tx_attr.caps = KFIT_CAPS;
	fi->tx_attr.size = KFIT_DEFAULT_DEPTH;
	fi->tx_attr.iov_limit = KFIT_MAX_IOV;
	fi->tx_attr.rma_iov_limit = 1;
	fi->tx_attr.inject_size = KFIT_INJECT_MAX;
	fi->rx_attr.caps = KFIT_CAPS;
	fi->rx_attr.size = KFIT_DEFAULT_DEPTH;
	fi->rx_attr.iov_limit = KFIT_MAX_IOV;
	*info = fi;
	return 0;
}

static int kfit_domain_open(struct kfid_domain *domain,
			    const struct kfi_info *info)
{
	struct kfit_domain *d = to_kfit_domain(domain);

	mutex_init(&d->lock);
	INIT_LIST_HEAD(&d->eps);
	kfi_sw_keys_init(&d->keys);
	atomic_inc(&kfit_live);
	return 0;
}

static void kfit_domain_close(struct kfid_domain *domain)
{
	kfi_sw_keys_destroy(&to_kfit_domain(domain)->keys);
	atomic_dec(&kfit_live);
}

/* CQs are the core's software queues; only the CQ rule is kept here. */
static int kfit_cq_open(struct kfid_cq *cq)
{
	atomic_inc(&kfit_live);
	return 0;
}

static void kfit_cq_close(struct kfid_cq *cq)
{
	atomic_dec(&kfit_live);
}

static struct kfit_mr *to_kfit_mr(struct kfid_mr *mr)
{
	return container_of(mr, struct kfit_mr, base);
}

static int kfit_mr_reg(struct kfid_mr *mr, const struct kfi_iov *iov)
{
	struct kfit_domain *d = to_kfit_domain(mr->domain);
	int ret;

	ret = kfi_sw_mr_reg(&d->keys, &to_kfit_mr(mr)->sw, mr, iov);
	if (!ret)
		atomic_inc(&kfit_live);
	return ret;
}

static int kfit_mr_alloc(struct kfid_mr *mr)
{
	struct kfit_domain *d = to_kfit_domain(mr->domain);
	int ret;

	ret = kfi_sw_mr_alloc(&d->keys, &to_kfit_mr(mr)->sw, mr);
	if (!ret)
		atomic_inc(&kfit_live);
	return ret;
}

/*
 * A software key takes effect at once, and every later operation of @ep
 * is behind it on the same stream: ordered as the API asks.
 */
static int kfit_mr_map(struct kfid_ep *ep, struct kfid_mr *mr,
		       const struct kfi_iov *iov)
{
	return kfi_sw_mr_map(&to_kfit_mr(mr)->sw, iov);
}

/*
 * A connection may hold the MR for as long as its peer takes to send the
 * rest of a write (or to read a response): revoke it, have every endpoint
 * of the domain let go of it, then wait for accesses in progress.
 */
static void kfit_mr_close(struct kfid_mr *mr)
{
	struct kfit_domain *d = to_kfit_domain(mr->domain);
	struct kfit_ep *e;

	kfi_sw_mr_revoke(&to_kfit_mr(mr)->sw);
	mutex_lock(&d->lock);
	list_for_each_entry(e, &d->eps, dnode)
		kfit_kick(e);
	mutex_unlock(&d->lock);
	kfi_sw_mr_close(&to_kfit_mr(mr)->sw);
	atomic_dec(&kfit_live);
}

static const char *kfit_strerror(struct kfid_cq *cq, int prov_errno)
{
	return "unknown";
}

static const struct kfi_provider_ops kfit_ops = {
	.getinfo	= kfit_getinfo,
	.domain_open	= kfit_domain_open,
	.domain_close	= kfit_domain_close,
	.cq_open	= kfit_cq_open,
	.cq_close	= kfit_cq_close,
	.pep_open	= kfit_pep_open,
	.pep_listen	= kfit_pep_listen,
	.pep_close	= kfit_pep_close,
	.connreq_free	= kfit_connreq_free,
	.reject		= kfit_reject,
	.ep_open	= kfit_ep_open,
	.ep_enable	= kfit_ep_enable,
	.connect	= kfit_connect,
	.accept		= kfit_accept,
	.shutdown	= kfit_shutdown,
	.ep_close	= kfit_ep_close,
	.mr_reg		= kfit_mr_reg,
	.mr_alloc	= kfit_mr_alloc,
	.mr_map		= kfit_mr_map,
	.mr_unmap	= kfit_mr_unmap,
	.mr_close	= kfit_mr_close,
	.send		= kfit_send,
	.recv		= kfit_recv,
	.read		= kfit_read,
	.write		= kfit_write,
	.atomic		= kfit_atomic,
	.getname	= kfit_getname,
	.getpeer	= kfit_getpeer,
	.size_left	= kfit_size_left,
	.cancel		= kfit_cancel,
	.strerror	= kfit_strerror,
	.doorbell	= kfit_doorbell,
	.srx_open	= kfit_srx_open,
	.srx_close	= kfit_srx_close,
	.srx_recv	= kfit_srx_recv,
};

struct kfi_provider kfit_prov = {
	.name		= "tcp",
	.version	= KFI_VERSION(1, 0),
	.api_version	= KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION),
	.owner		= THIS_MODULE,
	.ops		= &kfit_ops,
	.domain_size	= sizeof(struct kfit_domain),
	.cq_size	= sizeof(struct kfit_cq),
	.pep_size	= sizeof(struct kfit_pep),
	.ep_size	= sizeof(struct kfit_ep),
	.mr_size	= sizeof(struct kfit_mr),
	.srx_size	= sizeof(struct kfit_srx),
	.flags		= KFI_SELECTIVE_COMPLETION,
	.priority	= KFI_PRIORITY_SW,
};

/*
 * Where an endpoint's work runs.  Unbound, the scheduler places it on any
 * CPU; bound, it runs on the CPU that queued it -- where the consumer
 * posted or the socket's data arrived -- so no other CPU is woken for a
 * message.  Documentation/kfabric/bench.rst has what each costs.
 */
static bool wq_unbound = true;
module_param(wq_unbound, bool, 0444);
MODULE_PARM_DESC(wq_unbound,
		 "run socket work on any CPU, not only the one that queued it (default: Y)");

static int __init kfit_init(void)
{
	unsigned int flags = WQ_MEM_RECLAIM | WQ_HIGHPRI;
	int ret;

	flags |= wq_unbound ? WQ_UNBOUND : WQ_PERCPU;
	kfit_wq = alloc_workqueue("kfi_tcp", flags, 0);
	if (!kfit_wq)
		return -ENOMEM;
	ret = kfi_provider_register(&kfit_prov);
	if (ret)
		destroy_workqueue(kfit_wq);
	return ret;
}

static void __exit kfit_exit(void)
{
	kfi_provider_unregister(&kfit_prov);
	destroy_workqueue(kfit_wq);
}

module_init(kfit_init);
module_exit(kfit_exit);

MODULE_DESCRIPTION("kfabric provider over kernel TCP sockets");
MODULE_LICENSE("GPL");
