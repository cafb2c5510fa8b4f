"""`python -m parley_testkit` is `parley-infra`."""

from .infra import main

main()
