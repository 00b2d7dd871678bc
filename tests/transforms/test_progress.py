"""Progress files written by workers are summed by the launcher into notes/s and an ETA."""

import logging

from transforms.progress import ProgressFile, ProgressMonitor, done_count, format_progress


def test_worker_counts_are_summed_and_reported(tmp_path, caplog):
    staging = str(tmp_path / "staging")
    first, second = ProgressFile(staging, interval_s=3600), ProgressFile(staging, interval_s=3600)
    first.add(3)
    second.add(4)  # the first add writes at once; later ones wait for the interval or a flush
    second.add(2)
    assert done_count(staging) == 7
    second.flush()
    assert done_count(staging) == 9
    monitor = ProgressMonitor(staging, expected=18, interval_s=0.05)
    with caplog.at_level(logging.INFO, logger="transforms.progress"):
        monitor.start()
        monitor.join(0.5)
        monitor.stop()
    assert any("9 notes" in r.getMessage() and "of 18" in r.getMessage() for r in caplog.records)


def test_progress_line_gives_rate_and_eta_only_when_the_size_is_known():
    assert format_progress(100, 10.0, 400) == "progress: 100 notes in 10 s (10.0 notes/s), 25% of 400, ETA 30 s"
    assert format_progress(100, 10.0, None) == "progress: 100 notes in 10 s (10.0 notes/s)"
    assert done_count("/nonexistent/staging") == 0
