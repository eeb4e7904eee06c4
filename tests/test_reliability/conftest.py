import pytest
from tiny_configs import make_tiny_data


@pytest.fixture(scope='session')
def toy_data(tmp_path_factory):
    """Toy seg + cls data shared by the reliability tests (read-only)."""
    return make_tiny_data(str(tmp_path_factory.mktemp('reliability_data')))


@pytest.fixture(scope='session')
def train_script():
    """``tools/train.py`` as a module, to call its ``main(argv)`` in-process
    (its exit statuses: ``EXIT_CODES``, ``EXIT_DISK_FULL``, ...)."""
    from tool_scripts import load_tool
    return load_tool('train.py')
