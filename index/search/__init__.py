"""The catalogue and the search engine over it: where chunks are kept and how they are found.

Chroma (`store`) is the durable copy of every chunk, written by indexing. The catalogue (`catalog`,
its files on disk in `catalog_files`) is what is searched: BM25 and cosine similarity (`similarity`)
over memory-mapped segments, which `catalog_sync` keeps in step with the Chroma collection.
"""
