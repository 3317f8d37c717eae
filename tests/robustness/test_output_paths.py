"""Output paths the system cannot name: a usage error before anything is computed, never a traceback."""

from __future__ import annotations

from tests.robustness.util import ROOT, assert_clean_failure, cli


def test_output_folder_name_over_255_bytes(tmp_path):
    out = tmp_path / ("薪" * 90)                      # 270 bytes in UTF-8
    proc = cli("month", "2013-01", "--input", str(ROOT / "sample_data" / "securities"), "--output", str(out))
    assert_clean_failure(proc, 2, "--output", "270 bytes", "at most 255")
    assert not any(tmp_path.iterdir())


def test_explain_with_an_output_folder_name_over_255_bytes(tmp_path):
    proc = cli("explain", "2013-01", "ZS001", "--output", str(tmp_path / ("a" * 300)))
    assert_clean_failure(proc, 2, "--output", "300 bytes")
