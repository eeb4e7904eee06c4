"""A misspelt distillation option is an error naming it, not ignored."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

from selfkd_seg.models.utils import check_config_keys

CONFIGS = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))),
    'configs')


def test_check_config_keys_names_the_key_a_close_match_and_all_allowed():
    check_config_keys(dict(alpha=1), ('alpha', 'beta'), 'X distill')
    check_config_keys(None, ('alpha', ), 'X distill')
    with pytest.raises(KeyError) as err:
        check_config_keys(
            dict(alpah=2.0, zzz=1), ('alpha', 'beta'), 'X distill')
    message = str(err.value)
    assert "X distill: unknown keys 'alpah' (did you mean 'alpha'?)" in \
        message
    assert "'zzz'" in message and 'allowed: alpha, beta' in message


def _build(name, scope, **overrides):
    cfg = Config.fromfile(osp.join(CONFIGS, name))
    cfg.merge_from_dict(overrides)
    init_default_scope(scope)
    if scope == 'mmseg':
        from mmseg.registry import MODELS
        cfg.model.backbone.pop('init_cfg', None)
    else:
        from mmpretrain.registry import MODELS
    return MODELS.build(cfg.model)


@pytest.mark.parametrize('name, scope, option, expected', [
    ('frskd_seg/frskd_efficientdet-d0_240it_toy.py', 'mmseg',
     'model.distill.alpah',
     "FRSKDSegmentor distill: unknown key 'alpah' (did you mean 'alpha'?)"),
    ('frskd_seg/frskd_efficientdet-d0_240it_toy.py', 'mmseg',
     'model.self_teacher.nek',
     "FRSKDSegmentor self_teacher: unknown key 'nek' (did you mean "
     "'neck'?)"),
    ('frskd_cls/frskd_wrn-10-1_4e_toy.py', 'mmpretrain',
     'model.distill.temprature',
     "FRSKDClassifier distill: unknown key 'temprature' (did you mean "
     "'temperature'?)"),
    ('sfd_seg/sfd_efficientdet-d0-bifpn48_efficientdet-d0_240it_toy.py',
     'mmseg', 'model.distill.alpah',
     "SFDSegmentor distill: unknown key 'alpah'"),
    ('sfd_cls/sfd_resnet8x4_resnet8_20it_toy.py', 'mmpretrain',
     'model.distill.alpah', "SFDClassifier distill: unknown key 'alpah'"),
])
def test_a_typo_in_a_distill_option_is_an_error(name, scope, option, expected):
    with pytest.raises(KeyError) as err:
        _build(name, scope, **{option: 2.0})
    assert expected in str(err.value)
