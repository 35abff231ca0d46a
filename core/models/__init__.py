from .access import AccessKind, AccessRecord
from .accounts import User
from .framework import (
    EvidenceCategory,
    FrameworkCrosswalk,
    FrameworkItem,
    FrameworkVersion,
    KeyQuestion,
)
from .organisations import Membership, Provider, Rating, Role, Service, ServiceType
from .tenancy import TenantModel
from .trail import AuditChainLink

__all__ = [
    "AccessKind",
    "AccessRecord",
    "AuditChainLink",
    "EvidenceCategory",
    "FrameworkCrosswalk",
    "FrameworkItem",
    "FrameworkVersion",
    "KeyQuestion",
    "Membership",
    "Provider",
    "Rating",
    "Role",
    "Service",
    "ServiceType",
    "TenantModel",
    "User",
]
