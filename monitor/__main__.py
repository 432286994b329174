"""`python -m monitor` is the `social-monitor` command."""

from monitor.cli import main

main()
