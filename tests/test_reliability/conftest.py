import pytest

from tiny_configs import make_tiny_data


@pytest.fixture(scope='session')
def toy_data(tmp_path_factory):
    """Toy seg + cls data shared by the reliability tests (read-only)."""
    return make_tiny_data(str(tmp_path_factory.mktemp('reliability_data')))


@pytest.fixture(scope='session')
def train_script():
    """What ``tools/train.py`` runs (:mod:`selfkd_seg.apis.train`), to call
    its ``main(argv)`` in-process."""
    from selfkd_seg.apis import train
    return train
