"""synthlog: realistic, labeled synthetic logs for training and testing log anomaly detectors."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("synthlog")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"
