"""The package's configs, found the OpenMMLab way: through ``.mim``.

A wheel of selfkd_seg holds ``selfkd_seg/.mim/configs`` (a copy of the
checkout's ``configs/``; in the checkout and in an editable install it is a
symlink to them), as mmseg and mmpretrain hold theirs.  So the configs of an
installed package are named ``selfkd_seg::<path under configs/>``, the name
mmengine resolves for OpenMMLab packages::

    from selfkd_seg.utils import get_config, get_config_path
    name = 'selfkd_seg::frskd_seg/frskd_efficientdet-d0_240it_toy.py'
    get_config_path(name)  # a file
    cfg = get_config(name)  # a Config

    # in a config of your own
    _base_ = ['selfkd_seg::frskd_seg/frskd_efficientdet-d0_240it_toy.py']

    # also test.py
    python tools/train.py \
        selfkd_seg::frskd_seg/frskd_efficientdet-d0_240it_toy.py

mmengine resolves ``package::path`` only for the packages listed in
``mmengine.config.utils.MODULE2PACKAGE``; ``import selfkd_seg`` (and, for
entry points that never import it, the import hook of the installed
``selfkd_seg_import_hook.pth``) adds ``selfkd_seg`` there
(:func:`register_config_package`), so ``_base_ = ['selfkd_seg::...']`` and
``mmengine.hub.get_config('selfkd_seg::...')`` work.  ``Config.fromfile``
itself takes file paths only: give it :func:`get_config_path`'s result.
"""
import importlib.util
import os.path as osp
from typing import Optional

from ..import_hook import CONFIG_PACKAGE

__all__ = [
    'CONFIG_PACKAGE', 'get_config', 'get_config_path', 'package_config_dir',
    'register_config_package'
]


def register_config_package() -> None:
    """Add ``selfkd_seg`` to mmengine's ``MODULE2PACKAGE`` (idempotent)."""
    import mmengine.config.utils as config_utils

    from ..import_hook import register_config_package as register
    register(config_utils)


def package_config_dir(package: str = CONFIG_PACKAGE) -> str:
    """``<package folder>/.mim/configs`` of the importable ``package``
    (``FileNotFoundError`` naming the folder when it is not there)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f'{package!r} is not installed')
    folder = osp.join(
        list(spec.submodule_search_locations)[0], '.mim', 'configs')
    if not osp.isdir(folder):
        raise FileNotFoundError(
            f'{package} has no configs at {folder}: install it from a wheel '
            '(pip install selfkd_seg) or from its checkout (pip install -e '
            '.), which links .mim/configs to the checkout\'s configs/')
    return folder


def get_config_path(name: str) -> str:
    """The config file that ``name`` names.

    ``name`` is ``'<package>::<path>'``
    (``'selfkd_seg::frskd_seg/frskd_efficientdet-d0_240it_toy.py'``, or an
    OpenMMLab package's, e.g. ``'mmseg::_base_/default_runtime.py'``:
    ``<package>/.mim/configs/<path>``), ``'<path>'`` relative to selfkd_seg's
    configs (``'frskd_seg/frskd_efficientdet-d0_240it_toy.py'``) or an
    existing file, returned as it is.  A missing config is a
    ``FileNotFoundError`` naming where it was looked for.
    """
    if '::' not in name:
        if osp.isfile(name):
            return name
        package, rel = CONFIG_PACKAGE, name
    else:
        package, _, rel = name.partition('::')
    if package == CONFIG_PACKAGE:
        path = osp.join(package_config_dir(package), rel)
    else:  # mmengine's look-up of an OpenMMLab package
        from mmengine.config.utils import _get_package_and_cfg_path
        from mmengine.utils import get_installed_path
        dist, rel = _get_package_and_cfg_path(name)
        path = osp.join(get_installed_path(dist), '.mim', 'configs', rel)
    if not osp.isfile(path):
        raise FileNotFoundError(f'config {name!r} not found: no file {path}')
    return path


def get_config(name: str, cfg_options: Optional[dict] = None):
    """``mmengine.Config`` of :func:`get_config_path` ``(name)``, with
    ``cfg_options`` merged (as ``--cfg-options``)."""
    from mmengine.config import Config
    register_config_package()  # its _base_ may name selfkd_seg:: configs
    cfg = Config.fromfile(get_config_path(name))
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg
