"""The results contract every chapter writes: metrics.csv, claims.json, params.json, figures.

A chapter notebook opens a :class:`ChapterRun`, records measurements and scored claims on it,
saves figures through it, and calls :meth:`ChapterRun.finish`. :func:`check_results_dir`
verifies a finished directory; :func:`scorecard` gathers the claims of every chapter.
"""

from __future__ import annotations

import json
import math
import platform
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pandas as pd

VERDICTS = ("reproduced", "partly", "not reproduced")
_PACKAGES = ("ibtools", "torch", "numpy", "scipy", "pandas", "matplotlib", "seaborn", "papermill")


def package_versions() -> dict[str, str]:
    """Versions of the packages that shape the numbers, plus Python's."""
    versions = {"python": sys.version.split()[0], "platform": platform.platform()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def verdict_from_checks(checks: list[bool]) -> str:
    """``reproduced`` when every check holds, ``not reproduced`` when none does, else ``partly``."""
    if not checks:
        raise ValueError("verdict_from_checks needs at least one check")
    n_true = sum(bool(c) for c in checks)
    if n_true == len(checks):
        return "reproduced"
    return "not reproduced" if n_true == 0 else "partly"


@dataclass
class ChapterRun:
    """Collects one chapter execution's measurements, claims and figures.

    Parameters
    ----------
    results_dir : str or Path
        Where the files go, by convention ``results/<profile>/<chapter>/``.
    chapter : str
        Chapter name (``single_neuron``, ``szt_tanh``, ...).
    profile : str
        Parameter profile (``smoke``, ``quick``, ``paper`` or ``custom``).
    params : dict
        The notebook's parameters exactly as used; must contain ``seed``.
    device : str
        The device the computation ran on.
    """

    results_dir: str | Path
    chapter: str
    profile: str
    params: dict
    device: str = "cpu"
    _rows: list[dict] = field(default_factory=list, repr=False)
    _claims: list[dict] = field(default_factory=list, repr=False)
    _figures: list[str] = field(default_factory=list, repr=False)

    def __post_init__(self):
        if "seed" not in self.params:
            raise ValueError("params must contain 'seed' so the run can be reproduced")
        self.results_dir = Path(self.results_dir)
        self.results_dir.mkdir(parents=True, exist_ok=True)
        self.device = str(self.device)
        self._write_params()

    def record(self, quantity: str, value, **ids) -> None:
        """Record one measurement; ``ids`` are its identifiers (epoch=..., layer=...)."""
        value = None if value is None else float(value)
        self._rows.append({"quantity": quantity, "value": value, **ids})

    def record_frame(self, frame: pd.DataFrame) -> None:
        """Record many measurements from a long-format frame with ``quantity`` and ``value``."""
        missing = {"quantity", "value"} - set(frame.columns)
        if missing:
            raise ValueError(f"frame lacks the columns {sorted(missing)}")
        self._rows.extend(frame.to_dict("records"))

    def claim(self, claim: str, paper: str, measured: str, verdict: str) -> dict:
        """Record a scored claim; ``verdict`` must be computed from the measurement."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict={verdict!r}; choose one of {VERDICTS}")
        entry = {"claim": claim, "paper": paper, "measured": measured, "verdict": verdict}
        self._claims.append(entry)
        return entry

    def savefig(self, fig, name: str, svg: bool = False) -> Path:
        """Save a matplotlib figure as ``<name>.png`` (and SVG) in the results directory."""
        path = self.results_dir / f"{name}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        if svg:
            fig.savefig(path.with_suffix(".svg"), bbox_inches="tight")
        self._figures.append(path.name)
        return path

    def metrics(self) -> pd.DataFrame:
        """The measurements so far as a tidy frame."""
        return pd.DataFrame(self._rows)

    def claims(self) -> pd.DataFrame:
        return pd.DataFrame(self._claims, columns=["claim", "paper", "measured", "verdict"])

    def finish(self) -> Path:
        """Write metrics.csv, claims.json and params.json; return the results directory."""
        if not self._rows:
            raise ValueError("no measurements were recorded; call record() before finish()")
        if not self._claims:
            raise ValueError("no claims were scored; call claim() before finish()")
        self.metrics().to_csv(self.results_dir / "metrics.csv", index=False)
        (self.results_dir / "claims.json").write_text(json.dumps(self._claims, indent=2))
        self._write_params()
        return self.results_dir

    def _write_params(self) -> None:
        record = {
            "chapter": self.chapter,
            "profile": self.profile,
            "seed": self.params["seed"],
            "device": self.device,
            "params": self.params,
            "figures": self._figures,
            "versions": package_versions(),
        }
        (self.results_dir / "params.json").write_text(json.dumps(record, indent=2, default=str))


def check_results_dir(path: str | Path) -> None:
    """Raise ``ValueError`` naming the first way ``path`` breaks the results contract."""
    path = Path(path)
    for name in ("metrics.csv", "claims.json", "params.json"):
        if not (path / name).is_file():
            raise ValueError(f"{path} lacks {name}")
    metrics = pd.read_csv(path / "metrics.csv")
    for column in ("quantity", "value"):
        if column not in metrics.columns:
            raise ValueError(f"{path / 'metrics.csv'} lacks the column {column!r}")
    if metrics.empty:
        raise ValueError(f"{path / 'metrics.csv'} has no rows")
    claims = json.loads((path / "claims.json").read_text())
    if not isinstance(claims, list) or not claims:
        raise ValueError(f"{path / 'claims.json'} must be a non-empty list")
    for entry in claims:
        if set(entry) != {"claim", "paper", "measured", "verdict"}:
            raise ValueError(
                f"claim entry has keys {sorted(entry)}; expected claim, paper, measured, verdict"
            )
        if entry["verdict"] not in VERDICTS:
            raise ValueError(f"verdict {entry['verdict']!r} is not one of {VERDICTS}")
    params = json.loads((path / "params.json").read_text())
    for key in ("chapter", "profile", "seed", "device", "params", "versions"):
        if key not in params:
            raise ValueError(f"{path / 'params.json'} lacks {key!r}")
    for figure in params.get("figures", []):
        if not (path / figure).is_file():
            raise ValueError(f"{path} lists figure {figure} but the file is missing")
    if not list(path.glob("*.png")):
        raise ValueError(f"{path} has no PNG figure")


def scorecard(profile_dir: str | Path) -> pd.DataFrame:
    """Every chapter's claims under ``results/<profile>/`` as one frame, chapter first."""
    frames = []
    for claims_file in sorted(Path(profile_dir).glob("*/claims.json")):
        frame = pd.DataFrame(json.loads(claims_file.read_text()))
        frame.insert(0, "chapter", claims_file.parent.name)
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["chapter", "claim", "paper", "measured", "verdict"])
    return pd.concat(frames, ignore_index=True)


def format_value(value: float, digits: int = 3) -> str:
    """A number for a ``measured`` string; NaN reads as 'failed'."""
    return "failed" if value is None or math.isnan(value) else f"{value:.{digits}f}"
