"""Every scenario file under tests/scenarios/<rulebook>/ is one test (months in, pay out)."""

from pathlib import Path

import pytest

from tests.scenario_runner import check_expectations, expect_error, load_spec, run_scenario

FILES = sorted((Path(__file__).parent / "scenarios").glob("*/*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def test_scenario(path: Path, tmp_path: Path) -> None:
    spec = load_spec(path)
    if "expect_error" in spec:
        problems = expect_error(spec, tmp_path)
    else:
        results = run_scenario(spec, tmp_path)
        problems = check_expectations(spec, results)
    assert not problems, f"{spec.get('name', path.stem)}:\n" + "\n".join(problems)
