"""tools/misc/config_readmes.py: the README table of a config folder."""
import glob
import os.path as osp
import re

from tool_scripts import load_tool

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_readme_has_a_row_per_config_of_the_folder():
    tool = load_tool('misc/config_readmes.py')
    text = tool.readme('sfd_seg', docs={})
    rows = re.findall(r'^\| \[([^]]+\.py)\]\(\1\) \| (.*) \|$', text, re.M)
    assert sorted(name for name, _ in rows) == sorted(
        osp.basename(p)
        for p in glob.glob(osp.join(REPO, 'configs', 'sfd_seg', '*.py')))
    cells = dict(rows)
    assert cells['sfd_efficientdet-d1_efficientdet-d0_60e_voc0712.py'] == (
        'SFDSegmentor, EfficientNetBackbone-b0 | 60 ep | ConcatDataset | '
        'not measured')
    assert text.startswith('# configs/sfd_seg\n\nSFD ')


def test_documented_in_matches_whole_config_names():
    tool = load_tool('misc/config_readmes.py')
    docs = {
        'docs/a.md':
        'python tools/train.py '
        'configs/frskd_seg/frskd_efficientdet-d0_240it_toy.py'
    }
    assert tool.documented_in('efficientdet-d0_240it_toy.py',
                              docs) == 'not measured'
    assert tool.documented_in('frskd_efficientdet-d0_240it_toy.py',
                              docs) == '[a.md](../../docs/a.md)'
