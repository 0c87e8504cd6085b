"""Imports detect-secrets' plugin modules, so that every regex detector class exists as a subclass."""

import importlib
import pkgutil

import detect_secrets.plugins

for _module in pkgutil.iter_modules(detect_secrets.plugins.__path__):
    importlib.import_module(f"detect_secrets.plugins.{_module.name}")
