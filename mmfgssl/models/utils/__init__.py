from .gradcam import CAM_FORMS, loss_gradcam
from .pooling import mask_pool

__all__ = ['CAM_FORMS', 'loss_gradcam', 'mask_pool']
