"""The language server (`leadscore lsp`, issue 21): `.score` and `.tests` files
checked as they are typed, with the front end's own diagnostics, and hover,
completion, navigation, rename, outline, folding, formatting, quick fixes and
code lenses that run the tests, served over the Language Server Protocol by
pygls (the `lsp` extra; docs/editors.md).

One concept per module: `server` registers the features; `documents` analyzes
an open document once per version; `positions` converts spans to the
protocol's positions; `names` indexes every name; `hover`, `completion`,
`navigation`, `symbols`, `formatting`, `actions` and `lens` answer one kind
of request each; `workspace` reads the sample files a workspace names.

It sits beside `leadscore.service`, below the CLI and above the live store
(pyproject.toml, `[tool.importlinter]`). Importing this package imports
nothing of pygls; `server` does.
"""
