// SPDX-License-Identifier: GPL-2.0
/* kernel_bind() and kernel_connect() take a struct sockaddr_unsized. */
#include <linux/net.h>

int kfi_probe(struct socket *sock, struct sockaddr_unsized *addr, int len);

int kfi_probe(struct socket *sock, struct sockaddr_unsized *addr, int len)
{
	return kernel_bind(sock, addr, len);
}
