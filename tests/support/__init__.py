"""Real servers on loopback for the tests and the benchmarks: llama.cpp, Chroma, a Telegram Bot API
stand-in, and a capable model's scripted answers."""
