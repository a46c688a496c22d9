"""Where no OS keyring can work, keyring's backend discovery is not paid for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nexus.admin_credential import could_have_keyring

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux's rule")


@linux_only
def test_linux_without_a_session_bus_backend_or_config_has_none(tmp_path: Path) -> None:
    assert not could_have_keyring({"XDG_CONFIG_HOME": str(tmp_path)})


@linux_only
def test_each_way_a_keyring_can_work_on_linux_is_asked(tmp_path: Path) -> None:
    bare = {"XDG_CONFIG_HOME": str(tmp_path)}
    assert could_have_keyring({**bare, "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/0/bus"})
    assert could_have_keyring({**bare, "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.X"})
    config = tmp_path / "python_keyring" / "keyringrc.cfg"
    config.parent.mkdir()
    config.write_text("[backend]\ndefault-keyring=keyrings.alt.file.PlaintextKeyring\n")
    assert could_have_keyring(bare)


@linux_only
def test_the_token_goes_to_the_file_without_importing_keyring(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    env.update(NEXUS_KEYRING="on", NEXUS_HOME=str(tmp_path / "home"))
    code = (
        "import sys; from pathlib import Path;"
        "from nexus.admin_credential import ensure_admin_token;"
        "token, where = ensure_admin_token(Path(sys.argv[1]));"
        "print(where, 'keyring' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "home")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [str(tmp_path / "home" / "token"), "False"]
