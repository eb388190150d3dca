"""``zoo export``: the formats a run's model is written in (``formats``: one row each), the writer (``exporter``) and
the check each artifact passes in a fresh process (``check``)."""
