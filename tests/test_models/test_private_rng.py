"""PrivateRandomStream: a training-only part's random numbers, apart from
the global stream and reproducible on resume."""
import torch
from mmengine.logging import MessageHub

from selfkd_seg.models.utils.private_rng import (PrivateRandomStream,
                                                 initialised_apart)


def test_draws_leave_the_global_stream_untouched():
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    stream = PrivateRandomStream('part')
    with stream.build():
        torch.nn.Linear(8, 8)  # kaiming init draws
    with stream.step():
        torch.rand(100)
    assert torch.equal(torch.rand(3), expected)


def test_one_draw_per_iteration_and_call_reproducible_without_state():
    hub = MessageHub.get_instance('private_rng_test')
    torch.manual_seed(1)
    first, again = PrivateRandomStream('a'), PrivateRandomStream('a')
    draws = {}
    for it in (0, 0, 1):
        hub.update_info('iter', it)
        with first.step():
            draws.setdefault(it, []).append(torch.rand(2))
    # a second call in the same iteration (gradient accumulation) and the
    # next iteration draw other numbers
    assert not torch.equal(draws[0][0], draws[0][1])
    assert not torch.equal(draws[0][0], draws[1][0])
    # a fresh stream (a resumed run) at iteration 1 draws what the
    # uninterrupted one drew there
    hub.update_info('iter', 1)
    with again.step():
        assert torch.equal(torch.rand(2), draws[1][0])
    # another name or another global seed is another stream
    with PrivateRandomStream('b').step():
        assert not torch.equal(torch.rand(2), draws[1][0])
    torch.manual_seed(2)
    with PrivateRandomStream('a').step():
        assert not torch.equal(torch.rand(2), draws[1][0])


def test_initialised_apart_skips_the_part_then_initialises_it():
    from mmengine.model import BaseModule

    class Part(BaseModule):

        def __init__(self):
            super().__init__(
                init_cfg=dict(type='Normal', std=1.0, layer='Linear'))
            self.fc = torch.nn.Linear(4, 4)

    class Model(BaseModule):

        def __init__(self, with_part):
            super().__init__(
                init_cfg=dict(type='Normal', std=1.0, layer='Linear'))
            self.head = torch.nn.Linear(4, 4)
            if with_part:
                self.part = Part()

    torch.manual_seed(3)
    model = Model(with_part=True)
    constructed = model.part.fc.weight.clone()
    torch.manual_seed(4)
    with initialised_apart(model, 'part', PrivateRandomStream('part')):
        model.init_weights()
    after = torch.rand(2)

    torch.manual_seed(3)
    plain = Model(with_part=False)
    torch.manual_seed(4)
    plain.init_weights()
    # the rest of the model, and the global stream, as without the part
    assert torch.equal(model.head.weight, plain.head.weight)
    assert torch.equal(after, torch.rand(2))
    # the part was initialised too (in its own stream), in its place
    assert model.part.is_init
    assert list(model._modules) == ['head', 'part']
    assert not torch.equal(model.part.fc.weight, constructed)
