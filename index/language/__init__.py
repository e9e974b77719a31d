"""Language knowledge: what the words of a question and of a sentence are.

`pipeline` loads spaCy's English model (tagger, parser, lemmatizer, named entities) lazily, the
first time an answer is chosen, and parses each sentence once; `questions` says what a question
asks for (the kind of answer, its focus, its constraints). Retrieval and answering both import it;
nothing here loads at import time.
"""
