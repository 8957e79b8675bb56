"""CLI sub-commands, one module per area; registered in apps/cli/main.py."""
