"""Fixtures of the robustness suite: LibreOffice (headless) to make input files the way clerks do.
(shared_cache, like every fixture the whole suite shares, is in tests/conftest.py.)"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


class LibreOffice:
    """`soffice --headless --convert-to` with a private profile (several instances may run at once)."""

    def __init__(self, exe: str, work: Path):
        self.exe, self.work = exe, work
        self.profile = (work / "profile").as_uri()

    def convert(self, sources: list[Path], fmt: str, outdir: Path, infilter: str | None = None) -> dict[str, Path]:
        """Convert every source to `fmt` (xlsx, xls, ods) in one soffice call; {source name: result}."""
        outdir.mkdir(parents=True, exist_ok=True)
        cmd = [self.exe, "--headless", "--norestore", f"-env:UserInstallation={self.profile}",
               "--convert-to", fmt, "--outdir", str(outdir)]
        if infilter:
            cmd.append(f"--infilter={infilter}")
        env = dict(os.environ, HOME=str(self.work), SAL_USE_VCLPLUGIN="svp")
        proc = subprocess.run(cmd + [str(s) for s in sources], capture_output=True, text=True, timeout=300,
                              env=env)
        out = {}
        for s in sources:
            target = outdir / f"{s.stem}.{fmt}"
            assert target.exists(), f"LibreOffice did not convert {s.name}:\n{proc.stdout}\n{proc.stderr}"
            out[s.name] = target
        return out


@pytest.fixture(scope="session")
def libreoffice(tmp_path_factory) -> LibreOffice:
    exe = soffice()
    if exe is None:
        pytest.skip("LibreOffice (soffice) is not installed: `make system-deps` installs libreoffice-calc-nogui")
    return LibreOffice(exe, tmp_path_factory.mktemp("libreoffice"))
