"""Secrets at start-up: a service that exits says why without printing its password,
and the edge in production refuses a weak cookie key and `*` origins."""

import asyncio
import os
import subprocess
import sys

from parley_stack.nats_permissions import REQUESTS
from parley_stack.processes import free_port

PASSWORD = "pw/with#all?the@chars"


async def run(module: str, env: dict[str, str], timeout_s: float = 60) -> subprocess.CompletedProcess:
    return await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", module], env={**os.environ, **env}, capture_output=True, text=True,
        timeout=timeout_s,
    )  # fmt: skip


async def test_a_service_that_cannot_reach_nats_exits_without_printing_its_password(tmp_path):
    (tmp_path / "secret").write_text(PASSWORD)
    result = await run(
        "parley_auth",
        {
            "PARLEY_AUTH_NATS_URL": f"nats://auth:url-{PASSWORD}@127.0.0.1:{free_port()}",  # nobody listens
            "PARLEY_AUTH_NATS_USER": "auth",
            "PARLEY_AUTH_NATS_PASSWORD_FILE": str(tmp_path / "secret"),
            "PARLEY_AUTH_SQLITE_PATH": str(tmp_path / "auth.sqlite3"),
        },
    )
    assert result.returncode != 0
    assert "auth: cannot reach NATS at nats://***@127.0.0.1" in result.stderr
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
