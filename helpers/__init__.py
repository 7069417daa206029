"""A teaching and replication kit for meta-analysis.

The numeric modules (:mod:`helpers.effect_sizes`, :mod:`helpers.pooling`,
:mod:`helpers.bias`) need only numpy, scipy and pandas; plotting and widgets
live in their own modules so that ``import helpers.pooling`` stays light.
Nothing is imported here for that reason.
"""

__version__ = "0.1.0"
