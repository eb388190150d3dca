"""How large a recipe may be, checked before anything reads its values: the file's bytes, the values it holds once
YAML's aliases are expanded, and every string's and list's length. The first excess is named by its key path, and
values in messages are shown shortened (``shown``), so that a hostile recipe costs neither memory nor time."""
import os

from ..contract import shown

__all__ = ["MAX_FILE_BYTES", "MAX_LIST_ITEMS", "MAX_STRING_CHARS", "MAX_VALUES", "excess", "file_excess", "shown"]

#: a recipe file's bytes (the bundled ones are under 3 KB)
MAX_FILE_BYTES = 1 << 20
#: values in a recipe, counted as YAML's aliases expand them (an alias bomb expands to billions)
MAX_VALUES = 100000
#: characters in any string of a recipe
MAX_STRING_CHARS = 4096
#: items in any list of a recipe
MAX_LIST_ITEMS = 1000

def file_excess(path):
    """Why the file at ``path`` is too large to be a recipe, or None."""
    size = os.path.getsize(path)
    return "is {:,} bytes, more than a recipe may be ({:,})".format(size, MAX_FILE_BYTES) \
        if size > MAX_FILE_BYTES else None


def _key(where, key):
    return "{}[{}]".format(where, key) if isinstance(key, int) else "{}.{}".format(where, key) if where else str(key)


def _children(value):
    if isinstance(value, dict):
        return list(value.items())
    return list(enumerate(value)) if isinstance(value, list) else []


def excess(raw):
    """(key path, why) of the first value of ``raw`` over a bound, or None. Values reached twice through YAML
    aliases count each time they are reached, as expanding them would."""
    counted = {}  # id of a mapping or list -> the values under it, as expanded

    def walk(value, where):
        if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
            raise _Over(where, "a string of {:,} characters, more than {:,}".format(len(value), MAX_STRING_CHARS))
        if isinstance(value, list) and len(value) > MAX_LIST_ITEMS:
            raise _Over(where, "a list of {:,} items, more than {:,}".format(len(value), MAX_LIST_ITEMS))
        if id(value) in counted:
            return counted[id(value)]
        total = 1 + sum(walk(child, _key(where, key)) for key, child in _children(value))
        if total > MAX_VALUES:
            raise _Over(where or "(top level)", "more than {:,} values once YAML's aliases are expanded".format(
                MAX_VALUES))
        if isinstance(value, (dict, list)):
            counted[id(value)] = total
        return total
    try:
        walk(raw, "")
    except _Over as over:
        return over.args
    except RecursionError:
        return "(top level)", "nested too deeply"
    return None


class _Over(Exception):
    """(key path, why): a bound exceeded."""
