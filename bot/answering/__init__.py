"""Answering a question from retrieved passages: quoting them (extractive), or having a model write
the answer and checking every sentence against the text it cites (generated), after checking that
the passages cover the question at all."""
