"""Fidelity and privacy of synthetic data against real data or a spec."""
