"""Image files as the dataset sources and the zoo verbs read them: JPEG, PNG, GIF, BMP and WebP, checked by their
first bytes and decoded by TensorFlow; a file that cannot be used gets a reason, never a traceback."""
import os
import stat

__all__ = ["image_problem"]

_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"BM")


def _is_webp(head):
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def _looks_like_an_image(head):
    return any(head.startswith(magic) for magic in _MAGIC) or _is_webp(head)


def image_problem(path):
    """Why the file at ``path`` cannot be used as an image ("not a regular file", "unreadable (...)", "empty",
    "not an image",
    "corrupt or truncated", or WebP on a TensorFlow that predates ``tf.io.decode_webp``), or None when TensorFlow
    decodes it."""
    import tensorflow as tf

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or a device would block the read below
            return "not a regular file"
        with open(path, "rb") as handle:
            head = handle.read(16)
    except OSError as error:
        return "unreadable ({})".format(error.strerror)
    if not head:
        return "empty"
    if not _looks_like_an_image(head):
        return "not an image"
    if _is_webp(head) and not hasattr(tf.io, "decode_webp"):
        return "WebP, which TensorFlow {} does not decode".format(tf.__version__)
    try:
        tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    except (tf.errors.InvalidArgumentError, tf.errors.OpError):
        return "corrupt or truncated"
    return None
