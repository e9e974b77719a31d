"""Real servers on loopback for the tests and the benchmarks: llama.cpp, Chroma, a Telegram Bot API
stand-in, and a capable model's scripted answers.

Not part of the installed package: a benchmark that uses them runs from the repository root with
`PYTHONPATH=.` (newsbot itself it imports as installed)."""
