"""Instance benchmarking: suites (``suite``), isolated runs (``runner``, ``worker``), the SQLite store
(``store``), executors (``sweep``) and reports (``report``)."""
