"""Anomaly detectors with the scikit-learn contract, their features, and the benchmark."""
