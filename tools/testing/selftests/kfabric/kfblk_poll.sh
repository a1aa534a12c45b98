#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kfblk's poll queues: a disk mapped with two default and two poll queues
# (poll_queues=2) shows them to blk-mq (queue/io_poll, four hardware
# contexts); fio with io_uring's polled I/O (hipri: IOPOLL) writes at
# random and verifies every block, and every one of its requests is
# completed by blk-mq's polling, through its completion batch (the path's
# "polled" and "batched" counters, kfblk.rst); I/O not submitted for
# polling never reaches a poll queue; a polled READ of a bad block fails
# with EIO (an error never ends in the batch, which reports success);
# polled I/O survives its connections being dropped and rebuilt under it
# (reset, five times), and nothing is left open after.  Over the provider KFBLK_PROVIDER names.  Standalone
# KTAP producer; run as root in the test VM.

# shellcheck source=SCRIPTDIR/../../../../consumers/block/kfblk_test_lib.sh
. "$(dirname "$(readlink -f "$0")")/../../../../consumers/block/kfblk_test_lib.sh"

kt_plan 7
trap kfblk_cleanup EXIT

dev='' objects0=''
setup()
{
	kfblk_load nr_queues=2 poll_queues=2 ctrl_loss_tmo=60 \
		reconnect_delay_ms=10 || return 1
	objects0=$(kfi_objects)
	dev=$(kfblk_setup poll 64) && [ -b "$dev" ] && kfblk_on_provider
}
kt_call setup setup
[ -b "$dev" ] || exit 1
blk=/sys/block/${dev#/dev/}
sysfs=$blk/kfblk
# No scheduler: blk-mq batches only requests that bypass one.
echo none >"$blk/queue/scheduler"

# Four hardware contexts, two of them polled, and blk-mq polls the disk.
shape()
{
	local n
	n=$(find "$blk/mq" -mindepth 1 -maxdepth 1 -type d | wc -l)
	echo "nr_queues $(cat "$sysfs/nr_queues") poll_queues" \
	     "$(cat "$sysfs/poll_queues") io_poll $(cat "$blk/queue/io_poll")" \
	     "hctx $n"
	[ "$(cat "$sysfs/nr_queues")" = 4 ] &&
	[ "$(cat "$sysfs/poll_queues")" = 2 ] &&
	[ "$(cat "$blk/queue/io_poll")" = 1 ] && [ "$n" = 4 ]
}
kt_measure poll.queues_shown shape

# counter NAME: the sum of a counter over the disk's paths.
counter()
{
	awk -v k="$1" '{ for (i = 3; i < NF; i++) if ($i == k) n += $(i + 1) }
		       END { print n + 0 }' "$sysfs/paths"
}

# fio_check ENGINE [OPTION]: random 4 KiB writes over 16 MiB at iodepth
# 16, every block read back and verified.
fio_check()
{
	local out
	out=$(fio --name=verify --filename="$dev" --direct=1 \
		--ioengine="$1" ${2:+"$2"} --rw=randwrite --bs=4k \
		--iodepth=16 --size=16M --verify=crc32c --do_verify=1 \
		--verify_fatal=1 --verify_backlog=0 --verify_state_save=0 \
		--output-format=terse --terse-version=3 2>&1) || {
		echo "$out" | tail -n 5; return 1; }
	# terse v3: field 5 is the error count.
	[ "$(echo "$out" | tail -n 1 | cut -d';' -f5)" = 0 ] ||
		{ echo "$out" | tail -n 5; return 1; }
}

# polled_run WANT ENGINE [OPTION]: fio_check, and how its commands were
# completed: WANT "all" (every one by polling, in blk-mq's batch) or
# "none" (not one by polling).  4,096 writes and as many reads at least.
polled_run()
{
	local want=$1 i0 p0 b0 ios polled batched
	shift
	i0=$(counter ios) p0=$(counter polled) b0=$(counter batched)
	fio_check "$@" || return 1
	ios=$(($(counter ios) - i0))
	polled=$(($(counter polled) - p0))
	batched=$(($(counter batched) - b0))
	echo "$*: commands $ios, polled $polled, batched $batched"
	[ "$ios" -ge 8192 ] || return 1
	if [ "$want" = all ]; then
		[ "$polled" = "$ios" ] && [ "$batched" = "$ios" ]
	else
		[ "$polled" = 0 ]
	fi
}
kt_measure poll.iouring_polled_verify polled_run all io_uring --hipri=1
kt_measure poll.libaio_not_polled polled_run none libaio

# A polled READ of a bad block on the backing device fails with EIO: an
# error is never ended in blk-mq's batch, which would report success.
polled_error()
{
	local bb out rc=0 p0 b0
	bb=$NULLB_CFS/kfbt_poll/badblocks
	p0=$(counter polled) b0=$(counter batched)
	echo "+0-7" >"$bb" || return 1
	if out=$(fio --name=bad --filename="$dev" --direct=1 \
		 --ioengine=io_uring --hipri=1 --rw=read --bs=4k --size=4k \
		 --output-format=terse --terse-version=3 2>&1); then
		echo "the READ of a bad block succeeded"; rc=1
	elif [[ $out != *"Input/output error"* ]]; then
		echo "$out" | tail -n 5; rc=1
	fi
	echo "-0-7" >"$bb" || rc=1
	echo "polled +$(($(counter polled) - p0)), batched +$(($(counter batched) - b0))"
	return $rc
}
kt_measure poll.error_not_batched polled_error

is_live()
{
	[ "$(cat "$sysfs/state")" = live ]
}

# fio_loop: polled fio runs, one after another until /tmp/kfblk-poll.stop
# exists; fails on the first run that does.
fio_loop()
{
	local runs=0
	while [ ! -e /tmp/kfblk-poll.stop ]; do
		fio_check io_uring --hipri=1 || return 1
		runs=$((runs + 1))
	done
	echo "$runs polled fio runs, every block verified"
}

# Polled I/O while the connections are dropped and rebuilt five times:
# every block verifies, every reset is a reconnect.
polled_resets()
{
	local r0 r1 i pid rc=0
	r0=$(cat "$sysfs/reconnects")
	rm -f /tmp/kfblk-poll.stop
	fio_loop &
	pid=$!
	sleep 1
	for ((i = 0; i < 5; i++)); do
		poll_until 300 is_live || { echo "not live before reset $i"; rc=1; break; }
		"$KFBLKCTL" reset "$dev" || { echo "reset $i refused"; rc=1; break; }
		sleep 0.5
	done
	poll_until 300 is_live || { echo "not live after the resets"; rc=1; }
	touch /tmp/kfblk-poll.stop
	wait "$pid" || { echo "fio failed"; rc=1; }
	r1=$(cat "$sysfs/reconnects")
	echo "$i resets, reconnects $r0 -> $r1, polled $(counter polled)"
	[ $((r1 - r0)) = 5 ] || rc=1
	return $rc
}
kt_measure poll.reset_under_polled_io polled_resets

teardown()
{
	kfblk_teardown poll || return 1
	echo "kfblk live_objects $(kfblk_live_objects)"
	[ "$(kfblk_live_objects)" = 0 ] &&
	objects_same "$objects0" "$(kfi_objects)"
}
kt_check teardown teardown
kt_exit
