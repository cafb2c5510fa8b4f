"""Apache Cassandra 5.0 from Maven Central: the jars are copied by Maven, the daemon is
launched on Java 17 with a generated single-node configuration."""

import re
from pathlib import Path

from parley_storage.cassandra import connect

from ..config import REPO_ROOT
from ..process import ServerFailed, run_checked
from .base import ManagedServer

POM = REPO_ROOT / "infra" / "cassandra" / "pom.xml"
JVM_OPTIONS = REPO_ROOT / "infra" / "cassandra" / "jvm17-server.options"

LOGBACK = """<configuration>
  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%level %date{ISO8601} [%thread] %logger{20} %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="OUT"/></root>
</configuration>
"""


def cassandra_version() -> str:
    match = re.search(r"<cassandra.version>([^<]+)</cassandra.version>", POM.read_text())
    if not match:
        raise ServerFailed(f"no cassandra.version in {POM}")
    return match.group(1)


class Cassandra(ManagedServer):
    name = "cassandra"

    def external_url(self) -> str | None:
        return self.settings.cassandra_url

    def url(self) -> str:
        return self.external_url() or f"127.0.0.1:{self.settings.cassandra_port}"

    @property
    def lib_dir(self) -> Path:
        return self.home / f"lib-{cassandra_version()}"

    def install(self) -> None:
        marker = self.lib_dir / ".complete"
        if not marker.exists():
            run_checked(
                [
                    "mvn",
                    "-q",
                    "-B",
                    "-f",
                    str(POM),
                    "dependency:copy-dependencies",
                    "-DincludeScope=runtime",
                    f"-DoutputDirectory={self.lib_dir}",
                ],
                "fetching Cassandra from Maven Central",
            )
            marker.touch()
        conf = self.home / "conf"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "cassandra.yaml").write_text(self._yaml())
        (conf / "logback.xml").write_text(LOGBACK)

    def _yaml(self) -> str:
        s = self.settings
        return f"""cluster_name: parley
num_tokens: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
commitlog_sync: periodic
commitlog_sync_period: 10000ms
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:{s.cassandra_storage_port}"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: {s.cassandra_storage_port}
native_transport_port: {s.cassandra_port}
endpoint_snitch: SimpleSnitch
auto_snapshot: false
# Two shared cores under a full test run: give contended lightweight transactions time.
cas_contention_timeout: 5000ms
write_request_timeout: 5000ms
# Paxos v2 (Cassandra 4.1+): fewer round trips per lightweight transaction.
paxos_variant: v2
"""

    def argv(self) -> list[str]:
        options = [
            line.strip() for line in JVM_OPTIONS.read_text().splitlines() if line.strip() and not line.startswith("#")
        ]
        conf = self.home / "conf"
        heap = self.settings.cassandra_heap
        return [
            "java",
            f"-Xms{heap}",
            f"-Xmx{heap}",
            *[part for option in options for part in option.split(" ", 1)],
            f"-Dcassandra.config=file://{conf / 'cassandra.yaml'}",
            f"-Dlogback.configurationFile={conf / 'logback.xml'}",
            f"-Dcassandra.storagedir={self.data_dir}",
            "-Dcassandra-foreground=yes",
            "-Dcassandra.skip_wait_for_gossip_to_settle=0",
            "-cp",
            f"{self.lib_dir}/*",
            "org.apache.cassandra.service.CassandraDaemon",
        ]

    def probe(self) -> str:
        cluster, session = connect(self.url())
        try:
            row = session.execute("SELECT bootstrapped, release_version FROM system.local").one()
            if row.bootstrapped != "COMPLETED":
                raise ServerFailed(f"bootstrapped={row.bootstrapped}")
            return f"cassandra {row.release_version}"
        finally:
            cluster.shutdown()
