"""How a delivery leaves the system: one module per channel that a task sends.

The inbox is the database row itself and paper is printed by a clerk, so only
email and SMS have backends here.
"""
