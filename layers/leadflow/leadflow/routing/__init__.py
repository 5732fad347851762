"""Routing: a submission re-scores its lead and the lead goes to the right manager.

`service` scores, assigns and announces one submission; `rules` (rule kinds and rule
sets, as data), `facts` (what rules look at) and `scoring` compute an explainable score;
`rule_sets` picks the shipped rules or a deployment's override; `assignment` is the
assignment rule (hot leads to the best closers, fairly, within capacity); `roster` is
the managers and their load; `calibration` checks the rules against outcomes;
`rule_admin` keeps the deployment's overrides and `trial` tries one on past leads."""
