"""Where the files of photos and attachments live, under content addresses.

A file's key is the SHA-256 of its bytes, so the same file uploaded twice is stored once, and
a key never names two contents. `FileStore` is what the rest of the code uses; the local
folder is the only store today, and an S3-compatible one would implement the same methods.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from typing import Optional, Protocol

from flask import Flask, current_app

KEY_PATTERN = re.compile(r"^[0-9a-f]{64}$")


def content_key(data: bytes) -> str:
    """The content address of `data`."""
    return hashlib.sha256(data).hexdigest()


class FileStore(Protocol):
    """What the media code needs of a store of files by key."""

    def put(self, key: str, data: bytes) -> bool:
        """Store `data` under `key`; True when it was not there before."""

    def read(self, key: str) -> Optional[bytes]: ...

    def path(self, key: str) -> Optional[str]:
        """A local file path to send, when the store has one."""

    def delete(self, key: str) -> None: ...

    def keys(self) -> Iterator[str]: ...


class LocalFileStore:
    """Files in a folder, two levels of fan-out (`ab/abcdef…`), each written whole under a
    temporary name and then renamed, so a reader never meets half a file."""

    def __init__(self, folder: str) -> None:
        self.folder = folder
        os.makedirs(folder, mode=0o700, exist_ok=True)

    def _path(self, key: str) -> str:
        if not KEY_PATTERN.match(key):
            raise KeyError(key)
        return os.path.join(self.folder, key[:2], key)

    def put(self, key: str, data: bytes) -> bool:
        path = self._path(key)
        if os.path.exists(path):
            return False
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
        try:
            with os.fdopen(descriptor, "wb") as output:
                output.write(data)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.remove(temporary)
            raise
        return True

    def read(self, key: str) -> Optional[bytes]:
        try:
            with open(self._path(key), "rb") as stored:
                return stored.read()
        except (KeyError, FileNotFoundError):
            return None

    def path(self, key: str) -> Optional[str]:
        try:
            path = self._path(key)
        except KeyError:
            return None
        return path if os.path.exists(path) else None

    def delete(self, key: str) -> None:
        with contextlib.suppress(KeyError, FileNotFoundError):
            os.remove(self._path(key))

    def keys(self) -> Iterator[str]:
        for fan_out in sorted(os.listdir(self.folder)):
            subfolder = os.path.join(self.folder, fan_out)
            if os.path.isdir(subfolder):
                for name in sorted(os.listdir(subfolder)):
                    if KEY_PATTERN.match(name):
                        yield name


def file_store(app: Optional[Flask] = None) -> FileStore:
    """The configured store (UPLOADS_FOLDER, default instance/uploads), made once per app."""
    app = app or current_app._get_current_object()
    store = app.extensions.get("tracker_file_store")
    if store is None:
        store = LocalFileStore(app.config["UPLOADS_FOLDER"] or f"{app.instance_path}/uploads")
        app.extensions["tracker_file_store"] = store
    return store
