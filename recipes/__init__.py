"""The bundled recipes, package data registered in the ``zoo.recipes`` entry-point group (setup.py) as a third-party
package would register its own: ``zoo-run quickstart`` runs ``quickstart.yaml`` of this folder."""
