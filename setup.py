"""selfkd_seg: self-knowledge distillation (FRSKD, SFD) for OpenMMLab 2.x."""
import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent


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
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
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
        'tests': ['pytest', 'scikit-learn'],
    },
    license='Apache License 2.0',
    zip_safe=False,
)
