"""Reading, chunking, embedding, storing and retrieving news articles.

Four wings, and the modules that tie them together at this level:
- `reading/`: sources (folders, files, pages, feeds) read into articles, within bounds;
- `language/`: words, sentences, dates, question analysis, spaCy and WordNet;
- `search/`: the Chroma collection (the durable copy) and the chunk catalogue that is searched;
- `ranking/`: hybrid retrieval and what orders its passages;
- here: `indexing` (a run from sources to the store), `chunking`, `embedding` and its
  `model_file`, and `errors`, the error tree every wing raises from.

Everything here takes its configuration as arguments: `bot.factory` builds these objects from the
settings, and nothing in `index` imports `bot`.
"""
