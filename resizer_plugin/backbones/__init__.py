"""Backbone families this package registers in ``zoo.backbones`` (see setup.py), one module each."""
