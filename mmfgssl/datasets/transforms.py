"""Image transforms of the official recipes that mmpretrain lacks."""
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CutBanner(BaseTransform):
    """Cut ``height`` pixel rows off the bottom of ``results['img']`` (OID
    Aircraft's photo-credit banner, 21 px)."""

    def __init__(self, height: int = 21) -> None:
        self.height = height

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.shape[0] <= self.height:
            raise ValueError(f'{results.get("img_path")}: {img.shape[0]} px '
                             f'high, no room to cut a {self.height} px banner')
        results['img'] = img[:-self.height]
        results['img_shape'] = results['img'].shape[:2]
        return results


@TRANSFORMS.register_module()
class CentreCropFraction(BaseTransform):
    """Crop the centre square whose side is ``fraction`` of the image's
    shorter side (PARTICLE's CUB probe: 0.875)."""

    def __init__(self, fraction: float) -> None:
        if not 0 < fraction <= 1:
            raise ValueError(f'fraction={fraction} must be in (0, 1]')
        self.fraction = fraction

    def transform(self, results: dict) -> dict:
        img = results['img']
        side = int(round(min(img.shape[:2]) * self.fraction))
        top = (img.shape[0] - side) // 2
        left = (img.shape[1] - side) // 2
        results['img'] = img[top:top + side, left:left + side]
        results['img_shape'] = results['img'].shape[:2]
        return results
