import math

import pytest
import torch
from efficientnet_pytorch import EfficientNet
from efficientnet_pytorch.utils import MemoryEfficientSwish
from torch.nn.modules.batchnorm import _BatchNorm

import selfkd_seg  # noqa: F401  (compat before mmseg / registration)
from selfkd_seg.models.backbones import EfficientNetBackbone

STRIDES = (2, 4, 8, 16, 32)
CHANNELS_B0_B1 = (16, 24, 40, 112, 320)


@pytest.mark.parametrize('arch', ['b0', 'b1'])
def test_endpoint_shapes_and_channels(arch):
    model = EfficientNetBackbone(arch, out_indices=(0, 1, 2, 3, 4)).eval()
    assert model.out_channels == CHANNELS_B0_B1
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 66, 50))
    for out, stride, channels in zip(outs, STRIDES, CHANNELS_B0_B1):
        # Dynamic TF-same padding: ceil(size / stride) for any size.
        assert out.shape == (1, channels, math.ceil(66 / stride),
                             math.ceil(50 / stride))


def test_default_out_indices_are_strides_4_to_32():
    model = EfficientNetBackbone()
    assert model.out_indices == (1, 2, 3, 4)
    assert model.out_channels == (24, 40, 112, 320)
    assert EfficientNetBackbone(out_indices=(3, 1)).out_channels == (112, 24)


def test_head_conv_is_not_built():
    model = EfficientNetBackbone()
    keys = model.state_dict().keys()
    assert not any(k.startswith(('_conv_head', '_bn1.', '_fc')) for k in keys)


def _full_model_file(tmp_path, arch):
    """A full ImageNet-format file (incl. head conv and fc) from from_name."""
    torch.manual_seed(0)
    net = EfficientNet.from_name(f'efficientnet-{arch}')
    path = tmp_path / f'efficientnet-{arch}.pth'
    torch.save(net.state_dict(), path)
    return net, str(path)


def test_local_weights_file_loads_and_matches_package_endpoints(tmp_path):
    net, path = _full_model_file(tmp_path, 'b0')
    assert any(k.startswith('_fc.') for k in net.state_dict())
    model = EfficientNetBackbone(pretrained=path, out_indices=(0, 1, 2, 3, 4))
    model.init_weights()
    for key, value in model.state_dict().items():
        assert torch.equal(value, net.state_dict()[key]), key
    model.eval(), net.eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        ours = model(x)
        theirs = net.extract_endpoints(x)
    for i, out in enumerate(ours):
        torch.testing.assert_close(out, theirs[f'reduction_{i + 1}'])


def test_backbone_only_file_and_checkpoint_dict_load(tmp_path):
    source = EfficientNetBackbone()
    path = tmp_path / 'backbone.pth'
    torch.save({'state_dict': source.state_dict()}, path)
    model = EfficientNetBackbone(pretrained=str(path))
    model.init_weights()
    torch.testing.assert_close(model.state_dict(), source.state_dict())


def test_weights_of_another_variant_fail_with_clear_message(tmp_path):
    _, path = _full_model_file(tmp_path, 'b1')
    model = EfficientNetBackbone('b0', pretrained=path)
    with pytest.raises(ValueError) as err:
        model.init_weights()
    msg = str(err.value)
    assert path in msg and 'efficientnet-b0' in msg
    assert 'shape mismatch' in msg and 'unexpected keys' in msg


def test_missing_weights_file_and_bad_arguments():
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        EfficientNetBackbone(pretrained='nope.pth').init_weights()
    with pytest.raises(ValueError, match='unknown EfficientNet arch'):
        EfficientNetBackbone('b42')
    for bad in [(), (1, 5), (2, 2), (-1, )]:
        with pytest.raises(ValueError, match='out_indices'):
            EfficientNetBackbone(out_indices=bad)
    with pytest.raises(ValueError, match='frozen_stages'):
        EfficientNetBackbone(frozen_stages=6)
    with pytest.raises(ValueError, match='pretrained and init_cfg'):
        EfficientNetBackbone(
            pretrained='x.pth', init_cfg=dict(type='Pretrained'))


def _bn_layers(module):
    return [m for m in module.modules() if isinstance(m, _BatchNorm)]


@pytest.mark.parametrize('frozen_stages, last_frozen_block', [(0, -1), (2, 2),
                                                              (5, 15)])
def test_frozen_stages(frozen_stages, last_frozen_block):
    # b0 endpoints end at blocks 0, 2, 4, 10, 15 (reduction_1..5).
    model = EfficientNetBackbone(frozen_stages=frozen_stages)
    model.train()
    frozen = [model._conv_stem, model._bn0]
    frozen += list(model._blocks[:last_frozen_block + 1])
    trainable = list(model._blocks[last_frozen_block + 1:])
    for module in frozen:
        assert all(not p.requires_grad for p in module.parameters())
        assert all(not bn.training for bn in _bn_layers(module))
    for module in trainable:
        assert all(p.requires_grad for p in module.parameters())
        assert all(bn.training for bn in _bn_layers(module))
    assert len(trainable) == 16 - (last_frozen_block + 1)


def test_no_freezing_and_norm_eval():
    model = EfficientNetBackbone().train()
    assert all(p.requires_grad for p in model.parameters())
    assert all(bn.training for bn in _bn_layers(model))
    model = EfficientNetBackbone(norm_eval=True).train()
    assert all(not bn.training for bn in _bn_layers(model))
    assert all(p.requires_grad for p in model.parameters())


def test_memory_efficient_swish_switch():

    def has_memory_efficient(model):
        return any(
            isinstance(m, MemoryEfficientSwish) for m in model.modules())

    efficient = EfficientNetBackbone(memory_efficient_swish=True).eval()
    plain = EfficientNetBackbone(memory_efficient_swish=False).eval()
    plain.load_state_dict(efficient.state_dict())
    assert has_memory_efficient(efficient)
    assert not has_memory_efficient(plain)
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        for a, b in zip(efficient(x), plain(x)):
            torch.testing.assert_close(a, b)
    efficient.set_swish(memory_efficient=False)
    assert not has_memory_efficient(efficient)


def test_drop_connect_rate_override():
    x = torch.randn(2, 3, 32, 32)
    model = EfficientNetBackbone(drop_connect_rate=0.0).train()
    torch.testing.assert_close(model(x), model(x))
    model = EfficientNetBackbone(drop_connect_rate=0.9).train()
    torch.manual_seed(0)
    first = model(x)[-1]
    torch.manual_seed(1)
    assert not torch.allclose(first, model(x)[-1])


@pytest.mark.parametrize('scope', ['mmseg', 'mmpretrain'])
def test_registered_for_both_codebases(scope):
    """Shared part: built by name under either default scope (scoped
    registries, selfkd_seg/registry.py)."""
    from mmengine.registry import MODELS, DefaultScope
    with DefaultScope.overwrite_default_scope(scope):
        model = MODELS.build(dict(type='EfficientNetBackbone', arch='b0'))
    assert isinstance(model, EfficientNetBackbone)


def test_bn_momentum_override_reaches_every_bn_layer():
    from selfkd_seg.models.backbones.efficientnet import EfficientNetBackbone
    default = EfficientNetBackbone(arch='b0')
    fast = EfficientNetBackbone(arch='b0', bn_momentum=0.1)
    bns = [m for m in fast.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and all(m.momentum == 0.1 for m in bns)
    assert all(m.momentum == pytest.approx(0.01) for m in default.modules()
               if isinstance(m, torch.nn.BatchNorm2d))
