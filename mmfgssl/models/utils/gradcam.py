"""GradCAM of a self-supervised loss with respect to a feature map."""
import torch
import torch.nn.functional as F

CAM_FORMS = ('grad_x_act', 'gradcam')


def loss_gradcam(loss: torch.Tensor,
                 feature_map: torch.Tensor,
                 form: str = 'grad_x_act',
                 sign: float = 1.0) -> torch.Tensor:
    """Class-activation map of ``loss`` on ``feature_map`` ``(N, C, H, W)``.

    The gradient is taken with ``torch.autograd.grad`` with respect to the
    feature map only, so autograd runs just the part of the graph between
    the loss and the map (neck and head), not the backbone; the graph is
    retained for the main backward pass.

    Args:
        loss: scalar loss whose graph contains ``feature_map``.
        feature_map: ``(N, C, H, W)`` activations.
        form: ``'grad_x_act'``: ``ReLU(sum_c A_c * dL/dA_c)`` per position
            (HiResCAM-style, what the LCR code computes); ``'gradcam'``: the
            textbook Grad-CAM, ``ReLU(sum_c A_c * mean_hw(dL/dA_c))``.
        sign: ``+1`` takes the gradient of the loss (LCR code); ``-1`` the
            gradient of the negative loss, i.e. of the similarity the loss
            rewards.

    Returns:
        ``(N, H, W)`` map. It is differentiable with respect to
        ``feature_map`` through the activations (the gradient factor is a
        constant); detach it for a stop-gradient target.
    """
    if form not in CAM_FORMS:
        raise ValueError(f'cam form {form!r}: use one of {CAM_FORMS}')
    grad = torch.autograd.grad(loss, feature_map, retain_graph=True)[0]
    grad = sign * grad
    if form == 'gradcam':
        grad = grad.mean(dim=(2, 3), keepdim=True)
    return F.relu((feature_map * grad).sum(dim=1))
