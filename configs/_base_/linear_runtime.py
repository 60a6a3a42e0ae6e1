# Runtime of linear probes: the frozen self-supervised model is stored in
# every checkpoint, so keep only the last one.
_base_ = './default_runtime.py'
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=1))
