"""What is made of stored runs: the report (`report`: md / json / csv / parquet / html),
`compare` and `gate`, all reading scores through `stored_scores`."""
