"""Following a story: a user follows a topic and is sent each new article that matches it.

`service` is what the front ends call (follows, noticing new index versions, alerts once);
`store` keeps it all in `<data_dir>/follows.sqlite3`; `matching` says which new articles match
which topics; `alerts` is what a follower is shown of a match.
"""
