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


# ------------------------------------ heads with targets of their own (#33)
def _stdc_like(aux_classes=2, boundary=True):
    """A segmentor as mmseg's STDC config: a decode head and auxiliary heads
    of the dataset's classes, plus a 2-class boundary head."""
    from mmseg.models.decode_heads import STDCHead
    model = TinySegmentor(5)
    aux = [_head(5), _head(5)]
    if boundary:
        aux.append(
            STDCHead(
                in_channels=4,
                channels=4,
                num_convs=1,
                num_classes=aux_classes,
                boundary_threshold=0.1))
    else:
        aux.append(_head(aux_classes))
    model.auxiliary_head = nn.ModuleList(aux)
    return model


def test_stdc_boundary_head_is_not_class_checked():
    """STDC's detail head predicts boundaries (2 classes) on any dataset:
    stock STDC trains with the hook on."""
    DatasetModelCheckHook().before_train(_runner(_stdc_like()))
    # its decode head is still checked
    model = _stdc_like()
    model.decode_head = _head(21)
    with pytest.raises(
            ValueError,
            match=r'^model/dataset mismatch: '
            r'decode_head\.num_classes=21,'):
        DatasetModelCheckHook().before_train(_runner(model))


def test_an_auxiliary_mismatch_says_how_to_leave_the_head_out():
    model = _stdc_like(boundary=False)  # a 2-class FCN head: unknown kind
    with pytest.raises(ValueError) as err:
        DatasetModelCheckHook().before_train(_runner(model))
    msg = str(err.value)
    assert 'auxiliary_head.2.num_classes=2' in msg
    assert 'set num_classes=5' in msg
    assert "DatasetModelCheckHook(skip_heads=['auxiliary_head.2'])" in msg
    assert 'default_hooks.dataset_check.skip_heads' in msg
    # the way out it names works, and only for that head
    hook = HOOKS.build(
        dict(type='DatasetModelCheckHook', skip_heads=['auxiliary_head.2']))
    hook.before_train(_runner(model))
    model.auxiliary_head[0] = _head(7)
    with pytest.raises(ValueError, match=r'auxiliary_head\.0\.num_classes=7'):
        hook.before_train(_runner(model))


def test_decode_head_advice_has_no_skip_suggestion():
    with pytest.raises(ValueError) as err:
        DatasetModelCheckHook().before_train(_runner(TinySegmentor(21)))
    assert 'skip_heads' not in str(err.value)


def test_skip_heads_typo_is_refused_naming_the_heads():
    hook = DatasetModelCheckHook(skip_heads='auxiliary_head.9')
    with pytest.raises(
            ValueError,
            match=r"\['auxiliary_head\.9'\] name no "
            r"head of the model; its heads are \['decode_head'"):
        hook.before_train(_runner(_stdc_like()))


def test_check_num_classes_off():
    hook = DatasetModelCheckHook(check_num_classes=False)
    hook.before_train(_runner(TinySegmentor(21)))  # no error


def test_auxiliary_heads_like_the_decode_head_get_no_skip_advice():
    """Auxiliary heads predicting as many classes as the decode head (both
    wrong for the data) are the dataset's classes: only num_classes is
    advised."""
    model = _stdc_like()
    model.decode_head = _head(19)
    model.auxiliary_head[0] = _head(19)
    with pytest.raises(ValueError) as err:
        DatasetModelCheckHook().before_train(_runner(model))
    msg = str(err.value)
    assert 'auxiliary_head.0.num_classes=19' in msg
    assert 'skip_heads' not in msg
