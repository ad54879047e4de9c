"""The project's exceptions: bad configuration and bad input data.

:class:`ConfigError` and :class:`InputError` are ``ValueError``s whose message says what is wrong
and where (the config key, or the file, line and column) in one line. Found before any job starts
(the schema, preflight), the workflow prints it and starts nothing; found in a job, the job logs
it and exits with status 1. :class:`OutputError` is the same for a result file that the job could
not write (a full disk, a quota): one line naming the file and the cause.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the key."""


class InputError(ValueError):
    """Bad input (data file or configuration); the message says what and where in one line."""


class OutputError(OSError):
    """A result file could not be written (e.g. no space left on the device).

    The message names the file and the cause in one line; no part of the file was written.
    """
