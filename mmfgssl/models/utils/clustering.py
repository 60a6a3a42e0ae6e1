"""Batched k-means in torch: one clustering per image, all images at once.

Part discovery clusters the pixel features of every training image
separately. Running sklearn image by image is slow; here all images of a
batch are clustered together on the model's device with k-means++ seeding
and a fixed number of Lloyd iterations, each a batched matrix product.

Dense features on a fine grid are redundant: PARTICLE's 64x64 hypercolumns
are upsampled from maps as coarse as 14x14, and 1856 dimensions survive a
random projection to a few hundred with distances nearly intact. The
optional coarse stage seeds and iterates on a random sample of each image's
points (``sample_size``) in a random projection (``project_dim``); its
clusters' means in the full space then start ``refine_iters`` Lloyd
iterations on all points: the same objective, optimised with a fraction of
the work.
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


def kmeans_plus_plus(points: torch.Tensor,
                     k: int,
                     generator: Optional[torch.Generator],
                     local_trials: int = 1) -> torch.Tensor:
    """k-means++ seeding for every set of points in the batch.

    Args:
        points: ``(B, N, D)``.
        k: number of centres.
        generator: random source (on the points' device).
        local_trials: candidates drawn per new centre; the one that lowers
            the potential most is kept (greedy k-means++, as sklearn with
            ``2 + log(k)`` trials). 1 is plain k-means++.

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
        # Draw candidates proportionally to the squared distance to the
        # nearest centre (uniformly if all points coincide).
        weights = closest + (closest.sum(1, keepdim=True) == 0).float()
        idx = torch.multinomial(
            weights, local_trials, replacement=True, generator=generator)
        candidates = points[batch.unsqueeze(1), idx]  # (B, T, D)
        new = torch.minimum(
            closest.unsqueeze(2), _sq_distances(points, sq_norms,
                                                candidates))  # (B, N, T)
        best = new.sum(1).argmin(1)
        centers.append(candidates[batch, best])
        closest = new[batch, :, best]
    return torch.stack(centers, 1)


def _centres_of(points: torch.Tensor, labels: torch.Tensor,
                previous: torch.Tensor) -> torch.Tensor:
    """Mean of each cluster's points; an empty cluster keeps its centre."""
    b, n, _ = points.shape
    k = previous.shape[1]
    one_hot = torch.zeros(b, n, k, device=points.device, dtype=points.dtype)
    one_hot.scatter_(2, labels.unsqueeze(-1), 1.0)
    counts = one_hot.sum(1)  # (B, K)
    sums = torch.bmm(one_hot.transpose(1, 2), points)  # (B, K, D)
    return torch.where((counts > 0).unsqueeze(-1),
                       sums / counts.clamp(min=1).unsqueeze(-1), previous)


def lloyd(points: torch.Tensor, centers: torch.Tensor,
          num_iters: int) -> KMeansResult:
    """``num_iters`` Lloyd iterations from ``centers``, then the final
    assignment."""
    sq_norms = (points**2).sum(-1)
    for _ in range(num_iters):
        labels = _sq_distances(points, sq_norms, centers).argmin(-1)
        centers = _centres_of(points, labels, centers)
    min_dist, labels = _sq_distances(points, sq_norms, centers).min(-1)
    return KMeansResult(labels, centers, min_dist.sum(-1))


def batched_kmeans(points: torch.Tensor,
                   k: int,
                   num_iters: int = 30,
                   n_init: int = 1,
                   seed: int = 0,
                   sample_size: Optional[int] = None,
                   project_dim: Optional[int] = None,
                   refine_iters: int = 0,
                   local_trials: int = 1) -> KMeansResult:
    """Cluster each of ``B`` point sets ``(B, N, D)`` into ``k`` clusters.

    Args:
        points: ``(B, N, D)`` float features, one set per image.
        k: clusters per set.
        num_iters: Lloyd iterations per seeding (fixed, no early stop, so
            cost and result do not depend on convergence speed).
        n_init: independent k-means++ seedings per set, run side by side
            (memory: ``n_init`` copies of the points they run on); the
            lowest inertia, measured where they run, wins.
        seed: seeds the generator, so the result is reproducible.
        sample_size: seed and iterate on this many random points per set
            (all if None), then assign every point.
        project_dim: seed and iterate in a random Gaussian projection to
            this many dimensions (full dimension if None).
        refine_iters: Lloyd iterations on all points in the full space after
            a coarse stage (sample or projection).
        local_trials: greedy k-means++ candidates per centre (1: plain).

    Returns:
        :class:`KMeansResult` in the full space. Empty clusters keep their
        previous centre.
    """
    if points.dim() != 3:
        raise ValueError(
            f'points must be (B, N, D), got {tuple(points.shape)}')
    b, n, d = points.shape
    if not 1 <= k <= min(n, sample_size or n):
        raise ValueError(f'k={k} must be between 1 and the number of points '
                         f'clustered ({min(n, sample_size or n)})')
    generator = torch.Generator(device=points.device).manual_seed(seed)
    subset = points
    if sample_size is not None and sample_size < n:
        idx = torch.randperm(
            n, generator=generator, device=points.device)[:sample_size]
        subset = points[:, idx]
    coarse = subset
    if project_dim is not None and project_dim < d:
        projection = torch.randn(
            d, project_dim, generator=generator,
            device=points.device) / project_dim**0.5
        coarse = subset @ projection

    # All seedings at once, as extra batch entries of the (small) coarse
    # points; the lowest coarse inertia wins per set.
    repeated = coarse.repeat_interleave(n_init, dim=0)
    run = lloyd(repeated, kmeans_plus_plus(repeated, k, generator,
                                           local_trials), num_iters)
    pick = run.inertia.view(b, n_init).argmin(1) + torch.arange(
        b, device=points.device) * n_init
    best = KMeansResult(*(t[pick] for t in run))
    if coarse is points:
        return best
    # Centres back in the full space (means of the clustered points), then
    # Lloyd on every point.
    centers = _centres_of(subset, best.labels, points.new_zeros(b, k, d))
    return lloyd(points, centers, refine_iters)
