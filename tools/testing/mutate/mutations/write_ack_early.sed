# area: write-ordering
# file: consumers/block/kfblk_target_io.c
# tests: kfblk_write_ack
# The target answers a WRITE as soon as its data has arrived, before the
# backing device has completed it (and not again when it has).
s/^\telse if (!kfblk_slot_submit_now(slot))$/\telse if (kfblk_slot_respond(slot), !kfblk_slot_submit_now(slot))/
s/^\tslot->status = kfblk_blk_to_status(sts);$/&\n\tif (slot->ci.opcode == KFBLK_OP_WRITE)\n\t\treturn;/
