"""Running reviewers over the gold set: the dataset of review inputs and splits (`dataset`),
the DSPy review programs (`programs`), the runner (`runner`: `harness bench`, with `progress`
and the per-case scorer call `case_score`), and replayed recorded reviews (`replay`)."""
