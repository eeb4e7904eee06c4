"""Fail before the first step when the model and the data do not fit."""
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


def _loop_dataset(runner, loop: str):
    """The dataset of ``runner.<loop>_loop`` if that loop is configured."""
    if getattr(runner, f'_{loop}_loop', None) is None:
        return None
    return getattr(
        getattr(runner, f'{loop}_dataloader', None), 'dataset', None)


@HOOKS.register_module()
class DatasetModelCheckHook(Hook):
    """Check that the data fit the model before the first step.

    1. The heads' ``num_classes`` must equal ``len(dataset.metainfo
       ['classes'])``: a mismatch otherwise trains silently with wrong logits
       or fails deep inside the loss with a CUDA assert.
    2. ``check_labels``: every segmentation label map must hold only labels
       ``0..num_classes-1`` or the ignore index.  The hook configures (or
       inserts) :class:`~selfkd_seg.datasets.transforms.CheckSegLabels` in
       the train, val and test pipelines (:func:`enable_label_checks`), so a
       bad file stops the run with its path, the bad values and
       ``num_classes`` at its first load, before the step that would use it.

    Every selfkd_seg segmentation schedule lists it in ``default_hooks``
    (``dataset_check``), and ``tools/train.py`` adds it to configs that do
    not, so it is on for every dataset config.

    Args:
        check_labels (bool): Check label values. Defaults to True.
    """

    priority = 'VERY_HIGH'

    def __init__(self, check_labels: bool = True) -> None:
        self.check_labels = check_labels

    def _enable_label_checks(self, runner, loops) -> None:
        if not self.check_labels:
            return
        from selfkd_seg.datasets.transforms import enable_label_checks
        for loop in loops:
            dataset = _loop_dataset(runner, loop)
            if dataset is not None:
                enable_label_checks(dataset)

    def before_train(self, runner) -> None:
        dataset = runner.train_dataloader.dataset
        self._enable_label_checks(runner, ('train', 'val'))
        classes = getattr(dataset, 'metainfo', {}).get('classes')
        if classes is None:
            print_log(
                'DatasetModelCheckHook: the training dataset has no '
                "metainfo['classes']; skipped the num_classes check",
                logger='current')
            return
        check_num_classes(runner.model, classes)

    def before_val(self, runner) -> None:
        self._enable_label_checks(runner, ('val', ))

    def before_test(self, runner) -> None:
        self._enable_label_checks(runner, ('test', ))
