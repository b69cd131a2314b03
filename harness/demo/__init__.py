"""`harness demo`: the whole pipeline offline on the shipped synthetic sample (`pipeline`)."""
