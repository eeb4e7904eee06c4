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


# heads trained on targets of their own, made from the label maps, not on
# the dataset's classes: class name -> what they predict
OWN_TARGET_HEADS = {
    'STDCHead': 'boundaries made from the labels (STDC\'s detail head)',
}


def check_num_classes(model: nn.Module, classes: Sequence[str],
                      skip_heads: Sequence = ()) -> None:  # yapf: disable
    """Raise if a head of ``model`` predicts a different number of classes.

    Heads whose targets are their own (:data:`OWN_TARGET_HEADS`, e.g. STDC's
    2-class boundary head) and the heads named in ``skip_heads`` (module
    names as :func:`find_class_heads` gives them, e.g.
    ``'auxiliary_head.2'``; a name covers the heads inside it) are not
    checked.

    Args:
        model (nn.Module): The (possibly wrapped) model.
        classes (Sequence[str]): The dataset's class names.
        skip_heads (Sequence[str]): Heads to leave out.

    Raises:
        ValueError: naming each mismatched head, its ``num_classes``, the
            dataset's number of classes and what to set; or naming a
            ``skip_heads`` entry that is no head of the model.
    """
    if is_model_wrapper(model):
        model = model.module
    modules = dict(model.named_modules())
    heads = find_class_heads(model)
    names = [name for name, _ in heads]
    unknown = [
        s for s in skip_heads
        if not any(n == s or n.startswith(s + '.') for n in names)
    ]
    if unknown:
        raise ValueError(
            f'DatasetModelCheckHook(skip_heads={list(skip_heads)}): '
            f'{unknown} name no head of the model; its heads are {names}')

    def skipped(name):
        return (any(name == s or name.startswith(s + '.') for s in skip_heads)
                or type(modules[name]).__name__ in OWN_TARGET_HEADS)

    bad = [(name, num) for name, num in heads
           if not skipped(name) and num != len(classes)]
    if not bad:
        return
    heads_txt = ', '.join(f'{name}.num_classes={num}' for name, num in bad)
    advice = (f'set num_classes={len(classes)} in the model config or fix the '
              'dataset metainfo')
    # an auxiliary head may predict targets of its own; one that predicts
    # as many classes as the decode head does not
    decode = dict(heads).get('decode_head')
    aux = [
        name for name, num in bad if 'auxiliary_head' in name and num != decode
    ]
    if aux:
        advice += (
            f'; if {", ".join(aux)} is trained on targets of its own (a '
            'boundary or other binary head), leave it out of this check: '
            f'DatasetModelCheckHook(skip_heads={aux}) (in selfkd_seg\'s '
            'schedules default_hooks.dataset_check.skip_heads), or '
            'check_num_classes=False')
    raise ValueError(
        f'model/dataset mismatch: {heads_txt}, but the training dataset has '
        f'{len(classes)} classes {list(classes)}; {advice}')


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
    not, so it is on for every dataset config. Heads trained on targets of
    their own are not class-checked: STDC's boundary head by its type
    (:data:`OWN_TARGET_HEADS`), any other by name (``skip_heads``).

    Args:
        check_labels (bool): Check label values. Defaults to True.
        check_num_classes (bool): Check the heads' ``num_classes``.
            Defaults to True.
        skip_heads (Sequence[str]): Heads (module names, e.g.
            ``'auxiliary_head.2'``) whose ``num_classes`` is not the
            dataset's by design. Defaults to ().
    """

    priority = 'VERY_HIGH'

    def __init__(self,
                 check_labels: bool = True,
                 check_num_classes: bool = True,
                 skip_heads: Sequence = ()) -> None:  # yapf: disable
        if isinstance(skip_heads, str):
            skip_heads = (skip_heads, )
        self.check_labels = check_labels
        self.check_num_classes = check_num_classes
        self.skip_heads = tuple(skip_heads)

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
        if not self.check_num_classes:
            return
        classes = getattr(dataset, 'metainfo', {}).get('classes')
        if classes is None:
            print_log(
                'DatasetModelCheckHook: the training dataset has no '
                "metainfo['classes']; skipped the num_classes check",
                logger='current')
            return
        check_num_classes(runner.model, classes, self.skip_heads)

    def before_val(self, runner) -> None:
        self._enable_label_checks(runner, ('val', ))

    def before_test(self, runner) -> None:
        self._enable_label_checks(runner, ('test', ))
