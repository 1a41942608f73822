"""Every error class of the project is in the one family (scorecard.errors) with the exit code
the command line documents, and the command line finds that code by type, never by name."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from scorecard.cli import describe_error
from scorecard.data.safety import UnsafePathError
from scorecard.errors import (
    EXIT_BAD_ARTIFACT,
    EXIT_BAD_DATA,
    EXIT_USAGE,
    InvalidArtifactError,
    InvalidDataError,
    ScorecardError,
    UsageError,
)
from tests.support.paths import REPO

# The exit codes of scorecard.cli's docstring and the README, class by class.
DOCUMENTED = {
    "scorecard.errors.UsageError": EXIT_USAGE,
    "scorecard.fit.spec.SpecError": EXIT_USAGE,
    "scorecard.fit.overrides.OverridesError": EXIT_USAGE,
    "scorecard.data.safety.UnsafePathError": EXIT_USAGE,  # 3 or 4 for a data file or a card
    "scorecard.settings.SettingsError": EXIT_USAGE,
    "scorecard.card.decisions.PolicyError": EXIT_USAGE,
    "scorecard.card.reasons.ReasonError": EXIT_USAGE,
    "scorecard.workbench.session.WorkbenchError": EXIT_USAGE,
    "api.overload.DeadlineHeaderError": EXIT_USAGE,
    "scorecard.fit.spec_inference.TargetChoiceError": EXIT_USAGE,
    "scorecard.data.decision_log.DecisionLogError": EXIT_USAGE,
    "scorecard.data.decision_log.OverrideError": EXIT_USAGE,
    "scorecard.fit.groups.FairnessError": EXIT_USAGE,
    "scorecard.registry.store.StoreError": EXIT_USAGE,
    "scorecard.registry.lifecycle.RegistryError": EXIT_USAGE,
    "scorecard.errors.InvalidDataError": EXIT_BAD_DATA,
    "scorecard.data.errors.ContractError": EXIT_BAD_DATA,
    "scorecard.data.errors.TooFewRowsError": EXIT_BAD_DATA,
    "scorecard.data.chunks.StreamUnavailableError": EXIT_BAD_DATA,
    "scorecard.fit.spec_inference.SpecInferenceError": EXIT_BAD_DATA,
    "scorecard.data.records.InvalidRecordsError": EXIT_BAD_DATA,
    "api.errors.MalformedBodyError": EXIT_BAD_DATA,
    "api.errors.PayloadTooLargeError": EXIT_BAD_DATA,
    "scorecard.errors.InvalidArtifactError": EXIT_BAD_ARTIFACT,
    "scorecard.card.artifact.ArtifactError": EXIT_BAD_ARTIFACT,
    "scorecard.card.sql.SqlExportError": EXIT_BAD_ARTIFACT,
    "scorecard.registry.lifecycle.TamperedCardError": EXIT_BAD_ARTIFACT,
}
# Signals caught inside their module, never a user's mistake: outside the family on purpose.
INTERNAL = {
    "scorecard.data.arrow.FastPathUnavailableError",
    "scorecard.card.recourse._BudgetExceededError",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _exception_classes() -> dict[str, type[BaseException]]:
    """Every class of the project that is an exception, found in the source and imported."""
    found: dict[str, type[BaseException]] = {}
    for root in ("scorecard", "api", "validation"):
        for path in sorted((REPO / root).rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            names = [node.name for node in ast.walk(tree)
                     if isinstance(node, ast.ClassDef) and node.bases]
            if not any(n.endswith(("Error", "Exception")) for n in names):
                continue
            module = importlib.import_module(_module_name(path))
            for name in names:
                cls = getattr(module, name, None)
                if isinstance(cls, type) and issubclass(cls, BaseException) \
                        and cls.__module__ == module.__name__:
                    found[f"{module.__name__}.{name}"] = cls
    return found


def test_every_error_class_of_the_project_has_its_documented_exit_code() -> None:
    classes = _exception_classes()
    known = {*DOCUMENTED, *INTERNAL, "scorecard.errors.ScorecardError"}
    assert set(classes) == known, (
        "an error class is new or gone: give it its kind in scorecard.errors and its exit "
        f"code here; {sorted(set(classes) ^ known)}")
    for name, code in DOCUMENTED.items():
        cls = classes[name]
        assert issubclass(cls, ScorecardError) and issubclass(cls, ValueError), name
        error = cls.__new__(cls)
        assert describe_error(error)[0] == code, name


def test_each_kind_of_error_has_one_exit_code() -> None:
    assert describe_error(UsageError("--rows: too few"))[0] == EXIT_USAGE
    assert describe_error(InvalidDataError("age: 'forty'")) == (
        EXIT_BAD_DATA, "error: invalid input data: age: 'forty'")
    assert describe_error(InvalidArtifactError("hash mismatch")) == (
        EXIT_BAD_ARTIFACT, "error: invalid model artifact: hash mismatch")


@pytest.mark.parametrize(("kind", "code"), [("data", EXIT_BAD_DATA),
                                            ("artifact", EXIT_BAD_ARTIFACT),
                                            ("path", EXIT_USAGE)])
def test_an_unusable_path_exits_as_the_contents_of_its_file_would(kind: str, code: int) -> None:
    error = UnsafePathError("--input", "/nowhere/x.csv", "does not exist", kind)
    assert describe_error(error) == (code, "error: --input /nowhere/x.csv: does not exist")


def test_the_exit_code_follows_the_type_not_the_class_name() -> None:
    """A class renamed, moved or new keeps its kind's code; a look-alike name outside the
    family gets none."""

    class RenamedError(InvalidArtifactError):  # defined here, in a test module
        pass

    class ContractError(ValueError):  # the data error's name, but not of the family
        pass

    ContractError.__module__ = "scorecard.data.errors"
    assert describe_error(RenamedError("tampered"))[0] == EXIT_BAD_ARTIFACT
    code, message = describe_error(ContractError("age: 'forty'"))
    assert code == 1 and "unexpected failure" in message
