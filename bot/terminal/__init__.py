"""The terminal front ends: the `newsbot` command (ask, search, index, eval) and the chat."""
