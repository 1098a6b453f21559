"""Settings come from the environment; production settings pass Django's deploy checks."""

import os
import subprocess
import sys


def fanfold(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fanfold", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy(tmp_path):
    result = fanfold(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="x" * 30 + "-a-long-random-production-key-0123456789",
        HTTPS="true",
        ALLOWED_HOSTS="archive.example",
        EMAIL_URL="smtp://mail.example:587",
        FANFOLD_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_bad_value_stops_start_up_with_its_name(tmp_path):
    result = fanfold("check", DEBUG="perhaps", FANFOLD_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DEBUG must be true or false, not 'perhaps'" in result.stderr


def test_secret_key_is_generated_once_when_unset(tmp_path):
    env = {"FANFOLD_VAR_DIR": str(tmp_path), "SECRET_KEY": ""}
    assert fanfold("check", **env).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) >= 50
    assert fanfold("check", **env).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key
