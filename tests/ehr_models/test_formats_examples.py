from collections import Counter

from ehr_models.formats.examples import Document, Example, document_examples, fingerprint, flatten, sentences
from ehr_models.text import tokenize


def test_document_to_sentence_examples_keeps_offsets_and_counts_problems():
    text = "Lasix 40mg po bid; aspirin 81 mg daily. Pt stable.\nMorphine prn pain."
    spans = ((0, 5, "medication"), (6, 10, "dosage"), (6, 8, "number"), (19, 26, "medication"), (27, 29, "dosage"),
             (40, 41, "medication"), (50, 51, "reason"))  # a nested span, a split token, whitespace
    stats = Counter()
    examples = document_examples(Document("n1", text, spans), stats=stats)
    assert [e.tokens[0] for e in examples] == ["Lasix", "aspirin", "Pt", "Morphine"]
    assert examples[0].spans == ((0, 1, "medication"), (1, 3, "dosage"))
    assert all(text[s:e] == token for ex in examples for token, (s, e) in zip(ex.tokens, ex.offsets))
    assert stats == Counter(spans=7, overlapping=1, misaligned=1, empty=1)
    assert examples[2].spans == ((0, 1, "medication"),)  # "P" of "Pt" grows to the whole token


def test_sentences_never_split_a_span_and_respect_max_tokens():
    text = "aspirin; " * 10
    tokens = tokenize(text)
    assert len(sentences(text, tokens)) == 10
    keep = [(0, 4, "x")]  # "aspirin ; aspirin ;" must stay together
    ranges = sentences(text, tokens, keep_together=keep)
    assert ranges[0] == (0, 4)
    long = " ".join(["word"] * 400)
    assert [b - a for a, b in sentences(long, max_tokens=150)] == [150, 150, 100]


def test_flatten_and_fingerprint():
    kept, dropped = flatten([(0, 3, "a"), (1, 2, "b"), (3, 4, "c"), (0, 3, "a")])
    assert kept == [(0, 3, "a"), (3, 4, "c")] and dropped == 1
    one = [Example("x", ("a", "b"), ((0, 1, "l"),))]
    assert fingerprint(one) == fingerprint([Example("other-id", ("a", "b"), ((0, 1, "l"),))])
    assert fingerprint(one) != fingerprint([Example("x", ("a", "b"), ((1, 2, "l"),))])
