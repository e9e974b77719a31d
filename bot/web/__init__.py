"""`newsbot serve`: the JSON API, the OpenAI-compatible endpoint and the web page, on one server.

One more front end: its routes parse a request, call `NewsService` and render the `Answer` as JSON,
as a chat completion or in the page's script. `app.create_app` wires the parts; `server.serve`
checks the address and runs it on uvicorn.
"""
