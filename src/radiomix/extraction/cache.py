"""Content hashes of inputs and the on-disk cache of finished cases (resume after failure).

A finished case is stored as one small JSON file under the cache folder, named by its key::

    key = sha256(cache format, sha256(image content), sha256(mask content), label selection,
                 resolved settings (less their name and description), radiomix version)

so a rerun of the same command, after Ctrl-C, SIGKILL or a power cut, finds every case that
was finished and recomputes only the rest; a changed image, mask, label, setting or radiomix
version gives a new key and is recomputed. A DICOM folder's hash covers every file below it
(relative path and content). Files are written atomically (temporary file in the same
folder, then :func:`os.replace`), so an entry is either complete or absent.

Hashing a large cohort reads every byte once; the hashes are remembered in
``<cache>/input-hashes.json`` by (absolute path, size, modification time in ns), so a rerun
does not read unchanged files again. Float values round-trip exactly through JSON (Python
writes the shortest repr that reads back to the same double), so a table assembled from the
cache is identical, bit for bit, to the one computed in the same run.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from radiomix._outputs import atomic_write_text
from radiomix.errors import ImageReadError

__all__ = [
    "CACHE_FORMAT",
    "InputHasher",
    "ResultCache",
    "case_key",
]

#: bump when the layout of cached records changes: old entries are then ignored
CACHE_FORMAT = 2  # 2: a label map read without a label gives one ROI per label
_CHUNK = 1 << 20


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)  # hashlib releases the GIL on large buffers: threads overlap
    return h.hexdigest()


class InputHasher:
    """SHA-256 of files and folders, remembered by (path, size, mtime_ns).

    Parameters
    ----------
    store : Path, optional
        JSON file that keeps the remembered hashes between runs (read at construction,
        written by :meth:`save`). None keeps them in memory only.
    """

    def __init__(self, store: Path | None = None) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._known: dict[str, list[Any]] = {}
        self.bytes_read = 0
        if store is not None and store.is_file():
            try:
                data = json.loads(store.read_text(encoding="utf-8"))
                if isinstance(data, dict):
                    self._known = {str(k): v for k, v in data.items() if isinstance(v, list)}
            except (OSError, ValueError):
                self._known = {}  # a damaged store only costs re-hashing

    def file_hash(self, path: Path) -> str:
        """SHA-256 (hex) of one file's content."""
        st = path.stat()
        key = str(path)
        with self._lock:
            hit = self._known.get(key)
        if hit is not None and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return str(hit[2])
        digest = _sha256_file(path)
        with self._lock:
            self._known[key] = [st.st_size, st.st_mtime_ns, digest]
            self.bytes_read += st.st_size
        return digest

    def path_hash(self, path: str | Path) -> str:
        """SHA-256 of a file, or of a folder (every file below it: relative path + content)."""
        p = Path(path)
        try:
            if p.is_dir():
                h = hashlib.sha256(b"radiomix-folder\n")
                files = sorted(f for f in p.rglob("*") if f.is_file())
                if not files:
                    raise ImageReadError(f"folder {p} holds no file")
                for f in files:
                    rel = f.relative_to(p).as_posix()
                    h.update(f"{rel}\0{self.file_hash(f)}\n".encode())
                return h.hexdigest()
            return self.file_hash(p)
        except FileNotFoundError:
            raise ImageReadError(f"{p} does not exist: check the path in the manifest") from None
        except OSError as exc:
            raise ImageReadError(f"cannot read {p}: {exc}") from None

    def hash_many(self, paths: Iterable[str], threads: int = 4) -> dict[str, str | ImageReadError]:
        """Hash several paths in threads; a path that cannot be read maps to its error."""
        unique = list(dict.fromkeys(paths))

        def one(p: str) -> str | ImageReadError:
            try:
                return self.path_hash(p)
            except ImageReadError as exc:
                return exc

        with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
            return dict(zip(unique, pool.map(one, unique), strict=True))

    def save(self) -> None:
        """Write the remembered hashes to the store (atomically)."""
        if self.store is None:
            return
        with self._lock:
            text = json.dumps(self._known, sort_keys=True)
        atomic_write_text(self.store, text)


def case_key(
    image_hash: str,
    mask_hash: str,
    label: str | None,
    settings: Mapping[str, Any],
    version: str,
) -> str:
    """Cache key of one (case, ROI selection) under resolved settings and a radiomix version."""
    blob = json.dumps(
        {
            "format": CACHE_FORMAT,
            "image": image_hash,
            "mask": mask_hash,
            "label": label,
            "settings": settings,
            "radiomix": version,
        },
        sort_keys=True,
    ).encode()
    return hashlib.sha256(blob).hexdigest()


class ResultCache:
    """Finished cases on disk: ``<folder>/<key[:2]>/<key>.json``, one file per case."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> list[dict[str, Any]] | None:
        """The cached per-ROI rows of a case, or None when absent or unreadable."""
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
            return None
        rows = data.get("rows")
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            return None
        return rows

    def put(self, key: str, rows: list[dict[str, Any]], case_id: str = "") -> None:
        """Store a finished case (atomically)."""
        text = json.dumps(
            {"format": CACHE_FORMAT, "key": key, "case_id": case_id, "rows": rows},
            allow_nan=True,
        )
        atomic_write_text(self._path(key), text)

    def __len__(self) -> int:
        return sum(1 for _ in self.folder.glob("??/*.json")) if self.folder.is_dir() else 0
