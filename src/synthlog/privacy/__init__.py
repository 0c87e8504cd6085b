"""Privacy rules shared by the profiler and the validator: the secret scan, k-anonymous release, the epsilon budget."""
