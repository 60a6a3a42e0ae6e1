"""Pieces of mmpretrain's ``VisionTransformer`` that ViT methods share.

mmpretrain's attention calls fused scaled-dot-product attention and never
forms attention weights, so there is nothing to read after a forward pass.
:class:`AttentionRecorder` hooks each layer's fused ``qkv`` projection and
rebuilds only what is asked for from q and k: the class token's row of the
head-averaged attention (``O(N)`` per head) or, for rollout, the full map.
:func:`fuse_attention` combines the layers' records into one score per patch
and :func:`vit_class_token` runs the ViT on a subset of its patch tokens
(MAE's token dropping). :func:`patch_keys` reads one layer's keys of the
patch tokens (dense descriptors for part discovery) and :func:`patch_grid`
the token grid of an input.
"""
from typing import List, Optional, Tuple

import torch
from mmpretrain.models.backbones import VisionTransformer
from mmpretrain.models.utils import resize_pos_embed

ATTENTION_FUSIONS = ('product', 'rollout')


def _split_qkv(qkv: torch.Tensor, num_heads: int):
    """``(B, N, 3C)`` output of a fused qkv projection -> q, k as
    ``(B, H, N, C/H)``, in mmpretrain's ``MultiheadAttention`` layout."""
    b, n, _ = qkv.shape
    q, k, _ = qkv.view(b, n, 3, num_heads, -1).permute(2, 0, 3, 1, 4)
    return q, k


def class_token_attention(qkv: torch.Tensor, num_heads: int) -> torch.Tensor:
    """Row 0 (the class token's query) of ``softmax(QK^T / sqrt(d))``
    averaged over heads: ``(B, N)``, from a layer's ``(B, N, 3C)`` qkv."""
    q, k = _split_qkv(qkv, num_heads)
    logits = torch.einsum('bhd,bhnd->bhn', q[:, :, 0], k) * q.shape[-1]**-0.5
    return logits.softmax(dim=-1).mean(dim=1)


def attention_map(qkv: torch.Tensor, num_heads: int) -> torch.Tensor:
    """The full head-averaged attention ``(B, N, N)`` of a layer."""
    q, k = _split_qkv(qkv, num_heads)
    logits = torch.einsum('bhmd,bhnd->bhmn', q, k) * q.shape[-1]**-0.5
    return logits.softmax(dim=-1).mean(dim=1)


class AttentionRecorder:
    """Records a ViT's attention during the forward passes inside ``with``.

    ``records`` holds, per layer in order, the class token's attention row
    ``(B, N)``, or the full head-averaged map ``(B, N, N)`` when
    ``full_maps`` (attention rollout needs them). Recording costs a
    ``B x H x N x d`` product per layer for rows; nothing is recomputed but
    the softmax of one query.

    Args:
        vit: an mmpretrain ``VisionTransformer`` (its layers'
            ``attn.qkv`` projections are hooked).
        full_maps: record full maps instead of class-token rows.
    """

    def __init__(self, vit: VisionTransformer, full_maps: bool = False):
        if not isinstance(vit, VisionTransformer):
            raise TypeError(f'AttentionRecorder needs an mmpretrain '
                            f'VisionTransformer, got {type(vit).__name__}')
        self.vit, self.full_maps = vit, full_maps
        self.records: List[torch.Tensor] = []
        self._handles = []

    def _hook(self, num_heads: int):
        read = attention_map if self.full_maps else class_token_attention

        def record(module, inputs, qkv):
            self.records.append(read(qkv.detach(), num_heads))

        return record

    def __enter__(self) -> 'AttentionRecorder':
        self.records = []
        self._handles = [
            layer.attn.qkv.register_forward_hook(
                self._hook(layer.attn.num_heads)) for layer in self.vit.layers
        ]
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []


def fuse_attention(records: List[torch.Tensor],
                   fusion: str = 'product') -> torch.Tensor:
    """One score per patch ``(B, N - 1)`` from the layers' records (class
    token first in the token axis, as mmpretrain's ViT); only the ranking
    matters.

    ``'product'``: the element-wise product of the layers' class-token rows,
    as the LoDisc code fuses them (``records`` are rows), computed as the sum
    of their logs, which rank the same: the code's fp32 product of the maps,
    each scaled by 1000, reaches 1e36 on ViT-B's 12 layers and overflows to
    ties at inf on deeper ViTs (ViT-L: 24), tiny values underflow to 0.
    ``'rollout'``: attention rollout (Abnar & Zuidema 2020), the class-token
    row of ``prod_l (A_l + I) / 2`` over the layers' full maps (``records``
    are maps).
    """
    if fusion == 'product':
        if records[0].dim() != 2:
            raise ValueError("fusion='product' fuses class-token rows "
                             '(AttentionRecorder(full_maps=False))')
        log_rows = torch.stack(records).clamp_min(
            torch.finfo(records[0].dtype).tiny).log()
        return log_rows.sum(dim=0)[:, 1:]
    if fusion == 'rollout':
        if records[0].dim() != 3:
            raise ValueError("fusion='rollout' needs full attention maps "
                             '(AttentionRecorder(full_maps=True))')
        eye = torch.eye(records[0].shape[-1], device=records[0].device)
        rollout = eye
        for attention in records:
            rollout = (attention + eye) / 2 @ rollout
        return rollout[:, 0, 1:]
    raise ValueError(f'attention_fusion={fusion!r}: use one of '
                     f'{ATTENTION_FUSIONS}')


def vit_class_token(
        vit: VisionTransformer,
        images: torch.Tensor,
        keep_patches: Optional[torch.Tensor] = None) -> torch.Tensor:
    """The class token after the final norm, ``(B, C)``, with only the
    patch tokens ``keep_patches`` (``(B, K)`` indices into the patch grid,
    row-major) entering the layers, as MAE drops masked tokens: the kept
    tokens keep their position embedding and never attend to the others.
    ``None`` keeps every patch (the ViT's own forward).
    """
    if not vit.with_cls_token or not vit.final_norm:
        raise ValueError('vit_class_token needs a ViT with a class token and '
                         'a final norm (out_type="cls_token")')
    x, patch_resolution = vit.patch_embed(images)
    x = torch.cat([vit.cls_token.expand(x.shape[0], -1, -1), x], dim=1)
    x = x + resize_pos_embed(
        vit.pos_embed,
        vit.patch_resolution,
        patch_resolution,
        mode=vit.interpolate_mode,
        num_extra_tokens=vit.num_extra_tokens)
    x = vit.drop_after_pos(x)
    if keep_patches is not None:
        tokens = torch.cat([
            keep_patches.new_zeros(keep_patches.shape[0], 1),
            keep_patches + vit.num_extra_tokens
        ],
                           dim=1)
        x = x.gather(1, tokens.unsqueeze(-1).expand(-1, -1, x.shape[-1]))
    x = vit.pre_norm(x)
    for layer in vit.layers:
        x = layer(x)
    return vit.ln1(x)[:, 0]


def patch_grid(vit: VisionTransformer,
               images: torch.Tensor) -> Tuple[int, int]:
    """The ``(h, w)`` grid of patch tokens of ``images`` ``(B, C, H, W)``."""
    stride = vit.patch_embed.projection.stride
    return images.shape[-2] // stride[0], images.shape[-1] // stride[1]


def patch_keys(vit: VisionTransformer,
               images: torch.Tensor,
               layer: int = -1) -> torch.Tensor:
    """The keys of the patch tokens in layer ``layer``'s attention, heads
    concatenated: ``(B, N, C)`` (the 'key' facet of the dense ViT
    descriptors of Amir et al., which PARTICLE clusters into parts). Read
    from the layer's fused qkv projection during one forward pass."""
    keys = []
    embed_dims = vit.embed_dims

    def record(module, inputs, qkv):
        keys.append(qkv[..., embed_dims:2 * embed_dims])

    handle = vit.layers[layer].attn.qkv.register_forward_hook(record)
    try:
        vit(images)
    finally:
        handle.remove()
    return keys[0][:, vit.num_extra_tokens:]
