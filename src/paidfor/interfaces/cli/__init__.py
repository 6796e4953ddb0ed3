"""The ``paidfor`` command: ``main`` assembles the command groups, one module each."""
