"""selfkd_seg's scoped registries (selfkd_seg/registry.py)."""
import mmengine.registry as mmengine_registry
import mmpretrain.registry as mmpretrain_registry
import mmseg.registry as mmseg_registry
import pytest
from mmengine.registry import DefaultScope, Registry

import selfkd_seg  # noqa: F401  (registers everything)
from selfkd_seg import registry as ours

KINDS = ('MODELS', 'HOOKS', 'OPTIM_WRAPPERS', 'DATASETS', 'TRANSFORMS')
SEG_ONLY = {
    'FRSKDSegmentor', 'FRSKDEncoderDecoder', 'FRSKDCascadeEncoderDecoder',
    'SFDSegmentor', 'FRSKDSegHead', 'EfficientDetSegHead', 'WeightedBiFPN',
    'FRSKDSegBiFPN', 'SegSelfTeacher'
}
CLS_ONLY = {'FRSKDClassifier', 'FRSKDSLAClassifier', 'SFDClassifier'}


def _ours(registry):
    return {name: cls for name, cls in registry.module_dict.items()}


@pytest.mark.parametrize('kind', KINDS)
def test_scoped_children_of_the_root_and_nothing_in_the_root(kind):
    registry = getattr(ours, kind)
    root = getattr(mmengine_registry, kind)
    assert registry.scope == 'selfkd_seg'
    assert registry.parent is root
    assert root.children['selfkd_seg'] is registry
    assert registry.module_dict, f'{kind}: nothing registered'
    leaked = [
        name for name, cls in root.module_dict.items()
        if getattr(cls, '__module__', '').startswith('selfkd_seg')
    ]
    assert leaked == []


def test_each_part_is_in_the_codebases_it_serves_only():
    seg = mmseg_registry.MODELS.module_dict
    cls = mmpretrain_registry.MODELS.module_dict
    for name, module in _ours(ours.MODELS).items():
        in_seg, in_cls = seg.get(name) is module, cls.get(name) is module
        if name in SEG_ONLY:
            assert (in_seg, in_cls) == (True, False), name
        elif name in CLS_ONLY:
            assert (in_seg, in_cls) == (False, True), name
        else:  # shared: backbones, self-teacher necks, losses, integrators
            assert (in_seg, in_cls) == (True, True), name
    assert {'ClassFolderVisualizationHook'} == {
        n
        for n in ours.HOOKS.module_dict
        if n not in mmseg_registry.HOOKS.module_dict
    }
    assert 'VOCLayoutDataset' in mmseg_registry.DATASETS.module_dict
    assert 'CheckSegLabels' in mmseg_registry.TRANSFORMS.module_dict


@pytest.mark.parametrize('scope', ['mmseg', 'mmpretrain'])
@pytest.mark.parametrize('type_name', ['ATLoss', 'selfkd_seg.ATLoss'])
def test_unscoped_and_scoped_names_build_from_either_default_scope(
        scope, type_name):
    with DefaultScope.overwrite_default_scope(scope):
        loss = mmengine_registry.MODELS.build(dict(type=type_name))
    assert type(loss) is ours.MODELS.get('ATLoss')


def test_scoped_name_reaches_a_part_its_default_scope_does_not_serve():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        assert mmpretrain_registry.MODELS.get('FRSKDSegHead') is None
        head = mmpretrain_registry.MODELS.get('selfkd_seg.FRSKDSegHead')
    assert head is ours.MODELS.get('FRSKDSegHead')


def test_codebases_must_be_ones_the_registry_serves():
    with pytest.raises(KeyError, match=r"unknown codebase\(s\) \['mmdet'\]"):
        ours.DATASETS.register_module(codebases='mmdet')


def test_registering_mirrors_and_restricts(monkeypatch):
    seg = Registry('model', scope='fake_seg')
    cls = Registry('model', scope='fake_cls')
    registry = ours.CodebaseRegistry.__new__(ours.CodebaseRegistry)
    Registry.__init__(registry, 'model', scope='fake_selfkd')
    registry.codebases = dict(mmseg=seg, mmpretrain=cls)

    @registry.register_module()
    class Shared:
        pass

    @registry.register_module(codebases=('mmseg', ))
    class SegOnly:
        pass

    assert registry.get('Shared') is Shared and registry.get('SegOnly')
    assert seg.module_dict == dict(Shared=Shared, SegOnly=SegOnly)
    assert cls.module_dict == dict(Shared=Shared)
    with pytest.raises(KeyError, match='already registered'):
        registry.register_module(module=Shared)
