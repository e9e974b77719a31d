"""Reading, chunking, embedding, storing and retrieving news articles.

Everything here takes its configuration as arguments: `bot.factory` builds these objects from the
settings, and nothing in `index` imports `bot`.
"""
