"""Fidelity and privacy of synthetic logs. The package is itself callable: ``synthlog.evaluate(real, synthetic)``
returns a :class:`~synthlog.evaluate.quality.Report` (see :func:`synthlog.evaluate.quality.evaluate`)."""

import sys
import types


class _CallableModule(types.ModuleType):
    """``synthlog.evaluate`` is both this package and the function users call: importing a submodule such as
    ``synthlog.evaluate.fidelity`` binds the package to that name, so the package answers the call itself."""

    def __call__(self, real, synthetic, seed: int = 0):
        from synthlog.evaluate.quality import evaluate

        return evaluate(real, synthetic, seed=seed)


sys.modules[__name__].__class__ = _CallableModule
