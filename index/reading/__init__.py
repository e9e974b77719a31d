"""Reading sources: finding article files, fetching pages and feeds, and turning each into an Article.

`sources` decides which reader a file or a response goes to; `readers/` holds one reader a format;
`fetching`, `network` and `addresses` fetch within bounds and never reach an internal address
unless the settings allow it; `snapshots` keeps the text extracted from a non-text source, so that
citations can be checked against it; `source_state` remembers what a source last answered.
"""
