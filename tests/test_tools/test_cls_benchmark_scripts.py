"""benchmark_frskd_cls.py and the toy comparisons (compare_cls_toy.py,
compare_sfd_toy.py: selfkd_seg.apis.compare_toy): the pieces, on tiny input."""
import argparse
import importlib.util
import os.path as osp

import pytest

import selfkd_seg  # noqa: F401

pytest.importorskip('mmpretrain')
from mmengine.registry import MODELS, init_default_scope  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO, 'tools', 'analysis', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('method,expected', [
    ('baseline', 'ImageClassifier'), ('frskd', 'FRSKDClassifier'),
    ('frskd_sla', 'FRSKDSLAClassifier')])
def test_compare_builds_the_same_classifier_per_method(method, expected):
    from selfkd_seg.apis import compare_toy as tool
    args = argparse.Namespace(
        backbone='wrn10_1', batch=4, lr=0.05, epochs=3, work_dir='/tmp/x')
    cfg = tool.frskd_cfg(args, method, 0, '/data', num_classes=5)
    assert cfg.model.type == expected
    assert cfg.model.head.num_classes == 5
    assert cfg.randomness.seed == 0
    assert cfg.train_cfg.max_epochs == 3
    init_default_scope('mmpretrain')
    model = MODELS.build(cfg.model)
    # the deployable classifier is identical for every method
    assert sum(p.numel() for n, p in model.named_parameters()
               if n.split('.')[0] in ('backbone', 'head')) == 77493
    with pytest.raises(ValueError, match='num-classes'):
        tool.toy_classes(17)


@pytest.mark.parametrize('method,expected', [
    ('teacher', 'ImageClassifier'), ('student', 'ImageClassifier'),
    ('kd', 'SFDClassifier'), ('sfd', 'SFDClassifier')])
def test_sfd_comparison_builds_each_method(method, expected):
    from selfkd_seg.apis.compare_toy import sfd_cfg
    args = argparse.Namespace(batch=4, lr=0.05, work_dir='/tmp/x')
    cfg = sfd_cfg(args, method, 0, '/data', 5, epochs=2, teacher_ckpt='t')
    assert cfg.model.type == expected and cfg.model.head.num_classes == 5
    if method == 'student':
        assert 'teacher' not in cfg.model and 'distill' not in cfg.model
    assert bool(cfg.custom_hooks) == (method == 'sfd')


def test_interleaved_timing_returns_one_median_per_model():
    bench = _tool('benchmark_frskd_cls')
    init_default_scope('mmpretrain')
    cfg = dict(
        type='ImageClassifier',
        backbone=dict(type='WideResNet', depth=10, widen_factor=1,
                      norm_in_blocks=False, out_indices=(0, 1, 2)),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=64),
        data_preprocessor=dict(num_classes=3))
    frskd = dict(cfg, type='FRSKDClassifier',
                 self_teacher=dict(type='FRSKDBiFPNc', width=1))
    models = [MODELS.build(cfg), MODELS.build(frskd)]
    times = bench.time_train_steps(
        models, bench.fake_batch(2, 3, size=16), steps=2, warmup=1)
    assert len(times) == 2 and all(t > 0 for t in times)
