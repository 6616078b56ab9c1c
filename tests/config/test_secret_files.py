"""The secret-file rule: never writable by others; owned by root or the user revloop runs as unless on a
read-only mount; readable by others only where Docker and Kubernetes put secrets (a read-only mount, or
/run/secrets, /var/run/secrets, /etc/secrets). The tests hold as root and as an ordinary user: ownership
is changed with chown where the test runs as root, and by pretending to be another user where not."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from connector import settings
from connector.errors import ConfigError
from connector.settings import read_file_secret

VALUE = "secret-file-value-0042"


@pytest.fixture
def secret(tmp_path: Path):
    """``secret(mode, folder="plain")``: a secret file with that mode in a folder of ``tmp_path``."""

    def write(mode: int, folder: str = "plain") -> Path:
        path = tmp_path / folder / "token"
        path.parent.mkdir(exist_ok=True)
        path.write_text(VALUE + "\n")
        path.chmod(mode)
        return path

    return write


@pytest.fixture
def secret_mount(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A folder of ``tmp_path`` counted as a secret directory, like /run/secrets."""
    (tmp_path / "run-secrets").mkdir()
    monkeypatch.setattr(
        settings, "SECRET_DIRECTORIES", (*settings.SECRET_DIRECTORIES, tmp_path / "run-secrets")
    )
    return "run-secrets"


@pytest.fixture
def read_only_mount(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """Files in ``tmp_path/ro`` look as if they were on a read-only mount (statvfs reports ST_RDONLY)."""
    real = os.statvfs
    folder = tmp_path / "ro"

    def statvfs(path):
        if Path(path).resolve().is_relative_to(folder):
            return SimpleNamespace(f_flag=real(path).f_flag | os.ST_RDONLY)
        return real(path)

    monkeypatch.setattr(os, "statvfs", statvfs)
    return "ro"


def owned_by_someone_else(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``path`` belong to an unprivileged user other than the one reading it."""
    if os.geteuid() == 0:
        os.chown(path, 4242, -1)
    else:  # the file is ours: pretend to be someone else (never root: geteuid() + 1 > 0)
        euid = os.geteuid()
        monkeypatch.setattr(os, "geteuid", lambda: euid + 1)


def test_a_file_only_its_owner_can_read_is_read(secret) -> None:
    assert read_file_secret(secret(0o600)) == VALUE
    assert read_file_secret(secret(0o400)) == VALUE


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o444, 0o440])
def test_a_file_others_can_read_is_refused_outside_secret_mounts(secret, mode: int) -> None:
    with pytest.raises(ConfigError) as raised:
        read_file_secret(secret(mode))

    message = str(raised.value)
    assert f"readable by other users (mode {mode:04o})" in message
    assert "chmod 600" in message and "/run/secrets" in message and "read-only" in message
    assert VALUE not in message


@pytest.mark.parametrize("mode", [0o444, 0o644, 0o440, 0o640])
def test_docker_and_kubernetes_secret_modes_are_accepted_under_secret_directories(
    secret, secret_mount, mode: int
) -> None:
    """Docker secrets are 0444, Kubernetes secret volumes 0644 (0440 / 0640 with fsGroup)."""
    assert read_file_secret(secret(mode, secret_mount)) == VALUE


@pytest.mark.parametrize("mode", [0o444, 0o644, 0o440])
def test_others_may_read_a_file_on_a_read_only_mount(secret, read_only_mount, mode: int) -> None:
    assert read_file_secret(secret(mode, read_only_mount)) == VALUE


@pytest.mark.parametrize("mode", [0o660, 0o606, 0o622, 0o666, 0o620])
@pytest.mark.parametrize("where", ["plain", "mount", "read_only"])
def test_a_file_others_can_write_is_always_refused(
    secret, secret_mount, read_only_mount, mode, where
) -> None:
    folder = {"plain": "plain", "mount": secret_mount, "read_only": read_only_mount}[where]

    with pytest.raises(ConfigError, match=rf"writable by other users \(mode {mode:04o}\).*chmod 600"):
        read_file_secret(secret(mode, folder))


@pytest.mark.parametrize("folder", ["plain", "mount"])
def test_a_file_of_another_unprivileged_user_is_refused(secret, secret_mount, monkeypatch, folder) -> None:
    path = secret(0o600 if folder == "plain" else 0o444, secret_mount if folder == "mount" else folder)
    owned_by_someone_else(path, monkeypatch)

    with pytest.raises(ConfigError, match=r"belongs to uid \d+, neither root nor the user revloop runs as"):
        read_file_secret(path)


def test_on_a_read_only_mount_the_owner_does_not_matter(secret, read_only_mount, monkeypatch) -> None:
    """Nobody can change a file on a read-only mount (a Compose secret keeps its host owner)."""
    path = secret(0o444, read_only_mount)
    owned_by_someone_else(path, monkeypatch)

    assert read_file_secret(path) == VALUE


def test_a_root_owned_file_is_accepted_whoever_reads_it(secret, monkeypatch) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs a file owned by root: this test runs as an ordinary user")
    path = secret(0o600)
    monkeypatch.setattr(os, "geteuid", lambda: 4242)  # revloop running as an unprivileged user

    assert read_file_secret(path) == VALUE


def test_a_symlink_into_a_secret_directory_is_judged_where_it_leads(secret, secret_mount, tmp_path) -> None:
    """Kubernetes links each key to ..data/<key>; a link from a secret directory to elsewhere is not one."""
    outside = secret(0o644)
    link = tmp_path / secret_mount / "linked"
    link.symlink_to(outside)
    inside = secret(0o644, secret_mount)
    kubernetes_style = tmp_path / secret_mount / "key"
    kubernetes_style.symlink_to(inside)

    assert read_file_secret(kubernetes_style) == VALUE
    with pytest.raises(ConfigError, match="readable by other users"):
        read_file_secret(link)


def test_the_default_secret_directories() -> None:
    assert [str(d) for d in settings.SECRET_DIRECTORIES] == [
        "/run/secrets",
        "/var/run/secrets",
        "/etc/secrets",
    ]
