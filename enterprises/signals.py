"""What the master data tells the layers above it, without importing them."""

from django.dispatch import Signal

# An enterprise moved to another region, or a region moved in the tree: what
# is kept per region above (issues.summary) must be added up again. Sent
# inside the write's transaction.
moved = Signal()
