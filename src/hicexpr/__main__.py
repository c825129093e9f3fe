"""``python -m hicexpr``: the same command line as the ``hicexpr`` script."""

from hicexpr.cli import main

if __name__ == "__main__":
    main()
