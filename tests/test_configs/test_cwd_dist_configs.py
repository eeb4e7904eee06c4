"""The CWD / DIST configs (issue 32: configs/cwd/, configs/dist/ and the
compositions in configs/frskd_mmseg/, configs/sfd_seg/): every one loads
and builds without downloads (ImageNet weights and teacher checkpoints
off), the recipes say what the papers say, the composition configs only add
the logit term to their base, and the student of a zoo pair is mmseg's
stock model (strict load, same predictions)."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.hub import get_config
from mmengine.registry import init_default_scope

import selfkd_seg  # noqa: F401
from selfkd_seg.apis.config import replace_sync_bn
from selfkd_seg.models.utils import strip_distill_only

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# the algorithm folder of each kind of config
FOLDERS = (
    ('cwd_', 'cwd'),
    ('dist_', 'dist'),
    ('frskd-cwd_', 'frskd_mmseg'),
    ('frskd-dist_', 'frskd_mmseg'),
    ('sfd-cwd_', 'sfd_seg'),
    ('sfd-dist_', 'sfd_seg'),
    # the teacher-student table on the digits scenes (logit-only students)
    ('cwd_', 'sfd_seg'),
    ('dist_', 'sfd_seg'),
)
CONFIGS = sorted(
    p for prefix, folder in FOLDERS
    for p in glob.glob(osp.join(REPO, 'configs', folder, prefix + '*.py')))
NAMES = [osp.basename(p) for p in CONFIGS]


def path_of(name):
    return next(p for p in CONFIGS if osp.basename(p) == name)


ZOO = {
    'cwd_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py':
    ('pspnet/pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py',
     'pspnet/pspnet_r101-d8_4xb2-80k_cityscapes-512x1024.py',
     'pspnet_r101-d8_512x1024_80k_cityscapes'),
    'dist_deeplabv3_r101-d8_deeplabv3_r18-d8_4xb2-80k_cityscapes-512x1024.py':
    ('deeplabv3/deeplabv3_r18-d8_4xb2-80k_cityscapes-512x1024.py',
     'deeplabv3/deeplabv3_r101-d8_4xb2-80k_cityscapes-512x1024.py',
     'deeplabv3_r101-d8_512x1024_80k_cityscapes'),
    'cwd_segformer_mit-b2_deeplabv3plus_r18-d8_4xb2-80k_cityscapes-512x1024'
    '.py': ('deeplabv3plus/deeplabv3plus_r18-d8_4xb2-80k_cityscapes-512x1024'
            '.py', 'segformer/segformer_mit-b2_8xb1-160k_cityscapes-1024x1024'
            '.py', 'segformer_mit-b2_8x1_1024x1024_160k_cityscapes'),
}
SFD_DIGITS = ('../sfd_seg/'
              'sfd_deeplabv3plus_r18-tiny_segformer_mit-tiny_360it_digits.py')
FRSKD_DIGITS = '../frskd_mmseg/frskd_segformer_mit-tiny_360it_digits.py'
# the digits teacher-student table: SFD (its feature term) and KD (the
# logit-only base) with the larger SegFormer+BiFPN teacher
SFD_BIFPN = ('../sfd_seg/'
             'sfd_segformer-bifpn_segformer_mit-tiny_360it_digits.py')
KD_BIFPN = '../sfd_seg/kd_segformer-bifpn_segformer_mit-tiny_360it_digits.py'
CWD_LOGITS = dict(type='CWDLoss', tau=4.0, loss_weight=3.0)
DIST_LOGITS = dict(type='DISTLoss', loss_weight=1.0)
COMPOSED = {
    'sfd-cwd_segformer-bifpn_segformer_mit-tiny_360it_digits.py':
    (SFD_BIFPN, 'kd', CWD_LOGITS),
    'sfd-dist_segformer-bifpn_segformer_mit-tiny_360it_digits.py':
    (SFD_BIFPN, 'kd', DIST_LOGITS),
    'cwd_segformer-bifpn_segformer_mit-tiny_360it_digits.py': (KD_BIFPN, 'kd',
                                                               CWD_LOGITS),
    'dist_segformer-bifpn_segformer_mit-tiny_360it_digits.py': (KD_BIFPN, 'kd',
                                                                DIST_LOGITS),
    'sfd-cwd_deeplabv3plus_r18-tiny_segformer_mit-tiny_360it_digits.py':
    (SFD_DIGITS, 'kd', dict(type='CWDLoss', tau=4.0, loss_weight=3.0)),
    'sfd-dist_deeplabv3plus_r18-tiny_segformer_mit-tiny_360it_digits.py':
    (SFD_DIGITS, 'kd', dict(type='DISTLoss', loss_weight=1.0)),
    'frskd-cwd_segformer_mit-tiny_360it_digits.py':
    (FRSKD_DIGITS, 'kd_loss', dict(type='CWDLoss', tau=4.0)),
    'frskd-dist_segformer_mit-tiny_360it_digits.py': (FRSKD_DIGITS, 'kd_loss',
                                                      dict(type='DISTLoss')),
}


@pytest.fixture
def no_downloads(monkeypatch):
    """Any attempt to fetch weights fails the test."""
    import mmengine.runner.checkpoint as ckpt
    import torch.hub

    def refuse(*args, **kwargs):
        raise AssertionError(f'a download was attempted: {args[:1]}')

    monkeypatch.setattr(torch.hub, 'load_state_dict_from_url', refuse)
    monkeypatch.setattr(torch.hub, 'download_url_to_file', refuse)
    monkeypatch.setattr(ckpt, 'load_url', refuse, raising=False)


def build_offline(cfg):
    """The model without ImageNet weights, with a random teacher."""
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    model = cfg.model
    replace_sync_bn(model)
    model.pretrained = None
    if 'pretrained' in model.backbone:
        model.backbone.pretrained = None
    if 'teacher' in model:
        model.teacher_ckpt = None
        model.allow_random_teacher = True
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match='randomly initialised') \
            if 'teacher' in model else _nothing():
        built = MODELS.build(model)
    built.init_weights()
    return built


def _unscoped(value):
    """``value`` without the ``_scope_`` keys mmengine adds to what a
    config inherits from ``mmseg::`` (mmseg's own ``get_config`` has
    none)."""
    if isinstance(value, dict):
        return {k: _unscoped(v) for k, v in value.items() if k != '_scope_'}
    if isinstance(value, (list, tuple)):
        return type(value)(_unscoped(v) for v in value)
    return value


class _nothing:

    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False


def test_the_folder_has_the_recipes_and_the_compositions():
    assert set(ZOO) | set(COMPOSED) == set(NAMES)
    for name in NAMES:
        readme = open(
            osp.join(osp.dirname(path_of(name)), 'README.md'),
            encoding='utf-8').read()
        assert f'[{name}]({name})' in readme


@pytest.mark.parametrize('name', NAMES)
def test_config_loads_and_builds_without_downloads(name, no_downloads):
    cfg = Config.fromfile(path_of(name))
    assert cfg.default_scope == 'mmseg'
    assert 'selfkd_seg' in cfg.custom_imports.imports
    model = build_offline(cfg)
    assert model.num_classes == cfg.model.decode_head.num_classes
    kd = model.distill_losses['kd']
    assert type(kd).__name__ in ('CWDLoss', 'DISTLoss')
    assert kd.loss_weight == 1.0  # the term's weight lives in the model


@pytest.mark.parametrize('name', list(ZOO))
def test_zoo_pair_is_mmsegs_student_and_teacher(name):
    student_cfg, teacher_cfg, ckpt_stem = ZOO[name]
    cfg = Config.fromfile(path_of(name))
    stock = get_config('mmseg::' + student_cfg)
    model = _unscoped(cfg.model.to_dict())
    assert model.pop('type') == 'SFDSegmentor'
    assert model.pop('teacher') == 'mmseg::' + teacher_cfg
    ckpt = model.pop('teacher_ckpt')
    assert ckpt.startswith('https://download.openmmlab.com/mmsegmentation/')
    assert f'/{ckpt_stem}/{ckpt_stem}_' in ckpt and ckpt.endswith('.pth')
    assert model.pop('integrator') is None
    distill = model.pop('distill')
    assert distill['loss'] is None and distill['margin'] is None
    stock_model = _unscoped(stock.model.to_dict())
    stock_model.pop('type')
    assert model == stock_model
    # everything but the model is mmseg's config: data, schedule, runtime
    ours, theirs = (
        _unscoped({
            k: v
            for k, v in c.to_dict().items()
            if k not in ('model', 'custom_imports')
        }) for c in (cfg, stock))
    assert ours == theirs
    if name.startswith('cwd_'):
        assert distill['kd'] == dict(type='CWDLoss', tau=4.0, loss_weight=3.0)
    else:
        assert distill['kd'] == dict(
            type='DISTLoss', beta=1.0, gamma=1.0, tau=1.0, loss_weight=1.0)
        # and 0.4 x DIST on the auxiliary heads' logits (train_kd.py)
        assert distill['kd_aux'] == dict(
            type='DISTLoss', beta=1.0, gamma=1.0, tau=1.0, loss_weight=0.4)
    assert cfg.train_cfg.max_iters == 80000
    assert tuple(cfg.crop_size) == (512, 1024)


def test_teacher_checkpoint_from_a_local_file(monkeypatch, tmp_path):
    name = 'cwd_pspnet_r101-d8_pspnet_r18-d8_4xb2-80k_cityscapes-512x1024.py'
    path = str(tmp_path / 'teacher.pth')
    monkeypatch.setenv('SELFKD_TEACHER', path)
    assert Config.fromfile(path_of(name)).model.teacher_ckpt == path


@pytest.mark.parametrize('name', list(COMPOSED))
def test_composition_config_adds_only_the_logit_term(name):
    base, key, loss = COMPOSED[name]
    cfg = Config.fromfile(path_of(name)).to_dict()
    base_cfg = Config.fromfile(
        osp.normpath(osp.join(osp.dirname(path_of(name)), base))).to_dict()
    model, base_model = cfg.pop('model'), base_cfg.pop('model')
    distill = dict(model.pop('distill'))
    base_distill = dict(base_model.pop('distill', None) or {})
    # the logit term is added, or (KD's pixel KL) replaced
    base_distill.pop(key, None)
    assert distill.pop(key) == loss
    if name.startswith('frskd-'):
        assert distill.pop('alpha') == (3.0 if 'cwd' in name else 1.0)
    assert distill == base_distill
    assert model == base_model
    assert cfg == base_cfg


@pytest.mark.parametrize('name', [n for n in NAMES if n.startswith('frskd-')])
def test_frskd_composition_builds_the_self_teacher_with_the_loss(name):
    model = build_offline(Config.fromfile(path_of(name)))
    kd = model.distill_losses['kd']
    assert type(kd).__name__ == COMPOSED[name][2]['type']
    assert type(model.distill_losses['feature']).__name__ == 'ATLoss'
    assert model.distill_weights.full['alpha'] == (3.0
                                                   if 'cwd' in name else 1.0)
    assert model.distill_weights.full['beta'] == 50.0


@pytest.mark.parametrize('name', list(ZOO))
def test_exported_student_is_the_stock_mmseg_model(name, no_downloads):
    """strip_distill_only (what tools/export_student.py keeps) loads
    strictly into mmseg's own config of the student and predicts the
    same."""
    from mmseg.registry import MODELS
    model = build_offline(Config.fromfile(path_of(name)))
    stock = get_config('mmseg::' + ZOO[name][0])
    replace_sync_bn(stock.model)
    stock.model.pretrained = None
    plain = MODELS.build(stock.model)
    state = strip_distill_only(model.state_dict())
    assert not any(k.startswith('teacher.') for k in state)
    plain.load_state_dict(state, strict=True)
    model.eval()
    plain.eval()
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(plain(x, mode='tensor'), model(x, mode='tensor'))


def test_cross_architecture_logits_have_the_same_size(no_downloads):
    """SegFormer and DeepLabV3+ both decode at 1/4: CWD compares them
    position for position, no resize."""
    name = ('cwd_segformer_mit-b2_deeplabv3plus_r18-d8_4xb2-80k_cityscapes-'
            '512x1024.py')
    model = build_offline(Config.fromfile(path_of(name)))
    assert type(model.teacher.backbone).__name__ == 'MixVisionTransformer'
    # mmseg's config names ImageNet MiT weights; the teacher's come from
    # teacher_ckpt (a random test teacher downloads nothing)
    assert model.teacher.backbone.init_cfg is None
    assert type(model.backbone).__name__ == 'ResNetV1c'
    x = torch.randn(1, 3, 64, 128)
    with torch.no_grad():
        t = model.teacher.decode_head(model.teacher.extract_feat(x))
        s = model.eval().decode_head(model.extract_feat(x))
    assert t.shape == s.shape == (1, 19, 16, 32)
