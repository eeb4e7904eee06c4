"""Apply selfkd_seg's compat work-arounds to any entry point, lazily.

``import selfkd_seg`` applies :mod:`selfkd_seg.compat`, but upstream entry
points (mmseg's and mmpretrain's ``tools/train.py``/``test.py``, ``mim``,
``from mmseg.apis import init_model`` in user code) reach the broken imports
before anything imports selfkd_seg.  So installing the package also installs
``selfkd_seg_import_hook.pth`` into site-packages (see setup.py).  At
interpreter start it loads *this file only* (by path: the package's
``__init__`` would import torch and mmseg) and puts :class:`CompatImportHook`
first on ``sys.meta_path``.  This module imports nothing but the standard
library, and the hook does nothing until one of these modules is imported:

``mmcv.ops``
    If compiled ops (``mmcv._ext``) are missing (mmcv-lite), the import
    returns compat's light ``mmcv.ops`` instead of mmcv's, whose
    ``__init__`` loads ``mmcv._ext`` and fails.  With a compiled mmcv the
    hook steps aside.  (mmcv imports torch, so loading compat here costs
    nothing extra.)
``mmengine.utils.package_utils``
    If ``pkg_resources`` is missing (setuptools >= 81), mmengine's
    ``is_installed``/``get_installed_path`` are replaced, right after the
    module runs and before anything binds them, by the importlib look-ups
    below; ``_base_ = ['mmseg::...']`` then resolves.  Where it is there,
    ``get_installed_path`` falls back to the importlib location when the
    folder it names does not exist (an editable install, as for mim below).
``mmengine.config.utils``
    mmengine resolves ``package::path`` configs only for the packages in
    its ``MODULE2PACKAGE``; ``selfkd_seg`` is added there, so
    ``_base_ = ['selfkd_seg::frskd_seg/frskd_efficientdet-d0_240it_toy.py']``
    and
    ``mmengine.hub.get_config('selfkd_seg::...')`` find the installed
    ``selfkd_seg/.mim/configs`` (:mod:`selfkd_seg.utils.configs`).
``mim.utils.utils``
    mim finds a codebase at ``<dist location>/<module>``, which is
    site-packages for a PEP 660 editable install, where the module is not.
    Where that folder does not exist, the importlib location is used, so
    ``mim train/test/run`` find ``selfkd_seg/.mim`` of an editable install.

``SELFKD_SEG_NO_IMPORT_HOOK=1`` disables the hook (the ``.pth`` checks it).
"""
import importlib.util
import os.path as osp
import sys

LIGHT_OPS = 'mmcv.ops'


# ---------------------------------------------------------------------------
# Package look-ups without pkg_resources (importlib only)
# ---------------------------------------------------------------------------
def has_pkg_resources() -> bool:
    """Whether ``pkg_resources`` can be imported (without importing it:
    setuptools 80 warns on import and it is slow)."""
    try:
        return importlib.util.find_spec('pkg_resources') is not None
    except (ImportError, ValueError):
        return False


def is_installed(package: str) -> bool:
    """``mmengine.utils.is_installed`` without pkg_resources."""
    from importlib import metadata
    try:
        metadata.distribution(package)
        return True
    except metadata.PackageNotFoundError:
        spec = importlib.util.find_spec(package)
        return spec is not None and spec.origin is not None


def get_installed_path(package: str) -> str:
    """Folder of the top-level module of an installed distribution, e.g.
    'mmsegmentation' -> .../site-packages/mmseg; for an editable install the
    source folder the module is imported from."""
    from importlib import metadata
    module = package
    try:
        top_level = metadata.distribution(package).read_text('top_level.txt')
        if top_level and top_level.split():
            module = top_level.split()[0]
    except metadata.PackageNotFoundError:
        pass
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f'package {package!r} is not installed')
    return osp.dirname(spec.origin)


def patch_package_lookups(*modules) -> None:
    """Give modules that hold mmengine's look-ups the importlib ones."""
    for module in modules:
        module.is_installed = is_installed
        module.get_installed_path = get_installed_path


def existing_path_lookup(original):
    """``original`` (a ``get_installed_path``) or, where the folder it names
    does not exist, the importlib location of the package's module.  A PEP
    660 editable install has its dist-info in site-packages but not the
    module, so the pkg_resources-based look-ups of mmengine and mim name a
    folder that is not there."""
    if getattr(original, '_selfkd_seg_existing_path', False):
        return original

    def get_installed_path_or_module_folder(package: str) -> str:
        path = original(package)
        if osp.exists(path):
            return path
        try:
            return get_installed_path(package)
        except ModuleNotFoundError:
            return path

    get_installed_path_or_module_folder.__doc__ = original.__doc__
    get_installed_path_or_module_folder._selfkd_seg_existing_path = True
    return get_installed_path_or_module_folder


def _patch_mmengine_package_utils(module) -> None:
    if not has_pkg_resources():
        patch_package_lookups(module)
    else:
        module.get_installed_path = existing_path_lookup(
            module.get_installed_path)


def _patch_mim_utils(module) -> None:
    module.get_installed_path = existing_path_lookup(module.get_installed_path)


# ---------------------------------------------------------------------------
# selfkd_seg:: configs (mmengine's package::path look-up)
# ---------------------------------------------------------------------------
CONFIG_PACKAGE = 'selfkd_seg'  # module name == distribution name


def register_config_package(config_utils) -> None:
    """Let mmengine resolve ``selfkd_seg::<path>`` configs: it asserts the
    package is a key of ``mmengine.config.utils.MODULE2PACKAGE`` (a dict of
    OpenMMLab codebases), then reads ``<installed>/.mim/configs/<path>``."""
    for name in ('MODULE2PACKAGE', 'PKG2PROJECT'):
        mapping = getattr(config_utils, name, None)
        if isinstance(mapping, dict):
            mapping.setdefault(CONFIG_PACKAGE, CONFIG_PACKAGE)


# ---------------------------------------------------------------------------
# The hook
# ---------------------------------------------------------------------------
def load_compat():
    """``selfkd_seg.compat`` without importing the package ``__init__`` (it
    registers every model, i.e. imports mmseg, which may be what is being
    imported right now).  Registered under its real name, so ``import
    selfkd_seg`` later uses this same module."""
    compat = sys.modules.get('selfkd_seg.compat')
    if compat is not None:
        return compat
    path = osp.join(osp.dirname(osp.abspath(__file__)), 'compat.py')
    spec = importlib.util.spec_from_file_location('selfkd_seg.compat', path)
    compat = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = compat
    try:
        spec.loader.exec_module(compat)
    except BaseException:
        del sys.modules[spec.name]
        raise
    return compat


class _LightOpsLoader:
    """Loader whose module is compat's light ``mmcv.ops``."""

    def create_module(self, spec):
        return load_compat()._build_light_ops_module()

    def exec_module(self, module):
        pass


class CompatImportHook:
    """``sys.meta_path`` finder; see the module docstring."""

    patch_after_import = {
        'mmengine.utils.package_utils': _patch_mmengine_package_utils,
        'mmengine.config.utils': register_config_package,
        'mim.utils.utils': _patch_mim_utils,
    }

    def find_spec(self, fullname, path=None, target=None):
        if fullname == LIGHT_OPS:
            return self._light_ops_spec()
        patch = self.patch_after_import.get(fullname)
        if patch is None:
            return None
        spec = self._spec_from_other_finders(fullname, path, target)
        if spec is None or spec.loader is None or not hasattr(
                spec.loader, 'exec_module'):
            return spec
        exec_module = spec.loader.exec_module

        def exec_then_patch(module):
            exec_module(module)
            patch(module)

        spec.loader.exec_module = exec_then_patch
        return spec

    def _light_ops_spec(self):
        if 'mmcv' not in sys.modules:  # "import mmcv.ops" imports it first
            return None
        if load_compat().has_compiled_mmcv_ops():
            return None
        return importlib.util.spec_from_loader(
            LIGHT_OPS, _LightOpsLoader(), is_package=True)

    def _spec_from_other_finders(self, fullname, path, target):
        for finder in sys.meta_path:
            find_spec = getattr(finder, 'find_spec', None)
            if finder is self or find_spec is None:
                continue
            spec = find_spec(fullname, path, target)
            if spec is not None:
                return spec
        return None


def installed_hook():
    """The hook on ``sys.meta_path``, or None."""
    for finder in sys.meta_path:
        if isinstance(finder, CompatImportHook):
            return finder
    return None


def install() -> CompatImportHook:
    """Put the hook first on ``sys.meta_path`` (once)."""
    hook = installed_hook()
    if hook is None:
        hook = CompatImportHook()
        sys.meta_path.insert(0, hook)
    return hook
