"""The machinery under the science: configuration, files, figures, logs, code digests, devices.

:mod:`~hw6lib.pipeline.config` (the configuration's JSON Schema),
:mod:`~hw6lib.pipeline.configdoc` (``config/README.md`` from the schema),
:mod:`~hw6lib.pipeline.resultfiles` (atomic, deterministic result files),
:mod:`~hw6lib.pipeline.figurefiles` (the figures' shared style and deterministic SVG),
:mod:`~hw6lib.pipeline.runlog` (one log per job), :mod:`~hw6lib.pipeline.codedigest` (the code
behind each result), :mod:`~hw6lib.pipeline.device` (the torch device) and
:mod:`~hw6lib.pipeline.gpulease` (one GPU per training job). Every part of the science imports
from here, and nothing here imports the science.
"""
