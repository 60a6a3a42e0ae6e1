from .attribute_head import AttributeClsHead

__all__ = ['AttributeClsHead']
