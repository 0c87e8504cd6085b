"""Shape-preserving value models: ``fit`` them on observed values, ``sample`` fresh ones that hold no raw value.

Used by the statistics path (the profiler writes them into a spec, the renderer samples them) and open to the code
path. See :mod:`synthlog.values.model` (what a model is), :mod:`synthlog.values.fit` (how one is learned under the
privacy rules), :mod:`synthlog.values.sample` (vectorised drawing) and :mod:`synthlog.values.shape` (the shape of a
value, shared with ``validate``'s value_shape_agreement).
"""

from synthlog.values.fit import FitRules, fit
from synthlog.values.model import NumberPiece, Pattern, Piece, ValueModel
from synthlog.values.sample import sample_column

__all__ = ["FitRules", "NumberPiece", "Pattern", "Piece", "ValueModel", "fit", "sample_column"]
