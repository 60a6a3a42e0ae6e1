"""Is the synthetic benchmark fine-grained? Linear-probe accuracy of features
that cannot see the parts, next to a supervised upper bound, in one run.

    python benchmarks/synthetic_difficulty.py [--data data/synthetic_birds]
        [--epochs 60] [--seed 0]

Rows (test accuracy, %, on the test split):
  chance                      1 / num_classes
  colour statistics + linear  per-channel mean/std and 8-bin histograms
  random ResNet + linear      the synthetic configs' backbone, random init
  supervised ResNet           the same backbone trained with labels
The benchmark has the intended property when the first three are far below
the last: global appearance does not identify the class, the parts do.
"""
import argparse
import os.path as osp
import time

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmpretrain.registry import MODELS
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

import mmfgssl  # noqa: F401
from mmfgssl.datasets import make_synthetic_birds

# The backbone of the synthetic-benchmark configs.
BACKBONE = Config.fromfile(
    osp.join(
        osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs', '_base_',
        'models', 'resnet18_cpu.py')).cpu_backbone.to_dict()
MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)


def load_split(root, split):
    rows = [line.split() for line in open(osp.join(root, 'images.txt'))]
    labels = [
        int(line.split()[1]) - 1
        for line in open(osp.join(root, 'image_class_labels.txt'))
    ]
    is_train = [
        line.split()[1] == '1'
        for line in open(osp.join(root, 'train_test_split.txt'))
    ]
    keep = [i for i, t in enumerate(is_train) if t == (split == 'train')]
    images = np.stack([
        np.asarray(Image.open(osp.join(root, 'images', rows[i][1])))
        for i in keep
    ])
    return images, np.array([labels[i] for i in keep])


def colour_statistics(images):
    x = images.reshape(len(images), -1, 3).astype(np.float32)
    hist = [
        np.stack([np.histogram(img[:, c], 8, (0, 256))[0] for c in range(3)])
        for img in x
    ]
    return np.concatenate(
        [x.mean(1),
         x.std(1),
         np.stack(hist).reshape(len(x), -1) / x.shape[1]], 1)


def to_tensor(images):
    return (torch.from_numpy(images).permute(0, 3, 1, 2).float() - MEAN) / STD


@torch.no_grad()
def pooled_features(backbone, images):
    backbone.eval()
    return torch.cat([
        backbone(to_tensor(images[i:i + 64]))[-1].mean((2, 3))
        for i in range(0, len(images), 64)
    ]).numpy()


def linear_accuracy(train_x, train_y, test_x, test_y):
    scaler = StandardScaler().fit(train_x)
    clf = LogisticRegression(max_iter=5000, C=1.0)
    clf.fit(scaler.transform(train_x), train_y)
    return 100 * clf.score(scaler.transform(test_x), test_y)


def augment(x, gen):
    """Random flips and random-resized crops back to the input size."""
    n, _, h, w = x.shape
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip.view(-1, 1, 1, 1), x.flip(3), x)
    scale = torch.empty(n).uniform_(0.6, 1.0, generator=gen)
    shift = (1 - scale).unsqueeze(1) * (
        torch.rand(n, 2, generator=gen) * 2 - 1)
    theta = torch.zeros(n, 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    return F.grid_sample(x, grid, align_corners=False)


def supervised_accuracy(train_images, train_y, test_images, test_y, epochs,
                        seed):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    backbone = MODELS.build(BACKBONE)
    num_classes = int(train_y.max()) + 1
    head = torch.nn.Linear(256, num_classes)
    params = list(backbone.parameters()) + list(head.parameters())
    opt = torch.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=5e-4)
    steps = epochs * ((len(train_y) + 31) // 32)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, 0.1, total_steps=steps)
    x_all, y_all = to_tensor(train_images), torch.from_numpy(train_y)
    for _ in range(epochs):
        backbone.train()
        order = torch.randperm(len(y_all), generator=gen)
        for i in range(0, len(order), 32):
            idx = order[i:i + 32]
            logits = head(backbone(augment(x_all[idx], gen))[-1].mean((2, 3)))
            loss = F.cross_entropy(logits, y_all[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    feats = torch.from_numpy(pooled_features(backbone, test_images))
    with torch.no_grad():
        pred = head(feats).argmax(1).numpy()
    return 100 * (pred == test_y).mean()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data', default='data/synthetic_birds')
    parser.add_argument('--epochs', type=int, default=60)
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    if not osp.isdir(args.data):
        make_synthetic_birds(args.data, seed=args.seed)
    train_images, train_y = load_split(args.data, 'train')
    test_images, test_y = load_split(args.data, 'test')
    torch.manual_seed(args.seed)

    rows = [('chance', 100 / (train_y.max() + 1), 0.0)]
    start = time.time()
    acc = linear_accuracy(
        colour_statistics(train_images), train_y,
        colour_statistics(test_images), test_y)
    rows.append(('colour statistics + linear', acc, time.time() - start))
    start = time.time()
    random_backbone = MODELS.build(BACKBONE)
    acc = linear_accuracy(
        pooled_features(random_backbone, train_images), train_y,
        pooled_features(random_backbone, test_images), test_y)
    rows.append(('random ResNet + linear', acc, time.time() - start))
    start = time.time()
    acc = supervised_accuracy(train_images, train_y, test_images, test_y,
                              args.epochs, args.seed)
    rows.append(
        (f'supervised ResNet ({args.epochs} ep)', acc, time.time() - start))

    upper = rows[-1][1]
    print(f'synthetic benchmark {args.data}: {len(train_y)} train / '
          f'{len(test_y)} test images')
    print('| features | test top-1 (%) | / supervised | time (s) |')
    print('|---|---|---|---|')
    for name, acc, seconds in rows:
        print(f'| {name} | {acc:.1f} | {acc / upper:.2f} | {seconds:.0f} |')


if __name__ == '__main__':
    main()
