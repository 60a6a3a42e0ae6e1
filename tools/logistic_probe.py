"""The PARTICLE paper's linear probe: logistic regression on frozen,
un-normalised features (its evaluation/test_linear.py).

    python tools/logistic_probe.py CONFIG CHECKPOINT [--out FILE.json]
        [--cfg-options key=value ...]

CONFIG is a configs/linear_probe/particle_*.py config: its train and test
dataloaders give the images with PARTICLE's crops, ``probe`` the sklearn
LogisticRegression arguments (the code's defaults: L2, C=1, lbfgs,
max_iter=10000, no feature standardisation). The checkpoint's test-time
representation is extracted once per image (``SelfSupFeature`` with
``normalize=False``), the classifier fitted on the training split and its
top-1 accuracy on the test split printed. (The project's default probe,
LCR's SGD recipe on L2-normalised features, is tools/train.py with
configs/linear_probe/<dataset>.py; the LCR and LoDisc papers use that kind
of probe, PARTICLE this one.)
"""
import argparse
import json

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.registry import MODELS
from sklearn.linear_model import LogisticRegression

import mmfgssl  # noqa: F401
from mmfgssl.datasets import check_dataset_roots


@torch.no_grad()
def features(model, dataloader):
    feats, labels = [], []
    for batch in dataloader:
        data = model.data_preprocessor(batch, False)
        feats.append(model.backbone(data['inputs'])[0])
        labels += [int(ds.gt_label) for ds in data['data_samples']]
    return torch.cat(feats).numpy(), np.array(labels)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--out', help='write the accuracy to this JSON file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    cfg.model.backbone.checkpoint = args.checkpoint
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    check_dataset_roots(cfg, args.config)
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    model_cfg = dict(
        cfg.model.to_dict(), data_preprocessor=cfg.data_preprocessor.to_dict())
    model = MODELS.build(model_cfg).eval()
    train_x, train_y = features(model,
                                Runner.build_dataloader(cfg.train_dataloader))
    test_x, test_y = features(model,
                              Runner.build_dataloader(cfg.test_dataloader))
    classifier = LogisticRegression(**cfg.probe).fit(train_x, train_y)
    top1 = 100 * classifier.score(test_x, test_y)
    print(f'logistic-regression probe (PARTICLE protocol): {len(train_y)} '
          f'training / {len(test_y)} test images, {train_x.shape[1]}-d '
          f'features of {args.checkpoint}\n| accuracy/top1 | {top1:.2f} |')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump({'accuracy/top1': top1}, f)


if __name__ == '__main__':
    main()
