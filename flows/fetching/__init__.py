"""The HTTP client: an address guard, caps and decoding under redirects, robots.txt, per-host
pacing and conditional GET (``client.Fetcher``), with its own error tree (``errors``).
Knows nothing of runs, storage or Prefect."""
