"""The Marketo fake: identity, leads, activities and static lists over REST (start at fake.py)."""

from connector.sandbox.marketo.fake import MarketoFake

FAKE = MarketoFake
"""Found by the sandbox server: every subpackage of connector.sandbox that sets FAKE is a fake it runs."""

__all__ = ["FAKE", "MarketoFake"]
