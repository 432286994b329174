"""The application's error types.

Error tree::

    MonitorError                base: a user or operator mistake with a one-line message;
    │                           the CLI prints it and exits non-zero, never a traceback
    ├── ConfigError             settings or policy invalid: lists every ConfigProblem
    ├── NotFound                an employee, account or alert the user named does not exist
    ├── Conflict                the request contradicts stored state (duplicate, opted out, ...)
    └── BadInput                input data is malformed (file, field): says which and why

Connector errors (``connectors.base``) and detector failures are handled where a decision
can be made (scheduling, the pipeline) and do not appear here.
"""

from __future__ import annotations

from dataclasses import dataclass


class MonitorError(Exception):
    """A mistake the user can fix; the message says how."""


@dataclass(frozen=True)
class ConfigProblem:
    source: str
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}: {self.key}" if self.key else self.source
        return f"{where}: {self.message}"


class ConfigError(MonitorError):
    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems) or "invalid configuration")


class NotFound(MonitorError):
    pass


class Conflict(MonitorError):
    pass


class BadInput(MonitorError):
    pass
