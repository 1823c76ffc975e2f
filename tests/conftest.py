"""Shared fixtures: the smoke execution of every chapter, run once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def smoke_results(tmp_path_factory) -> Path:
    """Execute every chapter in the smoke profile through the pipeline that `make book` uses.

    Returns the results root; chapter results are in ``<root>/smoke/<chapter>/``. A chapter that
    fails raises :class:`ibtools.pipeline.ChapterFailed` naming the chapter, cell and error.
    """
    from ibtools import pipeline

    root = tmp_path_factory.mktemp("results")
    for name in pipeline.load_chapters():
        pipeline.execute_chapter(name, "smoke", results_root=root)
    return root
