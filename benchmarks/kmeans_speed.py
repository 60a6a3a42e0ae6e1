"""Part-discovery clustering: batched torch k-means vs sklearn image by image,
on the same hypercolumn features, in one run.

    python benchmarks/kmeans_speed.py [--images 16] [--device cpu|cuda]
        [--data data/synthetic_birds]

Features: PARTICLE's setting, hypercolumns (stem, layer1-3: 1856 channels)
of a ResNet-50 on a 64x64 grid of each image resized to 224x224 (4096 points
per image), K=15. Randomly initialised weights (nothing can be downloaded
here); the clustering work does not depend on them.

Ours: PARTICLE's default clustering (``PARTICLE.kmeans``): 8 greedy
k-means++ seedings (4 trials per centre) x 30 Lloyd iterations, run side by
side on 1024 sampled points in a 64-d random projection, then 10 Lloyd
iterations on all points in the full space.
sklearn runs as in the PARTICLE code (KMeans(15, max_iter=500) with the
n_init=10 default of the sklearn 1.0 it pins) and with today's n_init=1.
Throughput is images per second. Inertia is recomputed in float64 from each
method's labels; reported as the ratio of the totals over all images
(ours / sklearn) and the spread of the per-image ratios (k-means on these
features has many local minima, sklearn's best-of-10 included).
Target (issue): >= 20x sklearn's throughput, inertia <= 1.01x.
"""
import argparse
import glob
import inspect
import os.path as osp
import time

import cv2
import numpy as np
import torch
from mmpretrain.registry import MODELS
from sklearn.cluster import KMeans

import mmfgssl  # noqa: F401
from mmfgssl.datasets import make_synthetic_birds
from mmfgssl.models import PARTICLE
from mmfgssl.models.utils import batched_kmeans, resnet_hypercolumns

K = 15
MEAN = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
STD = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)


@torch.no_grad()
def hypercolumn_points(data, num_images, device):
    files = sorted(glob.glob(osp.join(data, 'images', '*', '*.jpg')))
    files = files[::max(1, len(files) // num_images)][:num_images]
    images = np.stack([
        cv2.resize(
            cv2.imread(f)[..., ::-1], (224, 224),
            interpolation=cv2.INTER_CUBIC) for f in files
    ])
    x = (torch.from_numpy(images).permute(0, 3, 1, 2).float() - MEAN) / STD
    torch.manual_seed(0)  # the same random features in every run
    backbone = MODELS.build(dict(type='ResNet', depth=50)).to(device)
    backbone.eval()
    feats = resnet_hypercolumns(backbone, x.to(device), grid=64)
    return feats.flatten(2).transpose(1, 2).contiguous()  # (B, 4096, 1856)


def exact_inertia(points: np.ndarray, labels: np.ndarray) -> float:
    points = points.astype(np.float64)
    total = 0.0
    for k in np.unique(labels):
        members = points[labels == k]
        total += ((members - members.mean(0))**2).sum()
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--images', type=int, default=16)
    parser.add_argument(
        '--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--data', default='data/synthetic_birds')
    args = parser.parse_args()
    if not osp.isdir(args.data):
        make_synthetic_birds(args.data)
    points = hypercolumn_points(args.data, args.images, args.device)
    n = len(points)

    kmeans = inspect.signature(PARTICLE).parameters['kmeans'].default
    batched_kmeans(points[:2], K, **dict(kmeans, n_init=1))  # warm-up
    if args.device == 'cuda':
        torch.cuda.synchronize()
    start = time.perf_counter()
    ours = batched_kmeans(points, K, **kmeans)
    if args.device == 'cuda':
        torch.cuda.synchronize()
    ours_time = time.perf_counter() - start
    host = points.cpu().numpy()
    ours_inertia = [
        exact_inertia(p, lab) for p, lab in zip(host,
                                                ours.labels.cpu().numpy())
    ]

    rows = []
    for n_init in (10, 1):
        start = time.perf_counter()
        labels = [
            KMeans(K, max_iter=500, n_init=n_init,
                   random_state=i).fit(p).labels_ for i, p in enumerate(host)
        ]
        seconds = time.perf_counter() - start
        inertia = [exact_inertia(p, lab) for p, lab in zip(host, labels)]
        rows.append((n_init, seconds, np.array(inertia)))

    ours_inertia = np.array(ours_inertia)
    print(f'{n} images, {host.shape[1]} points x {host.shape[2]} dims, '
          f'K={K}, {args.device}; ours: {kmeans}')
    print('| method | images/s | ours: speed-up | ours: total inertia ratio '
          '| ours: per-image ratio (min, median, max) |')
    print('|---|---|---|---|---|')
    print(f'| batched torch k-means | {n / ours_time:.2f} | - | - | - |')
    for n_init, seconds, inertia in rows:
        ratio = ours_inertia / inertia
        print(f'| sklearn KMeans n_init={n_init}, image by image | '
              f'{n / seconds:.2f} | {seconds / ours_time:.1f}x | '
              f'{ours_inertia.sum() / inertia.sum():.4f} | '
              f'{ratio.min():.3f}, {np.median(ratio):.3f}, '
              f'{ratio.max():.3f} |')


if __name__ == '__main__':
    main()
