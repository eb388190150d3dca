"""Real photos for checks and pictures: scikit-image's bundled samples, read offline from the installed package."""
import numpy as np

__all__ = ["FREE_PHOTOS", "PHOTO_NAMES", "load_photo", "sample_photos"]

#: scikit-image sample photos used, in order: a cat, a coffee cup, an astronaut, a rocket launch.
PHOTO_NAMES = ("chelsea", "coffee", "astronaut", "rocket")
#: every photograph scikit-image ships offline whose docstring says CC0, public domain or no known copyright
#: restrictions, at least 300 pixels on a side (colour and grey; not the blurred clock, the synthetic images or those
#: it downloads on demand)
FREE_PHOTOS = ("astronaut", "brick", "camera", "cell", "chelsea", "coffee", "coins", "grass", "gravel",
               "hubble_deep_field", "immunohistochemistry", "retina", "rocket")


def load_photo(name):
    """One sample photo as uint8 H x W x 3."""
    try:
        from skimage import data
    except ImportError as error:
        raise ImportError("real test photos come from scikit-image: pip install 'resizer-plugin[test]' "
                          "(or scikit-image)") from error
    image = getattr(data, name)()
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3], dtype=np.uint8)


def sample_photos(size, count=3, dtype="float32"):
    """``count`` photos area-resized to ``size`` (height, width), as a batch; float in [0, 1] or uint8."""
    from .compat import to_numpy
    from .layers.resize import resize_images

    names = [PHOTO_NAMES[i % len(PHOTO_NAMES)] for i in range(count)]
    batch = np.stack([to_numpy(resize_images(load_photo(n)[np.newaxis].astype(np.float32), size, "area"))[0]
                      for n in names])
    if np.dtype(dtype) == np.uint8:
        return np.clip(np.round(batch), 0, 255).astype(np.uint8)
    return (batch / 255.0).astype(dtype)
