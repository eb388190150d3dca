"""The ``cats_vs_dogs`` preparer: ``zoo prepare cats_vs_dogs SOURCE --data-dir DIR`` writes ``DIR/cats_vs_dogs/4.0.0``,
the folder the ``tfds`` source reads by default, offline, from Microsoft's ``PetImages`` folder (``Cat/``, ``Dog/``)
or a zip holding one.

TFDS's own cats_vs_dogs builder writes it, at version 4.0.0, with its download replaced by SOURCE: its
``_generate_examples`` is offered every ``.jpg`` file of ``Cat/`` and ``Dog/`` and keeps or drops each by its own
rule (a JFIF marker in the first bytes); its writer shuffles, shards and describes the data. The folder is written in
a hidden temporary folder of DIR and renamed into place only when whole, with ``zoo_prepare.json`` (what it was made
from; TFDS reads no file it does not know) beside TFDS's files.
"""
import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import zipfile
from typing import NamedTuple

from ..zoo.contract import DataError, Prepared, Preparer, SkippedInputs

__all__ = ["cats_vs_dogs"]

_NAME, _VERSION, _CLASSES = "cats_vs_dogs", "4.0.0", ("Cat", "Dog")
#: what SOURCE was, kept beside TFDS's files: a rerun from the same files finds it and writes nothing
_RECORD = "zoo_prepare.json"
_NOT_JPG = "not a .jpg file (TFDS's builder reads .jpg files only)"
_NO_JFIF = "no JFIF marker in the first bytes (TFDS's builder's rule)"
#: the bytes a file shows to ``peek``: as many as a member of the Microsoft zip shows TFDS's rule
_PEEK = 512
#: a zip member in a Cat/ or Dog/ folder, at any depth
_MEMBER = re.compile(r"^(?P<prefix>(?:.*/)?)(?P<folder>Cat|Dog)/(?P<name>[^/]+)$")


class _File(NamedTuple):
    """One file of SOURCE: its class folder, name, size and what opens it (a path, or a zip member's name)."""
    folder: str
    name: str
    size: int
    key: str

    @property
    def shown(self):
        return "{}/{}".format(self.folder, self.name)


def _folder_files(source):
    """The files of SOURCE/Cat and SOURCE/Dog; DataError when either folder is missing."""
    missing = [folder + "/" for folder in _CLASSES if not os.path.isdir(os.path.join(source, folder))]
    if missing:
        raise DataError("{}: no {} folder in it; SOURCE is a PetImages folder (Cat/, Dog/) or a zip holding "
                        "one".format(source, " or ".join(missing)))
    files = []
    for folder in _CLASSES:
        with os.scandir(os.path.join(source, folder)) as entries:
            files += [_File(folder, e.name, e.stat().st_size, e.path) for e in entries if e.is_file()]
    return sorted(files)


def _zip_files(archive, source):
    """The members in the zip's shallowest folder holding Cat/ and Dog/; DataError when no folder does."""
    found = {}
    for member in archive.infolist():
        match = _MEMBER.match(member.filename)
        if match:
            found.setdefault(match.group("prefix"), []).append(
                _File(match.group("folder"), match.group("name"), member.file_size, member.filename))
    prefixes = sorted((p for p, files in found.items() if {f.folder for f in files} == set(_CLASSES)), key=len)
    if not prefixes:
        raise DataError("{}: no folder in this zip holds both Cat/ and Dog/ files; SOURCE is a PetImages folder or "
                        "a zip holding one".format(source))
    return sorted(found[prefixes[0]])


@contextlib.contextmanager
def _opened(source):
    """``(files, open_file)`` of SOURCE, a folder or a zip (open while inside); DataError when it is neither."""
    if os.path.isdir(source):
        yield _folder_files(source), lambda file: open(file.key, "rb", buffering=_PEEK)
    elif not os.path.exists(source):
        raise DataError("{}: no such file or folder; SOURCE is a PetImages folder or a zip holding one".format(source))
    elif not zipfile.is_zipfile(source):
        raise DataError("{}: neither a folder nor a zip file; SOURCE is a PetImages folder or a zip holding "
                        "one".format(source))
    else:
        with zipfile.ZipFile(source) as archive:
            yield _zip_files(archive, source), lambda file: archive.open(file.key)


def _fingerprint(files):
    """What a preparation is made from: the name and size of every file, whatever folder or zip holds them."""
    listing = "".join("{}\t{}\n".format(file.shown, file.size) for file in files)
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()


def _existing(target, fingerprint, source):
    """The report of ``target`` where it holds this very preparation, None where it is not there; DataError where
    it holds something else."""
    if not os.path.lexists(target):
        return None
    try:
        with open(os.path.join(target, _RECORD)) as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        record = {}
    if record.get("fingerprint") != fingerprint:
        raise DataError("{} already holds a cats_vs_dogs {} that is not this preparation of {} ({}); remove it or "
                        "choose another --data-dir".format(target, _VERSION, source, "made from other files" if record
                                                           else "it has no {} of zoo prepare's".format(_RECORD)))
    return Prepared(target, record["kept"], SkippedInputs(record["skipped"], record["examined"]), already=True)


class _Preparation:
    """SOURCE's files, those TFDS's generator is offered, those it keeps and the one it is on; progress as it goes,
    and the record of what was made."""

    def __init__(self, source, files, open_file, progress):
        self.source, self.files, self.open_file, self.progress = source, files, open_file, progress
        self.offered = [f for f in files if f.name.endswith(".jpg")]
        self.names, self.kept, self.current, self.exhausted = {}, [], None, False

    def offer(self):
        """``(name, open file)`` of each .jpg file, named as TFDS's generator accepts (``PetImages/Cat/<n>.jpg``)."""
        self.progress(0, len(self.offered))
        for index, file in enumerate(self.offered):
            alias = "PetImages/{}/{}.jpg".format(file.folder, index)
            self.names[alias], self.current = file, file
            with self.open_file(file) as handle:
                yield alias, handle
            self.current = None
            self.progress(index + 1, len(self.offered))
        self.exhausted = True

    def collect(self, examples):
        """TFDS's examples under their files' own names (``PetImages/Cat/<name>``: the keys its shuffle orders).
        Its check that the whole Microsoft archive was read (1,738 files dropped), raised once every file was
        offered, is left out: another set of files drops another count."""
        try:
            for alias, example in examples:
                file = self.names[alias.replace(os.sep, "/")]
                self.kept.append(file)
                example["image/filename"] = "PetImages/" + file.shown
                example["image"] = io.BytesIO(self._content(file))
                yield example["image/filename"], example
        except ValueError:
            if not self.exhausted:
                raise

    def _content(self, file):
        """The file's own bytes, as version 4.0.0 stores them (TFDS's 4.0.1 generator, TFDS 4.9.10's, re-encodes
        each JPEG: the same SOURCE then gives the same images on every TFDS)."""
        with self.open_file(file) as handle:
            return handle.read()

    def skipped(self):
        """The files left out: by name (not .jpg) and by TFDS's JFIF rule."""
        kept = set(self.kept)
        by_reason = {_NOT_JPG: [f.shown for f in self.files if not f.name.endswith(".jpg")],
                     _NO_JFIF: [f.shown for f in self.offered if f not in kept]}
        return SkippedInputs({reason: names for reason, names in by_reason.items() if names}, len(self.files))

    def record(self):
        """What ``zoo_prepare.json`` keeps: SOURCE, its fingerprint, the files kept and skipped, the TFDS that wrote
        them."""
        import tensorflow_datasets as tfds

        return {"source": self.source, "fingerprint": _fingerprint(self.files), "kept": len(self.kept),
                "examined": len(self.files), "skipped": self.skipped().by_reason,
                "tensorflow_datasets": tfds.__version__}


def _builder(data_dir, preparation):
    """TFDS's cats_vs_dogs builder at 4.0.0, writing under ``data_dir``, fed SOURCE's files instead of the
    download."""
    import tensorflow_datasets as tfds

    base = tfds.builder_cls(_NAME)

    class LocalCatsVsDogs(base, skip_registration=True):
        """cats_vs_dogs 4.0.0 from local files."""
        name, VERSION = _NAME, tfds.core.Version(_VERSION)
        RELEASE_NOTES = {_VERSION: base.RELEASE_NOTES[_VERSION]}
        __module__ = base.__module__  # dataset_info.json names the module of TFDS's builder, as TFDS writes it

        def _split_generators(self, dl_manager):
            return [tfds.core.SplitGenerator(name=tfds.Split.TRAIN, gen_kwargs={"archive": preparation.offer()})]

        def _generate_examples(self, archive):
            for key, example in preparation.collect(super()._generate_examples(archive)):
                yield key, example

    return LocalCatsVsDogs(data_dir=data_dir)


def _first_line(error):
    """``Type: the message's first line``."""
    return "{}: {}".format(type(error).__name__, (str(error).strip().splitlines() or [""])[0])


def _build(data_dir, preparation):
    """TFDS's download_and_prepare, offline, under ``data_dir``; a failure on one file as a DataError naming it."""
    import tensorflow_datasets as tfds

    tfds.disable_progress_bar()
    config = tfds.download.DownloadConfig(try_download_gcs=False)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # TFDS prints its temporary folder's name
            _builder(data_dir, preparation).download_and_prepare(download_dir=os.path.join(data_dir, "downloads"),
                                                                 download_config=config)
    except Exception as error:  # TFDS and TensorFlow fail on a bad file in many ways: name the file
        if preparation.current is not None:
            raise DataError("{}: {}: TFDS's cats_vs_dogs builder failed on it: {}".format(
                preparation.source, preparation.current.shown, _first_line(error))) from error
        if preparation.exhausted and not preparation.kept:
            raise DataError("{}: none of its {:,} .jpg files has a JFIF marker in its first bytes (TFDS's builder's "
                            "rule): nothing to prepare".format(preparation.source, len(preparation.offered))) from None
        raise


def _temporary_folder(data_dir):
    """A new hidden folder in ``data_dir`` (made if missing); DataError when ``data_dir`` cannot be written."""
    if os.path.exists(data_dir) and not os.path.isdir(data_dir):
        raise DataError("{}: not a folder; --data-dir names the folder to write in".format(data_dir))
    try:
        os.makedirs(data_dir, exist_ok=True)
        return tempfile.mkdtemp(prefix=".zoo-prepare-{}-".format(_NAME), dir=data_dir)
    except OSError as error:
        raise DataError("{}: cannot write there: {}".format(data_dir, error.strerror or error)) from None


def _write(data_dir, target, preparation):
    """TFDS's folder written in a temporary folder of ``data_dir`` with ``zoo_prepare.json`` beside its files, then
    renamed to ``target`` whole: an interrupted run leaves nothing the tfds source reads."""
    temporary = _temporary_folder(data_dir)
    try:
        _build(temporary, preparation)
        written = os.path.join(temporary, _NAME, _VERSION)
        with open(os.path.join(written, _RECORD), "w") as handle:
            json.dump(preparation.record(), handle, indent=2)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.rename(written, target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _prepare(source, data_dir, progress):
    """See :class:`Preparer`: cats_vs_dogs 4.0.0 from SOURCE in ``data_dir/cats_vs_dogs/4.0.0``."""
    target = os.path.join(data_dir, _NAME, _VERSION)
    with _opened(source) as (files, open_file):
        already = _existing(target, _fingerprint(files), source)
        if already:
            return already
        preparation = _Preparation(source, files, open_file, progress)
        if not preparation.offered:
            raise DataError("{}: none of its {:,} files in Cat/ and Dog/ is a .jpg file: nothing to "
                            "prepare".format(source, len(files)))
        _write(data_dir, target, preparation)
    return Prepared(target, len(preparation.kept), preparation.skipped())


cats_vs_dogs = Preparer(
    "cats_vs_dogs", prepare=_prepare,
    source_help="Microsoft's PetImages folder (Cat/, Dog/) or a zip holding one, e.g. kagglecatsanddogs_5340.zip",
    description="TFDS cats_vs_dogs 4.0.0 as TFDS's own builder writes it, made offline (the tfds source's default)")
