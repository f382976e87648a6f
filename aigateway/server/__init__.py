"""Building and serving the app: :mod:`.app` (``create_app``), :mod:`.runtime` (the parts of
one app), :mod:`.factory` (multi-worker), :mod:`.reload` (SIGHUP), :mod:`.serving` and
:mod:`.graceful` (connection guards, bounded shutdown), :mod:`.logs` (the logger)."""
