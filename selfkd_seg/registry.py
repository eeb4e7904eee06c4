"""Where selfkd_seg registers its components.

Parts shared by segmentation and classification (losses, self-teacher necks,
integrators, CIFAR backbones, hooks) go to mmengine's *root* registries, which
are the parents of mmseg's and mmpretrain's: a config with
``default_scope='mmseg'`` or ``'mmpretrain'`` finds them alike.  Parts that only
make sense in one codebase (segmentors, decode heads, datasets) register in
that codebase's registry.
"""
from mmengine.registry import HOOKS, MODELS

__all__ = ['MODELS', 'HOOKS']
