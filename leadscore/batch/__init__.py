"""Scoring files: rows read (`io/`: CSV, JSON Lines, JSON, Parquet, stdin),
converted and checked, each scored, ignored-and-counted or rejected
(`batch`), events held compactly until their lead (`eventstore`), leads
scored in forked workers (`workers`), results written (`output`), and the
same run handed back as objects to apps (`filescore`, `leadscore.score_file`).

Above the runtime, which scores one lead and knows nothing of files.
"""
