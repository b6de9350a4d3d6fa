"""`leadscore studio`: a local web workbench for one model file and sample data
(docs/studio.md). `workspace` holds the files, `analysis` what one edit
recomputes, `app` the ASGI app that serves the page (static/) and its JSON.
"""
