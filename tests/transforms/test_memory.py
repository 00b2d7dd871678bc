"""transforms.memory: the heap is trimmed every TRIM_EVERY_NOTES notes, never in between."""

from transforms import memory


def test_heap_is_trimmed_once_per_trim_every_notes(monkeypatch):
    calls = []
    monkeypatch.setattr(memory, "_since_trim", 0)
    monkeypatch.setattr(memory, "_trim", lambda pad: calls.append(pad) or 1)
    every = memory.TRIM_EVERY_NOTES
    assert not memory.notes_done(every - 1)
    assert memory.notes_done(1)
    assert calls == [0]
    assert not memory.notes_done(every // 2)
    assert memory.notes_done(every)
    assert len(calls) == 2


def test_without_glibc_nothing_happens(monkeypatch):
    monkeypatch.setattr(memory, "_since_trim", 0)
    monkeypatch.setattr(memory, "_trim", False)
    assert not memory.notes_done(memory.TRIM_EVERY_NOTES)


def test_malloc_trim_is_callable_here():
    trim = memory._malloc_trim()
    if trim is not None:  # Linux with glibc
        assert trim(0) in (0, 1)
