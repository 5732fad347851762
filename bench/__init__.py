"""`make bench`: how fast Leadflow starts, answers and flows, measured in one run.

Every figure is relative to what the same run measured (a baseline, or percentiles of
its own samples), so results compare across machines without absolute thresholds.
"""
