"""The machinery around the science: configuration, checks, files, logs, provenance, devices.

:mod:`~hw6lib.pipeline.config` (the configuration's JSON Schema),
:mod:`~hw6lib.pipeline.configdoc` (``config/README.md`` from the schema),
:mod:`~hw6lib.pipeline.preflight` (checks before any job starts),
:mod:`~hw6lib.pipeline.resultfiles` (atomic, deterministic result files),
:mod:`~hw6lib.pipeline.runlog` (one log per job), :mod:`~hw6lib.pipeline.codedigest` (the code
behind each result), :mod:`~hw6lib.pipeline.provenance` (versions, machine and timings of a run),
:mod:`~hw6lib.pipeline.device` (the torch device) and :mod:`~hw6lib.pipeline.gpulease` (one GPU
per training job).
"""
