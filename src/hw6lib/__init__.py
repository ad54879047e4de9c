"""hw6lib: the science of the ECON 425 HW6 pipeline.

Problem 1 (backpropagation in a scalar sigmoid chain) lives in :mod:`hw6lib.chain`,
:mod:`hw6lib.simulate`, :mod:`hw6lib.fit` and :mod:`hw6lib.gradcheck`; the numbers of the
published solution in :mod:`hw6lib.published`. Every module is importable and tested without
Snakemake.
"""

__version__ = "0.1.0"
