"""The language server and the studio (issue 21) will live here: `.score` and
`.tests` files checked as they are typed (the front end's diagnostics, spans
and suggestions), formatting, go-to-definition and hover, served over the
Language Server Protocol, and a browser studio that scores sample leads as a
model is edited.

It sits beside `leadscore.service`, below the CLI and above the live store
(pyproject.toml, `[tool.importlinter]`); it is empty until then.
"""
