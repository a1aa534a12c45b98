// SPDX-License-Identifier: GPL-2.0
/* sendmsg() takes pages by reference with MSG_SPLICE_PAGES (6.5 on). */
#include <linux/socket.h>

int kfi_probe(void);

int kfi_probe(void)
{
	return MSG_SPLICE_PAGES;
}
