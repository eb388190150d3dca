"""A recipe as the host reads it: the YAML file and ``--set`` overrides (``recipe``), its typed sections and their
reference (``schema``), and the entry-point registry that finds the plugins a recipe names (``registry``)."""
