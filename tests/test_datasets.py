"""SZT data: contents of var_u.mat, the seeded split, and clear errors for bad files."""

import numpy as np
import pytest
from scipy.io import savemat

import ibtools as ib


def test_var_u_contents():
    data = ib.load_szt()
    assert data.x.shape == (4096, 12) and data.x.dtype == np.float32
    assert data.y.shape == (4096,)
    assert len(np.unique(data.x, axis=0)) == 4096
    assert int(data.y.sum()) == 2118
    assert set(np.unique(data.x)) == {0.0, 1.0}


def test_split_is_seeded_80_20():
    train, test = ib.split_train_test(4096, seed=0)
    assert (len(train), len(test)) == (3277, 819)
    assert len(np.intersect1d(train, test)) == 0
    assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(4096))
    again, _ = ib.split_train_test(4096, seed=0)
    other, _ = ib.split_train_test(4096, seed=1)
    assert np.array_equal(train, again) and not np.array_equal(train, other)


def test_data_dir_lookup_order(tmp_path, monkeypatch):
    (tmp_path / "szt").mkdir()
    bits = ((np.arange(4096)[:, None] >> np.arange(11, -1, -1)) & 1).astype(np.uint8)
    savemat(tmp_path / "szt" / "var_u.mat", {"F": bits, "y": (bits.sum(1) > 6)[None].astype(np.uint8)})
    monkeypatch.setenv("IBTOOLS_DATA", str(tmp_path))
    assert ib.find_data_dir() == tmp_path.resolve()
    assert ib.load_szt().path == (tmp_path / "szt" / "var_u.mat").resolve()
    monkeypatch.delenv("IBTOOLS_DATA")
    assert ib.find_data_dir(tmp_path) == tmp_path.resolve()


def test_missing_folder_and_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist; pass data_dir"):
        ib.find_data_dir(tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="var_u.mat does not exist"):
        ib.load_szt(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"F": np.zeros((10, 12), np.uint8), "y": np.zeros((1, 10), np.uint8)}, "expected \\(4096, 12\\)"),
        ({"F": np.zeros((4096, 12), np.uint8)}, "lacks the variables \\['y'\\]"),
        ({"F": np.zeros((4096, 12), np.uint8), "y": np.zeros((1, 4096), np.uint8)}, "1 distinct rows"),
        ({"F": np.full((4096, 12), 2, np.uint8), "y": np.zeros((1, 4096), np.uint8)}, "only 0 and 1"),
        ({"F": np.zeros((4096, 12), np.uint8), "y": np.zeros((1, 5), np.uint8)}, "y has 5 entries"),
    ],
)
def test_malformed_file(tmp_path, content, message):
    (tmp_path / "szt").mkdir()
    savemat(tmp_path / "szt" / "var_u.mat", content)
    with pytest.raises(ValueError, match=message):
        ib.load_szt(tmp_path)


def test_not_a_mat_file(tmp_path):
    (tmp_path / "szt").mkdir()
    (tmp_path / "szt" / "var_u.mat").write_bytes(b"this is not a MATLAB file at all" * 10)
    with pytest.raises(ValueError, match="is not a readable MATLAB file"):
        ib.load_szt(tmp_path)


def test_split_bad_input():
    with pytest.raises(ValueError, match="test_fraction=1.0 is out of range"):
        ib.split_train_test(10, test_fraction=1.0)
    with pytest.raises(ValueError, match="n_samples=1 is out of range"):
        ib.split_train_test(1)
