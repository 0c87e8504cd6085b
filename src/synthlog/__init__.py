"""synthlog: realistic, labeled synthetic logs for training and testing log anomaly detectors."""

__version__ = "0.1.0"  # the one place the version is written; pyproject.toml reads it from here
