"""What a change to a model does: `modeldiff` compares two `.score` texts
declaration by declaration (`leadscore diff`), `impact` compares how the two
models score the same leads (`leadscore diff --leads`, the live store's
`model impact`).
"""
