"""The garbage collector's pause (app.services.collector), as the red flags use it."""

import gc

import pytest

from app.services import collector


def test_the_collector_is_paused_for_large_partnerships_only_and_always_resumed():
    assert gc.isenabled()
    with collector.paused(False):
        assert gc.isenabled()
    with collector.paused(True):
        assert not gc.isenabled()
        with collector.paused(True):  # another request at the same moment
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector.paused(True):
        raise RuntimeError("a rule failed")
    assert gc.isenabled()


def test_what_a_pause_leaves_is_frozen_until_the_next_pause_so_resuming_sweeps_nothing():
    gc.unfreeze()
    with collector.paused(True):
        made = [[n] for n in range(10_000)]  # tracked objects made while paused
    assert gc.get_freeze_count() >= len(made)
    assert gc.get_count()[0] < 700  # nothing new for the collector to sweep at once
    frozen = gc.get_freeze_count()
    with collector.paused(True):  # the next pause gives the frozen ones back to the collector
        assert gc.get_freeze_count() == 0
    assert gc.get_freeze_count() < frozen + 100
    gc.unfreeze()
    gc.collect()


def test_what_was_frozen_is_given_back_in_time_even_if_nothing_pauses_again(monkeypatch):
    import time

    monkeypatch.setattr(collector, "LONGEST_PAUSE", 0.05)
    gc.unfreeze()
    with collector.paused(True):
        made = [[n] for n in range(1_000)]
    assert gc.get_freeze_count() >= len(made)
    deadline = time.monotonic() + 5
    while gc.get_freeze_count() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert gc.get_freeze_count() == 0
