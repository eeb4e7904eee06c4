from .cifar_mobilenetv2 import CIFARMobileNetV2  # noqa: F401
from .cifar_resnet import CIFARResNet  # noqa: F401
from .cifar_resnet18 import CIFARResNet18  # noqa: F401
from .cifar_shufflenetv1 import CIFARShuffleNetV1  # noqa: F401
from .cifar_shufflenetv2 import CIFARShuffleNetV2  # noqa: F401
from .cifar_vgg import CIFARVGG  # noqa: F401
from .cifar_wrn import WideResNet  # noqa: F401
from .efficientnet import EfficientNetBackbone  # noqa: F401
