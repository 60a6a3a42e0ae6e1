"""SynthPairs: discriminative features from synthesized pairs (Wang, Liu,
Figueroa Weston, Tian, Li; "On Learning Discriminative Features from
Synthesized Data for Self-Supervised Fine-Grained Visual Recognition",
ECCV 2024, arXiv 2407.14676).

The paper has no public code and only its abstract could be read, so this is
a design from the abstract. **From the abstract**: non-discriminative feature
dimensions are those of low variance across the data and those less
important under a Grad-CAM induced from the SSL loss; they are perturbed
while the discriminative ones are kept; a decoder reconstructs images from
the original and the perturbed features (a synthesized pair); the encoder is
trained on such pairs to be invariant to the perturbed dimensions. **From a
third-party summary** (unverified): ``L = L_C + alpha * L_R + nu * L_Cp``
(SSL contrast, reconstruction, contrast of the pairs), with MoCo v2 and
SimSiam as the bases. **Everything else is this project's choice**.

Per channel of the last feature map ``F``: variance = of the pooled
feature across images; importance = mean over images and positions of
``ReLU(cam_sign * F * dL_C/dF)`` (LCR's "Grad-CAM induced from the SSL
loss" per channel; ``cam_sign=-1``: of the similarity the loss rewards),
with ``torch.autograd.grad`` w.r.t. ``F`` only (neck and head, not the
backbone). Both are running averages in buffers (saved in checkpoints),
updated every step (also in the warm-up) from batch statistics summed over
processes, so every process perturbs the same channels; a step weighs
``max(stats_momentum, 1 / t)`` (the mean so far, at first). Switches:

* ``low_variance_fraction``, ``low_importance_fraction``: the ``round(f *
  C)`` channels lowest by each criterion; ``combine='union'``: low under
  either (``'intersection'``: under both).
* ``perturb='swap'``: the chosen channels take another image's values (a
  random permutation of the batch without fixed points); ``'noise'``: plus
  Gaussian noise of ``noise_std`` running stds (one draw per image and
  channel).
* ``decode_from='map'``: perturb the chosen channels at every position of
  ``F`` and decode the map; ``'vector'``: the pooled vector (no layout).
* ``recon_loss='mse'`` (``'l1'``): ``L_R`` between the decoding of ``F``
  and the view resized to the decoder's resolution (normalised space);
  ``recon_to_encoder``: ``L_R``'s gradient reaches the encoder too.
* ``pair_warmup_epochs``: ``L_Cp`` from this epoch on (mmengine's
  MessageHub); before, only the decoder's ``L_R`` is added.
* ``pair_query='perturbed'``: for ``L_Cp`` the perturbed decoding is the
  query (online encoder), the original decoding the key; ``'original'``
  swaps them (no difference for SimSiam's symmetric loss). Decodings enter
  the encoder detached from the decoder, at its reduced resolution.
* ``pair_bn_stats=False``: the pair part (perturbed decoding, the pair's
  encoder passes) normalises with batch statistics but updates no BN
  running statistics (the test-time ones stay those of real images).
* ``pair_checkpoint=False``: ``True`` recomputes the pair query's ResNet
  pass block by block in the backward instead of keeping its activations
  (same gradients, one more forward at the reduced resolution, less peak
  memory); needs ``pair_bn_stats=False``.
* MoCo v2 only, ``enqueue_pair_keys=False``: the queue holds the keys of real
  views only; ``True`` also enqueues the decoded images' keys.

The test-time representation is the plain pooled backbone feature
(``FGSelfSupervisor.extract_test_feature``): no extra module at test time.

The method is written once, as :class:`SynthPairsMixin` over three methods
a base provides (``ssl_step``, ``pair_contrast``, ``finish_step``):
:class:`SynthPairs` on MoCo v2 and :class:`SynthPairsSimSiam` on SimSiam.
A mixin, not a wrapped base algorithm, keeps the base's weight names
(``backbone.*``), which the part-segmentation protocol loads strictly.
"""
from contextlib import nullcontext
from typing import Dict, List, NamedTuple, Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import all_reduce
from mmengine.logging import MessageHub
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..utils import checkpointed_resnet, frozen_bn_statistics, resnet_stages
from .base import VisualMap
from .mocov2 import MoCoV2
from .simsiam import FGSimSiam

COMBINES = ('union', 'intersection')
PERTURBATIONS = ('swap', 'noise')
DECODE_FROM = ('map', 'vector')
RECON_LOSSES = dict(mse=F.mse_loss, l1=F.l1_loss)
PAIR_QUERIES = ('perturbed', 'original')


def batch_channel_statistics(feature_map: torch.Tensor,
                             grad: torch.Tensor,
                             sign: float = 1.0) -> Tuple[torch.Tensor, ...]:
    """Per-channel ``(variance, importance)`` ``(C,)`` of one step over the
    images of all processes: the variance of the pooled feature across images
    and the mean over images and positions of ``ReLU(sign * F * grad)``."""
    feature_map, grad = feature_map.detach().float(), grad.float()
    pooled = feature_map.mean(dim=(2, 3))
    channels = pooled.shape[1]
    sums = torch.cat([
        pooled.new_tensor([pooled.shape[0]]),
        pooled.sum(0),
        F.relu(sign * feature_map * grad).mean(dim=(2, 3)).sum(0)
    ])
    all_reduce(sums, op='sum')
    count = sums[0]
    mean, importance = sums[1:channels + 1] / count, sums[channels + 1:]
    squares = ((pooled - mean)**2).sum(0)
    all_reduce(squares, op='sum')
    return squares / count, importance / count


def select_channels(variance: torch.Tensor,
                    importance: torch.Tensor,
                    low_variance_fraction: float,
                    low_importance_fraction: float,
                    combine: str = 'union') -> torch.Tensor:
    """Boolean ``(C,)`` mask of the non-discriminative channels: the
    ``round(f * C)`` lowest by each criterion (ties: lower index first),
    combined by ``'union'`` or ``'intersection'``."""

    def lowest(values, fraction):
        mask = torch.zeros_like(values, dtype=torch.bool)
        k = round(fraction * values.numel())
        mask[values.argsort(stable=True)[:k]] = True
        return mask

    low_variance = lowest(variance, low_variance_fraction)
    low_importance = lowest(importance, low_importance_fraction)
    if combine == 'union':
        return low_variance | low_importance
    return low_variance & low_importance


def derangement(n: int,
                generator: Optional[torch.Generator] = None,
                device=None) -> torch.Tensor:
    """A random permutation of ``range(n)`` without fixed points (a random
    ``n``-cycle): image ``i`` takes the values of image ``perm[i]``."""
    if n < 2:
        raise ValueError(f"perturb='swap' needs at least 2 images per batch "
                         f'(per process), got {n}')
    order = torch.randperm(n, generator=generator, device=device)
    perm = torch.empty_like(order)
    perm[order] = order.roll(-1)
    return perm


def perturb_features(
        features: torch.Tensor,
        mask: torch.Tensor,
        mode: str = 'swap',
        std: Optional[torch.Tensor] = None,
        noise_std: float = 1.0,
        generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """``features`` (``(N, C)`` vectors or ``(N, C, h, w)`` maps) with the
    channels in ``mask`` replaced by another image's (``'swap'``) or shifted
    by ``N(0, (noise_std * std) ** 2)`` per image and channel (``'noise'``);
    the other channels are returned unchanged."""
    spatial = (1, ) * (features.dim() - 2)
    if mode == 'swap':
        other = features[derangement(features.shape[0], generator,
                                     features.device)]
    else:
        noise = torch.randn(
            features.shape[:2], generator=generator, device=features.device)
        other = features + (noise * noise_std * std).view(
            *noise.shape, *spatial)
    return torch.where(mask.view(1, -1, *spatial), other, features)


class SSLStep(NamedTuple):
    loss: torch.Tensor  # the base's SSL loss L_C
    feature_map: torch.Tensor  # first view's last backbone map (in graph)


class SynthPairsMixin:
    """The method over a base that provides :meth:`ssl_step`,
    :meth:`pair_contrast` and :meth:`finish_step`. ``decoder``: a
    :class:`FeatureDecoder` config (``in_channels``: the channels with
    statistics; ``out_size``: the reduced resolution; ``from_vector`` comes
    from ``decode_from``); ``alpha``, ``nu``: the weights of ``L_R`` and
    ``L_Cp``; the other switches: see the module docstring."""

    def __init__(self,
                 decoder: dict,
                 low_variance_fraction: float = 0.25,
                 low_importance_fraction: float = 0.25,
                 combine: str = 'union',
                 stats_momentum: float = 0.01,
                 cam_sign: float = 1.0,
                 perturb: str = 'swap',
                 noise_std: float = 1.0,
                 decode_from: str = 'map',
                 recon_loss: str = 'mse',
                 recon_to_encoder: bool = True,
                 alpha: float = 1.0,
                 nu: float = 1.0,
                 pair_warmup_epochs: int = 0,
                 pair_query: str = 'perturbed',
                 pair_bn_stats: bool = False,
                 pair_checkpoint: bool = False,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if pair_checkpoint:
            if pair_bn_stats:
                raise ValueError(
                    'pair_checkpoint=True recomputes the pair pass in the '
                    'backward, which would update BN statistics twice: use '
                    'pair_bn_stats=False or pair_checkpoint=False')
            resnet_stages(self.backbone)  # a ResNet, or a clear error
        choices = [('combine', combine, COMBINES),
                   ('perturb', perturb, PERTURBATIONS),
                   ('decode_from', decode_from, DECODE_FROM),
                   ('recon_loss', recon_loss, tuple(RECON_LOSSES)),
                   ('pair_query', pair_query, PAIR_QUERIES)]
        for name, value, allowed in choices:
            if value not in allowed:
                raise ValueError(f'{name}={value!r}: use one of {allowed}')
        fractions = dict(
            low_variance_fraction=low_variance_fraction,
            low_importance_fraction=low_importance_fraction,
            stats_momentum=stats_momentum)
        for name, value in fractions.items():
            if not 0 <= value <= 1:
                raise ValueError(f'{name}={value} must be in [0, 1]')
        if 'from_vector' in decoder:
            raise ValueError('decoder.from_vector is set from decode_from; '
                             "use model.decode_from='vector'")
        self.decoder = MODELS.build(
            dict(decoder, from_vector=decode_from == 'vector'))
        channels = self.decoder.in_channels
        self.register_buffer('running_variance', torch.zeros(channels))
        self.register_buffer('running_importance', torch.zeros(channels))
        self.register_buffer('stats_updates', torch.zeros((),
                                                          dtype=torch.long))
        self.low_variance_fraction = low_variance_fraction
        self.low_importance_fraction = low_importance_fraction
        self.combine, self.stats_momentum = combine, stats_momentum
        self.cam_sign = cam_sign
        self.perturb, self.noise_std = perturb, noise_std
        self.decode_from, self.recon_loss = decode_from, recon_loss
        self.recon_to_encoder = recon_to_encoder
        self.alpha, self.nu = alpha, nu
        self.pair_warmup_epochs = pair_warmup_epochs
        self.pair_query, self.pair_bn_stats = pair_query, pair_bn_stats
        self.pair_checkpoint = pair_checkpoint

    # ----------------------------------------- what a base provides ----
    def ssl_step(self, inputs: List[torch.Tensor]):
        """The base's SSL step on the views: an object with ``loss`` (L_C)
        and ``feature_map`` (the first view's last map, in the graph)."""
        raise NotImplementedError

    def pair_contrast(self, query_images: torch.Tensor,
                      key_images: torch.Tensor) -> torch.Tensor:
        """The base's SSL loss of two image batches as positive pairs."""
        raise NotImplementedError

    def finish_step(self, step) -> None:
        """Called once a step's losses are computed (e.g. to enqueue)."""

    # ------------------------------------------------------- method ----
    @torch.no_grad()
    def update_statistics(self, feature_map: torch.Tensor,
                          grad: torch.Tensor) -> None:
        variance, importance = batch_channel_statistics(
            feature_map, grad, self.cam_sign)
        weight = max(self.stats_momentum, 1. / (int(self.stats_updates) + 1))
        self.running_variance.lerp_(variance, weight)
        self.running_importance.lerp_(importance, weight)
        self.stats_updates += 1

    def non_discriminative_channels(self) -> torch.Tensor:
        """Boolean ``(C,)`` mask from the running statistics."""
        return select_channels(self.running_variance, self.running_importance,
                               self.low_variance_fraction,
                               self.low_importance_fraction, self.combine)

    def perturbed(self,
                  features: torch.Tensor,
                  generator: Optional[torch.Generator] = None) -> torch.Tensor:
        return perturb_features(features, self.non_discriminative_channels(),
                                self.perturb, self.running_variance.sqrt(),
                                self.noise_std, generator)

    def decoded_features(self, feature_map: torch.Tensor) -> torch.Tensor:
        """What the decoder decodes: the map or the pooled vector."""
        if self.decode_from == 'vector':
            return feature_map.mean(dim=(2, 3))
        return feature_map

    def pair_feature_map(self, images: torch.Tensor) -> torch.Tensor:
        """The online backbone's last map of decoded images, for the base's
        :meth:`pair_contrast` (see ``pair_checkpoint``)."""
        if not self.pair_checkpoint:
            return self.backbone(images)[-1]
        return checkpointed_resnet(self.backbone, images,
                                   lambda: frozen_bn_statistics(self.backbone))

    def pairs_active(self) -> bool:
        if self.pair_warmup_epochs <= 0:
            return True
        epoch = MessageHub.get_current_instance().get_info('epoch')
        if epoch is None:
            raise RuntimeError(
                f'{type(self).__name__}: pair_warmup_epochs='
                f'{self.pair_warmup_epochs} needs the epoch in mmengine\'s '
                "MessageHub ('epoch', set by the Runner's RuntimeInfoHook)")
        return epoch >= self.pair_warmup_epochs

    def loss(self, inputs: List[torch.Tensor],
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        step = self.ssl_step(inputs)
        grad = torch.autograd.grad(
            step.loss, step.feature_map, retain_graph=True)[0]
        self.update_statistics(step.feature_map, grad)
        features = self.decoded_features(step.feature_map)
        decoded = self.decoder(
            features if self.recon_to_encoder else features.detach())
        size = self.decoder.out_size
        target = F.interpolate(
            inputs[0], size=(size, size), mode='bilinear', antialias=True)
        losses = dict(
            loss=step.loss,
            loss_recon=self.alpha *
            RECON_LOSSES[self.recon_loss](decoded, target))
        loss_pair = step.loss.new_zeros(())
        if self.pairs_active():
            frozen = nullcontext() if self.pair_bn_stats else (
                frozen_bn_statistics(self))
            with frozen:
                with torch.no_grad():
                    perturbed = self.decoder(self.perturbed(features.detach()))
                pair = (perturbed, decoded.detach())
                if self.pair_query == 'original':
                    pair = pair[::-1]
                loss_pair = self.pair_contrast(*pair)
        losses['loss_pair'] = self.nu * loss_pair
        self.finish_step(step)
        return losses

    # ------------------------------------------------------ picture ----
    @torch.no_grad()
    def visual_maps(self, images: torch.Tensor) -> List[VisualMap]:
        """The decoding of each test image's feature, the decodings of two
        perturbation draws (swaps among the images shown, or noise) and the
        perturbed channels, from the trained running statistics."""
        inputs = self.preprocess_images(images)
        features = self.decoded_features(self.backbone(inputs)[-1])
        decoder_inputs = [('decoding', features)] + [
            (f'perturbed decoding (draw {draw})',
             self.perturbed(features,
                            torch.Generator(inputs.device).manual_seed(draw)))
            for draw in (1, 2)
        ]
        mask = self.non_discriminative_channels()
        return [
            VisualMap(title, 'image', self.postprocess_images(self.decoder(x)))
            for title, x in decoder_inputs
        ] + [
            VisualMap(
                f'perturbed dimensions (red: {int(mask.sum())} of '
                f'{mask.numel()} channels)', 'channels',
                mask.expand(images.shape[0], -1))
        ]


@MODELS.register_module()
class SynthPairs(SynthPairsMixin, MoCoV2):
    """SynthPairs on MoCo v2: ``L_Cp`` is the InfoNCE of the query
    embedding of one decoding against the momentum key of the other and the
    queue (the key encoder is updated once per step, by ``L_C``'s step).

    Args:
        enqueue_pair_keys: also enqueue the decoded images' keys.
        **kwargs: :class:`SynthPairsMixin` and MoCo v2 arguments.
    """

    def __init__(self, enqueue_pair_keys: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.enqueue_pair_keys = enqueue_pair_keys

    def ssl_step(self, inputs: List[torch.Tensor]):
        return self.contrastive_step(inputs)

    def pair_contrast(self, query_images: torch.Tensor,
                      key_images: torch.Tensor) -> torch.Tensor:
        k = self.key_embedding(key_images)
        q = self.query_embedding(self.pair_feature_map(query_images))
        loss = self.head.loss(*self.contrastive_logits(q, k))
        if self.enqueue_pair_keys:
            self._dequeue_and_enqueue(k)
        return loss

    def finish_step(self, step) -> None:
        self._dequeue_and_enqueue(step.keys)


@MODELS.register_module()
class SynthPairsSimSiam(SynthPairsMixin, FGSimSiam):
    """SynthPairs on SimSiam: ``L_Cp`` is SimSiam's symmetric loss of the
    two decodings.

    Args:
        **kwargs: :class:`SynthPairsMixin` and SimSiam arguments.
    """

    def ssl_step(self, inputs: List[torch.Tensor]) -> SSLStep:
        feature_map, z1 = self.embed(inputs[0])
        z2 = self.embed(inputs[1])[1]
        return SSLStep(self.similarity_loss(z1, z2), feature_map)

    def pair_contrast(self, query_images: torch.Tensor,
                      key_images: torch.Tensor) -> torch.Tensor:
        z1, z2 = (
            self.neck((self.pair_feature_map(images), ))[0]
            for images in (query_images, key_images))
        return self.similarity_loss(z1, z2)
