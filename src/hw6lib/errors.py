"""The project's exceptions: bad configuration and bad input data.

Both are ``ValueError``s whose message says what is wrong and where (the config key, or the
file, line and column) in one line. Found before any job starts (the schema, preflight), the
workflow prints it and starts nothing; found in a job, the job logs it and exits with status 1.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the key."""


class InputError(ValueError):
    """Bad input (data file or configuration); the message says what and where in one line."""
