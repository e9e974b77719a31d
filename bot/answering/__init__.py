"""The answering pipeline: from a question's retrieved passages to a cited answer.

After checking that the passages cover the question at all (`answerability`, `refusal`), an
`Answerer` (`answerer`) answers: by quoting them (`extractive`, with `candidates`), or by having a
model write the answer (`generated`, with `llm`, `prompts` and `follow_up`) and checking every
sentence against the text it cites (`checker`). `injection` keeps the articles' orders to their
readers out of all of it. The service (`bot.service`) runs the pipeline; nothing here keeps state.
"""
