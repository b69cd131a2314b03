-- A tune run is its own record with its own name (`harness tune --name`, default
-- PROGRAM-OPTIMIZER-BUDGET); the program it produced is identified by its content hash only.
-- Two tunes that produce the same program text are two named tune runs and one program.
ALTER TABLE tune_runs ADD COLUMN name VARCHAR;
UPDATE tune_runs SET name = p.name FROM programs p WHERE p.hash = tune_runs.program_hash;
