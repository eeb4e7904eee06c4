from .at_loss import ATLoss, attention_map
from .cwd_loss import CWDLoss
from .dist_loss import DISTLoss
from .fitnet_loss import FitNetLoss
from .kd_loss import KDLoss
from .margin import RunningMarginEstimator, bn_margin
from .ofd_loss import OFDLoss

__all__ = [
    'KDLoss', 'ATLoss', 'FitNetLoss', 'OFDLoss', 'CWDLoss', 'DISTLoss',
    'RunningMarginEstimator', 'bn_margin', 'attention_map'
]
