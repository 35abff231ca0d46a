"""Small vocabularies shared by several apps."""

from django.db import models


class RiskLevel(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class Cadence(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    FORTNIGHTLY = "fortnightly", "Fortnightly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


CADENCE_DAYS = {
    Cadence.WEEKLY: 7,
    Cadence.FORTNIGHTLY: 14,
    Cadence.MONTHLY: 31,
    Cadence.QUARTERLY: 92,
}


class Regulation(models.TextChoices):
    """Fundamental standards (HSCA 2008 (Regulated Activities) Regulations 2014)."""

    REG9 = "reg9", "Reg 9 Person-centred care"
    REG10 = "reg10", "Reg 10 Dignity and respect"
    REG11 = "reg11", "Reg 11 Need for consent"
    REG12 = "reg12", "Reg 12 Safe care and treatment"
    REG13 = "reg13", "Reg 13 Safeguarding service users from abuse and improper treatment"
    REG14 = "reg14", "Reg 14 Meeting nutritional and hydration needs"
    REG15 = "reg15", "Reg 15 Premises and equipment"
    REG16 = "reg16", "Reg 16 Receiving and acting on complaints"
    REG17 = "reg17", "Reg 17 Good governance"
    REG18 = "reg18", "Reg 18 Staffing"
    REG19 = "reg19", "Reg 19 Fit and proper persons employed"
    REG20 = "reg20", "Reg 20 Duty of candour"
    REG20A = "reg20a", "Reg 20A Display of performance assessments"


class Enforcement(models.TextChoices):
    NONE = "", "None"
    REQUIREMENT_NOTICE = "requirement_notice", "Requirement notice"
    WARNING_NOTICE = "warning_notice", "Warning notice"
    CONDITIONS = "conditions", "Conditions on registration"
    SUSPENSION = "suspension", "Suspension"
    CANCELLATION = "cancellation", "Cancellation"
