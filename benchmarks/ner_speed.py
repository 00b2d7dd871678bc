"""Tagger inference speed on CPU: BiLSTM-CRF + character CNN against a bare BiLSTM of the same size, same run.

    python benchmarks/ner_speed.py --threads 2                      # fresh weights (speed does not depend on them)
    python benchmarks/ner_speed.py --threads 2 --model /tmp/model   # a trained package

Input: sentences of MTSamples transcriptions cut as the annotator cuts them (``ehr_models.formats.examples``).
Rows (tokens per second, best of ``--repeat`` passes after one warm-up pass):

- ``bare BiLSTM``: word embedding -> 1-layer BiLSTM -> linear -> argmax, on id tensors built once beforehand
  (no token lookup, no characters, no CRF): the floor the issue quotes;
- ``tagger``: ``Tagger.predict_batch`` from token lists: id lookup, character CNN, BiLSTM, CRF Viterbi, spans;
- ``tagger + scores``: the same with CRF marginals for span confidences (what ``TaggerAnnotator`` returns);
- ``annotator``: ``TaggerAnnotator.predict_batch`` from raw note text (tokenizing and sentence cutting included).

``--hidden`` is the BiLSTM output size, both directions (256 = 128 units per direction); the script measures
``--hidden`` and twice it, so both readings of "256 hidden" are covered. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections import Counter

import torch
from torch import nn

from ehr_models.formats.corpora import default_data_dir, mtsamples_texts
from ehr_models.formats.examples import sentences
from ehr_models.tagging.annotator import TaggerAnnotator
from ehr_models.tagging.batching import buckets
from ehr_models.tagging.model import TaggerConfig
from ehr_models.tagging.predictor import Tagger
from ehr_models.tagging.scheme import tag_set
from ehr_models.tagging.vocab import Vocabulary
from ehr_models.text import normalize_token, tokenize


def distinct_texts() -> list[str]:
    """Distinct MTSamples transcriptions in note-id order (the same report is listed under several specialties)."""
    texts = mtsamples_texts(default_data_dir())
    ordered = sorted(texts, key=lambda note_id: (len(note_id), note_id))
    return [text for text in dict.fromkeys(texts[i] for i in ordered) if text.strip()]


def best_rate(tokens: int, work, repeat: int) -> float:
    work()  # warm-up: first-call allocations, the encoder's token cache
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return round(tokens / best)


def fresh_tagger(words: list[list[str]], hidden: int, threads: int) -> Tagger:
    counts = Counter(normalize_token(t) for sentence in words for t in sentence)
    chars = Counter(c for sentence in words for t in sentence for c in t)
    config = TaggerConfig(hidden=hidden, layers=1)
    tags = tag_set(["medication", "dosage", "route", "frequency", "duration", "reason"])
    tagger = Tagger.build(config, Vocabulary.from_counts(counts), Vocabulary.from_counts(chars), tags,
                          threads=threads)
    tagger.model.eval()
    return tagger


class BareBiLSTM(nn.Module):
    def __init__(self, words: int, dim: int, hidden: int, tags: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(words, dim, padding_idx=0)
        self.lstm = nn.LSTM(dim, hidden // 2, batch_first=True, bidirectional=True)
        self.output = nn.Linear(hidden, tags)

    def forward(self, words: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = nn.utils.rnn.pack_padded_sequence(self.embedding(words), lengths, batch_first=True,
                                                   enforce_sorted=False)
        hidden, _ = nn.utils.rnn.pad_packed_sequence(self.lstm(packed)[0], batch_first=True)
        return self.output(hidden).argmax(dim=2)


def measure(tagger: Tagger, texts: list[str], words: list[list[str]], repeat: int) -> dict:
    tokens = sum(map(len, words))
    config = tagger.config
    bare = BareBiLSTM(len(tagger.words), config.word_dim, config.hidden, len(tagger.tags)).eval()
    batches = [tagger.encoder.batch(words, index) for index in
               buckets([len(s) for s in words], tagger.batch_sentences, tagger.batch_tokens)]

    def run_bare() -> None:
        with torch.inference_mode():
            for batch in batches:
                bare(batch.words, batch.lengths)

    annotator = TaggerAnnotator("(in memory)")
    annotator._tagger = tagger  # the benchmark's own tagger, not one read from disk
    return {"hidden": config.hidden, "units_per_direction": config.hidden // 2, "word_dim": config.word_dim,
            "char_filters": config.char_filters, "tokens": tokens, "sentences": len(words),
            "bare_bilstm_tokens_per_s": best_rate(tokens, run_bare, repeat),
            "tagger_tokens_per_s": best_rate(tokens, lambda: tagger.predict_batch(words), repeat),
            "tagger_with_scores_tokens_per_s": best_rate(tokens, lambda: tagger.predict_scored(words), repeat),
            "annotator_tokens_per_s": best_rate(tokens, lambda: annotator.predict_batch(texts), repeat)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--notes", type=int, default=300, help="MTSamples transcriptions to tag")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--model", help="a trained tagger package instead of fresh weights")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    texts = distinct_texts()[: args.notes]
    words = []
    for text in texts:
        tokens = tokenize(text)
        words.extend([t.text for t in tokens[a:b]] for a, b in sentences(text, tokens))
    taggers = ([Tagger.load(args.model, threads=args.threads)] if args.model else
               [fresh_tagger(words, hidden, args.threads) for hidden in (args.hidden, args.hidden * 2)])
    results = [measure(tagger, texts, words, args.repeat) for tagger in taggers]
    print(json.dumps({"threads": args.threads, "torch": torch.__version__, "machine": platform.machine(),
                      "cpus": os.cpu_count(), "load_average": os.getloadavg(), "date": time.strftime("%Y-%m-%d"),
                      "model": args.model, "results": results}, indent=1))


if __name__ == "__main__":
    main()
