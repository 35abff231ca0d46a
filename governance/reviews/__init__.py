"""Oversight reviews: meetings, their agenda, challenges, decisions, minutes, the calendar and ICS feed."""
