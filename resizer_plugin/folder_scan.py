"""A folder of image files, one sub-folder per class, scanned once and the result cached.

The files are listed (``os.walk``, which is ``os.scandir``) and stat'ed; each file's header is checked
(:func:`resizer_plugin.images.header_problem`: its signature and the size Pillow reads, no pixel data) over a pool of
fresh processes ('spawn': never a fork of a process that may hold TensorFlow), or in this process for a small folder.
The result is cached in one small JSON file: the skipped files by reason (the kept ones are the listing less those),
written atomically beside the data, or in ``${XDG_CACHE_HOME:-~/.cache}/resizer-plugin/`` where the data folder is
not writable. Its key hashes every file's relative path, size and modification time: an added, changed or removed
file makes the cache ignored and written again, and a cache of another format version, a torn one or one of other
files is never trusted. Processes that start together (those of one launch) take a lock beside the cache: the first
scans and writes, the others wait for it and read.
"""
import concurrent.futures
import contextlib
import fcntl
import functools
import hashlib
import itertools
import json
import logging
import multiprocessing
import os
import sys
import tempfile
import time
from typing import Dict, List, NamedTuple

import numpy as np

from .images import header_problem
from .progress import FileMeter

__all__ = ["CACHE_NAME", "FORMAT_VERSION", "FolderScan", "INLINE_BELOW", "LOCK_WAIT_SECONDS", "class_files",
           "scan_folder", "user_cache_file"]

log = logging.getLogger(__name__)

#: the cache's file name beside the data (its lock: this name + ".lock")
CACHE_NAME = ".zoo-scan.cache"
#: the cache format; raise it when the format or the header check changes, and every older cache is rewritten
FORMAT_VERSION = 1
_FORMAT = "resizer-plugin folder scan"
#: folders with fewer files are checked in this process: starting the pool would cost more
INLINE_BELOW = 2000
_CHUNK = 256
#: how long a process waits for another process of its launch that is scanning the same folder
LOCK_WAIT_SECONDS = 3600.0


class FolderScan(NamedTuple):
    """A scanned folder: the files kept (absolute paths, class after class, in a fixed order) and their labels (int64
    class indices), the files skipped (reason -> paths) and how many files were examined."""
    paths: List[str]
    labels: np.ndarray
    skipped: Dict[str, List[str]]
    examined: int


class _Listing(NamedTuple):
    classes: List[str]
    paths: List[str]
    labels: np.ndarray
    key: str


def class_files(folder):
    """Every file under ``folder``, hidden ones left out, linked folders not followed, in a fixed order."""
    return [os.path.join(directory, name) for directory, _, names in sorted(os.walk(folder))
            for name in sorted(names) if not name.startswith(".")]


def _stamp(path):
    try:
        status = os.stat(path)
    except OSError:
        return "missing"
    return "{}\0{}".format(status.st_size, status.st_mtime_ns)


def _listing(folder, class_names, refused):
    """The files of every class, their labels and the cache key (their relative paths, sizes and modification
    times, the class names and the formats the check refuses)."""
    paths, counts = [], []
    digest = hashlib.sha256(json.dumps([class_names, sorted(refused.items())]).encode())
    for name in class_names:
        files = class_files(os.path.join(folder, name))
        paths += files
        counts.append(len(files))
        digest.update("".join("{}\0{}\n".format(path[len(folder) + 1:], _stamp(path)) for path in files).encode(
            "utf-8", "surrogateescape"))
    labels = np.repeat(np.arange(len(class_names), dtype=np.int64), counts)
    return _Listing(list(class_names), paths, labels, digest.hexdigest())


def user_cache_file(folder):
    """Where the scan of ``folder`` is cached when the folder is not writable: in the user's cache folder."""
    cache_home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    name = hashlib.sha256(os.path.abspath(folder).encode("utf-8", "surrogateescape")).hexdigest()[:32]
    return os.path.join(cache_home, "resizer-plugin", name + ".cache")


def _writable(caches):
    """The first of ``caches`` whose folder this process may create files in (made where missing), or None."""
    for cache in caches:
        with contextlib.suppress(OSError):
            os.makedirs(os.path.dirname(cache), exist_ok=True)
        if os.access(os.path.dirname(cache), os.W_OK):
            return cache
    return None


def _try_lock(handle):
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def _locked(path, folder, wait):
    """Hold an exclusive lock on the file ``path`` (made if missing), waiting at most ``wait`` seconds for the
    process that holds it; the lock goes when the process that holds it ends."""
    with open(path, "a") as handle:
        deadline = time.monotonic() + wait
        if not _try_lock(handle):
            log.info("scan of %s: waiting for the process that holds %s", folder, path)
        while not _try_lock(handle):
            if time.monotonic() > deadline:
                raise TimeoutError("waited {:g} s for {}, held by another process scanning {} (one of this "
                                   "launch?): end that process or let its scan finish".format(wait, path, folder))
            time.sleep(0.1)
        yield


def _read(cache, key):
    """(reason -> relative paths skipped, None) from the cache file written for ``key``; else (None, why it is not
    used: None where there is no such file)."""
    try:
        with open(cache, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError:
        return None, None
    except OSError as error:
        return None, "unreadable ({})".format(error.strerror)
    except ValueError:
        return None, "torn or not JSON"
    if not isinstance(document, dict) or document.get("format") != _FORMAT:
        return None, "not a folder scan cache"
    if document.get("version") != FORMAT_VERSION:
        return None, "format version {!r}, not {}".format(document.get("version"), FORMAT_VERSION)
    if document.get("key") != key:
        return None, "the files changed since it was written"
    skipped = document.get("skipped")
    if not isinstance(skipped, dict) or not all(isinstance(paths, list) for paths in skipped.values()):
        return None, "torn: no skipped files by reason"
    return skipped, None


def _cached(caches, key):
    """The skipped files of the first cache written for ``key``, or None; each cache used or ignored is logged."""
    for cache in caches:
        skipped, why_not = _read(cache, key)
        if skipped is not None:
            log.info("scan cache: used %s", cache)
            return skipped
        if why_not:
            log.info("scan cache: ignored %s: %s", cache, why_not)
    return None


def _write(cache, document):
    """Write ``document`` to ``cache`` atomically (a temporary file renamed over it); False, logged, on failure."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=".zoo-scan.", suffix=".tmp", dir=os.path.dirname(cache))
    except OSError as error:
        log.warning("scan cache: not written in %s (%s)", os.path.dirname(cache), error.strerror)
        return False
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(document, out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, cache)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        log.warning("scan cache: not written to %s (%s)", cache, error.strerror)
        return False
    return True


def _cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _check(paths, refused):
    """header_problem of each of ``paths``: what a worker does with a chunk."""
    return [header_problem(path, refused) for path in paths]


@contextlib.contextmanager
def _mapper(count):
    """A ``map``: in this process for a small folder or on one core, else over a pool of fresh processes."""
    workers = _cores()
    if count < INLINE_BELOW or workers < 2:
        yield map
        return
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield pool.map


def _scan(folder, paths, refused):
    """reason -> paths (relative to ``folder``) of the files whose header check fails, with progress."""
    meter, skipped, done = FileMeter("scan of {}".format(folder), sys.stderr, sys.stdout), {}, 0
    chunks = [paths[start:start + _CHUNK] for start in range(0, len(paths), _CHUNK)]
    with _mapper(len(paths)) as mapper:
        for chunk, problems in zip(chunks, mapper(functools.partial(_check, refused=refused), chunks)):
            for path, problem in zip(chunk, problems):
                if problem:
                    skipped.setdefault(problem, []).append(path[len(folder) + 1:])
            done += len(chunk)
            meter(done, len(paths))
    log.info("scan of %s: %s, %s skipped", folder, meter.close("checked"), format(sum(map(len, skipped.values())), ","))
    return skipped


def _kept(folder, listing, skipped):
    """The scan: the listing less the ``skipped`` files (reason -> relative paths)."""
    skipped = {reason: [os.path.join(folder, path) for path in paths] for reason, paths in skipped.items()}
    bad = set(itertools.chain.from_iterable(skipped.values()))
    keep = np.fromiter((path not in bad for path in listing.paths), bool, len(listing.paths))
    return FolderScan(list(itertools.compress(listing.paths, keep)), listing.labels[keep], skipped,
                      len(listing.paths))


def _scanned_and_cached(folder, listing, refused, target):
    """Check the files of ``listing``; cache the result in ``target`` (None: nowhere writable)."""
    skipped = _scan(folder, listing.paths, refused)
    files = np.bincount(listing.labels, minlength=len(listing.classes)).tolist()
    document = {"format": _FORMAT, "version": FORMAT_VERSION, "key": listing.key, "examined": len(listing.paths),
                "files_by_class": dict(zip(listing.classes, files)), "skipped": skipped}
    if target is None:
        log.warning("scan cache: not written: neither %s nor the user's cache folder is writable", folder)
    elif _write(target, document):
        log.info("scan cache: written %s", target)
    return skipped


def scan_folder(folder, class_names, refused=None, wait=None) -> FolderScan:
    """The files under ``folder/<class name>`` (label: the class's index in ``class_names``) whose header a decoder
    takes, and those skipped by reason: read from the cache, or checked and cached. ``refused``: format -> the reason
    for files of a format a decoder here does not take (see :func:`resizer_plugin.images.header_problem`); ``wait``:
    the most seconds to wait for another process scanning the folder (:data:`LOCK_WAIT_SECONDS`), else TimeoutError."""
    folder, refused = os.path.abspath(folder), dict(refused or {})
    listing = _listing(folder, class_names, refused)
    caches = [os.path.join(folder, CACHE_NAME), user_cache_file(folder)]
    target = _writable(caches)
    wait = LOCK_WAIT_SECONDS if wait is None else wait
    with _locked(target + ".lock", folder, wait) if target else contextlib.nullcontext():
        skipped = _cached(caches, listing.key)
        if skipped is None:
            skipped = _scanned_and_cached(folder, listing, refused, target)
    return _kept(folder, listing, skipped)
