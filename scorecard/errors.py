"""The project's errors: one family, each class carrying the command line's exit code.

A user's mistake is an instance of :class:`ScorecardError`; the command line prints it as one
``error: ...`` line and exits with its :attr:`~ScorecardError.exit_code`, found by type
(``isinstance``), so renaming or moving a class never changes an exit code. Three kinds:

* :class:`UsageError` (exit 2): a bad argument, spec, overrides file, setting or path;
* :class:`InvalidDataError` (exit 3): input data that breaks the contract or cannot be used;
* :class:`InvalidArtifactError` (exit 4): a model artifact that is invalid, tampered with or
  cannot be exported.

Each kind is also a ``ValueError``, as every one of these errors was before. Every module's
own error class (``ContractError``, ``ArtifactError``, ``SpecError``...) subclasses its kind
where it is defined. Standard library only: the scoring API imports it.
"""

from __future__ import annotations

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_BAD_DATA = 3
EXIT_BAD_ARTIFACT = 4


class ScorecardError(Exception):
    """A user's mistake the command line reports in one line and an exit code.

    ``exit_code`` is the command's exit status; ``prefix`` the words before the message.
    """

    exit_code: int = EXIT_FAILURE
    prefix: str = ""


class UsageError(ScorecardError, ValueError):
    """A bad argument, spec, overrides file, setting or path (exit 2); also arguments
    argparse cannot check alone (e.g. ``--unlabelled`` above ``--rows``)."""

    exit_code = EXIT_USAGE


class InvalidDataError(ScorecardError, ValueError):
    """Input data that breaks the contract or cannot be fitted or scored (exit 3)."""

    exit_code = EXIT_BAD_DATA
    prefix = "invalid input data: "


class InvalidArtifactError(ScorecardError, ValueError):
    """A model artifact that is invalid, tampered with or cannot be exported (exit 4)."""

    exit_code = EXIT_BAD_ARTIFACT
    prefix = "invalid model artifact: "
