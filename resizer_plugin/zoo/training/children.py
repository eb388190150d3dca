"""The host's child processes (a compare's zoo-run processes, the export check's fresh process), tied to their
parent: on Linux each ends when the parent ends, even when it is killed with SIGKILL, and one started with
leftovers (its parent's temporary files) removes them first, since the parent's own cleanup cannot run."""
import json
import os
import shutil
import signal
import sys

__all__ = ["DIE_WITH_PARENT", "LEFTOVERS", "child_environment", "die_with_parent", "remove"]

#: the environment variable a child gets holding its parent's pid: the child dies with the parent
DIE_WITH_PARENT = "ZOO_DIE_WITH_PARENT"
#: the environment variable naming (a JSON list) the paths the child removes when the parent died first
LEFTOVERS = "ZOO_LEFTOVERS"
#: prctl(2)'s option: the signal this process gets when its parent dies
PR_SET_PDEATHSIG = 1


def child_environment(leftovers=()):
    """``os.environ`` for a child tied to this process (the child calls :func:`die_with_parent` first): it dies with
    this process, removing ``leftovers`` (paths) when this process could not."""
    return dict(os.environ, **{DIE_WITH_PARENT: str(os.getpid()), LEFTOVERS: json.dumps(list(leftovers))})


def remove(path):
    """Remove the file or folder ``path``; nothing where there is none."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path, ignore_errors=True)
    elif os.path.lexists(path):
        os.remove(path)


def die_with_parent():
    """Where the parent asked (:data:`DIE_WITH_PARENT` holds its pid), have Linux end this process when the parent
    dies: with SIGKILL, so that nothing is left writing; with SIGTERM where the parent named leftovers, whose handler
    removes them first. Elsewhere nothing."""
    parent = os.environ.pop(DIE_WITH_PARENT, "")
    leftovers = json.loads(os.environ.pop(LEFTOVERS, "") or "[]")
    if not parent.isdigit() or not sys.platform.startswith("linux"):
        return
    import ctypes

    number = signal.SIGTERM if leftovers else signal.SIGKILL
    if leftovers:
        signal.signal(number, lambda *_: _orphaned(int(parent), leftovers, number))
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, number)
    if os.getppid() != int(parent):  # the parent died before the request: go now
        os.kill(os.getpid(), number)


def _orphaned(parent, leftovers, number):
    """SIGTERM's handler: the leftovers removed where the parent is gone (else they are still its), then exit."""
    if os.getppid() != parent:
        for path in leftovers:
            remove(path)
    os._exit(128 + number)
