"""The ground floor: what every other package shares and nothing here imports from them.

- `models`: the gold-set boundary models (Report, Finding, ...); `runs`: run configuration, case
  results, call stats and statuses; `scores`: a score's labels and ScoreResult;
- `errors` (HarnessError and subclasses), `hashing` (canonical JSON, content hashes),
  `secrets` (API key redaction), `memo` (case memo keys and values), `git` (the one git wrapper),
  `tables` (the one markdown / CSV table writer and output-format dispatcher), `defaults`
  (constants the CLI shares: default concurrency, the `replay:` prefix), `allocator` (one malloc
  arena for the process's threads, glibc).
"""
