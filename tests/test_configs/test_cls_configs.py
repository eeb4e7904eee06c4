"""Classification configs: every one parses and builds; the toy one trains."""
import copy
import glob
import os.path as osp

import pytest

import selfkd_seg  # noqa: F401
from selfkd_research.synthetic_data.toy_cls import make_toy_cls

pytest.importorskip('mmpretrain')
from mmengine.config import Config  # noqa: E402
from mmengine.runner import Runner  # noqa: E402
from mmpretrain.registry import MODELS  # noqa: E402

ROOT = osp.join(osp.dirname(__file__), '..', '..', 'configs')
# the papers' recipes, the toy pair and the digits classifiers
CLS_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'frskd_cls', '*.py')))


@pytest.mark.parametrize('path', CLS_CONFIGS, ids=osp.basename)
def test_config_parses_and_builds(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmpretrain'
    assert 'selfkd_seg' in cfg.custom_imports['imports']
    for loader in ('train_dataloader', 'val_dataloader'):
        dataset = cfg[loader]['dataset']
        if dataset['type'].startswith('CIFAR'):
            assert dataset['download'] is False
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    model = MODELS.build(model_cfg)
    if cfg.model.type == 'FRSKDClassifier':
        assert hasattr(model, 'self_teacher')
        assert model.self_teacher.num_classes == cfg.model.head.num_classes


def test_frskd_overhaul_loss_has_no_overhaul_divisor():
    """The FRSKD code's OD loss sums the masked squared error / batch size
    with no /1000 (Overhaul's own loss has it): same beta, same strength."""
    cfg = Config.fromfile(
        osp.join(ROOT, 'frskd_cls',
                 'frskd-overhaul_cifar-resnet18_200e_cifar100.py'))
    model = MODELS.build(
        dict(cfg.model, data_preprocessor=cfg.get('data_preprocessor')))
    assert model.distill_losses['feat'].mul_factor == 1.0
    assert cfg.model.distill.feature_loss == dict(
        type='OFDLoss', mul_factor=1.0)


def _expected_weights(name):
    if 'imagenet32' in name:
        return 3.0, 100.0
    if 'cifar100' in name:
        return 2.0, 0.0 if name.startswith('frskd-f_') else 100.0
    return 1.0, 200.0


@pytest.mark.parametrize(
    'path',
    [
        p for p in CLS_CONFIGS
        if osp.basename(p).startswith('frskd') and not p.endswith(
            ('_toy.py', '_digits.py'))  # the papers' recipes only
    ],
    ids=osp.basename)
def test_frskd_weights_follow_the_paper(path):
    cfg = Config.fromfile(path)
    alpha, beta = _expected_weights(osp.basename(path))
    assert (cfg.model.distill.alpha, cfg.model.distill.beta) == (alpha, beta)


def _tiny_run_cfg(tmp_path, augments=None):
    root = make_toy_cls(str(tmp_path / 'toy'), dict(train=2, val=1))
    cfg = Config.fromfile(
        osp.join(ROOT, 'frskd_cls', 'frskd_wrn-10-1_4e_toy.py'))
    cfg.work_dir = str(tmp_path / 'work')
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.data_root = root
        cfg[loader].batch_size = 4
    cfg.train_cfg = dict(
        type='IterBasedTrainLoop', max_iters=3, val_interval=3)
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=3, by_epoch=False)
    cfg.log_processor = dict(by_epoch=False)
    if augments is not None:
        cfg.model.head.loss = dict(type='CrossEntropyLoss', use_soft=True)
        cfg.model.train_cfg = dict(augments=augments)
    return cfg


@pytest.mark.parametrize(
    'augments', [None, dict(type='CutMix', alpha=1.0)],
    ids=['frskd', 'frskd+cutmix'])
def test_toy_training_runs(tmp_path, augments):
    cfg = _tiny_run_cfg(tmp_path, augments)
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert osp.isfile(osp.join(cfg.work_dir, 'iter_3.pth'))
    logged = runner.message_hub.log_scalars
    for key in ('loss_cls', 'loss_self_teacher', 'loss_kd', 'loss_feat'):
        assert f'train/{key}' in logged
    assert 'val/accuracy/top1' in logged
