"""Work-arounds that let mmseg/mmpretrain run on today's PyTorch and mmcv-lite.

This module is the only place for them; ``import selfkd_seg`` applies all, and
each one does nothing where it is not needed.

1. ``mmcv.ops`` without compiled ops (mmcv-lite).  mmseg 1.2.2 imports
   ``point_sample`` and ``sigmoid_focal_loss`` from ``mmcv.ops`` unguarded, and
   ``mmcv/ops/__init__.py`` loads the compiled ``mmcv._ext``, so ``import
   mmseg.models`` fails with mmcv-lite.  When ``mmcv._ext`` is absent we put a
   light ``mmcv.ops`` module in ``sys.modules`` *before* mmseg is imported.  It
   offers the pure-PyTorch ``point_sample`` (mmcv's own file, loaded by path),
   a pure-PyTorch ``sigmoid_focal_loss`` and raises ``ModuleNotFoundError`` for
   any other op, which is what mmseg's guarded imports
   (``except ModuleNotFoundError``) expect.  With a compiled mmcv nothing is
   touched.

2. Checkpoints on torch >= 2.6.  ``torch.load`` defaults to
   ``weights_only=True`` there, and mmengine 0.10.7 checkpoints hold
   ``HistoryBuffer`` and numpy objects, so ``--resume`` and ``init_model``
   fail.
   We do *not* fall back to ``weights_only=False`` (that runs arbitrary pickle
   code).  Instead the few types mmengine writes are allow-listed with
   ``torch.serialization.add_safe_globals`` and mmengine's loader for local
   files is replaced by one that always passes ``weights_only=True`` and turns
   a refused pickle into an error naming the file.

3. ``mmseg::`` / ``mmpretrain::`` base configs without ``pkg_resources``.
   mmengine 0.10.7 finds installed packages through ``pkg_resources``, which
   setuptools >= 81 no longer ships; ``_base_ = ['mmseg::...']`` then fails
   with ``No module named 'pkg_resources'``.  Where it is missing, mmengine's
   two look-ups are replaced by ``importlib`` equivalents (they live in
   :mod:`selfkd_seg.import_hook`, which must not import torch).  Where it
   is there, mmengine's ``get_installed_path`` names site-packages for an
   editable install; the folder the module is imported from is used then.

4. ``selfkd_seg::`` configs.  mmengine resolves ``package::path`` only for
   the OpenMMLab packages it lists; ``selfkd_seg`` is added to that list
   (:mod:`selfkd_seg.utils.configs`).

Entry points that never import selfkd_seg (mmseg's own ``tools/train.py``,
``from mmseg.apis import init_model`` first, ``mim``) get 1, 3 and 4 from the
lazy import hook in :mod:`selfkd_seg.import_hook`, which the installed
``selfkd_seg_import_hook.pth`` puts on ``sys.meta_path`` at interpreter start
(docs/entry_points.md).  That hook may load this module before the package:
keep its imports to the standard library, torch and ``from .import_hook``.
"""
import importlib.util
import os.path as osp
import sys
import types
import warnings

import torch

from .import_hook import existing_path_lookup
from .import_hook import \
    get_installed_path as _get_installed_path  # noqa: F401
from .import_hook import has_pkg_resources
from .import_hook import is_installed as _is_installed  # noqa: F401
from .import_hook import patch_package_lookups, register_config_package

LIGHT_OPS_FLAG = '__selfkd_seg_light_ops__'


def has_compiled_mmcv_ops() -> bool:
    """Whether the installed mmcv ships its compiled extension
    ``mmcv._ext``."""
    try:
        return importlib.util.find_spec('mmcv._ext') is not None
    except (ImportError, ValueError):
        return False


def _sigmoid_focal_loss(input: torch.Tensor,
                        target: torch.Tensor,
                        gamma: float = 2.0,
                        alpha: float = 0.25,
                        weight=None,
                        reduction: str = 'mean') -> torch.Tensor:
    """Pure-PyTorch equivalent of ``mmcv.ops.sigmoid_focal_loss``.

    ``input`` is (N, C) logits, ``target`` (N,) class indices where the index
    ``C`` means background (negative for every class), ``weight`` an optional
    per-class weight applied by the sample's target class.
    """
    if input.dim() != 2 or target.dim() != 1 or input.size(0) != target.size(
            0):
        raise ValueError('sigmoid_focal_loss expects (N, C) logits and (N,) '
                         f'targets, got {tuple(input.shape)} and '
                         f'{tuple(target.shape)}')
    num_classes = input.size(1)
    one_hot = torch.nn.functional.one_hot(target.long(), num_classes +
                                          1)[:, :num_classes].type_as(input)
    prob = input.sigmoid()
    pt = (1 - prob) * one_hot + prob * (1 - one_hot)
    focal_weight = (alpha * one_hot + (1 - alpha) *
                    (1 - one_hot)) * pt.pow(gamma)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(
        input, one_hot, reduction='none') * focal_weight
    if weight is not None and weight.numel() > 0:
        per_class = torch.cat([weight, weight.new_ones(1)])
        loss = loss * per_class[target.long()].view(-1, 1)
    if reduction == 'mean':
        return loss.sum() / input.size(0)
    if reduction == 'sum':
        return loss.sum()
    if reduction == 'none':
        return loss
    raise ValueError(f'reduction must be none/mean/sum, got {reduction!r}')


def _build_light_ops_module() -> types.ModuleType:
    import mmcv
    path = osp.join(osp.dirname(mmcv.__file__), 'ops', 'point_sample.py')
    spec = importlib.util.spec_from_file_location('mmcv.ops.point_sample',
                                                  path)
    point_sample_mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(point_sample_mod)

    ops = types.ModuleType('mmcv.ops')
    ops.__doc__ = (
        'Light stand-in for mmcv.ops installed by selfkd_seg.compat '
        'because compiled mmcv ops (mmcv._ext) are not available.')
    ops.__path__ = []  # a package, so "import mmcv.ops.x" fails cleanly
    ops.point_sample = point_sample_mod.point_sample
    ops.sigmoid_focal_loss = _sigmoid_focal_loss
    setattr(ops, LIGHT_OPS_FLAG, True)

    def __getattr__(name):
        if name.startswith('__') and name.endswith('__'):
            raise AttributeError(name)
        raise ModuleNotFoundError(
            f'mmcv.ops.{name} needs the compiled mmcv ops (mmcv._ext), which '
            'are not installed (mmcv-lite). Install a full mmcv build to use '
            'it.',
            name='mmcv._ext')

    ops.__getattr__ = __getattr__
    sys.modules['mmcv.ops.point_sample'] = point_sample_mod
    return ops


def install_light_mmcv_ops() -> bool:
    """Install the light ``mmcv.ops`` if compiled ops are missing.

    Returns True if the light module is (now) in use.
    """
    current = sys.modules.get('mmcv.ops')
    if current is not None:
        return bool(getattr(current, LIGHT_OPS_FLAG, False))
    if has_compiled_mmcv_ops():
        return False
    ops = _build_light_ops_module()
    sys.modules['mmcv.ops'] = ops
    import mmcv
    mmcv.ops = ops
    return True


# ---------------------------------------------------------------------------
# Safe checkpoint loading
# ---------------------------------------------------------------------------
def _mmengine_safe_globals() -> list:
    """Types that mmengine (0.10.x) writes into checkpoints besides tensors."""
    import numpy as np
    from mmengine.logging import HistoryBuffer
    safe = [HistoryBuffer, np.ndarray, np.dtype]
    try:  # numpy >= 1.25 / 2.x
        from numpy.core.multiarray import _reconstruct, scalar
    except ImportError:  # pragma: no cover
        from numpy._core.multiarray import _reconstruct, scalar
    safe += [_reconstruct, scalar]
    # numpy 2.x pickles dtypes through their classes (e.g. Float64DType)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        safe += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType')
        ]
    return safe


def _history_buffer_getattr(obj, name: str):
    """The one ``getattr`` mmengine checkpoints need, and nothing more.

    ``HistoryBuffer`` pickles its statistics methods as
    ``getattr(HistoryBuffer, 'mean')``.  Allowing the real ``builtins.getattr``
    would let a pickle walk from any allowed object to ``os.system``; this
    stand-in only returns public statistics methods of ``HistoryBuffer``.
    """
    from mmengine.logging import HistoryBuffer
    allowed = set(
        HistoryBuffer._statistics_methods) | {'min', 'max', 'mean', 'current'}
    if (obj is HistoryBuffer or isinstance(obj, HistoryBuffer)) and \
            name in allowed and not name.startswith('_'):
        return getattr(obj, name)
    raise torch.serialization.pickle.UnpicklingError(
        f'refused getattr({type(obj).__name__}, {name!r}): only HistoryBuffer '
        'statistics methods may be looked up while loading a checkpoint')


# Largest byte string the ``bytes`` stand-in builds from a str (numpy's array
# states are pickled through ``_codecs.encode``, not through ``bytes``).
_MAX_PICKLED_BYTES = 1 << 20


def _pickled_bytes(*args):
    """The ``bytes(...)`` calls mmengine checkpoints need, and nothing more.

    Pickle protocol 2 (``torch.save``'s) writes ``b''`` as ``bytes()``: an
    empty numpy array, e.g. the values of an empty ``HistoryBuffer`` in the
    message hub, goes through it.  ``bytes`` cannot run code, but
    ``bytes(10**12)`` would try to allocate a terabyte, so only ``bytes()``,
    ``bytes(<bytes>)`` and ``bytes(<str>, <encoding>)`` up to 1 MiB are built.
    """
    if not args:
        return b''
    data = args[0]
    if isinstance(data, (bytes, str)) and len(data) <= _MAX_PICKLED_BYTES \
            and len(args) <= 3 and all(isinstance(a, str) for a in args[1:]):
        return bytes(*args)
    raise torch.serialization.pickle.UnpicklingError(
        'refused bytes() with arguments of types '
        f'{[type(a).__name__ for a in args]}: only empty or short literal '
        'byte strings may be built while loading a checkpoint')


def supports_safe_globals() -> bool:
    return hasattr(torch.serialization, 'add_safe_globals')


class UnsafeCheckpointError(RuntimeError):
    """Raised when a checkpoint holds objects that are not plain weights."""


def safe_torch_load(filename, map_location=None, **kwargs):
    """``torch.load`` with ``weights_only=True`` and a clear error message.

    ``kwargs`` go to ``torch.load`` (e.g. ``mmap=True``).
    """
    if not supports_safe_globals():  # torch < 2.4: no allow-list mechanism
        return torch.load(filename, map_location=map_location, **kwargs)
    try:
        return torch.load(
            filename, map_location=map_location, weights_only=True, **kwargs)
    except torch.serialization.pickle.UnpicklingError as err:
        raise UnsafeCheckpointError(
            f'Refused to load checkpoint {filename!r}: it contains objects '
            'that are not allowed with weights_only=True (only tensors, '
            'containers and the few mmengine types selfkd_seg allow-lists '
            'can be loaded; unpickling anything else could run arbitrary '
            f'code). torch said: {_unpickling_reason(err)}') from err


def _unpickling_reason(err: Exception) -> str:
    """The line of torch's long weights_only message that names the cause."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    for line in lines:
        if any(word in line.lower()
               for word in ('unsupported', 'refused', 'blocked')):
            return line
    return lines[0] if lines else type(err).__name__


def _load_from_local(filename, map_location):
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file {filename!r} does not exist')
    return safe_torch_load(filename, map_location=map_location)


def install_safe_checkpoint_loading() -> bool:
    """Allow-list mmengine's checkpoint types and load local files safely."""
    if not supports_safe_globals():
        warnings.warn('torch < 2.4 has no torch.serialization.'
                      'add_safe_globals; checkpoints load with torch.load '
                      'defaults.')
        return False
    torch.serialization.add_safe_globals(_mmengine_safe_globals())
    torch.serialization.add_safe_globals([
        (_history_buffer_getattr, 'builtins.getattr'),
        (_pickled_bytes, 'builtins.bytes'),
    ])
    from mmengine.runner.checkpoint import CheckpointLoader
    if CheckpointLoader._schemes.get('') is not _load_from_local:
        CheckpointLoader.register_scheme(
            prefixes='', force=True)(
                _load_from_local)
    return True


# ---------------------------------------------------------------------------
# Package look-ups without pkg_resources (_is_installed and
# _get_installed_path come from selfkd_seg.import_hook)
# ---------------------------------------------------------------------------
def install_package_lookup_fallback() -> bool:
    """Give mmengine importlib-based package look-ups if needed (True), or
    (pkg_resources there) a ``get_installed_path`` that finds an editable
    install's module folder (False)."""
    import mmengine.config.config as config_module
    import mmengine.utils as utils_module
    import mmengine.utils.package_utils as package_utils
    modules = (config_module, utils_module, package_utils)
    if has_pkg_resources():
        for module in modules:
            module.get_installed_path = existing_path_lookup(
                module.get_installed_path)
        return False
    patch_package_lookups(*modules)
    return True


def register_config_packages() -> None:
    """``selfkd_seg::<path>`` configs for mmengine (``_base_`` and
    ``mmengine.hub.get_config``): see :mod:`selfkd_seg.utils.configs`."""
    import mmengine.config.utils as config_utils
    register_config_package(config_utils)


def apply() -> None:
    """Apply every work-around that the installed stack needs."""
    install_light_mmcv_ops()
    install_safe_checkpoint_loading()
    install_package_lookup_fallback()
    register_config_packages()
