"""Execute chapter notebooks with papermill and assemble the executed copies into the book.

Commands (``python -m ibtools.pipeline --help``)::

    list                       chapter names, one per line
    execute CHAPTER --profile P  run one chapter into results/<P>/<CHAPTER>/ (skipped when current)
    site --profile P           build book/_build/html from results/<P>/
    run NB [name=value ...]    run a chapter or notebook with changed parameters into runs/

The chapter list and every chapter's profiles live in ``notebooks/chapters.yml`` (data, not code).
A chapter re-executes only when its notebook, its resolved parameters or the ``ibtools`` sources
changed: the fingerprint of those three is stored beside its results.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ibtools.results import check_results_dir, scorecard

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHAPTERS_FILE = NOTEBOOKS / "chapters.yml"
PROFILES = ("smoke", "quick", "paper")
RESERVED = ("chapter", "profile", "results_dir")
_TYPES = {
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "list": list,
    "dict": dict,
    "tuple": tuple,
}


class ChapterFailed(RuntimeError):
    """A chapter's notebook raised: the message names the chapter, the cell and the error."""


@dataclass(frozen=True)
class Chapter:
    name: str
    notebook: Path
    title: str
    part: str
    params: dict = field(default_factory=dict)
    profiles: dict = field(default_factory=dict)


def load_chapters(path: Path = CHAPTERS_FILE) -> dict[str, Chapter]:
    """Chapters in book order; top-level keys starting with ``_`` only hold YAML anchors."""
    raw = yaml.safe_load(Path(path).read_text()) or {}
    chapters = {}
    for name, entry in raw.items():
        if name.startswith("_"):
            continue
        missing = {"notebook", "title", "part", "profiles"} - set(entry)
        if missing:
            raise ValueError(f"chapter {name!r} in {path} lacks {sorted(missing)}")
        absent = set(PROFILES) - set(entry["profiles"])
        if absent:
            raise ValueError(f"chapter {name!r} in {path} lacks the profiles {sorted(absent)}")
        chapters[name] = Chapter(
            name=name,
            notebook=NOTEBOOKS / entry["notebook"],
            title=entry["title"],
            part=entry["part"],
            params=dict(entry.get("params") or {}),
            profiles={p: dict(entry["profiles"][p] or {}) for p in entry["profiles"]},
        )
    return chapters


def notebook_parameters(notebook: Path) -> dict[str, dict]:
    """The parameters cell of ``notebook``: name -> {'type': str, 'default': str, 'help': str}."""
    import papermill

    found = papermill.inspect_notebook(str(notebook))
    if not found:
        raise ValueError(f"{notebook} has no cell tagged 'parameters'")
    return {
        name: {"type": info["inferred_type_name"], "default": info["default"], "help": info["help"]}
        for name, info in found.items()
    }


def parse_assignments(assignments: list[str]) -> dict:
    """``["beta=0.05", "activation=relu"]`` -> {'beta': 0.05, 'activation': 'relu'}.

    Values are Python literals; a value that is not a literal is taken as a string.
    """
    parsed = {}
    for item in assignments:
        name, sep, text = item.partition("=")
        if not sep or not name.isidentifier():
            raise ValueError(f"parameter {item!r} is not of the form name=value")
        try:
            parsed[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            parsed[name] = text
    return parsed


def check_parameters(values: dict, declared: dict[str, dict], where: str) -> None:
    """Reject names the notebook does not declare and values of another type than the default."""
    for name, value in values.items():
        if name not in declared:
            raise ValueError(
                f"{where}: unknown parameter {name!r}; the notebook declares "
                f"{', '.join(sorted(declared))}"
            )
        type_name = declared[name]["type"].split("[")[0].strip()
        expected = _TYPES.get(type_name)
        if expected is None:
            continue
        ok = isinstance(value, expected) and not (expected is not bool and isinstance(value, bool))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            ok = True
        if not ok:
            raise ValueError(
                f"{where}: parameter {name}={value!r} is a {type(value).__name__}; "
                f"the notebook declares {name}: {type_name} = {declared[name]['default']}"
            )


def resolve_parameters(chapter: Chapter, profile: str, overrides: dict | None = None) -> dict:
    """Chapter params, then the profile's, then ``overrides``; validated against the notebook."""
    if profile not in chapter.profiles:
        raise ValueError(f"profile={profile!r} is not one of {', '.join(chapter.profiles)}")
    declared = notebook_parameters(chapter.notebook)
    values = {**chapter.params, **chapter.profiles[profile], **(overrides or {})}
    for name in RESERVED:
        if name in values:
            raise ValueError(
                f"{name!r} is set by the pipeline; do not set it in {CHAPTERS_FILE.name}"
            )
        if name not in declared:
            raise ValueError(f"{chapter.notebook.name} must declare the parameter {name!r}")
    check_parameters(values, declared, f"chapter {chapter.name} ({profile})")
    return {"chapter": chapter.name, "profile": profile, **values}


def source_fingerprint(notebook: Path, parameters: dict) -> str:
    """Hash of the notebook, its parameters and every ibtools source file."""
    digest = hashlib.sha256()
    digest.update(notebook.read_bytes())
    digest.update(json.dumps(parameters, sort_keys=True, default=str).encode())
    for source in sorted((ROOT / "ibtools").rglob("*.py")):
        digest.update(str(source.relative_to(ROOT)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def _execute_notebook(notebook: Path, output_dir: Path, parameters: dict, label: str) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    if output_dir.exists():
        shutil.rmtree(output_dir)
    output_dir.mkdir(parents=True)
    shown = output_dir.relative_to(ROOT) if output_dir.is_relative_to(ROOT) else output_dir
    parameters = {**parameters, "results_dir": str(shown)}
    started = time.perf_counter()
    try:
        papermill.execute_notebook(
            str(notebook),
            str(output_dir / "notebook.ipynb"),
            parameters=parameters,
            kernel_name="python3",
            cwd=str(ROOT),
            progress_bar=False,
        )
    except PapermillExecutionError as err:
        first_line = (err.source or "").strip().splitlines()[:1] or [""]
        raise ChapterFailed(
            f"chapter {label} failed in cell {err.cell_index} of the executed {notebook.name} "
            f"(execution count {err.exec_count}, `{first_line[0][:80]}`): {err.ename}: {err.evalue}\n"
            f"partial notebook: {output_dir / 'notebook.ipynb'}"
        ) from None
    seconds = time.perf_counter() - started
    (output_dir / "wall_time_s.txt").write_text(f"{seconds:.1f}\n")
    print(f"{label}: executed in {seconds:.1f} s -> {output_dir}", flush=True)


def execute_chapter(
    name: str, profile: str, results_root: Path | str = ROOT / "results", force: bool = False
) -> Path:
    """Execute chapter ``name`` into ``<results_root>/<profile>/<name>/`` unless it is current."""
    chapters = load_chapters()
    if name not in chapters:
        raise ValueError(f"unknown chapter {name!r}; chapters are {', '.join(chapters)}")
    chapter = chapters[name]
    parameters = resolve_parameters(chapter, profile)
    output_dir = Path(results_root).resolve() / profile / name
    fingerprint = source_fingerprint(chapter.notebook, parameters)
    stamp = output_dir / "fingerprint.txt"
    if not force and stamp.is_file() and stamp.read_text().strip() == fingerprint:
        try:
            check_results_dir(output_dir)
        except ValueError:
            pass
        else:
            print(f"{name} ({profile}): up to date", flush=True)
            return output_dir
    _execute_notebook(chapter.notebook, output_dir, parameters, f"{name} ({profile})")
    check_results_dir(output_dir)
    stamp.write_text(fingerprint + "\n")
    return output_dir


def run_custom(
    target: str, profile: str, assignments: list[str], runs_root: Path | str = ROOT / "runs"
) -> Path:
    """Run a chapter (or the first chapter of a notebook) with changed parameters into runs/."""
    chapters = load_chapters()
    chapter = chapters.get(target) or next(
        (c for c in chapters.values() if c.notebook.stem == target), None
    )
    if chapter is None:
        notebooks = sorted({c.notebook.stem for c in chapters.values()})
        raise ValueError(
            f"{target!r} is neither a chapter ({', '.join(chapters)}) "
            f"nor a notebook ({', '.join(notebooks)})"
        )
    overrides = parse_assignments(assignments)
    parameters = {**resolve_parameters(chapter, profile, overrides), "profile": "custom"}
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    output_dir = Path(runs_root).resolve() / f"{chapter.name}-{stamp}"
    _execute_notebook(chapter.notebook, output_dir, parameters, f"{chapter.name} (custom run)")
    (output_dir / "overrides.json").write_text(
        json.dumps({"base_profile": profile, "overrides": overrides}, indent=2)
    )
    return output_dir


def _toc(chapters: dict[str, Chapter]) -> dict:
    parts: dict[str, list] = {}
    for chapter in chapters.values():
        parts.setdefault(chapter.part, []).append({"file": f"chapters/{chapter.name}"})
    return {
        "format": "jb-book",
        "root": "intro",
        "parts": [
            {"caption": caption, "numbered": True, "chapters": entries}
            for caption, entries in parts.items()
        ]
        + [{"caption": "Reference", "chapters": [{"file": "benchmarks"}, {"file": "references"}]}],
    }


def markdown_table(rows: list[list], header: list[str]) -> str:
    """A GitHub-flavoured markdown table; pipes and newlines inside cells are escaped."""

    def cell(value) -> str:
        if isinstance(value, float):
            value = f"{value:.4g}"
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def benchmarks_markdown(results_dir: Path = ROOT / "benchmarks" / "results") -> str:
    """The benchmark page: every CSV that ``make bench`` wrote, as a table."""
    import pandas as pd

    parts = [
        "# Estimator benchmarks",
        "",
        "Speed and agreement of the `ibtools` estimators against reference implementations, "
        "measured in the same run (`make bench`; scripts in `benchmarks/`). Ratios above 1 mean "
        "`ibtools` is faster. The device column says where each row ran.",
    ]
    tables = sorted(Path(results_dir).glob("*.csv"))
    if not tables:
        parts += ["", "*No benchmark has been run on this checkout.*"]
    for table in tables:
        frame = pd.read_csv(table).fillna("")
        parts += [
            "",
            f"## `{table.name}`",
            "",
            markdown_table(frame.values.tolist(), list(frame.columns)),
        ]
    return "\n".join(parts) + "\n"


def scorecard_markdown(profile_dir: Path, chapters: dict[str, Chapter]) -> str:
    """The landing page's scorecard: one row per scored claim, linked to its chapter."""
    table = scorecard(profile_dir)
    if table.empty:
        return "*No chapter has been executed for this profile yet.*"
    counts = table["verdict"].value_counts()
    summary = ", ".join(
        f"{counts.get(v, 0)} {v}" for v in ("reproduced", "partly", "not reproduced")
    )
    rows = []
    for row in table.itertuples():
        title = chapters[row.chapter].title if row.chapter in chapters else row.chapter
        rows.append(
            [
                f"[{title}](chapters/{row.chapter})",
                row.claim,
                row.paper,
                row.measured,
                f"**{row.verdict}**",
            ]
        )
    header = ["chapter", "claim", "paper", "measured", "verdict"]
    return f"{len(table)} claims scored: {summary}.\n\n" + markdown_table(rows, header)


def _copy_with_title(executed: Path, target: Path, title: str) -> None:
    """Copy an executed notebook, its first heading replaced by the chapter's title.

    One notebook backs several chapters (szt.ipynb runs as tanh, ReLU, ...); the book's table of
    contents takes each page's title from its first heading, so the chapter title goes there.
    """
    import nbformat

    notebook = nbformat.read(executed, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("# "):
            lines = cell.source.lstrip().splitlines()
            cell.source = "\n".join([f"# {title}", *lines[1:]])
            break
    nbformat.write(notebook, target)


def build_site(
    profile: str,
    results_root: Path | str = ROOT / "results",
    html_dir: Path | str = ROOT / "book" / "_build" / "html",
) -> Path:
    """Assemble book sources with the executed chapters and build the HTML site.

    The site is built in a staging folder and moved to ``html_dir`` only when the build succeeds,
    so a failed build leaves the last good site in place.
    """
    chapters = load_chapters()
    profile_dir = Path(results_root).resolve() / profile
    missing = [n for n in chapters if not (profile_dir / n / "notebook.ipynb").is_file()]
    if missing:
        raise ValueError(
            f"chapters {', '.join(missing)} have not been executed for profile {profile!r}; "
            f"run `make book PROFILE={profile}`"
        )
    staging = ROOT / ".build" / profile
    if staging.exists():
        shutil.rmtree(staging)
    source = staging / "book"
    shutil.copytree(ROOT / "book", source, ignore=shutil.ignore_patterns("_build", "intro.md"))
    (source / "chapters").mkdir()
    for name, chapter in chapters.items():
        _copy_with_title(
            profile_dir / name / "notebook.ipynb",
            source / "chapters" / f"{name}.ipynb",
            chapter.title,
        )
    (source / "_toc.yml").write_text(yaml.safe_dump(_toc(chapters), sort_keys=False))
    built = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    intro = (ROOT / "book" / "intro.md").read_text()
    intro = intro.replace("{{ profile }}", profile).replace("{{ built }}", built)
    intro = intro.replace("{{ scorecard }}", scorecard_markdown(profile_dir, chapters))
    (source / "intro.md").write_text(intro)
    (source / "benchmarks.md").write_text(benchmarks_markdown())
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "jupyter-book"),
            "build",
            str(source),
            "--path-output",
            str(staging),
            "--warningiserror",
            "--keep-going",
            "--quiet",
        ],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"jupyter-book build failed (the last good site is kept):\n{result.stdout[-4000:]}\n"
            f"{result.stderr[-4000:]}"
        )
    html_dir = Path(html_dir)
    html_dir.parent.mkdir(parents=True, exist_ok=True)
    previous = html_dir.with_name(html_dir.name + ".previous")
    if previous.exists():
        shutil.rmtree(previous)
    if html_dir.exists():
        html_dir.rename(previous)
    shutil.move(str(staging / "_build" / "html"), str(html_dir))
    if previous.exists():
        shutil.rmtree(previous)
    print(f"site ({profile}) -> {html_dir / 'index.html'}", flush=True)
    return html_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ibtools.pipeline", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="chapter names, one per line")
    execute = commands.add_parser("execute", help="execute chapters into results/<profile>/")
    execute.add_argument("chapters", nargs="+")
    execute.add_argument("--profile", default="quick", choices=PROFILES)
    execute.add_argument("--force", action="store_true", help="execute even when up to date")
    site = commands.add_parser("site", help="build the book from results/<profile>/")
    site.add_argument("--profile", default="quick", choices=PROFILES)
    run = commands.add_parser("run", help="run one chapter or notebook with changed parameters")
    run.add_argument("target", help="chapter name (szt_relu) or notebook name (szt)")
    run.add_argument("assignments", nargs="*", help="name=value overrides")
    run.add_argument("--profile", default="quick", choices=PROFILES, help="base profile")
    args = parser.parse_args(argv)
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    try:
        if args.command == "list":
            print("\n".join(load_chapters()))
        elif args.command == "execute":
            for name in args.chapters:
                execute_chapter(name, args.profile, force=args.force)
        elif args.command == "site":
            build_site(args.profile)
        else:
            print(run_custom(args.target, args.profile, args.assignments))
    except (ChapterFailed, ValueError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
