"""Image files as the dataset sources and the zoo verbs read them: JPEG, PNG, GIF, BMP and WebP, told by their
first bytes, their header read by Pillow without decoding the pixels, and decoded by TensorFlow; a file that cannot be
used gets a reason, never a traceback."""
import os
import stat

__all__ = ["CORRUPT", "decode_problem", "header_problem", "image_problem", "undecodable_formats"]

#: the reason of a file whose header or pixel data a decoder refuses
CORRUPT = "corrupt or truncated"
_SIGNATURES = {b"\xff\xd8\xff": "jpeg", b"\x89PNG\r\n\x1a\n": "png", b"GIF87a": "gif", b"GIF89a": "gif", b"BM": "bmp"}


def _format(head):
    """The format the first bytes of a file announce, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return next((name for magic, name in _SIGNATURES.items() if head.startswith(magic)), None)


def _size_problem(handle):
    """CORRUPT when Pillow cannot read the size from the header of the open file, or reads an empty one."""
    from PIL import Image

    try:
        with Image.open(handle) as image:  # lazy: the header only, no pixel data
            return None if min(image.size) > 0 else CORRUPT
    except Exception:  # Pillow's plugins raise many kinds of error on a malformed header; none may stop a scan
        return CORRUPT


def header_problem(path, refused=None):
    """Why the file at ``path`` cannot be used, judged from its first bytes and its header ("not a regular file",
    "unreadable (...)", "empty", "not an image", ``refused[format]`` for a format refused here, or
    :data:`CORRUPT`), or None. Reads no pixel data: a file whose body is cut short passes (see
    :func:`decode_problem`)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO or a device would block the read below
            return "not a regular file"
        with open(path, "rb") as handle:
            head = handle.read(16)
            if not head:
                return "empty"
            image_format = _format(head)
            if image_format is None:
                return "not an image"
            if image_format in (refused or {}):
                return refused[image_format]
            handle.seek(0)
            return _size_problem(handle)
    except OSError as error:
        return "unreadable ({})".format(error.strerror)


def undecodable_formats():
    """format -> why the TensorFlow installed here does not decode it: WebP before ``tf.io.decode_webp``."""
    import tensorflow as tf

    if hasattr(tf.io, "decode_webp"):
        return {}
    return {"webp": "WebP, which TensorFlow {} does not decode".format(tf.__version__)}


def decode_problem(data):
    """:data:`CORRUPT` when TensorFlow does not decode the encoded image ``data`` as the input pipeline decodes it
    (RGB, the first frame), else None."""
    import tensorflow as tf

    try:
        tf.io.decode_image(data, channels=3, expand_animations=False)
    except tf.errors.OpError:
        return CORRUPT
    return None


def image_problem(path):
    """Why the file at ``path`` cannot be used as an image (:func:`header_problem`'s reasons, WebP on a TensorFlow
    that predates ``tf.io.decode_webp``, or :data:`CORRUPT` when TensorFlow does not decode it), or None."""
    import tensorflow as tf

    return header_problem(path, undecodable_formats()) or decode_problem(tf.io.read_file(path))
