"""Statistics-driven synthesis: spec, discrete-event simulator, profiler."""
