from .attention_integration import AttentionIntegration
from .base_integrator import BaseIntegrator
from .conv_bn_connector import ConvBNConnector
from .layerwise_integration import LayerwiseIntegration
from .receptive_field_integration import ReceptiveFieldIntegration

__all__ = [
    'BaseIntegrator', 'LayerwiseIntegration', 'AttentionIntegration',
    'ReceptiveFieldIntegration', 'ConvBNConnector'
]
