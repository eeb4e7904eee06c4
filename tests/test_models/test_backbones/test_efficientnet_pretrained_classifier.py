"""The pretrained regime's path: a B0 trained as an mmpretrain classifier
(configs/frskd_cls/efficientnet-b0_12e_digits.py) is the seg backbone's
local weights file (issue 20)."""
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import selfkd_seg  # noqa: F401

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(__file__))))
PRETRAIN = osp.join(REPO, 'configs/frskd_cls/efficientnet-b0_12e_digits.py')
SEG = osp.join(REPO,
               'configs/efficientdet_seg/efficientdet-d0_360it_digits.py')


def _classifier(arch='b0'):
    from mmpretrain.registry import MODELS
    init_default_scope('mmpretrain')
    cfg = Config.fromfile(PRETRAIN).model
    cfg.backbone.arch = arch
    torch.manual_seed(1)
    model = MODELS.build(cfg)
    with torch.no_grad():  # weights no random init would give
        for i, p in enumerate(model.backbone.parameters()):
            p.add_(0.01 * (i % 7))
    return model


def _save(model, path):
    # as mmengine's CheckpointHook writes it: meta, state_dict and the
    # message hub with its HistoryBuffers (loaded with weights_only=True
    # thanks to selfkd_seg.compat's allow-list)
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance('pretrain_ckpt_test')
    hub.update_scalar('train/loss', 0.7)
    torch.save(
        dict(
            meta=dict(epoch=12),
            state_dict=model.state_dict(),
            message_hub=hub.state_dict()), path)
    return str(path)


def test_seg_model_loads_the_classifier_backbone_strictly(tmp_path):
    from mmseg.registry import MODELS
    classifier = _classifier()
    ckpt = _save(classifier, tmp_path / 'epoch_12.pth')
    init_default_scope('mmseg')
    cfg = Config.fromfile(SEG).model
    cfg.backbone.pretrained = ckpt
    seg = MODELS.build(cfg)
    seg.init_weights()
    seg_state = seg.backbone.state_dict()
    cls_state = classifier.backbone.state_dict()
    assert seg_state.keys() == cls_state.keys()
    for key, value in cls_state.items():
        assert torch.equal(seg_state[key], value), key
    # the classifier's neck/head are not part of the segmentor
    assert not any(
        k.startswith(('neck.gap', 'head.fc')) for k in seg.state_dict())


def test_a_classifier_of_another_arch_is_refused_naming_the_file(tmp_path):
    from selfkd_seg.models.backbones import EfficientNetBackbone
    ckpt = _save(_classifier('b1'), tmp_path / 'b1_classifier.pth')
    backbone = EfficientNetBackbone(arch='b0', pretrained=ckpt)
    with pytest.raises(ValueError) as err:
        backbone.init_weights()
    msg = str(err.value)
    assert 'b1_classifier.pth' in msg and "arch='b0'" in msg
    assert 'missing keys' in msg or 'shape mismatch' in msg


def test_a_checkpoint_without_efficientnet_weights_is_refused(tmp_path):
    from selfkd_seg.models.backbones import EfficientNetBackbone
    path = tmp_path / 'other.pth'
    torch.save(
        dict(
            state_dict=dict(
                {'backbone.conv1.weight': torch.zeros(16, 3, 3, 3)})), path)
    with pytest.raises(ValueError, match='other.pth'):
        EfficientNetBackbone(arch='b0', pretrained=str(path)).init_weights()
