"""selfkd_seg's scoped registries.

Like mmseg and mmpretrain, this package has child registries of mmengine's
root registries with their own scope, ``'selfkd_seg'``: every component it
writes is registered there, and ``type='selfkd_seg.FRSKDBiFPN'`` builds it from
a config of any default scope (mmengine resolves a scoped name through the root
registry's children). Nothing is registered in mmengine's root registries.

Our configs keep ``default_scope='mmseg'`` (segmentation) or
``'mmpretrain'`` (classification), because the models they describe mix our
parts with upstream ones (``EncoderDecoder``, ``CrossEntropyLoss``, ...) and an
unscoped name is looked up in the default scope's registry and its parents
only. So each component is also registered, under the same name, in the
registry of every codebase it serves::

    registry              scope        holds
    selfkd_seg MODELS     selfkd_seg   every model part of this package
      mirrored into  ->   mmseg        segmentors, decode heads, BiFPN necks,
                                       and the shared parts below
                     ->   mmpretrain   classifiers, SLA head, and the shared
                                       parts below
    shared parts: backbones, self-teacher necks, losses, integrators

``@MODELS.register_module(codebases=('mmseg',))`` limits a part to one
codebase; the default is every codebase the registry serves. Hooks, optimizer
wrappers, datasets and transforms follow the same rule.

mmpretrain is an extra (``pip install 'selfkd_seg[cls]'``): without it the
registries serve mmseg alone, a part registered for mmpretrain only is
registered nowhere else, and the classification parts (which import
mmpretrain) are not imported; their names are kept by
:func:`register_needing_extra`, so building one says what to install.
"""
import importlib.util
from typing import Dict, Iterable, Optional, Sequence

from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import Registry
from mmseg import registry as mmseg_registry

__all__ = [
    'SCOPE', 'MODELS', 'HOOKS', 'OPTIM_WRAPPERS', 'DATASETS', 'TRANSFORMS',
    'CodebaseRegistry', 'register_renamed', 'register_needing_extra',
    'has_codebase', 'EXTRAS'
]

SCOPE = 'selfkd_seg'
# optional codebases: how to install each
EXTRAS = {
    'mmpretrain': "pip install mmpretrain (or pip install 'selfkd_seg[cls]')"
}


def _importable(name: str) -> bool:
    """Whether ``import name`` can find the module (without importing it;
    an import blocker on ``sys.meta_path`` counts as not installed)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


# the registries of the codebases that are installed (mmseg is required)
_CODEBASE_REGISTRIES = dict(mmseg=mmseg_registry)
if _importable('mmpretrain'):
    from mmpretrain import registry as mmpretrain_registry
    _CODEBASE_REGISTRIES['mmpretrain'] = mmpretrain_registry


def has_codebase(scope: str) -> bool:
    """Whether the codebase ``scope`` ('mmseg', 'mmpretrain') is installed,
    i.e. served by this package's registries."""
    return scope in _CODEBASE_REGISTRIES


class CodebaseRegistry(Registry):
    """A ``selfkd_seg``-scoped registry that mirrors each registration into
    the same-named registries of the codebases it serves.

    Args:
        name (str): Registry name, e.g. ``'model'``.
        parent (Registry): mmengine's root registry of that name.
        codebases (dict): ``{scope: registry}`` of the codebases served,
            e.g. ``{'mmseg': mmseg.registry.MODELS}``.
        locations (list[str]): Modules that register into it (imported on
            the first scoped look-up, like mmseg's registries).
    """

    def __init__(self,
                 name: str,
                 parent: Registry,
                 codebases: Dict[str, Registry],
                 locations=(),
                 absent: Sequence[str] = ()):
        super().__init__(
            name, parent=parent, scope=SCOPE, locations=list(locations))
        self.codebases = dict(codebases)
        # codebases it would serve, were they installed (mmpretrain)
        self.absent = tuple(absent)

    def register_module(self,
                        name=None,
                        force: bool = False,
                        module=None,
                        codebases: Optional[Iterable[str]] = None):
        """mmengine's ``register_module`` plus ``codebases``: the scopes whose
        registries also get the module (default: all this registry serves).
        """
        if codebases is None:
            targets = list(self.codebases.values())
        else:
            codebases = [codebases] if isinstance(codebases,
                                                  str) else list(codebases)
            absent = getattr(self, 'absent', ())
            unknown = [
                c for c in codebases
                if c not in self.codebases and c not in absent
            ]
            if unknown:
                raise KeyError(
                    f'{self.name} registry of {SCOPE}: unknown codebase(s) '
                    f'{unknown}; it serves {sorted(self.codebases)}')
            targets = [
                self.codebases[c] for c in codebases if c in self.codebases
            ]  # not an absent extra

        def _register(cls):
            Registry.register_module(self, name=name, force=force, module=cls)
            for registry in targets:
                registry.register_module(name=name, force=force, module=cls)
            return cls

        return _register if module is None else _register(module)


def _serving(attr: str, *scopes: str) -> dict:
    """``codebases`` and ``absent`` of a registry serving ``scopes``."""
    return dict(
        codebases={
            scope: getattr(_CODEBASE_REGISTRIES[scope], attr)
            for scope in scopes if has_codebase(scope)
        },
        absent=[scope for scope in scopes if not has_codebase(scope)])


MODELS = CodebaseRegistry(
    'model',
    MMENGINE_MODELS,
    **_serving('MODELS', 'mmseg', 'mmpretrain'),
    locations=['selfkd_seg.models'])
HOOKS = CodebaseRegistry(
    'hook',
    MMENGINE_HOOKS,
    **_serving('HOOKS', 'mmseg', 'mmpretrain'),
    locations=['selfkd_seg.engine'])
OPTIM_WRAPPERS = CodebaseRegistry(
    'optim_wrapper',
    MMENGINE_OPTIM_WRAPPERS,
    **_serving('OPTIM_WRAPPERS', 'mmseg', 'mmpretrain'),
    locations=['selfkd_seg.engine'])
DATASETS = CodebaseRegistry(
    'dataset',
    MMENGINE_DATASETS,
    **_serving('DATASETS', 'mmseg'),
    locations=['selfkd_seg.datasets'])
TRANSFORMS = CodebaseRegistry(
    'transform',
    MMENGINE_TRANSFORMS,
    **_serving('TRANSFORMS', 'mmseg'),
    locations=['selfkd_seg.datasets'])


def register_renamed(old: str, new: str, registry=MODELS) -> None:
    """Register a config ``type`` that was renamed so that it fails clearly.

    Only for names a config on disk may still carry: ``type=old`` raises
    naming ``new`` (checkpoints are unaffected, the module is the same).
    """

    def renamed(*args, **kwargs):
        raise KeyError(f"type='{old}' was renamed to type='{new}'; "
                       'update the config')

    registry.register_module(name=old, module=renamed)


def register_needing_extra(names: Iterable[str],
                           codebase: str,
                           registry: CodebaseRegistry = MODELS) -> None:
    """Keep the names of parts that need the absent ``codebase`` in
    ``registry`` (and in the installed codebases' registries it mirrors
    into): building one raises ``ModuleNotFoundError`` saying what to
    install, instead of mmengine's "not in the registry"."""
    hint = EXTRAS.get(codebase, f'pip install {codebase}')

    for name in names:

        def needs_extra(*args, _name=name, **kwargs):
            raise ModuleNotFoundError(
                f"type='{_name}' needs {codebase}, which is not installed: "
                f'{hint}',
                name=codebase)

        needs_extra.__name__ = name
        registry.register_module(name=name, module=needs_extra)
