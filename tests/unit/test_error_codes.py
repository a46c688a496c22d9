"""One set of error codes: the API package's enum, the SDK's codes, the CLI's tree, the docs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from nexus_emulator import errors as emu

from nexus.ai.agents import _server
from nexus.ai.client import _errors as sdk
from nexus_api.errors import API_CODES, ErrorCode, error_body
from nexus_cli import errors as cli

ROOT = Path(__file__).resolve().parents[2]


def test_importing_the_codes_loads_no_pydantic() -> None:
    code = "import sys, nexus_api.errors, nexus_cli.errors; print('pydantic' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_sdk_knows_the_codes_the_api_answers() -> None:
    assert {str(c) for c in API_CODES} == sdk.CODES
    assert _server._agent_error(ValueError("x"))["code"] == ErrorCode.AGENT_ERROR
    for status in (400, 401, 403, 404, 405, 500, 502, 503):
        assert sdk.from_response(status, b"not json").code in sdk.CODES


def test_docs_list_exactly_the_codes_the_api_answers() -> None:
    text = (ROOT / "docs" / "api.md").read_text()
    rows = re.findall(r"^\| `([a-z_]+)` \| ([^|]+?) \| ([^|]+?) \|$", text, flags=re.M)
    assert {code: (status, when) for code, status, when in rows} == {
        str(code): entry for code, entry in API_CODES.items()
    }
    client_side = set(ErrorCode) - set(API_CODES)
    assert {code for code in client_side if f"`{code}`" not in text} == set()


def test_every_code_has_one_cli_class() -> None:
    assert set(cli.BY_CODE) == set(ErrorCode)
    for code, cls in cli.BY_CODE.items():
        assert cls.code is code
    for code in ErrorCode:
        wire = error_body(code, "it went wrong", "try this", ["a detail"])["error"]
        rebuilt = cli.from_dict(dict(wire))
        assert type(rebuilt) is cli.BY_CODE[code]
        assert (rebuilt.code, rebuilt.message, rebuilt.hint) == (code, "it went wrong", "try this")
        assert rebuilt.details == ["a detail"]


def test_an_unknown_code_is_a_failure_that_keeps_the_code() -> None:
    err = cli.from_dict({"code": "quota_exceeded", "message": "too many"})
    assert type(err) is cli.OperationFailed
    assert err.code is ErrorCode.FAILED
    assert err.details == ["error code: quota_exceeded"]
    assert err.exit_code == cli.EXIT_FAILED


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, ErrorCode.USAGE),
        (401, ErrorCode.UNAUTHORIZED),
        (403, ErrorCode.FORBIDDEN),
        (404, ErrorCode.NOT_FOUND),
        (405, ErrorCode.USAGE),
        (500, ErrorCode.FAILED),
        (503, ErrorCode.UNAVAILABLE),
    ],
)
def test_the_emulator_answers_bare_statuses_with_api_codes(status: int, code: ErrorCode) -> None:
    err = emu.from_status(status, "text")
    assert (err.status, err.code) == (status, code)
    assert code in API_CODES
    assert err.body() == {
        "error": {"code": str(code), "message": "text", "hint": err.hint, "details": []}
    }
