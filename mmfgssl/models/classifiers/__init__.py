from .distilled_classifier import (FeatureDistilledClassifier,
                                   feature_distillation_loss)

__all__ = ['FeatureDistilledClassifier', 'feature_distillation_loss']
