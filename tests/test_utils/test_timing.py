"""The package's one timer (selfkd_seg.utils.timing): the deploy latency
check and the checkout's benchmarks use it."""
from selfkd_seg.utils import timing


def test_interleaved_medians_rotate_the_order_and_take_medians(monkeypatch):
    clock = [0.0]
    durations = dict(a=[7, 1, 2, 9], b=[7, 4, 100, 4])  # warm-up first
    calls = []

    def timed(name):

        def run():
            calls.append(name)
            clock[0] += durations[name].pop(0)

        return run

    monkeypatch.setattr(timing.time, 'perf_counter', lambda: clock[0])
    medians = timing.interleaved_medians(
        dict(a=timed('a'), b=timed('b')), steps=3, warmup=1)
    assert medians == dict(a=2, b=4)
    # warm-up, then one call of each per round, the order rotating
    assert calls == ['a', 'b', 'a', 'b', 'b', 'a', 'a', 'b']
