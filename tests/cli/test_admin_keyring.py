"""The CLI's admin credential: in the OS keyring when one works, else a 0600 file said once.

The emulator and the CLI run as real processes; the keyring is the test backend of
keyring_support.py, chosen through keyring's own PYTHON_KEYRING_BACKEND.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from nexus.admin_credential import KEYRING_SERVICE
from tests.cli.cli_support import Platform
from tests.cli.keyring_support import BACKEND

REPO = Path(__file__).resolve().parents[2]


def _with_keyring(offline: Platform, tmp_path: Path) -> Path:
    ring = tmp_path / "keyring.json"
    offline.env.update(
        NEXUS_KEYRING="on",
        PYTHON_KEYRING_BACKEND=BACKEND,
        NEXUS_TEST_KEYRING_FILE=str(ring),
        PYTHONPATH=str(REPO),
    )
    return ring


def _agents(offline: Platform, token: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{offline.emulator.port}/v1/agents",
        headers={"Authorization": f"Bearer {token}"},
    )
    with urllib.request.urlopen(request, timeout=10) as reply:
        return int(reply.status)


def test_the_admin_token_lives_in_the_keyring(offline: Platform, tmp_path: Path) -> None:
    ring = _with_keyring(offline, tmp_path)
    home = offline.emulator.home
    start = offline("ai", "emulator", "start")
    try:
        assert start.code == 0, start.out
        assert "No OS keyring" not in start.stderr
        assert not (home / "token").exists()
        stored = json.loads(ring.read_text())
        token = stored[f"{KEYRING_SERVICE}\0admin-token:{home.resolve()}"]
        listed = offline("ai", "agent", "list")  # the CLI finds it in the keyring
        assert listed.code == 0, listed.out
        printed = offline("ai", "emulator", "token")
        assert printed.code == 0, printed.out
        assert printed.stdout.strip() == token
        assert _agents(offline, token) == 200
    finally:
        offline("ai", "emulator", "stop")
    reset = offline("ai", "emulator", "reset", "--yes", "--json")
    assert reset.code == 0, reset.out
    assert "token (OS keyring)" in json.loads(reset.stdout)["removed"]
    assert json.loads(ring.read_text()) == {}


def test_a_token_file_moves_into_the_keyring(offline: Platform, tmp_path: Path) -> None:
    home = offline.emulator.home
    first = offline("ai", "emulator", "start")  # the suite's keyring is off: a file
    offline("ai", "emulator", "stop")
    assert first.code == 0, first.out
    token = (home / "token").read_text().strip()
    ring = _with_keyring(offline, tmp_path)
    again = offline("ai", "emulator", "start")
    try:
        assert again.code == 0, again.out
        assert not (home / "token").exists()
        assert token in json.loads(ring.read_text()).values()  # the same credential
        assert offline("ai", "emulator", "token").stdout.strip() == token
    finally:
        offline("ai", "emulator", "stop")


def test_without_a_keyring_the_file_is_said_once(offline: Platform) -> None:
    home = offline.emulator.home
    first = offline("ai", "emulator", "start")
    try:
        assert first.code == 0, first.out
        assert f"No OS keyring here: the admin token is in {home / 'token'} (0600)" in first.stderr
        assert (home / "token").stat().st_mode & 0o777 == 0o600
    finally:
        offline("ai", "emulator", "stop")
    second = offline("ai", "emulator", "start")
    try:
        assert second.code == 0, second.out
        assert "No OS keyring" not in second.stderr
    finally:
        offline("ai", "emulator", "stop")
    (home / "token").unlink()
    missing = offline("ai", "emulator", "token")
    assert missing.code == 1, missing.out
    assert "no emulator token" in missing.stderr
