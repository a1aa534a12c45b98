# area: kv-hostile
# file: consumers/kv/kfkv_client.c
# tests: kfkv_hostile
# The client's watchdog never finds an answer late: an operation on a
# target that stops answering waits for ever (until the handle closes).
s/^\t\t    time_after(jiffies, READ_ONCE(slot->start) + h->timeout))$/\t\t    0 \&\& time_after(jiffies, READ_ONCE(slot->start) + h->timeout))/
