"""`leadscore serve`: the HTTP service over a live store (LIVE.md §5, §7, §9); needs the `serve` extra."""
