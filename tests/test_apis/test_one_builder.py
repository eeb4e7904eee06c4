"""One builder: no module of the library (selfkd_seg) or of the research
code (selfkd_research) converts SyncBN or builds a model for inference by
itself; they call selfkd_seg.apis.builder."""
import ast
import os
import os.path as osp

import selfkd_seg

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PACKAGES = [osp.dirname(selfkd_seg.__file__)]
if osp.isdir(osp.join(REPO, 'selfkd_research')):
    PACKAGES.append(osp.join(REPO, 'selfkd_research'))
# modules that may convert SyncBN: the builder, and the training path's
# config preparation that defines the conversion (adapt_to_device)
SYNC_BN_ALLOWED = {'selfkd_seg/apis/builder.py', 'selfkd_seg/apis/config.py'}
# calls that build or load a whole model for inference
BUILD_CALLS = {'init_model', 'load_checkpoint', 'init_classifier'}
BUILD_ALLOWED = {
    'selfkd_seg/apis/builder.py',
    # checks on purpose that mmseg's own init_model serves the exported
    # student (the upstream entry point users call)
    'selfkd_research/experiments/toy_experiment.py',
}


def _sources():
    for package in PACKAGES:
        for root, _, files in os.walk(package):
            for name in sorted(files):
                if name.endswith('.py'):
                    path = osp.join(root, name)
                    yield osp.relpath(path, REPO).replace(os.sep, '/'), path


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(
        func, 'id', '')


def _builds_model_cfg(node: ast.Call) -> bool:
    """``MODELS.build(<...>.model)`` / ``MODELS.build(model_cfg)``."""
    if _call_name(node) != 'build' or not node.args:
        return False
    owner = node.func.value if isinstance(node.func, ast.Attribute) else None
    if not (isinstance(owner, ast.Name) and owner.id.endswith('MODELS')):
        return False
    arg = node.args[0]
    return (isinstance(arg, ast.Attribute)
            and arg.attr == 'model') or (isinstance(arg, ast.Name)
                                         and arg.id in ('model_cfg', 'model'))


def own_builders(source: str, rel: str) -> list:
    """Where ``source`` (the module ``rel``) converts SyncBN or builds /
    loads a whole model itself."""
    found = []
    tree = ast.parse(source, rel)
    for node in ast.walk(tree):
        if rel not in SYNC_BN_ALLOWED:
            if isinstance(node, ast.Constant) and node.value == 'SyncBN':
                found.append(f"{rel}:{node.lineno} 'SyncBN'")
            name = (
                node.id if isinstance(node, ast.Name) else
                node.attr if isinstance(node, ast.Attribute) else None)
            if name in ('replace_sync_bn', 'revert_sync_batchnorm'):
                found.append(f'{rel}:{node.lineno} {name}')
            if isinstance(node, ast.ImportFrom) and any(
                    a.name in ('replace_sync_bn', 'revert_sync_batchnorm')
                    for a in node.names):
                found.append(f'{rel}:{node.lineno} imports it')
        if rel in BUILD_ALLOWED or not isinstance(node, ast.Call):
            continue
        if _call_name(node) in BUILD_CALLS or _builds_model_cfg(node):
            found.append(f'{rel}:{node.lineno} {_call_name(node)}()')
    return sorted(set(found))


def test_no_other_module_converts_sync_bn_or_builds_for_inference():
    found = []
    for rel, path in _sources():
        with open(path, encoding='utf-8') as f:
            found += own_builders(f.read(), rel)
    assert found == [], ('build models outside training with '
                         'selfkd_seg.apis.builder: ' + ', '.join(found))


def test_the_scan_sees_own_builders():
    src = '\n'.join([
        'from mmseg.apis import init_model',
        'from selfkd_seg.apis.config import replace_sync_bn',
        'def f(cfg):',
        "    cfg.model.norm_cfg = dict(type='SyncBN')",
        '    model = MODELS.build(cfg.model)',
        "    load_checkpoint(model, 'x.pth')",
        "    return init_model(cfg, 'x.pth')",
        'def g(cfg):',
        '    return MODELS.build(cfg.model.backbone)',  # a part: fine
    ])
    found = own_builders(src, 'selfkd_seg/analysis/x.py')
    assert {int(f.split(':')[1].split()[0]) for f in found} == {2, 4, 5, 6, 7}
    assert own_builders(src, 'selfkd_seg/apis/builder.py') == []
