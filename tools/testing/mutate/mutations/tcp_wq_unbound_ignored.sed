# area: tcp
# file: providers/tcp/main.c
# tests: kfblk_tcp
# kfi_tcp's wq_unbound=0 is read but ignored: the work still goes to an
# unbound pool, any CPU (the parameter reads N all the same).
s/^\tflags |= wq_unbound ? WQ_UNBOUND : WQ_PERCPU;$/\tflags |= WQ_UNBOUND;/
