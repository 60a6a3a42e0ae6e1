"""A classification head that learns the classes' part attributes."""
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ...datasets.generic import attribute_table

ATTRIBUTE_TABLES = {'generic_objects': attribute_table}


@MODELS.register_module()
class AttributeClsHead(ClsHead):
    """Linear head over the attributes of the classes (a sigmoid each),
    trained with binary cross-entropy against the row of the label's class
    in a fixed ``(num_classes, num_attributes)`` table. A class's score is
    the log-likelihood of its attributes, so predictions and accuracy are
    per class as usual.

    Every attribute is shared by many classes (a beak shape by a third of
    the birds), so each image teaches every part detector it shows, rather
    than one of many conjunctions of parts.

    Args:
        attributes: name of the table (``'generic_objects'``:
            :func:`mmfgssl.datasets.generic.attribute_table`).
        in_channels: channels of the pooled feature.
    """

    def __init__(self,
                 attributes: str,
                 in_channels: int,
                 init_cfg: Optional[dict] = dict(
                     type='Normal', layer='Linear', std=0.01),
                 **kwargs) -> None:
        super().__init__(init_cfg=init_cfg, **kwargs)
        if attributes not in ATTRIBUTE_TABLES:
            raise KeyError(f'attributes={attributes!r}: known tables '
                           f'{sorted(ATTRIBUTE_TABLES)}')
        _, table = ATTRIBUTE_TABLES[attributes]()
        self.register_buffer('table', torch.from_numpy(table), False)
        self.fc = nn.Linear(in_channels, table.shape[1])

    def forward(self, feats) -> torch.Tensor:
        """Class scores: log-likelihood of each class's attributes."""
        logits = self.fc(self.pre_logits(feats))
        return (F.logsigmoid(logits) @ self.table.t() +
                F.logsigmoid(-logits) @ (1 - self.table).t())

    def loss(self, feats, data_samples: List[DataSample], **kwargs) -> dict:
        logits = self.fc(self.pre_logits(feats))
        labels = torch.cat([ds.gt_label for ds in data_samples])
        targets = self.table[labels.to(logits.device)]
        return dict(
            loss=F.binary_cross_entropy_with_logits(logits, targets) *
            targets.shape[1])
