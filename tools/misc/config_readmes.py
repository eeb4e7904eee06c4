"""Write configs/<algorithm>/README.md: a table of the folder's configs.

    python tools/misc/config_readmes.py [--check]

One row per config, as mmengine loads it: the model (type, backbone), the
schedule (``train_cfg``: iterations or epochs), the training data (the
dataset type and its ``data_root``) and the documents (README.md, docs/*.md)
that name the config: the ones that report its measured results, or "not
measured" where no document names it.  ``--check`` writes nothing and exits
1 if a README differs from what it would write (the tests check only that
each README lists exactly its folder's configs: the "documented in" column
follows the documents).
"""
import argparse
import glob
import os.path as osp
import re
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# runs from a checkout that is not installed too; last, so an installed
# selfkd_seg is the one imported
sys.path.append(ROOT)

# what each folder holds (the README's first paragraph; a folder not listed
# keeps the paragraph its README has)
ABOUT = {
    'cwd':
    'CWD (channel-wise distillation, Shu et al., ICCV 2021) on mmseg '
    'model-zoo teacher/student pairs through SFDSegmentor: the paper\'s '
    'PSPNet-R101 -> PSPNet-R18 recipe and a cross-architecture pair '
    '(docs/cwd_dist.md).',
    'dist':
    'DIST (relation distillation, Huang et al., NeurIPS 2022) on mmseg '
    'model-zoo pairs through SFDSegmentor: DeepLabV3-R101 -> DeepLabV3-R18 '
    '(docs/cwd_dist.md).',
    'efficientdet_seg':
    'The EfficientDet-style segmentation baselines (EfficientNet + weighted '
    'BiFPN + FRSKD segmentation head, no self-teacher): PASCAL VOC 07+12 '
    'with the FRSKD paper\'s 60-epoch recipe, a COCO-format custom dataset '
    'example, the toy run of the main job (`bash tools/run_main_job.sh`) '
    'and the digits scenes of `tools/digits_experiment.py` (from scratch, '
    'and on the ImageNet EfficientNet-Lite0).',
    'frskd_cls':
    'FRSKD for classification (mmpretrain classifiers, BiFPN / BiFPNc '
    'self-teacher) and the plain classifiers beside it: the paper\'s '
    'CIFAR-100, TinyImageNet, fine-grained and ImageNet recipes, the toy '
    'classifier pair (tests, deployment) and the digits classifiers of '
    '`tools/digits_experiment.py` (with the EfficientNet-B0 pretrained as a '
    'digit classifier for its "pretrained" segmentation regime).',
    'frskd_mmseg':
    'FRSKD as a plug-in for stock mmseg models (`FRSKDEncoderDecoder`, '
    '`FRSKDCascadeEncoderDecoder`): mmseg zoo recipes (mmseg\'s own names) '
    'and tiny digits versions, with the plain mmseg baselines beside them.',
    'frskd_seg':
    'FRSKD segmentation (`FRSKDSegmentor`) on the EfficientDet-style model: '
    'PASCAL VOC 07+12, 60 epochs (the paper), a COCO-format custom dataset '
    'example, the toy runs (main job, tests) and the digits comparisons of '
    '`tools/digits_experiment.py` (gates, the Lite0 regime).',
    'frskd_seg_official':
    'The FRSKD authors\' segmentation network (official BiFPN and head), '
    'baseline and FRSKD: PASCAL VOC 07+12 for 60 epochs, the toy pair and '
    'the digits pair on the ImageNet EfficientNet-Lite0.',
    'sfd_cls':
    'SFD (feature integration + margin loss + SD/RSD) for classification: '
    'the paper\'s CIFAR-100 teacher/student pairs (`<teacher>_<student>`), '
    'ablations, the KD/AT/FitNet/Overhaul baselines and the plain students '
    '(shared recipe `../_base_/sfd_cifar100.py`); the toy run (tests) and '
    'the digits pair of `tools/digits_experiment.py` with its WRN-16-2 '
    'teacher.',
    'sfd_seg':
    'SFD carried over to segmentation (`SFDSegmentor`, `<teacher>_<student>`):'
    ' EfficientDet-D1 into D0 on PASCAL VOC 07+12, the toy run (tests), and '
    'pairs of stock mmseg models (teacher named by its config file).',
}
HEADER = ('| config | model | schedule | training data | '
          'documented in (results, where measured) |')
FOOTER = ('Results, where this project measured them, are in the documents '
          'linked (with the command that produced them); "not measured" '
          'means this project has not trained that config to the end on '
          'real data. Schedules are `train_cfg` as the config sets it (it: '
          'iterations, ep: epochs). File names follow mmseg: '
          '`<method>[-variant]_<model>_<schedule>_<data>.py` (mmseg zoo '
          'recipes keep mmseg\'s own name); `docs/config_renames.md` maps '
          'the names before that layout to these.')
# documents that name configs without reporting on them
# documents that name configs without reporting results for them
NOT_RESULTS = ('docs/config_renames.md', 'docs/cwd_dist.md')


def config_folders():
    return sorted(
        osp.basename(d) for d in glob.glob(osp.join(ROOT, 'configs', '*'))
        if osp.isdir(d) and osp.basename(d) != '_base_')


def folder_configs(folder):
    return sorted(
        osp.basename(p)
        for p in glob.glob(osp.join(ROOT, 'configs', folder, '*.py')))


def describe(path):
    """(model, schedule, training data) of a config as mmengine loads it."""
    from mmengine.config import Config
    try:
        cfg = Config.fromfile(path)
    except Exception as e:  # an optional dependency missing here
        return '?', '?', f'? (does not load here: {type(e).__name__})'
    model = cfg.get('model', {}) or {}
    backbone = model.get('backbone', {}) or {}
    name = backbone.get('type', '')
    if isinstance(backbone.get('arch'), str):
        name += f"-{backbone['arch']}"
    if backbone.get('depth'):
        name += f"{backbone['depth']}"
    kind = model.get('type', '?')
    model_text = f'{kind}, {name}' if name else kind
    train_cfg = cfg.get('train_cfg', {}) or {}
    if train_cfg.get('max_iters'):
        schedule = f"{train_cfg['max_iters']} it"
    elif train_cfg.get('max_epochs'):
        schedule = f"{train_cfg['max_epochs']} ep"
    else:
        schedule = '-'
    dataset = (cfg.get('train_dataloader', {}) or {}).get('dataset', {}) or {}
    while dataset.get('dataset') is not None:
        dataset = dataset['dataset']
    data = dataset.get('type', '-')
    if dataset.get('data_root'):
        data += f" ({dataset['data_root']})"
    return model_text, schedule, data


def documents():
    docs = ['README.md'] + sorted(
        osp.relpath(p, ROOT)
        for p in glob.glob(osp.join(ROOT, 'docs', '*.md')))
    return {
        d: open(osp.join(ROOT, d), encoding='utf-8').read()
        for d in docs if d not in NOT_RESULTS
    }


def documented_in(name, docs):
    stem = re.escape(name[:-3])
    pattern = re.compile(r'(?<![\w-])' + stem + r'(?![\w-])')
    where = [d for d, text in docs.items() if pattern.search(text)]
    if not where:
        return 'not measured'
    return '; '.join(f'[{osp.basename(d)}](../../{d})' for d in where[:3])


def existing_about(path):
    """The first paragraph (after the title) of an existing README."""
    if not osp.isfile(path):
        return ''
    text = open(path, encoding='utf-8').read().split('\n\n')
    return text[1].strip() if len(text) > 2 else ''


def readme(folder, docs):
    path = osp.join(ROOT, 'configs', folder, 'README.md')
    about = ABOUT.get(folder) or existing_about(path)
    lines = [
        f'# configs/{folder}', '', about, '', HEADER, '|---|---|---|---|---|'
    ]
    for name in folder_configs(folder):
        model, schedule, data = describe(
            osp.join(ROOT, 'configs', folder, name))
        lines.append(f'| [{name}]({name}) | {model} | {schedule} | {data} | '
                     f'{documented_in(name, docs)} |')
    return '\n'.join(lines + ['', FOOTER, ''])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--check',
        action='store_true',
        help='write nothing; exit 1 if a README is not what it would write')
    args = parser.parse_args(argv)
    import selfkd_seg  # noqa: F401  (its registries, for custom_imports)
    docs = documents()
    stale = []
    for folder in config_folders():
        path = osp.join(ROOT, 'configs', folder, 'README.md')
        text = readme(folder, docs)
        old = open(path, encoding='utf-8').read() if osp.isfile(path) else ''
        if text == old:
            continue
        stale.append(osp.relpath(path, ROOT))
        if not args.check:
            with open(path, 'w', encoding='utf-8') as f:
                f.write(text)
    verb = 'out of date' if args.check else 'written'
    for path in stale:
        print(f'{path}: {verb}')
    return 1 if args.check and stale else 0


if __name__ == '__main__':
    sys.exit(main())
