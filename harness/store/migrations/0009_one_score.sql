-- One stored shape of a score. The runner now writes each finished case's full score into
-- `scores` / `score_labels` (keyed by run, report, epoch, scorer, args hash: a "scored view"),
-- in the same transaction as the case. The copies kept beside the case go: run_cases.tp / fp /
-- fn / metrics and run_predictions.label. A run stored before this migration has no score of
-- its own view until `harness rescore RUN` computes it from its stored findings.
ALTER TABLE run_cases DROP COLUMN tp;
ALTER TABLE run_cases DROP COLUMN fp;
ALTER TABLE run_cases DROP COLUMN fn;
ALTER TABLE run_cases DROP COLUMN metrics;
ALTER TABLE run_predictions DROP COLUMN label;
