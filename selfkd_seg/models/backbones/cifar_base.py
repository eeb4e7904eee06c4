"""The contract shared by the CIFAR backbones (RepDistiller model zoo).

Every CIFAR backbone is a headless feature extractor split into *stages*
(shallow to deep) and offers:

* ``forward_stages(x) -> (pre_feats, post_feats)``: one entry per stage,
  computed in one pass.  ``pre_feats[i]`` is the stage output *before* its
  final ReLU (what Overhaul distillation and SFD's target use),
  ``post_feats[i]`` the feature the network passes on (after that ReLU).
  Where ``post == relu(pre)`` does not hold (linear bottlenecks) the
  subclass docstring says so.
* ``forward(x)``: the post-activation features at ``out_indices`` as a
  tuple, so ``mmpretrain``'s ``ImageClassifier`` + ``GlobalAveragePooling`` +
  ``LinearClsHead`` is a complete classifier.
* ``stage_channels`` and ``num_stages``.
* ``get_bn_before_relu()``: the norm layers whose outputs feed each stage's
  final ReLU (Overhaul computes its margin from their affine parameters).
"""
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.model import BaseModule

# RepDistiller initialises conv weights with He-normal (fan_out) and norm
# layers with weight 1, bias 0; conv biases (VGG) start at 0.
DEFAULT_INIT_CFG = [
    dict(type='Kaiming', layer='Conv2d', mode='fan_out', nonlinearity='relu'),
    dict(type='Constant', val=1, bias=0, layer=['_BatchNorm', 'GroupNorm'])
]


class CIFARBackbone(BaseModule):
    """Base class of the CIFAR backbones: ``out_indices`` and ``forward``.

    Subclasses set ``self.stage_channels`` (a tuple, one entry per stage)
    before calling :meth:`_init_out_indices`, and implement
    :meth:`forward_stages` and :meth:`get_bn_before_relu`.
    """

    stage_channels: Tuple[int, ...] = ()

    def __init__(self, init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(
            init_cfg=DEFAULT_INIT_CFG if init_cfg is None else init_cfg)

    @property
    def num_stages(self) -> int:
        return len(self.stage_channels)

    def _init_out_indices(
            self, out_indices: Optional[Union[int, Sequence[int]]]) -> None:
        """Validate ``out_indices`` (default: the last stage only)."""
        n = self.num_stages
        if out_indices is None:
            out_indices = (n - 1, )
        elif isinstance(out_indices, int):
            out_indices = (out_indices, )
        if not isinstance(out_indices, Sequence) or len(out_indices) == 0:
            raise TypeError('out_indices must be an int or a non-empty '
                            f'sequence of ints, got {out_indices!r}')
        normalized = []
        for index in out_indices:
            if not isinstance(index, int) or not -n <= index < n:
                raise ValueError(
                    f'{type(self).__name__} has {n} stages: every out_index '
                    f'must be an int in [{-n}, {n - 1}], got {out_indices!r}')
            normalized.append(index % n)
        self.out_indices = tuple(normalized)

    def forward_stages(
            self,
            x: torch.Tensor) -> Tuple[List[torch.Tensor], List[torch.Tensor]]:
        raise NotImplementedError

    def get_bn_before_relu(self) -> List[torch.nn.Module]:
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        _, post_feats = self.forward_stages(x)
        return tuple(post_feats[i] for i in self.out_indices)
