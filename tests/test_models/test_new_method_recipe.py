"""docs/architecture.md's recipe for adding a self-KD method, walked once: a
new method is one registered class on the FRSKD (or SFD) base, one config
that names it, and the import line that registers it (in the method's
``models/<part>/__init__.py``; here the test module is that import)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner
from mmseg.registry import MODELS as SEG_MODELS
from tiny_configs import config_path, shrink_seg_cfg

from selfkd_seg.models.segmentors import FRSKDSegmentor
from selfkd_seg.registry import MODELS


# 1. the method (selfkd_seg/models/segmentors/<method>.py, with
# @MODELS.register_module(codebases='mmseg') above it; registered by the
# fixture here, so that the global registries are left as they were)
class DoubleKDSegmentor(FRSKDSegmentor):
    """FRSKD with the KD term counted twice: the smallest new method."""

    def loss(self, inputs, data_samples):
        losses = super().loss(inputs, data_samples)
        losses['loss_kd'] = 2 * losses['loss_kd']
        return losses


# 2. the config (configs/<method>/<name>.py)
CONFIG = """_base_ = ['{base}']
model = dict(type='DoubleKDSegmentor')
"""


@pytest.fixture
def registered():
    MODELS.register_module(module=DoubleKDSegmentor, codebases='mmseg')
    yield
    for registry in (MODELS, SEG_MODELS):
        registry._module_dict.pop('DoubleKDSegmentor', None)


def test_a_new_method_is_one_class_and_one_config(registered, toy_voc_64,
                                                  tmp_path):
    path = tmp_path / 'double_kd_d0_toy.py'
    path.write_text(
        CONFIG.format(
            base=config_path('frskd_seg',
                             'frskd_efficientdet-d0_240it_toy.py')))
    cfg = shrink_seg_cfg(
        Config.fromfile(str(path)), toy_voc_64, str(tmp_path / 'work'), 2)
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    model = runner.model
    assert type(model) is DoubleKDSegmentor

    # its loss is FRSKD's with the one change, on the same weights and data
    frskd = MODELS.build(dict(cfg.model, type='FRSKDSegmentor'))
    frskd.load_state_dict(model.state_dict())
    dataset = runner.train_dataloader.dataset
    batch = model.data_preprocessor(
        pseudo_collate([dataset[0], dataset[1]]), True)
    torch.manual_seed(0)
    new = model.loss(**batch)
    torch.manual_seed(0)
    old = frskd.loss(**batch)
    assert torch.allclose(new['loss_kd'], 2 * old['loss_kd'])
    assert torch.allclose(new['decode.loss_ce'], old['decode.loss_ce'])

    # and it trains and checkpoints like every other method
    runner.train()
    assert osp.isfile(tmp_path / 'work' / 'iter_2.pth')
