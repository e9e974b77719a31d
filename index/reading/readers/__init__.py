"""One reader per format, each turning a file's or a response's bytes into `Extract`s.

    html_page   .html .htm, web pages     trafilatura: main text, title, date, author, canonical URL
    feed        .xml .rss .atom, feeds    feedparser: each entry, with its full content if it has it
    export      .jsonl .json, CMS exports the usual field names for title, text, date, URL, author
    pdf         .pdf, press releases      pypdf: the text layer, and the document's information
    word        .docx, drafts             python-docx: the paragraphs, and the core properties

`.txt` and `.md` are read by `index.reading.articles`, as they are. What each reader takes from which
field is listed in docs/indexing.md.
"""
