// SPDX-License-Identifier: GPL-2.0
/*
 * Task-work callbacks of uring_cmd take a struct io_tw_req and an
 * io_tw_token_t, and find their command with io_uring_cmd_from_tw().
 */
#include <linux/io_uring.h>

/* See uring_cmd_sqe.c for the spelling. */
#if __has_include("linux/io_uring/cmd.h")
# include <linux/io_uring/cmd.h>
#endif

void kfi_probe(struct io_tw_req tw_req, io_tw_token_t tw);

void kfi_probe(struct io_tw_req tw_req, io_tw_token_t tw)
{
	io_uring_cmd_done(io_uring_cmd_from_tw(tw_req), 0,
			  IO_URING_CMD_TASK_WORK_ISSUE_FLAGS);
}
