"""The `.tests` language: a model's examples with expected results.

`parse` (grammar/tests.lark → test nodes), `check` (nodes → cases, against
the checked model), `run` (cases → outcomes, through a compiled `Model`) and
`report` (outcomes → what `leadscore test` prints).
"""
