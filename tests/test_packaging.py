"""The distribution: every package listed, and an installed wheel finds its shipped mappings."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD_LEFTOVERS = ("build", "dist", "*.egg-info", ".venv", ".git", "__pycache__", ".revloop", "tests")


def test_every_package_folder_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(path.parent.relative_to(ROOT).parts)
        for path in (ROOT / "connector").rglob("*.py")
        if "__pycache__" not in path.parts
    }
    assert found <= listed, f"add to [tool.setuptools] packages: {sorted(found - listed)}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The wheel built from this checkout, installed (without dependencies) into a bare folder.

    Built from a copy without build artefacts: setuptools packs whatever an earlier build left in
    ``build/lib``, so modules and data moved away since would otherwise ship again.
    """
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("source") / "revloop"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*BUILD_LEFTOVERS))
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("revloop-*.whl")
    target = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert "connector/shipped_mappings/handoff/hubspot__salesforce.toml" in names
        assert "connector/state/migrations/versions/0001_initial_schema.py" in names
        assert not [name for name in names if name.endswith(".json")]  # test data (HubSpot specs) stays out
        archive.extractall(target)
    return target


def test_an_installed_wheel_finds_its_shipped_mappings_and_migrations(installed: Path):
    script = (
        "from connector.demo.sandbox_config import shipped_mappings_dir\n"
        "from connector.state.db import head_revision\n"
        "print(shipped_mappings_dir())\n"
        "print(head_revision())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=installed,
        env={"PYTHONPATH": str(installed), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    mappings, revision = result.stdout.split()
    assert Path(mappings).is_relative_to(installed)
    assert (Path(mappings) / "handoff" / "marketo__salesforce.toml").is_file()
    assert revision
