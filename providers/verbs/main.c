// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric verbs provider: module, device discovery and kfi_getinfo().
 *
 * An ib_client learns every ib_device ib_core has, now and later; each
 * (device, port) whose port is active is one domain in kfi_getinfo().  A
 * device that goes away takes its domains' objects down with it before
 * ib_core's remove returns (see kfiv_remove_one()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/slab.h>
#include <linux/inet.h>
#include <net/net_namespace.h>
#include "kfi_verbs.h"

atomic_t kfiv_live_objects = ATOMIC_INIT(0);

/*
 * kfiv_devices_lock guards kfiv_devices, the devices ib_core reported and
 * has not removed yet.
 */
static DEFINE_MUTEX(kfiv_devices_lock);
static LIST_HEAD(kfiv_devices);

static struct ib_client kfiv_client;

/**
 * kfiv_debug_live_objects() - provider objects alive now
 *
 * Domains, CQs, endpoints, passive endpoints, requests and MRs each count
 * one; tests compare it before and after to find leaks.
 *
 * Context: any.
 * Return: the count.
 */
int kfiv_debug_live_objects(void)
{
	return atomic_read(&kfiv_live_objects);
}
EXPORT_SYMBOL_GPL(kfiv_debug_live_objects);

static void kfiv_dev_release(struct kref *ref)
{
	struct kfiv_dev *dev = container_of(ref, struct kfiv_dev, ref);

	WARN_ON(!list_empty(&dev->domains));
	kfree(dev);
}

void kfiv_dev_put(struct kfiv_dev *dev)
{
	kref_put(&dev->ref, kfiv_dev_release);
}

/**
 * kfiv_dev_get() - find a live device by name
 * @name: device name ("rxe0")
 *
 * Context: process context.
 * Return: the device with a reference held, or NULL.
 */
struct kfiv_dev *kfiv_dev_get(const char *name)
{
	struct kfiv_dev *dev, *found = NULL;

	mutex_lock(&kfiv_devices_lock);
	list_for_each_entry(dev, &kfiv_devices, entry) {
		if (!strcmp(dev->name, name)) {
			kref_get(&dev->ref);
			found = dev;
			break;
		}
	}
	mutex_unlock(&kfiv_devices_lock);
	return found;
}

/*
 * ib_device_attr has no inline limit, so ask for decreasing amounts on a
 * throwaway QP: kfi_inject() is sent inline when the QP takes it.
 */
static u32 kfiv_probe_inline(struct ib_device *ibdev)
{
	struct ib_qp_init_attr attr = {};
	u32 want = KFIV_INJECT_MAX + KFIV_HDR_LEN, got = 0;
	struct ib_pd *pd;
	struct ib_cq *cq;
	struct ib_qp *qp;

	pd = ib_alloc_pd(ibdev, 0);
	if (IS_ERR(pd))
		return 0;
	cq = ib_alloc_cq(ibdev, NULL, 2, 0, IB_POLL_DIRECT);
	if (IS_ERR(cq))
		goto free_pd;
	for (; want >= 16 && !got; want /= 2) {
		memset(&attr, 0, sizeof(attr));
		attr.send_cq = cq;
		attr.recv_cq = cq;
		attr.qp_type = IB_QPT_RC;
		attr.cap.max_send_wr = 1;
		attr.cap.max_recv_wr = 1;
		attr.cap.max_send_sge = 1;
		attr.cap.max_recv_sge = 1;
		attr.cap.max_inline_data = want;
		qp = ib_create_qp(pd, &attr);
		if (IS_ERR(qp))
			continue;
		got = min(attr.cap.max_inline_data, want);
		ib_destroy_qp(qp);
	}
	ib_free_cq(cq);
free_pd:
	ib_dealloc_pd(pd);
	return got;
}

static int kfiv_add_one(struct ib_device *ibdev)
{
	struct kfiv_dev *dev;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	kref_init(&dev->ref);
	mutex_init(&dev->lock);
	INIT_LIST_HEAD(&dev->domains);
	dev->ibdev = ibdev;
	strscpy(dev->name, dev_name(&ibdev->dev), sizeof(dev->name));
	dev->max_inline = kfiv_probe_inline(ibdev);

	mutex_lock(&kfiv_devices_lock);
	list_add_tail(&dev->entry, &kfiv_devices);
	mutex_unlock(&kfiv_devices_lock);
	ib_set_client_data(ibdev, &kfiv_client, dev);
	pr_info("%s: added (inline %u)\n", dev->name, dev->max_inline);
	return 0;
}

/*
 * ib_core removes clients in the reverse order of registration, so this
 * runs before rdma_cm's own removal: every cm_id, QP, CQ, MR and PD of the
 * device is destroyed here and rdma_cm finds nothing of ours left.  The
 * kfabric objects stay, dead, until the consumer closes them.
 */
static void kfiv_remove_one(struct ib_device *ibdev, void *data)
{
	struct kfiv_dev *dev = data;
	struct kfiv_domain *dom, *tmp;

	mutex_lock(&kfiv_devices_lock);
	list_del(&dev->entry);
	mutex_unlock(&kfiv_devices_lock);

	kfiv_peps_remove(ibdev);

	mutex_lock(&dev->lock);
	list_for_each_entry_safe(dom, tmp, &dev->domains, entry)
		kfiv_domain_remove(dom);
	dev->ibdev = NULL;
	mutex_unlock(&dev->lock);
	pr_info("%s: removed\n", dev->name);
	kfiv_dev_put(dev);
}

static struct ib_client kfiv_client = {
	.name = "kfi_verbs",
	.add = kfiv_add_one,
	.remove = kfiv_remove_one,
};

/* rdma_cm context of a throwaway id used to find the device of an address */
struct kfiv_resolve {
	struct completion done;
	int status;
};

static int kfiv_resolve_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	struct kfiv_resolve *r = id->context;

	r->status = ev->event == RDMA_CM_EVENT_ADDR_RESOLVED ? 0 : -EHOSTUNREACH;
	complete(&r->done);
	return 0;
}

/*
 * Find the device and port serving @hints' addresses: bind to a source
 * address, or resolve a destination with a bounded wait.  *ibdev stays
 * NULL when the address does not pin a device (wildcard source).
 */
static int kfiv_hints_device(const struct kfi_info *hints, char *name,
			     u32 *port)
{
	unsigned long tmo = msecs_to_jiffies(KFIV_RESOLVE_MS + 500);
	struct kfiv_resolve r = { .status = -ETIMEDOUT };
	struct rdma_cm_id *id;
	int ret;

	init_completion(&r.done);
	id = rdma_create_id(&init_net, kfiv_resolve_handler, &r, RDMA_PS_TCP,
			    IB_QPT_RC);
	if (IS_ERR(id))
		return PTR_ERR(id);
	if (hints->dest_addrlen) {
		struct sockaddr *src = hints->src_addrlen ?
			(struct sockaddr *)&hints->src_addr : NULL;

		ret = rdma_resolve_addr(id, src,
					(struct sockaddr *)&hints->dest_addr,
					KFIV_RESOLVE_MS);
		if (!ret && !wait_for_completion_timeout(&r.done, tmo))
			ret = -ETIMEDOUT;
		else if (!ret)
			ret = r.status;
	} else {
		ret = rdma_bind_addr(id, (struct sockaddr *)&hints->src_addr);
	}
	if (!ret && id->device) {
		strscpy(name, dev_name(&id->device->dev), KFI_NAME_MAX);
		*port = id->port_num;
	}
	rdma_destroy_id(id);
	return ret;
}

static u32 kfiv_clamp(u64 v, u64 max)
{
	return min(v, max);
}

static void kfiv_fill_info(struct kfi_info *fi, struct kfiv_dev *dev,
			   u32 port, const struct ib_port_attr *pa)
{
	const struct ib_device_attr *a = &dev->ibdev->attrs;
	u32 sge = min3(a->max_send_sge, a->max_recv_sge, KFIV_MAX_SGE + 1);

	fi->caps = KFI_MSG | KFI_RMA | KFI_SEND | KFI_RECV | KFI_READ |
		   KFI_WRITE | KFI_REMOTE_READ | KFI_REMOTE_WRITE;
	if (a->atomic_cap != IB_ATOMIC_NONE)
		fi->caps |= KFI_ATOMIC;
	strscpy(fi->fabric_attr.name, "verbs", KFI_NAME_MAX);
	strscpy(fi->fabric_attr.prov_name, kfiv_provider.name, KFI_NAME_MAX);
	fi->fabric_attr.prov_version = kfiv_provider.version;
	fi->fabric_attr.api_version = kfiv_provider.api_version;

	strscpy(fi->domain_attr.name, dev->name, KFI_NAME_MAX);
	fi->domain_attr.port = port;
	fi->domain_attr.cq_cnt = a->max_cq;
	fi->domain_attr.ep_cnt = a->max_qp;
	fi->domain_attr.mr_cnt = a->max_mr;
	/* The provider adds its own entries to every CQ (kfiv_cq_open()). */
	fi->domain_attr.cq_size = a->max_cqe - KFIV_CQ_EXTRA;
	fi->domain_attr.mr_key_size = sizeof(u32);
	fi->domain_attr.max_mr_segs = a->max_fast_reg_page_list_len;
	fi->domain_attr.cq_data_size = sizeof(u32);	/* immediate data */
	fi->domain_attr.max_mr_size = a->max_mr_size;

	fi->ep_attr.type = KFI_EP_MSG;
	fi->ep_attr.max_msg_size = pa->max_msg_sz - KFIV_HDR_LEN;
	fi->ep_attr.cm_data_size = kfiv_cm_data_max(dev->ibdev, port);
	fi->ep_attr.max_rd_atomic = min(a->max_qp_rd_atom,
					a->max_qp_init_rd_atom);

	/* Send and receive slots are kept back (see KFIV_SQ_EXTRA). */
	fi->domain_attr.tx_size_max = kfiv_clamp(a->max_qp_wr - KFIV_SQ_EXTRA,
						 KFIV_MAX_DEPTH);
	fi->domain_attr.rx_size_max = kfiv_clamp(a->max_qp_wr - KFIV_RQ_EXTRA,
						 KFIV_MAX_DEPTH);
	fi->tx_attr.caps = fi->caps;
	/* A reliable-connected send queue completes in order (post.c). */
	fi->tx_attr.comp_order = KFI_ORDER_STRICT;
	fi->tx_attr.size = min(fi->domain_attr.tx_size_max, KFIV_DEFAULT_DEPTH);
	fi->tx_attr.iov_limit = min_t(u32, sge - 1, a->max_sge_rd);
	fi->tx_attr.rma_iov_limit = 1;
	fi->tx_attr.inject_size = dev->max_inline > KFIV_HDR_LEN ?
				  dev->max_inline - KFIV_HDR_LEN : 0;
	fi->rx_attr.caps = fi->caps;
	fi->rx_attr.size = min(fi->domain_attr.rx_size_max, KFIV_DEFAULT_DEPTH);
	fi->rx_attr.iov_limit = sge - 1;
}

static int kfiv_info_port(struct kfiv_dev *dev, u32 port,
			  const struct kfi_info *hints, struct kfi_info ***tail)
{
	struct ib_port_attr pa;
	struct kfi_info *fi;

	if (ib_query_port(dev->ibdev, port, &pa) || pa.state != IB_PORT_ACTIVE)
		return 0;
	fi = kfi_allocinfo();
	if (!fi)
		return -ENOMEM;
	kfiv_fill_info(fi, dev, port, &pa);
	if (hints) {
		fi->addr_format = hints->addr_format;
		fi->src_addrlen = hints->src_addrlen;
		fi->src_addr = hints->src_addr;
		fi->dest_addrlen = hints->dest_addrlen;
		fi->dest_addr = hints->dest_addr;
	}
	**tail = fi;
	*tail = &fi->next;
	return 0;
}

/**
 * kfiv_getinfo() - one entry per active (device, port) that serves @hints
 * @prov: this provider
 * @hints: addresses to reach, or NULL
 * @flags: kfi_getinfo() flags
 * @info: the list built
 *
 * With a source address only the device owning it qualifies; with a
 * destination, only the device rdma_cm routes it through (resolution is
 * bounded by KFIV_RESOLVE_MS).  Limits are the device's own; queue sizes
 * are KFIV_DEFAULT_DEPTH, or the device's depth if that is less.
 *
 * Context: process context.
 * Return: 0 (possibly with an empty list) or a negative errno: rdma_cm's
 * for an address it cannot resolve or bind (-EHOSTUNREACH, -ETIMEDOUT,
 * -EADDRNOTAVAIL, -ENODEV, ...), which kfi_getinfo() passes on.
 */
int kfiv_getinfo(struct kfi_provider *prov, const struct kfi_info *hints,
		 u64 flags, struct kfi_info **info)
{
	struct kfi_info *head = NULL, **tail = &head;
	char want[KFI_NAME_MAX] = "";
	struct kfiv_dev *dev;
	u32 want_port = 0, port;
	int ret = 0;

	if (hints && (hints->src_addrlen || hints->dest_addrlen)) {
		ret = kfiv_hints_device(hints, want, &want_port);
		if (ret)
			return ret;
	}

	mutex_lock(&kfiv_devices_lock);
	list_for_each_entry(dev, &kfiv_devices, entry) {
		if (*want && strcmp(want, dev->name))
			continue;
		rdma_for_each_port(dev->ibdev, port) {
			if (want_port && port != want_port)
				continue;
			ret = kfiv_info_port(dev, port, hints, &tail);
			if (ret)
				break;
		}
		if (ret)
			break;
	}
	mutex_unlock(&kfiv_devices_lock);
	if (ret) {
		kfi_freeinfo(head);
		return ret;
	}
	*info = head;
	return 0;
}

static const struct kfi_provider_ops kfiv_ops = {
	.getinfo = kfiv_getinfo,
	.domain_open = kfiv_domain_open,
	.domain_close = kfiv_domain_close,
	.cq_open = kfiv_cq_open,
	.cq_close = kfiv_cq_close,
	.cq_poll = kfiv_cq_poll,
	.pep_open = kfiv_pep_open,
	.pep_listen = kfiv_pep_listen,
	.pep_close = kfiv_pep_close,
	.connreq_free = kfiv_connreq_free,
	.reject = kfiv_reject,
	.ep_open = kfiv_ep_open,
	.ep_enable = kfiv_ep_enable,
	.connect = kfiv_connect,
	.accept = kfiv_accept,
	.shutdown = kfiv_shutdown,
	.ep_close = kfiv_ep_close,
	.srx_open = kfiv_srx_open,
	.srx_close = kfiv_srx_close,
	.srx_recv = kfiv_srx_recv,
	.mr_reg = kfiv_mr_reg,
	.mr_alloc = kfiv_mr_alloc,
	.mr_map = kfiv_mr_map,
	.mr_unmap = kfiv_mr_unmap,
	.mr_close = kfiv_mr_close,
	.mr_sync = kfiv_mr_sync,
	.send = kfiv_send,
	.recv = kfiv_recv,
	.read = kfiv_read,
	.write = kfiv_write,
	.atomic = kfiv_atomic,
	.getname = kfiv_getname,
	.getpeer = kfiv_getpeer,
	.size_left = kfiv_size_left,
	.strerror = kfiv_strerror,
	.doorbell = kfiv_doorbell,
};

struct kfi_provider kfiv_provider = {
	.name = "verbs",
	.version = KFI_VERSION(1, 0),
	.api_version = KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION),
	.owner = THIS_MODULE,
	.ops = &kfiv_ops,
	.domain_size = sizeof(struct kfiv_domain),
	.cq_size = sizeof(struct kfiv_cq),
	.pep_size = sizeof(struct kfiv_pep),
	.ep_size = sizeof(struct kfiv_ep),
	.srx_size = sizeof(struct kfiv_srx),
	.mr_size = sizeof(struct kfiv_mr),
	.flags = KFI_SELECTIVE_COMPLETION,
	.priority = KFI_PRIORITY_HW,
};

static int __init kfiv_init(void)
{
	int ret;

	ret = ib_register_client(&kfiv_client);
	if (ret)
		return ret;
	ret = kfi_provider_register(&kfiv_provider);
	if (ret)
		goto unregister_client;
	return 0;

unregister_client:
	ib_unregister_client(&kfiv_client);
	return ret;
}

static void __exit kfiv_exit(void)
{
	kfi_provider_unregister(&kfiv_provider);
	ib_unregister_client(&kfiv_client);
	WARN_ON(!list_empty(&kfiv_devices));
	WARN_ON(atomic_read(&kfiv_live_objects));
}

module_init(kfiv_init);
module_exit(kfiv_exit);

MODULE_DESCRIPTION("kfabric provider for RDMA devices (ib_core verbs, rdma_cm)");
MODULE_LICENSE("GPL");
