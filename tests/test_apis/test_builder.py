"""The one builder of a model outside training
(selfkd_seg.apis.builder.build_inference_model): student or full model,
SyncBN as BN, nothing downloaded, the checkpoint loaded strictly with
weights_only semantics, eval mode, the device."""
import copy
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config

import selfkd_seg  # noqa: F401
from selfkd_seg.apis import build_inference_model
from selfkd_seg.apis.builder import prepare_model_cfg
from selfkd_seg.compat import UnsafeCheckpointError
from selfkd_seg.engine.student_loading import CheckpointMismatchError

pytest.importorskip('mmpretrain')

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLS_CFG = osp.join(REPO, 'configs', 'frskd_cls', 'wrn-10-1_4e_toy.py')
FRSKD_CLS_CFG = osp.join(REPO, 'configs', 'frskd_cls',
                         'frskd_wrn-10-1_4e_toy.py')
SEG_CFG = osp.join(REPO, 'configs', 'efficientdet_seg',
                   'efficientdet-d0_240it_toy.py')
# a narrower BiFPN and head: quicker to build
SEG_SHRINK = {
    'model.neck.num_layers': 1,
    'model.neck.out_channels': 16,
    'model.decode_head.in_channels': 16,
    'model.decode_head.channels': 16,
    'model.decode_head.num_convs': 1,
}
URL = 'https://download.invalid/weights.pth'


@pytest.fixture
def no_network(monkeypatch):
    """Every way mmengine and torch fetch weights raises."""
    import mmengine.runner.checkpoint as ckpt_module
    import torch.hub
    import torch.utils.model_zoo

    def refuse(*args, **kwargs):
        raise AssertionError(f'a download was attempted: {args[:1]}')

    monkeypatch.setattr(torch.hub, 'load_state_dict_from_url', refuse)
    monkeypatch.setattr(torch.utils.model_zoo, 'load_url', refuse)
    monkeypatch.setattr(ckpt_module, 'load_from_http', refuse)
    monkeypatch.setattr(ckpt_module, 'load_url', refuse, raising=False)
    monkeypatch.setattr(ckpt_module.CheckpointLoader, 'load_checkpoint',
                        classmethod(refuse))


def frskd_state_dict(seed=0):
    """A FRSKD classifier's training weights (student + self-teacher)."""
    model = build_inference_model(FRSKD_CLS_CFG)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            param.copy_(torch.randn(param.shape, generator=gen))
    return model.state_dict()


def test_student_and_full_model(tmp_path):
    state = frskd_state_dict()
    ckpt = str(tmp_path / 'frskd_epoch_1.pth')
    torch.save(
        dict(
            state_dict=state,
            meta=dict(dataset_meta=dict(classes=('a', 'b', 'c', 'd')))), ckpt)

    student = build_inference_model(CLS_CFG, ckpt, part='student')
    assert type(student).__name__ == 'ImageClassifier'
    assert not student.training
    assert all(not m.training for m in student.modules())
    assert student.load_info['dropped_modules'] == ['self_teacher']
    assert student.dataset_meta['classes'] == ('a', 'b', 'c', 'd')
    assert isinstance(student.cfg, Config)
    torch.testing.assert_close(student.head.fc.weight, state['head.fc.weight'])

    full = build_inference_model(FRSKD_CLS_CFG, ckpt, part='full')
    assert hasattr(full, 'self_teacher') and not full.training
    assert full.load_info['training_modules_loaded'] is True
    for key, value in full.state_dict().items():
        torch.testing.assert_close(value, state[key], msg=key)

    # the student alone needs the plain student config
    with pytest.raises(ValueError, match='plain student config'):
        build_inference_model(FRSKD_CLS_CFG, ckpt, part='student')
    with pytest.raises(ValueError, match='part must be one of'):
        build_inference_model(CLS_CFG, part='teacher')


def test_full_model_from_an_exported_student(tmp_path):
    """A FRSKD config with an exported student: the self-teacher stays as
    built, unless the caller needs it (attention maps)."""
    from selfkd_seg.apis import export_student_checkpoint
    ckpt = str(tmp_path / 'frskd.pth')
    torch.save(dict(state_dict=frskd_state_dict()), ckpt)
    student = str(tmp_path / 'student.pth')
    export_student_checkpoint(ckpt, student)
    full = build_inference_model(FRSKD_CLS_CFG, student)
    assert full.load_info['training_modules_loaded'] is False
    with pytest.raises(
            CheckpointMismatchError,
            match=r'student.pth lacks training-only weights.*'
            r'self_teacher\.'):
        build_inference_model(
            FRSKD_CLS_CFG, student, require_training_weights=True)


def test_sync_bn_becomes_bn_and_the_config_is_not_changed():
    cfg = Config.fromfile(SEG_CFG)
    cfg.merge_from_dict(SEG_SHRINK)
    for part in (cfg.model.neck, cfg.model.decode_head):
        part.norm_cfg.type = 'SyncBN'
    before = copy.deepcopy(cfg.model.to_dict())
    model = build_inference_model(cfg)
    assert not any(isinstance(m, nn.SyncBatchNorm) for m in model.modules())
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.neck.modules())
    assert cfg.model.to_dict() == before  # the caller's config is untouched
    assert model.cfg.model.neck.norm_cfg.type == 'BN'


def test_nothing_is_downloaded(no_network):
    options = {
        'model.pretrained':
        URL,
        'model.backbone.init_cfg':
        dict(type='Pretrained', checkpoint=URL),
        'model.head.init_cfg': [
            dict(type='Normal', layer='Linear', std=0.01),
            dict(type='Pretrained', checkpoint=URL)
        ],
    }
    model = build_inference_model(CLS_CFG, cfg_options=options)
    model.init_weights()  # would fetch URL if an init_cfg still named it
    assert URL not in str(model.cfg.model)
    assert model.cfg.model.head.init_cfg == [
        dict(type='Normal', layer='Linear', std=0.01)
    ]
    # a backbone's own pretrained weights (read or fetched when built)
    cfg = Config.fromfile(SEG_CFG)
    cfg.merge_from_dict({**SEG_SHRINK, 'model.backbone.pretrained': URL})
    model = build_inference_model(cfg)
    assert model.cfg.model.backbone.pretrained is None


def test_prepare_model_cfg_for_a_teacher_student_config():
    cfg = Config(
        dict(
            default_scope='mmpretrain',
            data_preprocessor=dict(mean=[0, 0, 0]),
            model=dict(
                type='SFDClassifier',
                pretrained=URL,
                backbone=dict(
                    type='X', pretrained=True, norm_cfg=dict(type='SyncBN')),
                teacher=dict(backbone=dict(type='Y', pretrained=URL)),
                teacher_ckpt='checkpoints/teachers/t.pth')))
    model_cfg = prepare_model_cfg(cfg)
    assert model_cfg is cfg.model
    assert 'pretrained' not in model_cfg
    assert model_cfg.backbone.pretrained is False
    assert model_cfg.backbone.norm_cfg.type == 'BN'
    assert model_cfg.teacher.backbone.pretrained is None
    assert model_cfg.teacher_ckpt is None
    assert model_cfg.allow_random_teacher is True
    assert model_cfg.data_preprocessor == dict(mean=[0, 0, 0])


def test_checkpoint_device_and_clear_errors(tmp_path, monkeypatch):
    from mmengine.registry import MODELS
    plain = build_inference_model(CLS_CFG)
    assert plain.load_info is None
    assert {p.device.type for p in plain.parameters()} == {'cpu'}
    # a missing file: named, and nothing is built first
    monkeypatch.setattr(MODELS, 'build', lambda *a, **k: 1 / 0)
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        build_inference_model(CLS_CFG, str(tmp_path / 'nope.pth'))
    monkeypatch.undo()
    # weights_only: a checkpoint that pickles an arbitrary object is refused
    unsafe = str(tmp_path / 'unsafe.pth')
    torch.save(
        dict(state_dict=plain.state_dict(), meta=dict(obj=_Arbitrary())),
        unsafe)
    with pytest.raises(UnsafeCheckpointError, match='unsafe.pth'):
        build_inference_model(CLS_CFG, unsafe)
    # a checkpoint of another model names the file and the keys
    other = str(tmp_path / 'other.pth')
    torch.save(dict(state_dict={'foo': torch.zeros(1)}), other)
    with pytest.raises(
            CheckpointMismatchError,
            match=r'other.pth does not fit.*not in the model: foo'):
        build_inference_model(CLS_CFG, other)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs CUDA')
def test_device_cuda():
    model = build_inference_model(CLS_CFG, device='cuda:0')
    assert {p.device.type for p in model.parameters()} == {'cuda'}


class _Arbitrary:
    pass
