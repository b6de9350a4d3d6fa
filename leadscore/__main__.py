"""`python -m leadscore`: the same command line as the `leadscore` executable."""

from leadscore.cli import entry

entry()
