from .rationale_branch import RationaleBranch

__all__ = ['RationaleBranch']
