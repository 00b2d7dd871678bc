"""BuildCorpus: notes -> sentence shards, vocabulary counts and a manifest (the Beam half of pretraining).

The format is ``ehr_models.embeddings.corpus``'s. Every file is written through Beam's filesystems (local, GCS,
S3, HDFS), and everything else is a combine, so the stage runs on any runner and its memory does not grow with
the corpus: a worker holds one note, and the token counts of one bundle (bounded by the vocabulary).
"""

from __future__ import annotations

import json
import logging
import posixpath
from collections import Counter
from typing import Iterator

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MAX_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from ehr_models.embeddings import corpus
from ehr_models.records import Note
from transforms.io import ERRORS_TAG, error_row, note_row

_LOGGER = logging.getLogger(__name__)
COUNTS_TAG = "counts"
STATS_TAG = "stats"
NOTES_TAG = "notes"
STATUS = "tokenized"  # notes/ status of a note that went into the corpus


def _global(value) -> WindowedValue:
    return WindowedValue(value, MAX_TIMESTAMP, [GlobalWindow()])


class TokenizeNotes(beam.DoFn):
    """``Note`` -> the sentence lines of its ``working_text`` (de-identified once de-identification has run) as one
    block (main output; one sentence a line), a notes row, and error rows.

    Token counts and statistics are summed over the bundle and emitted once at its end (``counts``: ``(token,
    count)``; ``stats``: ``corpus.STAT_FIELDS``): a note of 3,000 tokens would otherwise put hundreds of elements
    through the shuffle. Rows carry ids and counts only, never text.
    """

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id

    def setup(self) -> None:
        self._tokenized = Metrics.counter("pretrain", "notes_tokenized")
        self._tokens = Metrics.counter("pretrain", "tokens")

    def start_bundle(self) -> None:
        self._counts: Counter = Counter()
        self._stats = [0] * len(corpus.STAT_FIELDS)

    def process(self, note: Note) -> Iterator:
        try:
            # The de-identified text when de-identification ran; the input fingerprint still covers the input.
            lines, counts, stats = corpus.note_corpus(note.note_id, note.working_text, note.text)
        except Exception as error:  # one bad note never stops the corpus
            _LOGGER.warning("note %s failed tokenization: %s", note.note_id, type(error).__name__)
            yield beam.pvalue.TaggedOutput(ERRORS_TAG, error_row(self.run_id, "pretrain", error, note.note_id,
                                                                 note.source))
            characters = len(note.text) if isinstance(note.text, str) else None
            yield beam.pvalue.TaggedOutput(NOTES_TAG, note_row(self.run_id, note.note_id, note.source, "error",
                                                               characters, None, note.encoding, note.meta))
            return
        self._counts.update(counts)
        self._stats = [total + value for total, value in zip(self._stats, stats)]
        self._tokenized.inc()
        self._tokens.inc(stats[2])
        yield beam.pvalue.TaggedOutput(NOTES_TAG, note_row(self.run_id, note.note_id, note.source, STATUS,
                                                           len(note.text), stats[2], note.encoding, note.meta))
        if lines:
            yield "\n".join(lines)

    def finish_bundle(self) -> Iterator:
        for item in self._counts.items():
            yield beam.pvalue.TaggedOutput(COUNTS_TAG, _global(item))
        if self._stats[0]:
            yield beam.pvalue.TaggedOutput(STATS_TAG, _global(tuple(self._stats)))
        self._counts = Counter()


class WriteManifest(beam.DoFn):
    """The corpus statistics -> ``DIRECTORY/manifest.json``, written after the shards and counts it lists (they
    arrive as side inputs, so the runner finishes them first)."""

    def __init__(self, directory: str, options: dict) -> None:
        self.directory = directory
        self.options = options

    def process(self, stats: tuple, shards: list[str], counts: list[str], vocab_size: int) -> Iterator[dict]:
        manifest = corpus.corpus_manifest(stats, [posixpath.basename(p) for p in shards],
                                          [posixpath.basename(p) for p in counts], vocab_size, self.options)
        with FileSystems.create(FileSystems.join(self.directory, corpus.MANIFEST)) as handle:
            handle.write((json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8"))
        yield manifest


class BuildCorpus(beam.PTransform):
    """``Note``s -> a corpus directory ``directory`` (sentence shards, counts, manifest).

    Returns ``{"manifest": the manifest dict (one element), "note_rows": notes rows, "errors": error rows}``.
    ``num_shards`` 0 lets the runner choose. ``options`` is recorded in the manifest as given.
    """

    def __init__(self, directory: str, run_id: str, num_shards: int = 0, options: dict | None = None) -> None:
        super().__init__()
        self.directory = directory
        self.run_id = run_id
        self.num_shards = num_shards
        self.options = options or {}

    def expand(self, notes):
        tokenized = notes | "Tokenize" >> beam.ParDo(TokenizeNotes(self.run_id)).with_outputs(
            COUNTS_TAG, STATS_TAG, NOTES_TAG, ERRORS_TAG, main="lines")
        shards = tokenized.lines | "WriteShards" >> beam.io.WriteToText(
            FileSystems.join(self.directory, corpus.SHARD_PREFIX), file_name_suffix=".txt",
            num_shards=self.num_shards)
        counts = tokenized[COUNTS_TAG] | "SumCounts" >> beam.CombinePerKey(sum)
        counts_files = (
            counts
            | "FormatCounts" >> beam.MapTuple(lambda word, count: f"{word}\t{count}")
            | "WriteCounts" >> beam.io.WriteToText(FileSystems.join(self.directory, corpus.COUNTS_PREFIX),
                                                   file_name_suffix=".tsv", num_shards=1, shard_name_template="")
        )
        vocab_size = counts | "VocabSize" >> beam.combiners.Count.Globally()
        stats = tokenized[STATS_TAG] | "SumStats" >> beam.CombineGlobally(
            beam.combiners.TupleCombineFn(*[sum] * len(corpus.STAT_FIELDS)))
        manifest = stats | "WriteManifest" >> beam.ParDo(
            WriteManifest(self.directory, self.options), shards=beam.pvalue.AsList(shards),
            counts=beam.pvalue.AsList(counts_files), vocab_size=beam.pvalue.AsSingleton(vocab_size))
        return {"manifest": manifest, "note_rows": tokenized[NOTES_TAG], "errors": tokenized[ERRORS_TAG]}
