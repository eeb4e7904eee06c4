"""A deterministic held-out part of a training set."""
from typing import Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset

from selfkd_seg.registry import DATASETS

PARTS = ('train', 'held_out')


@DATASETS.register_module()
class HoldOutSplit:
    """One of two disjoint parts of ``dataset``: ``'train'`` or ``'held_out'``.

    Decisions taken during training (here: whether FRSKD's self-teacher
    leads, :class:`~selfkd_seg.engine.hooks.SelfTeacherLeadHook`) must not
    look at the split whose numbers are reported.  This wrapper carves a
    fixed part out of the training set instead: ``hold_out`` samples chosen
    by a permutation of ``seed`` (the same for every run, whatever the
    training seed), which the ``'train'`` part excludes.  Give every method
    of a comparison the ``'train'`` part, so all train on the same images.

    Args:
        dataset (dict | BaseDataset): The training set (its config, or the
            built dataset). Use the test pipeline for the held-out part.
        hold_out (int | float): How many samples to hold out (an int >= 1)
            or which fraction (a float in (0, 1)).
        part (str): ``'train'`` (the rest) or ``'held_out'``.
        seed (int): The permutation's seed. Default: 0.
    """

    def __init__(self,
                 dataset: Union[dict, BaseDataset],
                 hold_out: Union[int, float],
                 part: str = 'train',
                 seed: int = 0):
        if part not in PARTS:
            raise ValueError(f'HoldOutSplit: part must be one of {PARTS}, '
                             f'got {part!r}')
        if isinstance(dataset, dict):
            dataset = DATASETS.build(dataset)
        self.dataset = dataset
        self.part = part
        self.seed = int(seed)
        total = len(dataset)
        if isinstance(hold_out,
                      bool) or not isinstance(hold_out, (int, float)):
            raise TypeError(f'HoldOutSplit: hold_out must be an int or a '
                            f'float, got {hold_out!r}')
        if isinstance(hold_out, float):
            if not 0 < hold_out < 1:
                raise ValueError('HoldOutSplit: a fractional hold_out must '
                                 f'be in (0, 1), got {hold_out}')
            count = max(1, int(round(hold_out * total)))
        else:
            count = hold_out
        if not 1 <= count < total:
            raise ValueError(
                f'HoldOutSplit: hold_out={hold_out} leaves no training or no '
                f'held-out sample of the {total} in the dataset')
        order = np.random.RandomState(self.seed).permutation(total)
        held = np.sort(order[:count])
        chosen = held if part == 'held_out' else np.sort(order[count:])
        self.indices: Sequence[int] = [int(i) for i in chosen]

    @property
    def metainfo(self) -> dict:
        return self.dataset.metainfo

    def full_init(self) -> None:
        self.dataset.full_init()

    def get_data_info(self, idx: int) -> dict:
        return self.dataset.get_data_info(self.indices[idx])

    def __getitem__(self, idx: int):
        return self.dataset[self.indices[idx]]

    def __len__(self) -> int:
        return len(self.indices)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(part={self.part!r}, '
                f'{len(self)} of {len(self.dataset)} samples, '
                f'seed={self.seed})')


__all__ = ['HoldOutSplit']
