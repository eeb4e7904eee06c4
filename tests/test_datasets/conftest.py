import pytest

from selfkd_research.synthetic_data.toy_voc import make_toy_voc


@pytest.fixture(scope='session')
def tiny_toy_root(tmp_path_factory):
    """A 4 train / 2 val toy set of 32x32 images, shared read-only."""
    root = str(tmp_path_factory.mktemp('tiny_toy_voc'))
    make_toy_voc(root, num_train=4, num_val=2, img_size=(32, 32), seed=0)
    return root
