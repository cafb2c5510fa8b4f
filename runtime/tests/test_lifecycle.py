"""A service drains on SIGTERM: an in-flight request is still answered, then it exits 0.
One whose readiness stays false exits on its own when told to, for a restart policy."""

import asyncio
import signal
import sys
import textwrap

from parley_contracts import auth, subjects
from parley_runtime.bus import Bus
from parley_testkit.nats_server import EphemeralNats

SERVICE = textwrap.dedent(
    """
    import asyncio, sys
    from parley_contracts import auth, subjects
    from parley_contracts.replies import Empty
    from parley_runtime.lifecycle import Started, run_service
    from parley_runtime.settings import ServiceSettings

    async def startup(bus):
        async def slow_logout(request):
            print("handling", flush=True)
            await asyncio.sleep(1.0)  # the work a SIGTERM must not cut short
            return Empty()
        await bus.serve(subjects.AUTH_LOGOUT, slow_logout)
        print("ready", flush=True)
        return Started()

    run_service("probe", ServiceSettings(nats_url=sys.argv[1], nats_wait_s=float(sys.argv[2])), startup)
    """
)


async def test_sigterm_drains_in_flight_requests(nats_url):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SERVICE, nats_url, "10", stdout=asyncio.subprocess.PIPE
    )
    assert await asyncio.wait_for(proc.stdout.readline(), 20) == b"ready\n"
    client = await Bus.connect(nats_url, "client")
    reply = asyncio.create_task(client.request(subjects.AUTH_LOGOUT, auth.LogOut(session_token="t" * 32)))
    assert await asyncio.wait_for(proc.stdout.readline(), 5) == b"handling\n"
    proc.send_signal(signal.SIGTERM)
    await asyncio.wait_for(reply, 5)
    assert await asyncio.wait_for(proc.wait(), 10) == 0
    await client.nc.close()


async def test_unreachable_nats_exits_nonzero_with_one_line_reason():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SERVICE, "nats://127.0.0.1:1", "3", stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode != 0
    assert b"cannot reach NATS at nats://127.0.0.1:1" in err.splitlines()[-1]


async def test_a_service_waits_for_nats_that_comes_late(tmp_path):
    late = EphemeralNats(tmp_path / "js")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SERVICE, late.url, "60", stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        while b"nats_unreachable" not in await asyncio.wait_for(proc.stderr.readline(), 30):
            pass
        await asyncio.to_thread(late.start)
        assert await asyncio.wait_for(proc.stdout.readline(), 60) == b"ready\n"
    finally:
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.wait(), 30)
        late.stop()


NEVER_READY = textwrap.dedent(
    """
    import sys
    from parley_runtime.lifecycle import Started, run_service
    from parley_runtime.settings import ServiceSettings

    async def startup(bus):
        async def never() -> bool:
            return False
        return Started(checks={"store": never})

    run_service("probe", ServiceSettings(nats_url=sys.argv[1], unready_exit_s=1), startup)
    """
)


async def test_a_service_unready_for_unready_exit_s_exits_nonzero_with_the_reason(nats_url):
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", NEVER_READY, nats_url, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode != 0
    assert b"service_unready_exit" in err and b"store" in err
    assert b"probe: not ready for 1s" in err.splitlines()[-1]
