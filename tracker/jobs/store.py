"""Where a job's state lives while it runs and after: one small JSON record per job, and the
job's input and result as bytes beside it.

The record must be readable by every worker that may answer the progress page, so it is kept
outside the process: in files under the instance folder (one machine, the default) or, when
another store is configured, wherever that store keeps it. The database is not used on
purpose: an all-or-nothing import holds SQLite's write lock for its whole transaction, and
progress written through the database would wait for it.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from typing import Any, Optional, Protocol

JOB_ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


class JobStore(Protocol):
    """What the runner and the views need of a store."""

    def load(self, job_id: str) -> Optional[dict[str, Any]]: ...

    def save(self, job_id: str, record: dict[str, Any]) -> None: ...

    def save_blob(self, job_id: str, name: str, data: bytes) -> None: ...

    def load_blob(self, job_id: str, name: str) -> Optional[bytes]: ...

    def forget_older_than(self, seconds: float) -> None: ...


class FileJobStore:
    """Records as `<id>.json` and blobs as `<id>.<name>` in one owner-only folder; each file
    is replaced atomically (write, then rename), so a reader never sees half of one."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        os.makedirs(folder, mode=0o700, exist_ok=True)

    def _path(self, job_id: str, name: str) -> str:
        if not JOB_ID_PATTERN.match(job_id) or not name.isalpha():
            raise KeyError(job_id)
        return os.path.join(self.folder, f"{job_id}.{name}")

    def _replace(self, path: str, data: bytes) -> None:
        descriptor, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        with os.fdopen(descriptor, "wb") as output:
            output.write(data)
        os.replace(temporary, path)

    def load(self, job_id: str) -> Optional[dict[str, Any]]:
        data = self.load_blob(job_id, "json")
        try:
            return None if data is None else json.loads(data)
        except ValueError:
            return None

    def save(self, job_id: str, record: dict[str, Any]) -> None:
        self._replace(self._path(job_id, "json"), json.dumps(record, ensure_ascii=False).encode())

    def save_blob(self, job_id: str, name: str, data: bytes) -> None:
        self._replace(self._path(job_id, name), data)

    def load_blob(self, job_id: str, name: str) -> Optional[bytes]:
        try:
            with open(self._path(job_id, name), "rb") as blob:
                return blob.read()
        except (KeyError, FileNotFoundError):
            return None

    def forget_older_than(self, seconds: float) -> None:
        """Remove every file of jobs last touched longer ago than that."""
        limit = time.time() - seconds
        for name in os.listdir(self.folder):
            path = os.path.join(self.folder, name)
            try:
                if os.path.getmtime(path) < limit:
                    os.remove(path)
            except FileNotFoundError:
                pass


class RedisJobStore:
    """Records and blobs as Redis keys `tracker:job:<id>:<name>`, each living JOBS_KEEP_HOURS
    from its last write, so every machine's workers and web nodes see the same jobs."""

    def __init__(self, client, keep_seconds: int) -> None:
        self.client, self.keep_seconds = client, keep_seconds

    def _key(self, job_id: str, name: str) -> str:
        if not JOB_ID_PATTERN.match(job_id) or not name.isalpha():
            raise KeyError(job_id)
        return f"tracker:job:{job_id}:{name}"

    def load(self, job_id: str) -> Optional[dict[str, Any]]:
        data = self.load_blob(job_id, "json")
        try:
            return None if data is None else json.loads(data)
        except ValueError:
            return None

    def save(self, job_id: str, record: dict[str, Any]) -> None:
        self.save_blob(job_id, "json", json.dumps(record, ensure_ascii=False).encode())

    def save_blob(self, job_id: str, name: str, data: bytes) -> None:
        self.client.set(self._key(job_id, name), data, ex=self.keep_seconds)

    def load_blob(self, job_id: str, name: str) -> Optional[bytes]:
        try:
            return self.client.get(self._key(job_id, name))
        except KeyError:
            return None

    def forget_older_than(self, seconds: float) -> None:
        """Nothing to do: every key expires on its own."""
