"""Models against known outcomes: the backtest (AUC, gains, lift by decile),
its HTML report, calibration of points and thresholds to past outcomes.

Above the batch (it scores files with it) and the front end (calibrate
rewrites `.score` text); nothing below imports it.
"""
