"""The demo world: Oakfield Care Group's recovery stories as data, built through the domain services.

The top layer: it imports the domain apps' services and models; no domain app imports it.
``manage.py seed_demo`` runs the steps in order (see demo/management/commands/seed_demo.py).
"""
