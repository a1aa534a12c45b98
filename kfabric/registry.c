// SPDX-License-Identifier: GPL-2.0
/*
 * kfabric core: provider registry, kfi_getinfo() and the fabric and domain
 * objects.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include <linux/string.h>
#include <linux/inet.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kernel.h>

#include "kfi_priv.h"

/*
 * Guards kfi_providers and every call of a provider op that is not tied to
 * a live object (->getinfo): readers look a provider up or call it, the
 * writer adds or removes one.  Taking it for writing in
 * kfi_provider_unregister() is what makes unregister a full fence.
 */
DECLARE_RWSEM(kfi_registry_rwsem);
LIST_HEAD(kfi_providers);

/**
 * kfi_registry_check_version() - may the core serve API version @version
 * @version: KFI_VERSION(major, minor) a caller was built against
 *
 * The major must equal the core's (an incompatible API otherwise), the
 * minor be at most the core's (the caller would use what this core does
 * not implement).
 *
 * Context: any.
 * Return: 0, or -EINVAL for either mismatch.
 */
int kfi_registry_check_version(u32 version)
{
	if (KFI_MAJOR(version) != KFI_MAJOR_VERSION ||
	    KFI_MINOR(version) > KFI_MINOR_VERSION)
		return -EINVAL;
	return 0;
}

struct kfi_op_name {
	size_t offset;
	const char *name;
};

#define KFI_OP(op) { offsetof(struct kfi_provider_ops, op), #op }

static const struct kfi_op_name kfi_mandatory_ops[] = {
	KFI_OP(getinfo),
	KFI_OP(domain_open),
	KFI_OP(domain_close),
	KFI_OP(cq_open),
	KFI_OP(cq_close),
	KFI_OP(ep_open),
	KFI_OP(ep_enable),
	KFI_OP(ep_close),
	KFI_OP(send),
	KFI_OP(recv),
};

static bool kfi_has_op(const struct kfi_provider_ops *ops, size_t offset)
{
	return *(void * const *)((const char *)ops + offset);
}

static int kfi_provider_check_ops(const struct kfi_provider *prov)
{
	const struct kfi_provider_ops *ops = prov->ops;
	int i;

	for (i = 0; i < ARRAY_SIZE(kfi_mandatory_ops); i++) {
		if (!kfi_has_op(ops, kfi_mandatory_ops[i].offset)) {
			pr_err("provider %s: missing mandatory op %s\n",
			       prov->name, kfi_mandatory_ops[i].name);
			return -EINVAL;
		}
	}
	if (ops->pep_listen && !ops->connreq_free) {
		pr_err("provider %s: missing op connreq_free (needed with pep_listen)\n",
		       prov->name);
		return -EINVAL;
	}
	if (ops->pep_listen && !ops->reject) {
		pr_err("provider %s: missing op reject (needed with pep_listen)\n",
		       prov->name);
		return -EINVAL;
	}
	if ((ops->mr_reg || ops->mr_alloc || ops->mr_map || ops->mr_unmap) &&
	    !ops->mr_close) {
		pr_err("provider %s: missing op mr_close (needed with MR ops)\n",
		       prov->name);
		return -EINVAL;
	}
	if (ops->srx_open && (!ops->srx_close || !ops->srx_recv)) {
		pr_err("provider %s: missing op srx_close or srx_recv (needed with srx_open)\n",
		       prov->name);
		return -EINVAL;
	}
	return 0;
}

static int kfi_provider_check_size(const struct kfi_provider *prov,
				   size_t *size, size_t min, const char *what)
{
	if (!*size) {
		*size = min;
		return 0;
	}
	if (*size < min) {
		pr_err("provider %s: %s %zu is smaller than the core's %zu\n",
		       prov->name, what, *size, min);
		return -EINVAL;
	}
	return 0;
}

static int kfi_provider_check(struct kfi_provider *prov)
{
	int ret;

	if (!prov->name || !prov->name[0] ||
	    strlen(prov->name) >= KFI_NAME_MAX) {
		pr_err("provider without a valid name\n");
		return -EINVAL;
	}
	ret = kfi_registry_check_version(prov->api_version);
	if (ret) {
		pr_err("provider %s: API version %u.%u, core has %u.%u\n",
		       prov->name, KFI_MAJOR(prov->api_version),
		       KFI_MINOR(prov->api_version), KFI_MAJOR_VERSION,
		       KFI_MINOR_VERSION);
		return ret;
	}
	if (!prov->ops) {
		pr_err("provider %s: no ops\n", prov->name);
		return -EINVAL;
	}
	ret = kfi_provider_check_ops(prov);
	ret = ret ?: kfi_provider_check_size(prov, &prov->domain_size,
					     sizeof(struct kfid_domain),
					     "domain_size");
	ret = ret ?: kfi_provider_check_size(prov, &prov->cq_size,
					     sizeof(struct kfid_cq), "cq_size");
	ret = ret ?: kfi_provider_check_size(prov, &prov->pep_size,
					     sizeof(struct kfid_pep),
					     "pep_size");
	ret = ret ?: kfi_provider_check_size(prov, &prov->ep_size,
					     sizeof(struct kfid_ep), "ep_size");
	ret = ret ?: kfi_provider_check_size(prov, &prov->mr_size,
					     sizeof(struct kfid_mr), "mr_size");
	ret = ret ?: kfi_provider_check_size(prov, &prov->srx_size,
					     sizeof(struct kfid_ep),
					     "srx_size");
	return ret;
}

static struct kfi_provider *kfi_provider_find(const char *name)
{
	struct kfi_provider *prov;

	lockdep_assert_held(&kfi_registry_rwsem);
	list_for_each_entry(prov, &kfi_providers, list)
		if (!strcmp(prov->name, name))
			return prov;
	return NULL;
}

/* Keep the registry in kfi_getinfo()'s order: by priority, then age. */
static void kfi_provider_insert(struct kfi_provider *prov)
{
	struct kfi_provider *p;

	lockdep_assert_held(&kfi_registry_rwsem);
	list_for_each_entry(p, &kfi_providers, list) {
		if (p->priority < prov->priority) {
			list_add_tail(&prov->list, &p->list);
			return;
		}
	}
	list_add_tail(&prov->list, &kfi_providers);
}

/**
 * kfi_provider_register() - make a provider available to consumers
 * @prov: the provider; @name, @api_version, @owner and @ops set, sizes set
 *	or zero for the core's own structure sizes
 *
 * Checks the API version and that every mandatory op is present (the
 * kernel log names a missing one).
 *
 * Context: process context, may sleep.  Takes the registry lock.
 * Return: 0; -EINVAL (bad provider, missing op, or an API version whose
 * major differs from the core's or whose minor is newer); -EEXIST
 * (already registered, or another provider has the name).
 */
int kfi_provider_register(struct kfi_provider *prov)
{
	struct kfi_provider *p;
	int ret;

	if (!prov)
		return -EINVAL;
	ret = kfi_provider_check(prov);
	if (ret)
		return ret;

	down_write(&kfi_registry_rwsem);
	list_for_each_entry(p, &kfi_providers, list) {
		if (p == prov || !strcmp(p->name, prov->name)) {
			up_write(&kfi_registry_rwsem);
			pr_err("provider %s: already registered\n", prov->name);
			return -EEXIST;
		}
	}
	INIT_LIST_HEAD(&prov->objects);
	kfi_debugfs_add_provider(prov);
	kfi_provider_insert(prov);
	up_write(&kfi_registry_rwsem);

	pr_info("provider %s registered (version %u)\n", prov->name,
		prov->version);
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_provider_register);

static bool kfi_provider_registered(struct kfi_provider *prov)
{
	struct kfi_provider *p;

	lockdep_assert_held(&kfi_registry_rwsem);
	list_for_each_entry(p, &kfi_providers, list)
		if (p == prov)
			return true;
	return false;
}

/**
 * kfi_provider_unregister() - withdraw a provider
 * @prov: a registered provider
 *
 * A full fence: when it returns 0, no op of @prov is running or will be
 * called again.  Objects pin the provider's module, so a provider
 * normally unregisters from its module_exit after every object is gone;
 * one with live objects is refused.
 *
 * Context: process context, may sleep.  Waits for running ->getinfo calls.
 * Return: 0; -EBUSY (objects of @prov are live); -ENOENT (not registered,
 * with a warning).
 */
int kfi_provider_unregister(struct kfi_provider *prov)
{
	bool busy;

	if (!prov)
		return -EINVAL;

	down_write(&kfi_registry_rwsem);
	if (WARN(!kfi_provider_registered(prov),
		 "kfabric: provider %s is not registered\n",
		 prov->name ?: "(null)")) {
		up_write(&kfi_registry_rwsem);
		return -ENOENT;
	}
	mutex_lock(&kfi_objects_mutex);
	busy = !list_empty(&prov->objects);
	mutex_unlock(&kfi_objects_mutex);
	if (busy) {
		up_write(&kfi_registry_rwsem);
		return -EBUSY;
	}
	list_del(&prov->list);
	kfi_debugfs_remove_provider(prov);
	up_write(&kfi_registry_rwsem);

	pr_info("provider %s unregistered\n", prov->name);
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_provider_unregister);

/* ------------------------------------------------------------------ */
/* kfi_info lists */

/**
 * kfi_allocinfo() - allocate one zeroed kfi_info
 *
 * Context: process context, may sleep.
 * Return: the entry, or NULL without memory.
 */
struct kfi_info *kfi_allocinfo(void)
{
	return kzalloc(sizeof(struct kfi_info), GFP_KERNEL);
}
EXPORT_SYMBOL_GPL(kfi_allocinfo);

/**
 * kfi_dupinfo() - copy one kfi_info
 * @info: entry to copy (only this entry, not the list after it)
 *
 * The copy has no @next and no connection request @handle.
 *
 * Context: process context, may sleep.
 * Return: the copy, or NULL if @info is NULL or without memory.
 */
struct kfi_info *kfi_dupinfo(const struct kfi_info *info)
{
	struct kfi_info *dup;

	if (!info)
		return NULL;
	dup = kmemdup(info, sizeof(*info), GFP_KERNEL);
	if (!dup)
		return NULL;
	dup->next = NULL;
	dup->handle = NULL;
	return dup;
}
EXPORT_SYMBOL_GPL(kfi_dupinfo);

/**
 * kfi_connreq_put() - drop one reference on a connection request
 * @creq: the request
 *
 * The last reference frees it through the provider and drops the
 * reference it held on its passive endpoint (which may be closed by then:
 * a provider's ->reject and ->connreq_free must work after ->pep_close).
 *
 * Context: process context.
 */
void kfi_connreq_put(struct kfi_connreq *creq)
{
	struct kfid_pep *pep = creq->pep;

	if (!refcount_dec_and_test(&creq->ref))
		return;
	pep->fid.prov->ops->connreq_free(creq);
	kfid_put(&pep->fid);
}

static void kfi_freeinfo_handle(struct kfi_connreq *creq)
{
	struct kfid_pep *pep = creq->pep;

	/* Neither accepted nor rejected: tell the peer no. */
	if (!creq->ep && !creq->rejected) {
		creq->rejected = true;
		pep->fid.prov->ops->reject(pep, creq, NULL, 0);
	}
	kfi_connreq_put(creq);
}

/**
 * kfi_freeinfo() - free a list of kfi_info
 * @info: the list, or NULL
 *
 * A connection request (@handle) that was neither accepted (kfi_endpoint()
 * claimed it) nor rejected is rejected here.
 *
 * Context: process context, may sleep.
 */
void kfi_freeinfo(struct kfi_info *info)
{
	struct kfi_info *next;

	for (; info; info = next) {
		next = info->next;
		if (info->handle)
			kfi_freeinfo_handle(info->handle);
		kfree(info);
	}
}
EXPORT_SYMBOL_GPL(kfi_freeinfo);

/* ------------------------------------------------------------------ */
/* kfi_getinfo() */

static int kfi_parse_port(const char *service, u16 *port)
{
	if (!service) {
		*port = 0;
		return 0;
	}
	return kstrtou16(service, 10, port) ? -EINVAL : 0;
}

/* Resolve a numeric address and port; there is no name service here. */
static int kfi_parse_addr(const char *node, const char *service,
			  struct sockaddr_storage *ss, u32 *len,
			  enum kfi_addr_format *format)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	u16 port;
	int ret;

	ret = kfi_parse_port(service, &port);
	if (ret)
		return ret;

	memset(ss, 0, sizeof(*ss));
	if (!node || in4_pton(node, -1, (u8 *)&sin->sin_addr, -1, NULL)) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		*format = KFI_SOCKADDR_IN;
		return 0;
	}
	if (in6_pton(node, -1, sin6->sin6_addr.s6_addr, -1, NULL)) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		*format = KFI_SOCKADDR_IN6;
		return 0;
	}
	return -EINVAL;
}

static struct kfi_info *kfi_getinfo_hints(const char *node,
					  const char *service, u64 flags,
					  const struct kfi_info *hints,
					  int *err)
{
	struct kfi_info *h;

	h = hints ? kfi_dupinfo(hints) : kfi_allocinfo();
	if (!h) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = 0;
	if (!node && !service)
		return h;

	if (flags & KFI_SOURCE)
		*err = kfi_parse_addr(node, service, &h->src_addr,
				      &h->src_addrlen, &h->addr_format);
	else
		*err = kfi_parse_addr(node, service, &h->dest_addr,
				      &h->dest_addrlen, &h->addr_format);
	if (*err) {
		kfree(h);
		return NULL;
	}
	return h;
}

static bool kfi_info_matches(const struct kfi_info *e,
			     const struct kfi_info *hints)
{
	if (hints->caps & ~e->caps)
		return false;
	if (hints->tx_attr.comp_order & ~e->tx_attr.comp_order)
		return false;
	if (hints->ep_attr.type != KFI_EP_UNSPEC &&
	    hints->ep_attr.type != e->ep_attr.type)
		return false;
	if (hints->domain_attr.name[0] &&
	    strcmp(hints->domain_attr.name, e->domain_attr.name))
		return false;
	if (hints->addr_format != KFI_FORMAT_UNSPEC &&
	    e->addr_format != KFI_FORMAT_UNSPEC &&
	    hints->addr_format != e->addr_format)
		return false;
	/* A queue deeper than the device's is not served (0: no limit). */
	if (e->domain_attr.tx_size_max &&
	    hints->tx_attr.size > e->domain_attr.tx_size_max)
		return false;
	if (e->domain_attr.rx_size_max &&
	    hints->rx_attr.size > e->domain_attr.rx_size_max)
		return false;
	return true;
}

/* Fill in what the provider left out: its name and the resolved addresses. */
static void kfi_info_complete(struct kfi_info *e, struct kfi_provider *prov,
			      const struct kfi_info *hints)
{
	e->handle = NULL;
	strscpy(e->fabric_attr.prov_name, prov->name,
		sizeof(e->fabric_attr.prov_name));
	if (!e->fabric_attr.name[0])
		strscpy(e->fabric_attr.name, prov->name,
			sizeof(e->fabric_attr.name));
	e->fabric_attr.prov_version = prov->version;
	e->fabric_attr.api_version = prov->api_version;
	if (e->addr_format == KFI_FORMAT_UNSPEC)
		e->addr_format = hints->addr_format;
	if (!e->src_addrlen && hints->src_addrlen) {
		e->src_addr = hints->src_addr;
		e->src_addrlen = hints->src_addrlen;
	}
	if (!e->dest_addrlen && hints->dest_addrlen) {
		e->dest_addr = hints->dest_addr;
		e->dest_addrlen = hints->dest_addrlen;
	}
	/* Sizes the hints ask for replace the provider's defaults. */
	if (hints->tx_attr.size)
		e->tx_attr.size = hints->tx_attr.size;
	if (hints->rx_attr.size)
		e->rx_attr.size = hints->rx_attr.size;
}

/* Keep the entries of @list that match @hints, appended at *@tail. */
static void kfi_getinfo_filter(struct kfi_info *list, struct kfi_provider *prov,
			       const struct kfi_info *hints,
			       struct kfi_info ***tail)
{
	struct kfi_info *e, *next;

	for (e = list; e; e = next) {
		next = e->next;
		e->next = NULL;
		if (!kfi_info_matches(e, hints)) {
			kfree(e);
			continue;
		}
		kfi_info_complete(e, prov, hints);
		**tail = e;
		*tail = &e->next;
	}
}

/**
 * kfi_getinfo() - find the providers and devices that can serve @hints
 * @version: KFI_VERSION(KFI_MAJOR_VERSION, KFI_MINOR_VERSION)
 * @node: numeric IPv4 or IPv6 address (no name resolution), or NULL
 * @service: decimal port, or NULL
 * @flags: 0, or KFI_SOURCE: @node/@service name the local address
 * @hints: what is wanted (zero fields mean any), or NULL
 * @info: receives the list; free it with kfi_freeinfo()
 *
 * @node and @service go into the hints' dest_addr (src_addr with
 * KFI_SOURCE).  Every registered provider (only the one named by
 * hints->fabric_attr.prov_name, when set) is asked, in the order of
 * their priority (kfi_provider.priority: hardware first); its entries are
 * kept if their caps include the hints' caps and their tx_attr.comp_order
 * the hints' comp_order, their endpoint type, domain name and address
 * format match the hints' where those are set, and the hints'
 * tx_attr.size and rx_attr.size (when set) are within the entry's
 * domain_attr.tx_size_max and rx_size_max.  Each entry's tx_attr.size
 * and rx_attr.size are the hints' when set, else the provider's default
 * (which suits a CQ of tx_attr.size + rx_attr.size entries); the most a
 * device takes is in domain_attr.
 *
 * Context: process context, may sleep.  Holds the registry lock for
 * reading around the providers' ->getinfo.
 * Return: 0; -EINVAL (@version's major differs from KFI_MAJOR_VERSION or
 * its minor is newer than KFI_MINOR_VERSION, NULL @info, unknown flags,
 * unparsable @node or @service); -ENOMEM; -ENODATA (nothing matches and
 * no provider failed); or, when nothing matches, the first error a
 * provider's ->getinfo returned (-EHOSTUNREACH, -ETIMEDOUT,
 * -EADDRNOTAVAIL, ... for an address it cannot resolve or bind).
 */
int kfi_getinfo(u32 version, const char *node, const char *service,
		u64 flags, const struct kfi_info *hints, struct kfi_info **info)
{
	struct kfi_info *h, *head = NULL, **tail = &head, *list;
	struct kfi_provider *prov;
	int ret, err = 0;

	if (!info)
		return -EINVAL;
	*info = NULL;
	ret = kfi_registry_check_version(version);
	if (ret)
		return ret;
	if (flags & ~KFI_SOURCE)
		return -EINVAL;

	h = kfi_getinfo_hints(node, service, flags, hints, &ret);
	if (!h)
		return ret;

	down_read(&kfi_registry_rwsem);
	list_for_each_entry(prov, &kfi_providers, list) {
		if (h->fabric_attr.prov_name[0] &&
		    strcmp(h->fabric_attr.prov_name, prov->name))
			continue;
		list = NULL;
		ret = prov->ops->getinfo(prov, h, flags, &list);
		if (ret) {
			/* Another provider may still serve the hints. */
			err = err ?: ret;
			continue;
		}
		kfi_getinfo_filter(list, prov, h, &tail);
	}
	up_read(&kfi_registry_rwsem);
	kfree(h);

	if (!head)
		return err ?: -ENODATA;
	*info = head;
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_getinfo);

/* ------------------------------------------------------------------ */
/* Fabric and domain */

/**
 * kfi_fabric() - open a fabric: the root object of one provider
 * @attr: @prov_name names the provider (as returned by kfi_getinfo())
 * @fabric: receives the fabric
 * @context: the consumer's pointer
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL (NULL argument, no provider name); -ENODEV (no such
 * provider, or its module is going away); -ENOMEM.
 */
int kfi_fabric(const struct kfi_fabric_attr *attr, struct kfid_fabric **fabric,
	       void *context)
{
	struct kfi_provider *prov;
	struct kfid_fabric *f;
	int ret = 0;

	if (!attr || !fabric || !attr->prov_name[0] ||
	    strnlen(attr->prov_name, KFI_NAME_MAX) == KFI_NAME_MAX)
		return -EINVAL;

	/* Linking the object under the lock keeps unregister from racing. */
	down_read(&kfi_registry_rwsem);
	prov = kfi_provider_find(attr->prov_name);
	if (!prov) {
		ret = -ENODEV;
		goto unlock;
	}
	f = kfid_alloc(prov, sizeof(*f), KFI_CLASS_FABRIC, NULL, context);
	if (IS_ERR(f)) {
		ret = PTR_ERR(f);
		goto unlock;
	}
	f->attr = *attr;
	f->attr.prov_version = prov->version;
	f->attr.api_version = prov->api_version;
	*fabric = f;
unlock:
	up_read(&kfi_registry_rwsem);
	return ret;
}
EXPORT_SYMBOL_GPL(kfi_fabric);

/**
 * kfi_domain() - open a domain (a device) of @fabric's provider
 * @fabric: open fabric
 * @info: an entry of kfi_getinfo() for this provider
 * @domain: receives the domain
 * @context: the consumer's pointer
 *
 * Context: process context, may sleep.
 * Return: 0; -EINVAL (bad argument, @info of another provider); -ENOMEM;
 * or the provider's error.
 */
int kfi_domain(struct kfid_fabric *fabric, const struct kfi_info *info,
	       struct kfid_domain **domain, void *context)
{
	struct kfi_provider *prov;
	struct kfid_domain *d;
	int ret;

	if (!KFI_VALID(fabric, KFI_CLASS_FABRIC) || !info || !domain)
		return -EINVAL;
	prov = fabric->fid.prov;
	if (info->fabric_attr.prov_name[0] &&
	    strncmp(info->fabric_attr.prov_name, prov->name, KFI_NAME_MAX))
		return -EINVAL;

	d = kfid_alloc(prov, prov->domain_size, KFI_CLASS_DOMAIN, &fabric->fid,
		       context);
	if (IS_ERR(d))
		return PTR_ERR(d);
	d->fabric = fabric;
	d->attr = info->domain_attr;
	ret = prov->ops->domain_open(d, info);
	if (ret) {
		kfid_put(&d->fid);
		return ret;
	}
	*domain = d;
	return 0;
}
EXPORT_SYMBOL_GPL(kfi_domain);
