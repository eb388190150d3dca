"""The code blocks of README.md and docs/*.md as tests (setup.cfg's testpaths name them): Sybil collects them,
tests/doc_blocks.py says how each kind runs.

Sybil is imported only when a page is collected, so a run of named test files (the TensorFlow 2.6.5 stage's venv has
no Sybil) does without it. A page's blocks run in order in one process: under ``pytest -n auto`` (pytest-xdist's
``load``) each page goes to one worker whole, the other tests are spread one by one as ``load`` spreads them."""
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


def pytest_collect_file(file_path, parent):
    if Path(file_path) in PAGES:
        from tests.doc_blocks import collect

        return collect(file_path, parent)
    return None


@pytest.fixture(scope="module")
def doc_folder(tmp_path_factory, request):
    """The page's scratch folder (a DocumentFolder), the working directory while its blocks run."""
    from tests.doc_blocks import DocumentFolder

    folder = DocumentFolder(tmp_path_factory.mktemp(Path(str(request.node.path)).stem))
    here = os.getcwd()
    os.chdir(str(folder.folder))
    try:
        yield folder
    finally:
        os.chdir(here)
        folder.close()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """The pages' blocks train and build backbones: ``slow``, out of ``-m "not slow"``'s fast path."""
    for item in items:
        if _page_of(item.nodeid):
            item.add_marker(pytest.mark.slow)


def _page_of(nodeid):
    path = nodeid.split("::", 1)[0]
    return path if path.endswith(".md") else None


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist load`` (what ``-n`` gives): every test its own unit, as there, but a page's blocks one unit."""
    if config.getvalue("dist") != "load":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class PagesWhole(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return _page_of(nodeid) or nodeid

    return PagesWhole(config, log)
