"""``python -m paidfor``: the ``paidfor`` command."""

from paidfor.interfaces.cli.main import main

if __name__ == "__main__":
    main()
