"""`leadscore lsp`: the language server for editors, on standard input and output
(docs/editors.md); needs the `lsp` extra."""

from __future__ import annotations

import click

from .options import fail


@click.command("lsp")
@click.option("--stdio", is_flag=True, help="talk over standard input and output (the default and only "
                                            "transport; accepted because editors pass it)")
def lsp(stdio):
    """Run the language server for .score and .tests files on standard input/output.

    An editor starts it (docs/editors.md): diagnostics as you type, hover,
    completion, go to definition, references, rename, outline, folding,
    formatting, quick fixes and code lenses that run the tests.

    \b
    Example (what an editor runs):
      leadscore lsp
    """
    try:
        from ..lsp.server import main
    except ImportError as error:
        fail(f"the language server needs its extra: pip install 'leadscore[lsp]' ({error})")
    main()
