"""OID-Aircraft images for part-contrastive pre-training.

The PARTICLE code discovers parts on, and trains on, the OID-Aircraft
training list (``train_oid.txt``, 3,701 images), not FGVC-Aircraft's
trainval split, and cuts the 21 px photo-credit banner off the bottom
of every image first (``CutBanner``). Layout (the one the
part-segmentation configs read)::

    oid-aircraft-beta-1/data/images/aeroplane/<id>.jpg
    oid-aircraft-beta-1/train_oid.txt          # one "<id>.jpg" per line
"""
import os.path as osp
from typing import List

from mmpretrain.datasets import BaseDataset
from mmpretrain.registry import DATASETS

OID_IMAGES = 'data/images/aeroplane'


@DATASETS.register_module()
class OIDAircraftImages(BaseDataset):
    """The unlabelled OID-Aircraft images of a list file.

    Args:
        data_root: the ``oid-aircraft-beta-1`` folder.
        ann_file: the image list, relative to ``data_root``.
    """

    def __init__(self,
                 data_root: str,
                 ann_file: str = 'train_oid.txt',
                 **kwargs) -> None:
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=OID_IMAGES,
            metainfo=dict(classes=('aeroplane', )),
            **kwargs)

    def load_data_list(self) -> List[dict]:
        with open(self.ann_file, encoding='utf-8') as f:
            names = [line.split()[0] for line in f if line.strip()]
        if not names:
            raise ValueError(f'{self.ann_file} lists no image')
        return [
            dict(img_path=osp.join(self.img_prefix, name), gt_label=-1)
            for name in names
        ]
