#!/usr/bin/env python
"""The peer's manage.py (django-helpdesk, run from its own venv under var/bench/peer)."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
