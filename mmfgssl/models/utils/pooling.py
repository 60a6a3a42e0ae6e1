"""Pooling a feature map under spatial masks or weights."""
import torch


def mask_pool(feature_map: torch.Tensor,
              masks: torch.Tensor,
              normalize: bool = True,
              eps: float = 1e-6) -> torch.Tensor:
    """Pool ``feature_map`` ``(N, C, H, W)`` under ``masks`` ``(N, K, H, W)``.

    Returns ``(N, K, C)``: ``sum_hw m_k * F / sum_hw m_k`` when ``normalize``
    (the average over each mask, as DetCon/PARTICLE pool parts), else
    ``sum_hw m_k * F / (H * W)`` (weights kept as they are, as LCR pools with
    its rationale map).
    """
    if masks.shape[0] != feature_map.shape[0] or (masks.shape[2:]
                                                  != feature_map.shape[2:]):
        raise ValueError(f'masks {tuple(masks.shape)} do not match the '
                         f'feature map {tuple(feature_map.shape)}')
    pooled = torch.einsum('nkhw,nchw->nkc', masks.to(feature_map.dtype),
                          feature_map)
    if normalize:
        return pooled / (masks.sum(dim=(2, 3)).unsqueeze(-1) + eps)
    return pooled / (feature_map.shape[2] * feature_map.shape[3])
