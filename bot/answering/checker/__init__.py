"""The citation checker: every sentence of a generated answer is checked against the text it cites.

For each sentence of the model's answer:
- its markers are parsed (`[2]`, `[1, 3]`, `[1][3]`); a marker to a source that was not given is removed;
- each cited source is searched, clause by clause, for the stretch of one to three consecutive
  sentences that supports the claim (`claims`):
  - the hard facts first, strictly: every number, date and name of the claim occurs in the stretch,
    each number and date in a clause about something the claim talks about; a negated claim finds a
    negation there, and nothing there denies (or says the opposite of) what the claim asserts;
  - then the claim's content words: three in four of them must be there as themselves (an
    inflection, a short month name, another spelling included), or, counting the words WordNet
    relates to them, with the embedding model finding the clauses that say it close in meaning;
- a sentence no cited source supports is tried against the other sources (the model cited the wrong
  one, or forgot to cite), and is **dropped** if none supports it. Dropping rather than marking keeps
  every sentence a user reads backed by a quote; the count of dropped sentences is kept in
  `Verification`.

Every citation that survives carries the supporting sentences' exact text and their offsets in the file.

Its rooms: `markers` reads the model's text (sentences, `[n]` markers, links), `claims` what a
sentence claims and how much of it a stretch of source says, `check` the checker itself, `result`
what a check found and the answer as shown, `streaming` the check of an answer while it is written.
"""
