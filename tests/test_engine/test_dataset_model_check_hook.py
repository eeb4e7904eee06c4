from types import SimpleNamespace

import pytest
import torch.nn as nn
from mmseg.models.decode_heads import FCNHead  # noqa: E402

import selfkd_seg  # noqa: F401
from selfkd_seg.engine.hooks import DatasetModelCheckHook  # noqa: E402
from selfkd_seg.engine.hooks import check_num_classes
from selfkd_seg.registry import HOOKS  # noqa: E402

CLASSES = ('background', 'circle', 'square', 'triangle', 'stripes')


def _head(num_classes):
    return FCNHead(
        in_channels=4, channels=4, num_convs=1, num_classes=num_classes)


class TinySegmentor(nn.Module):

    def __init__(self, num_classes, teacher_classes=None):
        super().__init__()
        self.decode_head = _head(num_classes)
        if teacher_classes is not None:
            self.self_teacher = nn.Module()
            self.self_teacher.decode_head = _head(teacher_classes)


class ClsHead(nn.Module):  # the mmpretrain naming: ``head.num_classes``

    def __init__(self, num_classes):
        super().__init__()
        self.num_classes = num_classes


def _runner(model, classes=CLASSES):
    dataset = SimpleNamespace(metainfo=dict(classes=classes))
    return SimpleNamespace(
        model=model, train_dataloader=SimpleNamespace(dataset=dataset))


def test_registered_in_root_hooks():
    assert isinstance(
        HOOKS.build(dict(type='DatasetModelCheckHook')), DatasetModelCheckHook)


def test_matching_model_passes():
    DatasetModelCheckHook().before_train(_runner(TinySegmentor(5, 5)))
    check_num_classes(nn.Module(), CLASSES)  # no heads: nothing to check


def test_decode_head_mismatch_names_both_numbers():
    with pytest.raises(ValueError) as err:
        DatasetModelCheckHook().before_train(_runner(TinySegmentor(21)))
    msg = str(err.value)
    assert 'decode_head.num_classes=21' in msg and '5 classes' in msg


def test_nested_self_teacher_head_and_classifier_head_are_checked():
    with pytest.raises(
            ValueError,
            match=r'self_teacher\.decode_head\.'
            r'num_classes=3.*5 classes'):
        check_num_classes(TinySegmentor(5, teacher_classes=3), CLASSES)
    classifier = nn.Module()
    classifier.head = ClsHead(100)
    with pytest.raises(ValueError, match=r'head\.num_classes=100.*10 classes'):
        check_num_classes(classifier, [str(i) for i in range(10)])


def test_dataset_without_classes_is_skipped():
    runner = _runner(TinySegmentor(21))
    runner.train_dataloader.dataset.metainfo = {}
    DatasetModelCheckHook().before_train(runner)
