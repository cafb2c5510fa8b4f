"""The browser half, run from pytest: @parley/client's unit tests, the client from Node
against a real stack, and the web app in Debian's Chromium (Playwright) against a real
stack. The stack is the embedded one `make up` runs (`python -m parley_stack`, every
service and the assistant), on free ports in a scratch folder, serving the built app.

`make test` installs the npm packages, builds the app and installs Chromium first
(`make web chromium`); without them these tests fail and say so."""

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from parley_stack.processes import detached_child, free_port

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
BUILD = WEB / "app" / "dist"
ARTIFACTS = ROOT / ".parley" / "web-tests"
CHROMIUM = "/usr/bin/chromium"
NODE_TIMEOUT_S = 300


def _require_built() -> None:
    if not (WEB / "node_modules").is_dir() or not (BUILD / "index.html").is_file():
        pytest.fail("the web workspace is not installed and built: run `make web`", pytrace=False)


def _node(*args: str, env: dict[str, str] | None = None) -> None:
    """Runs a node test command in web/; its output is shown when it fails."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed", pytrace=False)
    done = subprocess.run(
        [node, *args], cwd=WEB, env={**os.environ, "PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1", **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=NODE_TIMEOUT_S, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    print(done.stdout)
    if done.returncode != 0:
        pytest.fail(f"`node {' '.join(args)}` failed ({done.returncode}):\n{done.stdout[-6000:]}", pytrace=False)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as answer:
            return answer.status == 200
    except OSError:
        return False


@pytest.fixture(scope="module")
def web_stack(tmp_path_factory):
    """The embedded stack serving the built app: its base URL and data folder. A killed
    edge is restarted by the launcher after 2 s, as under `make up`. One stack serves this
    module's tests (each makes its own users and workspace); starting it is most of their time."""
    _require_built()
    tmp_path = tmp_path_factory.mktemp("web")
    data = tmp_path / "stack"
    port = free_port()
    env = {
        **os.environ,
        "PARLEY_DATA_DIR": str(data),
        "PARLEY_PORT": str(port),
        "PARLEY_NATS_PORT": str(free_port()),
        "PARLEY_RESTART_BACKOFF_S": "2",
        "PARLEY_EDGE_WORKERS": "1",  # an edge is one process, so that kill -9 is a crash with sockets open
        # The pages post, react and edit faster than a person: on a quick machine ten in a few
        # seconds, past the default 5 per 5 s (the limit has tests of its own in test_ws_chat).
        "PARLEY_EDGE_SENDS_PER_5S": "50",
        "PARLEY_EDGE_WEB_DIR": str(BUILD),
    }
    log = (tmp_path / "stack.log").open("wb")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "parley_stack"], env=env, stdout=log, stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL, preexec_fn=detached_child,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while not ((data / "stack.pids").is_file() and _ready(f"{base_url}/readyz")):
            if launcher.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the stack did not start:\n{(tmp_path / 'stack.log').read_text()[-4000:]}", pytrace=False)
            time.sleep(0.1)
        yield {"PARLEY_WEB_URL": base_url, "PARLEY_STACK_DIR": str(data), "PARLEY_WEB_ARTIFACTS": str(ARTIFACTS)}
    finally:
        launcher.send_signal(signal.SIGINT)
        try:
            launcher.wait(60)
        except subprocess.TimeoutExpired:
            launcher.kill()
            launcher.wait()
        log.close()


def test_client_and_hooks_unit_tests():
    """The client (reconnect, backoff, outbox, resume, reload) and the hooks' stores, with
    a fake socket and clock."""
    _require_built()
    compiled = [WEB / "packages/client/dist/test", WEB / "packages/react/dist/test"]
    tests = sorted(str(path.relative_to(WEB)) for folder in compiled for path in folder.glob("*.test.js"))
    assert len(tests) >= 6, tests
    _node("--test", *tests)


def test_client_against_a_real_stack(web_stack):
    _node("--experimental-websocket", "--test", "--test-concurrency=1", "tests/stack.test.mjs", env=web_stack)


def test_web_app_in_chromium(web_stack):
    """Two people in two browser contexts; a failing scenario leaves screenshots in
    `.parley/web-tests/`."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)", pytrace=False)
    _node("--test", "--test-concurrency=1", "tests/browser.test.mjs", env=web_stack)
