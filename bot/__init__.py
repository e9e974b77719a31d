"""newsbot: answers questions about a folder of news articles, with citations to the files."""

__version__ = "0.1.0"
