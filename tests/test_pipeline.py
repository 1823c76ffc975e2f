"""The chapter pipeline: chapters.yml, parameter validation, up-to-date detection."""

from __future__ import annotations

import json

import pytest

from ibtools import pipeline


def test_every_chapter_has_three_valid_profiles():
    chapters = pipeline.load_chapters()
    assert "single_neuron" in chapters
    for chapter in chapters.values():
        assert chapter.notebook.is_file(), chapter.notebook
        for profile in pipeline.PROFILES:
            params = pipeline.resolve_parameters(chapter, profile)
            assert params["profile"] == profile and params["chapter"] == chapter.name


def test_notebooks_are_committed_without_outputs():
    for chapter in pipeline.load_chapters().values():
        cells = json.loads(chapter.notebook.read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        assert all(not c["outputs"] and c["execution_count"] is None for c in code), chapter.name
        tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1, f"{chapter.notebook.name} needs exactly one parameters cell"


def test_parse_assignments_reads_literals_and_strings():
    parsed = pipeline.parse_assignments(
        ["beta=0.05", "epochs=20000", "activation=relu", "x=[1, 2]"]
    )
    assert parsed == {"beta": 0.05, "epochs": 20000, "activation": "relu", "x": [1, 2]}
    with pytest.raises(ValueError, match="name=value"):
        pipeline.parse_assignments(["beta"])


def test_unknown_parameter_is_rejected_before_running():
    chapter = pipeline.load_chapters()["single_neuron"]
    with pytest.raises(ValueError, match="unknown parameter 'betta'"):
        pipeline.resolve_parameters(chapter, "smoke", {"betta": 0.1})


@pytest.mark.parametrize(
    ("name", "value"), [("epochs", 2.5), ("epochs", "many"), ("beta", "small"), ("epochs", True)]
)
def test_wrong_type_is_rejected_before_running(name, value):
    chapter = pipeline.load_chapters()["single_neuron"]
    with pytest.raises(ValueError, match=f"parameter {name}="):
        pipeline.resolve_parameters(chapter, "smoke", {name: value})


def test_int_is_accepted_for_a_float_parameter():
    chapter = pipeline.load_chapters()["single_neuron"]
    assert pipeline.resolve_parameters(chapter, "smoke", {"beta": 1})["beta"] == 1


def test_pipeline_sets_the_reserved_parameters():
    chapter = pipeline.load_chapters()["single_neuron"]
    with pytest.raises(ValueError, match="set by the pipeline"):
        pipeline.resolve_parameters(chapter, "smoke", {"profile": "paper"})


def test_unknown_profile_and_chapter_are_rejected(tmp_path):
    chapter = pipeline.load_chapters()["single_neuron"]
    with pytest.raises(ValueError, match="profile='huge'"):
        pipeline.resolve_parameters(chapter, "huge")
    with pytest.raises(ValueError, match="unknown chapter"):
        pipeline.execute_chapter("no_such_chapter", "smoke", results_root=tmp_path)
    with pytest.raises(ValueError, match="neither a chapter"):
        pipeline.run_custom("no_such_notebook", "smoke", [], runs_root=tmp_path)


def test_fingerprint_changes_with_parameters():
    chapter = pipeline.load_chapters()["single_neuron"]
    a = pipeline.source_fingerprint(chapter.notebook, {"beta": 0.01})
    b = pipeline.source_fingerprint(chapter.notebook, {"beta": 0.02})
    assert a != b
    assert a == pipeline.source_fingerprint(chapter.notebook, {"beta": 0.01})


def test_broken_chapters_file_is_reported(tmp_path):
    bad = tmp_path / "chapters.yml"
    bad.write_text("x:\n  notebook: x.ipynb\n  title: X\n  part: P\n  profiles: {smoke: {}}\n")
    with pytest.raises(ValueError, match="lacks the profiles"):
        pipeline.load_chapters(bad)
