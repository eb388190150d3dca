"""Dataset sources this package registers in ``zoo.datasets`` (see setup.py), one module each."""
