// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring_cmd_done() lost its res2 argument: io_uring_cmd_done32()
 * posts one.
 */
#include <linux/io_uring.h>

/* See uring_cmd_sqe.c for the spelling. */
#if __has_include("linux/io_uring/cmd.h")
# include <linux/io_uring/cmd.h>
#endif

void kfi_probe(struct io_uring_cmd *c, unsigned int issue_flags);

void kfi_probe(struct io_uring_cmd *c, unsigned int issue_flags)
{
	io_uring_cmd_done32(c, 0, 0, issue_flags);
}
