"""FerretDB 1.24 with its SQLite backend: a MongoDB-wire server built with Go from the
module proxy through the small wrapper in `infra/ferretdb`."""

from pathlib import Path

from pymongo import MongoClient

from parley_stack.processes import go_build_needed
from parley_storage.mongo import Document

from ..config import REPO_ROOT
from ..process import run_checked
from .base import ManagedServer

WRAPPER = REPO_ROOT / "infra" / "ferretdb"


class FerretDB(ManagedServer):
    name = "ferretdb"

    def external_url(self) -> str | None:
        return self.settings.mongo_url

    def url(self) -> str:
        return self.external_url() or f"mongodb://127.0.0.1:{self.settings.mongo_port}/"

    @property
    def binary(self) -> Path:
        return self.home / "bin" / "ferretdb"

    def install(self) -> None:
        if not go_build_needed(WRAPPER, self.binary):
            return
        run_checked(["go", "build", "-o", str(self.binary), "."], "building FerretDB with Go", cwd=WRAPPER)

    def argv(self) -> list[str]:
        return [
            str(self.binary),
            "-listen-addr",
            f"127.0.0.1:{self.settings.mongo_port}",
            "-sqlite-dir",
            str(self.data_dir),
        ]

    def probe(self) -> str:
        with MongoClient[Document](self.url(), serverSelectionTimeoutMS=2000) as client:
            info = client.server_info()
            ferret = info.get("ferretdbVersion")
            return f"FerretDB {ferret} (MongoDB {info['version']} wire)" if ferret else f"MongoDB {info['version']}"
