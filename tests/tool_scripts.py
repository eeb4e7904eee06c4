"""The scripts in ``tools/`` as modules, for tests that call a tool's
``parse_args``/``main(argv)`` in-process (the command lines live there, not
in ``selfkd_seg``).  Imported as ``tool_scripts`` (``pytest.ini`` puts
``tests/`` on the path)."""
import functools
import importlib.util
import os.path as osp

TOOLS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'tools')


@functools.lru_cache(maxsize=None)
def load_tool(script: str):
    """``tools/<script>`` (e.g. ``'train.py'``,
    ``'dataset_converters/coco_to_voc.py'``) loaded as a module, its main
    guard not run."""
    name = 'tool_' + script[:-3].replace('/', '_')
    spec = importlib.util.spec_from_file_location(name,
                                                  osp.join(TOOLS, script))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
