"""Batched k-means in torch: one clustering per image, all images at once.

Part discovery clusters the pixel features of every training image
separately. Running sklearn image by image is slow; here all images of a
batch are clustered together on the model's device: k-means++ seeding and a
fixed number of Lloyd iterations, each a batched matrix product. With
``n_init`` seedings the lowest-inertia result is kept per image.
"""
from typing import NamedTuple, Optional

import torch


class KMeansResult(NamedTuple):
    labels: torch.Tensor  # (B, N) cluster index of every point
    centers: torch.Tensor  # (B, K, D)
    inertia: torch.Tensor  # (B,) sum of squared distances to the centres


def _sq_distances(points: torch.Tensor, sq_norms: torch.Tensor,
                  centers: torch.Tensor) -> torch.Tensor:
    """``(B, N, K)`` squared distances, via ||x||^2 - 2 x.c + ||c||^2."""
    dots = torch.bmm(points, centers.transpose(1, 2))
    dist = sq_norms.unsqueeze(2) - 2 * dots + (centers**2).sum(-1).unsqueeze(1)
    return dist.clamp_(min=0)


def kmeans_plus_plus(points: torch.Tensor, k: int,
                     generator: Optional[torch.Generator]) -> torch.Tensor:
    """k-means++ seeding for every set of points in the batch.

    Args:
        points: ``(B, N, D)``.
        k: number of centres.
        generator: random source (on the points' device).

    Returns:
        ``(B, k, D)`` initial centres.
    """
    b, n, _ = points.shape
    batch = torch.arange(b, device=points.device)
    sq_norms = (points**2).sum(-1)
    first = torch.randint(n, (b, ), generator=generator, device=points.device)
    centers = [points[batch, first]]
    closest = _sq_distances(points, sq_norms, centers[0].unsqueeze(1))[..., 0]
    for _ in range(1, k):
        # Sample proportionally to the squared distance to the nearest
        # centre; a set whose points all coincide falls back to uniform.
        weights = closest + (closest.sum(1, keepdim=True) == 0).float()
        idx = torch.multinomial(weights, 1, generator=generator)[:, 0]
        centers.append(points[batch, idx])
        new = _sq_distances(points, sq_norms, centers[-1].unsqueeze(1))[..., 0]
        closest = torch.minimum(closest, new)
    return torch.stack(centers, 1)


def batched_kmeans(points: torch.Tensor,
                   k: int,
                   num_iters: int = 30,
                   n_init: int = 1,
                   seed: int = 0) -> KMeansResult:
    """Cluster each of ``B`` point sets ``(B, N, D)`` into ``k`` clusters.

    Args:
        points: ``(B, N, D)`` float features, one set per image.
        k: clusters per set.
        num_iters: Lloyd iterations (fixed, no early stop, so the cost and
            the result do not depend on the data's convergence speed).
        n_init: independent k-means++ seedings per set; the one with the
            lowest inertia is returned.
        seed: seeds the generator, so the result is reproducible.

    Returns:
        :class:`KMeansResult`. An empty cluster keeps its previous centre.
    """
    if points.dim() != 3:
        raise ValueError(
            f'points must be (B, N, D), got {tuple(points.shape)}')
    b, n, d = points.shape
    if not 1 <= k <= n:
        raise ValueError(f'k={k} must be between 1 and the {n} points')
    generator = torch.Generator(device=points.device).manual_seed(seed)
    sq_norms = (points**2).sum(-1)
    best = None
    for _ in range(n_init):
        centers = kmeans_plus_plus(points, k, generator)
        for _ in range(num_iters):
            labels = _sq_distances(points, sq_norms, centers).argmin(-1)
            one_hot = torch.zeros(
                b, n, k, device=points.device, dtype=points.dtype)
            one_hot.scatter_(2, labels.unsqueeze(-1), 1.0)
            counts = one_hot.sum(1)  # (B, K)
            sums = torch.bmm(one_hot.transpose(1, 2), points)  # (B, K, D)
            centers = torch.where((counts > 0).unsqueeze(-1),
                                  sums / counts.clamp(min=1).unsqueeze(-1),
                                  centers)
        min_dist, labels = _sq_distances(points, sq_norms, centers).min(-1)
        run = KMeansResult(labels, centers, min_dist.sum(-1))
        if best is None:
            best = run
        else:
            better = run.inertia < best.inertia
            best = KMeansResult(*(
                torch.where(better.view(-1, *[1] * (new.dim() - 1)), new, old)
                for new, old in zip(run, best)))
    return best
