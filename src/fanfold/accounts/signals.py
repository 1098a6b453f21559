"""Events accounts sends up to the apps above it (accounts may not import them)."""

from django.dispatch import Signal

# Sent inside the deleting transaction, before a member's account is deleted, with
# `user` and `keep_stories`: True hands their stories to the orphan account, False deletes
# the stories only they wrote. The archive answers in archive/account_closing.py.
account_closing = Signal()
