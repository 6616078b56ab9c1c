"""What the state store says, as plain data: flow status, runs, sync errors, review cases, what moved
where, API usage.

One layer every reader shares (the CLI, the demo, the admin web page and metrics to come), so a
question is answered by one query whoever asks. Functions take the store's engine (and the config
where the answer depends on the configured flows) and return dataclasses or dicts: no terminal, no
click, no flow code. Rendering lives in :mod:`connector.report`.
"""
