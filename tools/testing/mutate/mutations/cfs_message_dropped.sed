# area: control
# file: consumers/block/kfblk_target_main.c
# tests: kfblk_control_log
# A refused port is refused without the documented log line.
/^\t\tpr_err("port: need 1-65535\\n");$/d
