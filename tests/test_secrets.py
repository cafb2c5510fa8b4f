"""Secrets at start-up: a service that exits says why without printing its password,
and the edge in production refuses a weak cookie key and `*` origins."""

import asyncio
import os
import subprocess
import sys
import time

import pytest

from parley_stack.nats_permissions import REQUESTS
from parley_stack.processes import PACKAGES, free_port

PASSWORD = "pw/with#all?the@chars"


async def run(module: str, env: dict[str, str], timeout_s: float = 60) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", module], env={**os.environ, **env}, capture_output=True, text=True,
        timeout=timeout_s,
    )  # fmt: skip


@pytest.mark.parametrize("name", ["auth", "edge"])
async def test_a_service_that_cannot_reach_nats_waits_then_exits_without_printing_its_password(tmp_path, name):
    (tmp_path / "secret").write_text(PASSWORD)
    prefix = f"PARLEY_{name.upper()}_"
    started = time.monotonic()
    result = await run(
        PACKAGES[name],
        {
            f"{prefix}NATS_URL": f"nats://{name}:url-{PASSWORD}@127.0.0.1:{free_port()}",  # nobody listens
            f"{prefix}NATS_USER": name,
            f"{prefix}NATS_PASSWORD_FILE": str(tmp_path / "secret"),
            f"{prefix}NATS_WAIT_S": "4",
            f"{prefix}PORT": "0",
            f"{prefix}SQLITE_PATH": str(tmp_path / "auth.sqlite3"),
        },
    )
    assert result.returncode != 0
    assert result.stderr.count("nats_unreachable") >= 2  # tried again, after a pause
    assert time.monotonic() - started < 30  # NATS_WAIT_S, not a fixed wait of its own
    assert f"{name}: cannot reach NATS at nats://***@127.0.0.1" in result.stderr
    assert PASSWORD not in result.stderr + result.stdout


async def test_the_edge_in_production_refuses_a_short_secret_and_any_origin(tmp_path):
    (tmp_path / "secret").write_text("s" * 31 + "\n")
    result = await run(
        "parley_edge",
        {
            "PARLEY_EDGE_PRODUCTION": "true",
            "PARLEY_EDGE_SESSION_SECRET_FILE": str(tmp_path / "secret"),
            "PARLEY_EDGE_ALLOWED_ORIGINS": "*",
        },
    )
    assert result.returncode != 0
    assert "SESSION_SECRET must be a random value of 32 bytes" in result.stderr
    assert "ALLOWED_ORIGINS must list the site's origins" in result.stderr
    assert "s" * 31 not in result.stderr


async def test_the_nats_passwords_step_refuses_a_short_password_naming_it_not_printing_it(tmp_path):
    passwords = {f"{name.upper()}_NATS_PASSWORD": "p" * 16 for name in REQUESTS} | {"EDGE_NATS_PASSWORD": "tiny#pw"}
    target = tmp_path / "passwords.conf"
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "parley_stack.nats_passwords", str(target)],
        env={**os.environ, **passwords}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode != 0
    assert "EDGE_NATS_PASSWORD: " in result.stderr and "16 characters or more" in result.stderr
    assert "tiny#pw" not in result.stderr + result.stdout
    assert not target.exists()
