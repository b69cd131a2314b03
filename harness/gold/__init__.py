"""The gold set: from deep-review markdown reports to stored, audited findings.

`parse` turns a report into models (imports only core); `ingest` stores parsed reports;
`fates` decides what became of each reviewer's finding, reading the reconciliation text
(`reconciliation`); `facts` keeps each report's stored fates and per-reviewer facts fresh
(`refresh`) and reads the published retro table; `render` prints reports and their tables;
`build` is the ONE gold builder every scoring path uses (findings, fates, known false
positives); `score` scores a findings file against a report's gold (`harness score`).
"""
