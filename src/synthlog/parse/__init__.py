"""Turning raw log events into templates and sessions: a drain3 template miner with masking, and sessionizers."""
