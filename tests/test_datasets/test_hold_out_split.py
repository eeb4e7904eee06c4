"""HoldOutSplit: a fixed held-out part of the training set (issue 30)."""
import pytest
import torch
from mmengine.dataset import BaseDataset

import selfkd_seg  # noqa: F401
from selfkd_seg.datasets import HoldOutSplit
from selfkd_seg.registry import DATASETS


class _Numbers(BaseDataset):
    METAINFO = dict(classes=('a', 'b'))

    def __init__(self, n=20, **kwargs):
        self.n = n
        super().__init__(serialize_data=False, **kwargs)

    def load_data_list(self):
        return [dict(value=i) for i in range(self.n)]


def _values(split):
    return [split[i]['value'] for i in range(len(split))]


def test_parts_are_disjoint_cover_the_set_and_do_not_depend_on_torch_seed():
    torch.manual_seed(0)
    train = HoldOutSplit(_Numbers(), hold_out=5, part='train')
    torch.manual_seed(123)
    held = HoldOutSplit(_Numbers(), hold_out=5, part='held_out')
    assert len(train) == 15 and len(held) == 5
    assert set(_values(train)).isdisjoint(_values(held))
    assert sorted(_values(train) + _values(held)) == list(range(20))
    # the permutation of seed 0, by hand
    import numpy as np
    expected = sorted(np.random.RandomState(0).permutation(20)[:5].tolist())
    assert _values(held) == expected
    # another seed holds out other samples; a fraction counts samples
    other = HoldOutSplit(_Numbers(), hold_out=5, part='held_out', seed=1)
    assert _values(other) != _values(held)
    assert len(HoldOutSplit(_Numbers(), hold_out=0.25, part='held_out')) == 5
    assert train.metainfo['classes'] == ('a', 'b')
    assert train.get_data_info(0)['value'] == _values(train)[0]


def test_built_from_a_config_through_the_registry():
    DATASETS.register_module(module=_Numbers, force=True)
    split = DATASETS.build(
        dict(
            type='HoldOutSplit',
            hold_out=3,
            part='held_out',
            dataset=dict(type='_Numbers', n=10)))
    assert len(split) == 3 and 'held_out' in repr(split)


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(hold_out=20), ValueError, 'leaves no training'),
    (dict(hold_out=0), ValueError, 'leaves no training'),
    (dict(hold_out=1.5), ValueError, r'in \(0, 1\)'),
    (dict(hold_out='5'), TypeError, 'int or a float'),
    (dict(hold_out=5, part='val'), ValueError, 'part must be one of'),
])
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        HoldOutSplit(_Numbers(), **kwargs)
