"""Language knowledge: what the words of a question and of a sentence are.

`words` says what a word is (each use's definition, and BM25's index terms); `sentences` where
sentences end; `dates` the dates, datelines and periods news text writes; `vocabulary` months,
number words, stopwords and stems; `question_text` makes a question plain and takes out the words
that only ask; `answer_types` the shapes of answers, by pattern. `pipeline` loads spaCy's English
model (tagger, parser, lemmatizer, named entities) lazily, the first time an answer is chosen, and
parses each sentence once; `questions` says what a question asks for (the kind of answer, its
focus, its constraints), with the words it reads them by in `question_words`; `lexicon` is
WordNet. Retrieval and answering both import it; nothing here loads a model at import time.
"""
