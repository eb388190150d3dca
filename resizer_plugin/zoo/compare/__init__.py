"""``zoo compare``: the runs over recipes and seeds (``runner``, resumable) and their report (``report``: paired
intervals, the picture)."""
