"""Where selfkd_seg registers its components.

Parts shared by segmentation and classification (losses, self-teacher necks,
integrators, CIFAR backbones, hooks) go to mmengine's *root* registries, which
are the parents of mmseg's and mmpretrain's: a config with
``default_scope='mmseg'`` or ``'mmpretrain'`` finds them alike.  Parts that only
make sense in one codebase (segmentors, decode heads, datasets) register in
that codebase's registry.
"""
import functools
import warnings

from mmengine.registry import HOOKS, MODELS

__all__ = ['MODELS', 'HOOKS', 'register_deprecated_alias']


def register_deprecated_alias(old: str, cls: type, registry=MODELS) -> None:
    """Keep a renamed config ``type`` working for a release.

    ``type=old`` builds ``cls`` and warns once per process; checkpoints are
    unaffected (the module is the same).
    """

    @functools.wraps(cls, updated=())
    def build(*args, **kwargs):
        if old not in _warned:
            _warned.add(old)
            warnings.warn(
                f"type='{old}' is deprecated and will be removed in the next "
                f"release; use type='{cls.__name__}'", FutureWarning)
        return cls(*args, **kwargs)

    registry.register_module(name=old, module=build)


_warned = set()
