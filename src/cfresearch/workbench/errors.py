"""Errors the workbench raises: each carries one line a user can act on (what, where, what to do)."""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class: the CLI prints ``str(error)`` on one line and exits with ``exit_code``."""

    exit_code = 2


class StudyNotFound(WorkbenchError):
    """The study name matches no notebook."""


class NotebookError(WorkbenchError):
    """A notebook cannot be read, or its ``parameters`` cell is malformed."""


class ParameterError(WorkbenchError):
    """A parameter name or value was rejected before execution."""


class InputFileError(WorkbenchError):
    """A file named by a path parameter does not exist or cannot be read."""


class RunFailed(WorkbenchError):
    """A notebook raised while it executed (its executed copy is kept for debugging)."""

    exit_code = 1
