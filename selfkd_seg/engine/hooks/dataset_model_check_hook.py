"""Fail before training when the model's classes do not match the data's."""
from typing import List, Sequence, Tuple

import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from selfkd_seg.registry import HOOKS


def find_class_heads(model: nn.Module) -> List[Tuple[str, int]]:
    """(name, num_classes) of every prediction head inside ``model``.

    A head is any submodule whose class name ends in ``Head`` and that has an
    integer ``num_classes``: mmseg decode/auxiliary heads, mmpretrain
    classification heads, and self-teacher heads nested in distillers alike.
    """
    if is_model_wrapper(model):
        model = model.module
    heads = []
    for name, module in model.named_modules():
        num = getattr(module, 'num_classes', None)
        if type(module).__name__.endswith('Head') and isinstance(num, int) \
                and not isinstance(num, bool):
            heads.append((name, num))
    return heads


def check_num_classes(model: nn.Module, classes: Sequence[str]) -> None:
    """Raise if a head of ``model`` predicts a different number of classes.

    Args:
        model (nn.Module): The (possibly wrapped) model.
        classes (Sequence[str]): The dataset's class names.

    Raises:
        ValueError: naming each mismatched head, its ``num_classes`` and the
            dataset's number of classes.
    """
    bad = [(name, num) for name, num in find_class_heads(model)
           if num != len(classes)]
    if bad:
        heads = ', '.join(f'{name}.num_classes={num}' for name, num in bad)
        raise ValueError(
            f'model/dataset mismatch: {heads}, but the training dataset has '
            f'{len(classes)} classes {list(classes)}; set num_classes='
            f'{len(classes)} in the model config or fix the dataset metainfo')


@HOOKS.register_module()
class DatasetModelCheckHook(Hook):
    """Check before training that the heads' ``num_classes`` fit the data.

    A model whose ``decode_head.num_classes`` (or classifier
    ``head.num_classes``) differs from ``len(dataset.metainfo['classes'])``
    otherwise trains silently with wrong logits or fails deep inside the loss
    with a CUDA assert.  Add ``custom_hooks = [dict(type=
    'DatasetModelCheckHook')]`` to a config to get a clear error instead.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        dataset = runner.train_dataloader.dataset
        classes = getattr(dataset, 'metainfo', {}).get('classes')
        if classes is None:
            print_log(
                'DatasetModelCheckHook: the training dataset has no '
                "metainfo['classes']; skipped the num_classes check",
                logger='current')
            return
        check_num_classes(runner.model, classes)
