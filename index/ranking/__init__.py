"""Ranking: which passages answer a question, in what order.

`retrieval` fuses BM25 and dense scores and ranks by article; `signals` adds what a passage earns
besides matching the question (recency, its numbers, the kind of answer); `syndication` groups
syndicated copies of one story.
"""
